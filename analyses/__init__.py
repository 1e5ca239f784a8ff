"""progeval.analyses — difference-in-differences, mixed models, effect sizes, equivalence, attrition, power, rating.

Analyses take the tables produced by ``data_schema``, ``surveys`` and ``outcomes``
and return frozen results objects with ``tidy()``, ``summary()`` and ``to_dict()``.
Method families are sub-packages (``analyses.did``, ``analyses.mixed``, ``analyses.effects``,
``analyses.power``); the WWC judgements are also reachable from here, loaded on first use::

    import analyses
    analyses.evidence_rating(design="comparison_group", equivalence=..., attrition=..., ...)

(The attrition function is ``analyses.attrition.attrition``: the module of that name takes the attribute.)
"""

from __future__ import annotations

import importlib

_LAZY = {
    "attrition_from_counts": "analyses.attrition",
    "AttritionResult": "analyses.attrition",
    "baseline_equivalence": "analyses.equivalence",
    "EquivalenceResult": "analyses.equivalence",
    "evidence_rating": "analyses.evidence",
    "EvidenceRating": "analyses.evidence",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> object:
    """Import the module that defines ``name`` on first use (keeps ``import analyses.did`` light)."""
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'analyses' has no attribute {name!r}")
