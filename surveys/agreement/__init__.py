"""Rater agreement: intraclass correlations, Cohen's and Fleiss' kappa, Krippendorff's alpha and rater leniency.

Every function takes a long table (one row a rating) with the column names as
keyword arguments, refuses designs it cannot handle with
:class:`~data_schema.errors.EstimationError` and returns a frozen result with
``tidy()``, ``to_dict()`` and ``summary()``.  ``*_from_matrix``, ``*_from_table``
and ``*_from_counts`` take the wide or summarised forms in which such data are
often published.
"""

from surveys.agreement.icc import IccMissing, icc, icc_from_matrix
from surveys.agreement.kappa import (
    KappaWeights,
    cohen_kappa,
    cohen_kappa_from_table,
    fleiss_kappa,
    fleiss_kappa_from_counts,
)
from surveys.agreement.krippendorff import AlphaLevel, krippendorff_alpha, krippendorff_alpha_from_matrix
from surveys.agreement.leniency import leniency_table
from surveys.agreement.results import (
    TIDY_COLUMNS,
    IccForm,
    IccResult,
    KappaResult,
    KrippendorffAlphaResult,
    LeniencyResult,
)

__all__ = [
    "AlphaLevel",
    "IccForm",
    "IccMissing",
    "IccResult",
    "KappaResult",
    "KappaWeights",
    "KrippendorffAlphaResult",
    "LeniencyResult",
    "TIDY_COLUMNS",
    "cohen_kappa",
    "cohen_kappa_from_table",
    "fleiss_kappa",
    "fleiss_kappa_from_counts",
    "icc",
    "icc_from_matrix",
    "krippendorff_alpha",
    "krippendorff_alpha_from_matrix",
    "leniency_table",
]
