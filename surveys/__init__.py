"""progeval.surveys — score instruments and check their measurement quality.

Scoring of survey responses against the instrument codebooks (the built-in six
ship in ``surveys/instruments``), reliability (alpha, omega, item analysis),
rater agreement (ICC, kappas, Krippendorff's alpha, leniency) and measurement
invariance (multi-group CFA).  The package imports from ``data_schema`` only.

Examples
--------
>>> import surveys
>>> sorted(surveys.builtin_codebooks())[:2]
['business_chinese_self_efficacy', 'digital_commerce_skills']
"""

from data_schema.codebook import builtin_codebooks, load_codebook, load_codebooks
from surveys import agreement, invariance, reliability
from surveys.items import item_matrix
from surveys.scoring import ScoreResult, score

__all__ = [
    "ScoreResult",
    "agreement",
    "builtin_codebooks",
    "invariance",
    "item_matrix",
    "load_codebook",
    "load_codebooks",
    "reliability",
    "score",
]
