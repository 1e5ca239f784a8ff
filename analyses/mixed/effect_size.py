"""Standardised mean differences for cluster designs (Hedges 2007): delta_T and delta_W with their variances.

When programs are assigned to whole clusters (classes, institutions), the effect can be standardised by
the total SD (``delta_T``, comparable with effects from student-level designs) or the within-cluster SD
(``delta_W``).  Hedges (2007) gives estimators that correct for the clustering and their sampling
variances, which are larger than the textbook ``(N_T + N_C) / (N_T N_C)`` by the design effect.

Examples
--------
>>> es = cluster_effect_size_from_summary(mean_treated=0.3, mean_control=0.0, sd_total=1.0, icc=0.2,
...                                       cluster_size=20, clusters_treated=10, clusters_control=10)
>>> round(es.delta_t, 4), round(es.var_t, 4)
(0.2971, 0.0482)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from analyses.tidy import tidy_frame
from data_schema.arguments import check_columns
from data_schema.errors import ArgumentError, EstimationError
from data_schema.json_safe import json_safe

__all__ = ["ClusterEffectSize", "cluster_effect_size", "cluster_effect_size_from_summary"]


@dataclass(frozen=True)
class ClusterEffectSize:
    """Hedges' (2007) standardised mean differences for a two-arm cluster design.

    Attributes
    ----------
    mean_difference
        Treated minus control mean.
    sd_total, sd_within
        Pooled total SD ``S_T`` (ignoring clusters) and pooled within-cluster SD ``S_W``.
    icc
        Intraclass correlation used.
    cluster_size
        Observations per cluster ``n`` (the mean, ``N / M``, when sizes differ).
    n_treated, n_control
        Observations per arm ``N_T``, ``N_C``.
    clusters_treated, clusters_control
        Clusters per arm ``m_T``, ``m_C``.
    delta_t, var_t
        ``d_T`` (standardised by the total SD, corrected for clustering) and its variance.
    delta_w, var_w
        ``d_W`` (standardised by the within-cluster SD) and its variance.
    ci_level
        Level of the normal intervals in ``tidy()``.
    notes
        Approximations used, in words.
    """

    mean_difference: float
    sd_total: float
    sd_within: float
    icc: float
    cluster_size: float
    n_treated: int
    n_control: int
    clusters_treated: int
    clusters_control: int
    delta_t: float
    var_t: float
    delta_w: float
    var_w: float
    ci_level: float
    notes: tuple[str, ...]

    def tidy(self) -> pd.DataFrame:
        """Rows ``delta_T`` and ``delta_W`` with standard errors, z statistics and normal intervals."""
        z = float(stats.norm.ppf(0.5 + self.ci_level / 2))
        rows = []
        for term, d, v, method in (("delta_T", self.delta_t, self.var_t, "Hedges (2007) d_T, total SD"),
                                   ("delta_W", self.delta_w, self.var_w, "Hedges (2007) d_W, within-cluster SD")):
            se = float(np.sqrt(v))
            rows.append({"term": term, "estimate": d, "std_error": se, "statistic": d / se,
                         "p_value": 2 * stats.norm.sf(abs(d / se)), "ci_low": d - z * se, "ci_high": d + z * se,
                         "ci_level": self.ci_level, "n_obs": self.n_treated + self.n_control,
                         "n_clusters": self.clusters_treated + self.clusters_control, "method": method,
                         "icc": self.icc})
        return tidy_frame(rows)

    def summary(self) -> str:
        """The effect sizes as text."""
        table = self.tidy()[["term", "estimate", "std_error", "ci_low", "ci_high"]].to_string(index=False)
        return "\n".join([f"Cluster-design effect sizes (ICC {self.icc:.4g}, cluster size {self.cluster_size:.4g}, "
                          f"{self.clusters_treated}+{self.clusters_control} clusters)", table,
                          *[f"note: {n}" for n in self.notes]])

    def to_dict(self) -> dict:
        """JSON-safe dictionary of every field."""
        return json_safe({k: getattr(self, k) for k in self.__dataclass_fields__})


def _check_summary(icc: float, n: float, m_t: int, m_c: int) -> None:
    if not 0.0 <= icc < 1.0:
        raise ArgumentError(f"icc={icc!r} must lie in [0, 1)")
    if n < 1 or m_t < 1 or m_c < 1 or n * (m_t + m_c) <= m_t + m_c:
        raise ArgumentError(f"cluster_size={n!r}, clusters_treated={m_t!r} and clusters_control={m_c!r} must give "
                            "more observations than clusters, with at least one cluster per arm")


def cluster_effect_size_from_summary(*, mean_treated: float, mean_control: float, sd_total: float, icc: float,
                                     cluster_size: float, clusters_treated: int, clusters_control: int,
                                     sd_within: float | None = None, level: float = 0.95) -> ClusterEffectSize:
    """Hedges' ``d_T`` and ``d_W`` with their variances from published summaries of a cluster design.

    Parameters
    ----------
    mean_treated, mean_control
        Arm means.
    sd_total
        Pooled SD of the observations within arms, ignoring clusters (``S_T``).
    icc
        Intraclass correlation ``rho``.
    cluster_size
        Observations per cluster ``n`` (equal sizes).
    clusters_treated, clusters_control
        Clusters per arm.
    sd_within
        Pooled within-cluster SD ``S_W``; default ``S_T sqrt(1 - rho)``.
    level
        Level of the normal intervals.

    Returns
    -------
    ClusterEffectSize

    Notes
    -----
    With :math:`N_T = n m_T`, :math:`N_C = n m_C`, :math:`N = N_T + N_C`, :math:`M = m_T + m_C` and
    :math:`\\tilde N = N_T N_C / (N_T + N_C)`, Hedges (2007) gives

    .. math:: d_T = \\frac{\\bar Y_T - \\bar Y_C}{S_T}\\sqrt{1 - \\frac{2(n-1)\\rho}{N-2}}, \\quad
              V(d_T) = \\frac{1 + (n-1)\\rho}{\\tilde N}
              + d_T^2\\frac{(N-2)(1-\\rho)^2 + n(N-2n)\\rho^2 + 2(N-2n)\\rho(1-\\rho)}{2(N-2)[(N-2) - 2(n-1)\\rho]}

    .. math:: d_W = \\frac{\\bar Y_T - \\bar Y_C}{S_W}, \\quad
              V(d_W) = \\frac{1 + (n-1)\\rho}{\\tilde N (1-\\rho)} + \\frac{d_W^2}{2(N - M)}

    (Hedges 2007, section 3, the equal-cluster-size estimators of :math:`\\delta_T` and :math:`\\delta_W`).

    References
    ----------
    Hedges, L. V. (2007). Effect sizes in cluster-randomized designs. *Journal of Educational and Behavioral
    Statistics*, 32(4), 341-370.
    """
    n, m_t, m_c, rho = float(cluster_size), int(clusters_treated), int(clusters_control), float(icc)
    _check_summary(rho, n, m_t, m_c)
    if not sd_total > 0 or (sd_within is not None and not sd_within > 0):
        raise ArgumentError(f"sd_total={sd_total!r} and sd_within={sd_within!r} must be positive")
    if not 0.0 < float(level) < 1.0:
        raise ArgumentError(f"level={level!r} must lie strictly between 0 and 1, e.g. 0.95")
    s_w = float(sd_within) if sd_within is not None else float(sd_total) * np.sqrt(1.0 - rho)
    n_t, n_c = n * m_t, n * m_c
    big_n, big_m = n_t + n_c, m_t + m_c
    inv = (n_t + n_c) / (n_t * n_c)
    diff = float(mean_treated) - float(mean_control)
    d_t = diff / float(sd_total) * np.sqrt(1.0 - 2.0 * (n - 1.0) * rho / (big_n - 2.0))
    num = ((big_n - 2) * (1 - rho) ** 2 + n * (big_n - 2 * n) * rho ** 2
           + 2 * (big_n - 2 * n) * rho * (1 - rho))
    var_t = inv * (1 + (n - 1) * rho) + d_t ** 2 * num / (2 * (big_n - 2) * ((big_n - 2) - 2 * (n - 1) * rho))
    d_w = diff / s_w
    var_w = inv * (1 + (n - 1) * rho) / (1 - rho) + d_w ** 2 / (2 * (big_n - big_m))
    notes = () if sd_within is not None else ("sd_within was not given: S_W = S_T sqrt(1 - icc)",)
    return ClusterEffectSize(diff, float(sd_total), s_w, rho, n, int(round(n_t)), int(round(n_c)), m_t, m_c,
                             float(d_t), float(var_t), float(d_w), float(var_w), float(level), notes)


def cluster_effect_size(data: pd.DataFrame, *, outcome: str, treatment: str, cluster: str, treated: object,
                        icc: float | None = None, level: float = 0.95) -> ClusterEffectSize:
    """Hedges' ``d_T`` and ``d_W`` from student-level data of a two-arm cluster design.

    Parameters
    ----------
    data
        One row an observation.
    outcome, treatment, cluster
        Columns: the outcome, the arm (two values) and the cluster (nested in the arms).
    treated
        The value of ``treatment`` that marks the treated arm (e.g. ``"integrated"``).
    icc
        A known ICC; default the one-way ANOVA estimate from the data (truncated at zero).
    level
        Level of the normal intervals.

    Returns
    -------
    ClusterEffectSize

    Raises
    ------
    EstimationError
        When ``treatment`` does not have two values, a cluster spans both arms, or an arm has no cluster.

    Notes
    -----
    ``S_T^2`` pools the within-arm variances (denominator ``N - 2``), ``S_W^2`` the within-cluster variances
    (``N - M``); the estimated ICC is :math:`(MS_B - S_W^2)/n \\,/\\, ((MS_B - S_W^2)/n + S_W^2)` with
    :math:`MS_B` the between-cluster mean square within arms.  With unequal cluster sizes the mean size
    ``N / M`` is used in the equal-size formulas of :func:`cluster_effect_size_from_summary`, an approximation.
    """
    check_columns(data, [outcome, treatment, cluster], what="data")
    frame = data[[outcome, treatment, cluster]].dropna()
    arms = pd.unique(frame[treatment])
    if len(arms) != 2 or treated not in set(arms):
        raise EstimationError(f"{treatment!r} has values {list(arms)}; expected exactly two, one of them "
                              f"treated={treated!r}")
    arm = (frame[treatment] == treated).to_numpy()
    if (frame.groupby(cluster, sort=False)[treatment].nunique() > 1).any():
        raise EstimationError(f"some clusters of {cluster!r} contain both arms; effect sizes for cluster designs "
                              "need each cluster in one arm")
    y = frame[outcome].to_numpy(dtype=float)
    codes, _ = pd.factorize(frame[cluster])
    sizes = np.bincount(codes)
    cmeans = np.bincount(codes, weights=y) / sizes
    carm = np.bincount(codes, weights=arm.astype(float)) > 0
    big_n, big_m = y.size, sizes.size
    m_t, m_c = int(carm.sum()), int((~carm).sum())
    amean = np.array([y[~arm].mean(), y[arm].mean()])
    s_t = np.sqrt(((y - amean[arm.astype(int)]) ** 2).sum() / (big_n - 2))
    s_w2 = ((y - cmeans[codes]) ** 2).sum() / (big_n - big_m)
    n = big_n / big_m
    notes = [] if np.all(sizes == sizes[0]) else ["unequal cluster sizes: the mean size N / M is used"]
    if icc is None:
        ms_b = (sizes * (cmeans - amean[carm.astype(int)]) ** 2).sum() / (big_m - 2)
        between = max((ms_b - s_w2) / n, 0.0)
        icc = between / (between + s_w2)
        notes.append("icc estimated from the data (one-way ANOVA within arms)")
    out = cluster_effect_size_from_summary(mean_treated=amean[1], mean_control=amean[0], sd_total=s_t, icc=icc,
                                           cluster_size=n, clusters_treated=m_t, clusters_control=m_c,
                                           sd_within=float(np.sqrt(s_w2)), level=level)
    return ClusterEffectSize(**{**{k: getattr(out, k) for k in out.__dataclass_fields__},
                                "n_treated": int(arm.sum()), "n_control": int((~arm).sum()),
                                "notes": tuple(notes)})
