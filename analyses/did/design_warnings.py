"""Warnings of the difference-in-differences estimators: each names what in the design defeats the method.

Examples
--------
>>> issubclass(FewTreatedClustersWarning, DesignWarning), issubclass(DesignWarning, UserWarning)
(True, True)
"""

from __future__ import annotations

from data_schema.errors import EstimationWarning

__all__ = ["DesignWarning", "FewTreatedClustersWarning"]


class DesignWarning(EstimationWarning):
    """The data allow the estimate but the design weakens it (few clusters, a small group, a thin comparison)."""


class FewTreatedClustersWarning(DesignWarning):
    """Too few treated (or untreated) clusters for cluster-robust or wild-bootstrap inference to be trusted."""
