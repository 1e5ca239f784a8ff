"""The WWC clustering correction of a significance test from an analysis that ignored clustering (Hedges 2007).

Examples
--------
>>> res = clustering_correction(t_from_g(0.30, n_treated=200, n_control=200), n_total=400, n_clusters=20)
>>> round(res.t_corrected, 4), round(res.df, 2)
(1.3486, 231.66)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from analyses.tidy import tidy_frame
from data_schema.arguments import check_choice
from data_schema.errors import ArgumentError
from data_schema.json_safe import json_safe

__all__ = ["WWC_DEFAULT_ICC", "ClusteringCorrection", "clustering_correction", "t_from_g"]

WWC_DEFAULT_ICC: dict[str, float] = {"achievement": 0.20, "behavioral": 0.10}
"""WWC default intraclass correlations when a study reports none: 0.20 for achievement outcomes, 0.10 for
behavioural and attitudinal outcomes (WWC Procedures and Standards Handbook v5.0, Appendix E)."""


@dataclass(frozen=True)
class ClusteringCorrection:
    """A t test corrected for clustering the analysis ignored.

    Attributes
    ----------
    t
        The t statistic from the analysis that ignored clustering.
    t_corrected
        The clustering-corrected t statistic.
    df
        Corrected degrees of freedom ``h``.
    p_value
        Two-sided p-value of ``t_corrected`` on ``df`` degrees of freedom.
    p_value_uncorrected
        Two-sided p-value of ``t`` on ``N - 2`` degrees of freedom.
    icc
        Intraclass correlation used.
    icc_source
        ``"given"`` or the WWC default domain it came from (``"wwc default: achievement"``).
    n_total
        Total students ``N``.
    n_clusters
        Total clusters ``M``.
    alpha
        Significance level of ``significant``.
    significant
        Whether ``p_value < alpha``.
    """

    t: float
    t_corrected: float
    df: float
    p_value: float
    p_value_uncorrected: float
    icc: float
    icc_source: str
    n_total: int
    n_clusters: int
    alpha: float
    significant: bool

    def tidy(self) -> pd.DataFrame:
        """Rows ``uncorrected`` and ``clustering_corrected``: statistic, df and p-value (no estimate)."""
        rows = [{"term": "uncorrected", "statistic": self.t, "df": float(self.n_total - 2),
                 "p_value": self.p_value_uncorrected, "n_obs": self.n_total, "n_clusters": self.n_clusters,
                 "method": "t test ignoring clustering", "icc": self.icc},
                {"term": "clustering_corrected", "statistic": self.t_corrected, "df": self.df,
                 "p_value": self.p_value, "n_obs": self.n_total, "n_clusters": self.n_clusters,
                 "method": "WWC clustering correction (Hedges 2007)", "icc": self.icc}]
        return tidy_frame(rows)

    def summary(self) -> str:
        """The correction as text, with the null hypothesis in words."""
        verdict = "significant" if self.significant else "not significant"
        return "\n".join([
            "WWC clustering correction (Hedges 2007); null: no difference between groups",
            f"N = {self.n_total} students in M = {self.n_clusters} clusters, ICC {self.icc:.4g} ({self.icc_source})",
            f"ignoring clustering: t = {self.t:.4f}, df = {self.n_total - 2}, p = {self.p_value_uncorrected:.4g}",
            f"corrected: t = {self.t_corrected:.4f}, df = {self.df:.4f}, p = {self.p_value:.4g} "
            f"({verdict} at alpha {self.alpha:g})",
        ])

    def to_dict(self) -> dict:
        """JSON-safe dictionary of every field."""
        return json_safe({k: getattr(self, k) for k in self.__dataclass_fields__})


def t_from_g(g: float, *, n_treated: int, n_control: int) -> float:
    """The t statistic the WWC imputes from Hedges' g when a study reports no test.

    Parameters
    ----------
    g
        Hedges' g ignoring clustering.
    n_treated, n_control
        Student-level group sizes.

    Returns
    -------
    float

    Notes
    -----
    .. math:: t = g \\Big/ \\sqrt{\\frac{n_T + n_C}{n_T n_C} + \\frac{g^2}{2(n_T + n_C)}}

    References
    ----------
    What Works Clearinghouse (2020). *Procedures Handbook, Version 4.1*, Appendix F (equation F.1.0).

    Examples
    --------
    >>> round(t_from_g(0.30, n_treated=200, n_control=200), 6)
    2.983266
    """
    n_t, n_c = int(n_treated), int(n_control)
    if n_t < 1 or n_c < 1:
        raise ArgumentError(f"n_treated={n_treated!r}, n_control={n_control!r} must be positive counts")
    return float(g) / float(np.sqrt((n_t + n_c) / (n_t * n_c) + float(g) ** 2 / (2.0 * (n_t + n_c))))


def clustering_correction(t: float, *, n_total: int, n_clusters: int, icc: float | None = None,
                          outcome_domain: Literal["achievement", "behavioral"] = "achievement",
                          alpha: float = 0.05) -> ClusteringCorrection:
    """Correct a t statistic (and its df) from an analysis that ignored clustering, as the WWC does.

    Parameters
    ----------
    t
        The t statistic reported (or imputed with :func:`t_from_g`) ignoring clustering.
    n_total
        Total students ``N`` in both groups.
    n_clusters
        Total clusters ``M`` (classes, institutions) in both groups.
    icc
        Intraclass correlation ``rho``; default the WWC default for ``outcome_domain``.
    outcome_domain
        Chooses the default ICC: ``"achievement"`` (0.20) or ``"behavioral"`` (0.10); ignored when ``icc``
        is given.
    alpha
        Significance level of ``significant``.

    Returns
    -------
    ClusteringCorrection

    Notes
    -----
    With average cluster size :math:`n = N / M`,

    .. math:: t_A = t\\sqrt{\\frac{(N-2) - 2(n-1)\\rho}{(N-2)[1 + (n-1)\\rho]}}, \\quad
              h = \\frac{[(N-2) - 2(n-1)\\rho]^2}{(N-2)(1-\\rho)^2 + n(N-2n)\\rho^2 + 2(N-2n)\\rho(1-\\rho)}

    and the p-value is two-sided from Student's t with ``h`` degrees of freedom.  The WWC applies the
    correction only to findings reported as significant; it is computed here regardless.

    References
    ----------
    Hedges, L. V. (2007). Correcting a significance test for clustering. *Journal of Educational and
    Behavioral Statistics*, 32(2), 151-179.
    What Works Clearinghouse (2022). *Procedures and Standards Handbook, Version 5.0*, Appendix E
    (equation E.21 for ``h``); (2020) *Version 4.1*, Appendix F.

    Examples
    --------
    >>> res = clustering_correction(2.983266, n_total=400, n_clusters=20, outcome_domain="achievement")
    >>> round(res.p_value, 4), res.significant
    (0.1788, False)
    """
    check_choice("outcome_domain", outcome_domain, tuple(WWC_DEFAULT_ICC))
    big_n, big_m = int(n_total), int(n_clusters)
    if big_m < 2 or big_n <= big_m or big_n < 3:
        raise ArgumentError(f"n_total={n_total!r}, n_clusters={n_clusters!r}; need at least 2 clusters and more "
                            "students than clusters")
    rho = WWC_DEFAULT_ICC[outcome_domain] if icc is None else float(icc)
    if not 0.0 <= rho < 1.0:
        raise ArgumentError(f"icc={icc!r} must lie in [0, 1), e.g. 0.20 for achievement outcomes")
    if not 0.0 < float(alpha) < 1.0:
        raise ArgumentError(f"alpha={alpha!r} must lie strictly between 0 and 1, e.g. 0.05")
    n = big_n / big_m
    a = (big_n - 2) - 2 * (n - 1) * rho
    t_a = float(t) * np.sqrt(a / ((big_n - 2) * (1 + (n - 1) * rho)))
    h = a ** 2 / ((big_n - 2) * (1 - rho) ** 2 + n * (big_n - 2 * n) * rho ** 2
                  + 2 * (big_n - 2 * n) * rho * (1 - rho))
    p = float(2 * stats.t.sf(abs(t_a), h))
    p0 = float(2 * stats.t.sf(abs(float(t)), big_n - 2))
    source = "given" if icc is not None else f"wwc default: {outcome_domain}"
    return ClusteringCorrection(float(t), float(t_a), float(h), p, p0, rho, source, big_n, big_m, float(alpha),
                                bool(p < alpha))
