"""Warnings of the mixed-model fits: each names what about the fit needs a reader's care.

Every warning is also recorded in the result (``MixedResult.notes`` and ``MixedResult.convergence``),
so a fit that was not clean can never be read as a silent "converged".

Examples
--------
>>> issubclass(SingularFitWarning, MixedModelWarning), issubclass(MixedModelWarning, UserWarning)
(True, True)
"""

from __future__ import annotations

from data_schema.errors import EstimationWarning

__all__ = ["MixedModelWarning", "SingularFitWarning", "ConvergenceCheckWarning", "EngineFallbackWarning"]


class MixedModelWarning(EstimationWarning):
    """A mixed model was fitted, but the fit needs care."""


class SingularFitWarning(MixedModelWarning):
    """The optimum is on the boundary: a variance is zero or a correlation is +-1 (lme4's ``isSingular``)."""


class ConvergenceCheckWarning(MixedModelWarning):
    """The optimum failed a check: gradient not small, Hessian not positive definite, or optimizers disagree."""


class EngineFallbackWarning(MixedModelWarning):
    """The fast engine does not cover this random-effects structure, so statsmodels' MixedLM fitted it."""
