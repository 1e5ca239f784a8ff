"""Influence-function inference: cluster sums, analytic standard errors and the Mammen multiplier bootstrap.

With influence functions :math:`\\mathrm{IF}_{ik}` on R ``did``'s scale and clusters :math:`c`, the cluster
sums are :math:`S_{ck} = \\sum_{i \\in c} \\mathrm{IF}_{ik}` (every row its own cluster by default), the
analytic standard error is :math:`\\sqrt{\\sum_c S_{ck}^2}/n` and the covariance of the estimates is
:math:`S'S/n^2`.  The multiplier bootstrap (Callaway & Sant'Anna 2021, Algorithm 1) draws
:math:`\\hat\\theta^*_{bk} = \\sum_c V_{bc} S_{ck}/n` with Mammen's two-point weights :math:`V` (mean 0,
variance 1), takes the standard error from the interquartile range,
:math:`(q_{.75} - q_{.25}) / (z_{.75} - z_{.25})`, and the uniform critical value as the ``level`` quantile
of :math:`\\max_k |\\hat\\theta^*_{bk}| / \\widehat{\\mathrm{se}}_k` -- exactly R ``did::mboot`` (quantiles
of type 1).

Examples
--------
>>> rng = np.random.default_rng(0)
>>> influence = rng.normal(size=(500, 3))
>>> sums = cluster_sums(influence, None, 500)
>>> se = analytic_se(sums, 500)
>>> boot = multiplier_bootstrap(sums, 500, n_boot=999, seed=1, level=0.95)
>>> bool(np.allclose(boot.std_error, se, rtol=0.1)), bool(boot.critical_value > 1.96)
(True, True)

References
----------
Callaway, B., & Sant'Anna, P. H. C. (2021). Difference-in-differences with multiple time periods. Journal of
Econometrics, 225(2), 200-230. https://doi.org/10.1016/j.jeconom.2020.12.001

Mammen, E. (1993). Bootstrap and wild bootstrap for high dimensional linear models. The Annals of
Statistics, 21(1), 255-285.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy import stats

__all__ = ["BootstrapResult", "InfluenceRows", "analytic_se", "cluster_sums", "mammen_weights",
           "multiplier_bootstrap"]

_IQR_TO_SD = float(stats.norm.ppf(0.75) - stats.norm.ppf(0.25))
_TINY = float(np.sqrt(np.finfo(float).eps) * 10)
_CHUNK = 2**21
"""Multiplier draws per block (rows x clusters), so memory stays bounded with many clusters."""


class InfluenceRows(NamedTuple):
    """What the rows of an influence-function matrix stand for.

    Attributes
    ----------
    group
        First-treatment value of each row (``inf`` = never treated).
    weight
        The row's coefficient on the weight in the group-share correction of aggregations: the normalised
        weight of a data row, or the compressed equivalent (see ``kind``).
    cluster
        Cluster code of each row; None when every data row is its own cluster.
    n
        Data rows (units or observations) behind the matrix: the n of :math:`\\sqrt{\\sum_c S_c^2}/n`.
    n_clusters
        Clusters (``n`` when every data row is its own cluster).
    cohort_weight
        Sum of the normalised weights of the data rows with each first-treatment value (in sorted order of
        the values), so that :math:`\\hat p_g` = ``cohort_weight / n``.
    kind
        ``"rows"``: one row per data row (unit or observation).  ``"cluster_sums"``: one row per cluster and
        first-treatment value, the sums of its data rows, which give the same cluster sums and hence the same
        standard errors and multiplier bootstrap.  ``"moment_factors"``: a few rows whose cross-products equal
        those of the data rows (unclustered inference from cell moments); they give the same analytic
        standard errors but cannot carry the per-observation multiplier bootstrap.
    """

    group: np.ndarray
    weight: np.ndarray
    cluster: np.ndarray | None
    n: int
    n_clusters: int
    cohort_weight: np.ndarray
    kind: str


class BootstrapResult(NamedTuple):
    """Bootstrap standard errors (NaN for degenerate columns) and the uniform critical value."""

    std_error: np.ndarray
    critical_value: float


def cluster_sums(influence: np.ndarray, cluster_code: np.ndarray | None, n_clusters: int) -> np.ndarray:
    """Sum the rows of ``influence`` within clusters (rows themselves when ``cluster_code`` is None)."""
    if cluster_code is None:
        return influence
    order = np.argsort(cluster_code, kind="stable")
    starts = np.searchsorted(cluster_code[order], np.arange(n_clusters))
    return np.add.reduceat(influence[order], starts, axis=0)


def analytic_se(sums: np.ndarray, n: int) -> np.ndarray:
    """:math:`\\sqrt{\\sum_c S_c^2}/n` per column, NaN where it is numerically zero (as R ``did``)."""
    se = np.sqrt((sums**2).sum(axis=0)) / n
    return np.where(se <= _TINY, np.nan, se)


def mammen_weights(rng: np.random.Generator, size: tuple[int, int]) -> np.ndarray:
    """Mammen's two-point weights, mean 0 and variance 1.

    :math:`1-\\kappa` with probability :math:`\\kappa/\\sqrt5`, else :math:`\\kappa`, where
    :math:`\\kappa = (1+\\sqrt5)/2`.
    """
    kappa = (1 + np.sqrt(5)) / 2
    return np.where(rng.random(size) < kappa / np.sqrt(5), 1 - kappa, kappa)


def _draws(sums: np.ndarray, n: int, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    n_clusters = sums.shape[0]
    block = max(1, min(n_boot, _CHUNK // max(n_clusters, 1)))
    out = np.empty((n_boot, sums.shape[1]))
    for start in range(0, n_boot, block):
        stop = min(n_boot, start + block)
        out[start:stop] = mammen_weights(rng, (stop - start, n_clusters)) @ sums
    return out / n


def multiplier_bootstrap(sums: np.ndarray, n: int, *, n_boot: int, seed: int | None,
                         level: float) -> BootstrapResult:
    """Bootstrap standard errors and the sup-t critical value of the columns of ``sums`` (see module notes)."""
    k = sums.shape[1]
    if n_boot <= 0 or k == 0:
        return BootstrapResult(np.full(k, np.nan), float("nan"))
    draws = _draws(sums, n, n_boot, np.random.default_rng(seed))
    q25, q75 = np.quantile(draws, [0.25, 0.75], axis=0, method="inverted_cdf")
    se = (q75 - q25) / _IQR_TO_SD
    live = (se > 0) & np.any(sums != 0, axis=0)
    se = np.where(live, se, np.nan)
    if not live.any():
        return BootstrapResult(se, float("nan"))
    sup_t = np.max(np.abs(draws[:, live]) / se[live], axis=1)
    return BootstrapResult(se, float(np.quantile(sup_t, level, method="inverted_cdf")))
