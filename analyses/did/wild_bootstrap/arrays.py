"""The wild cluster bootstrap on arrays: outcome, regressors, weights and cluster labels in, a test out.

Notes
-----
For the weighted regression :math:`y = X\\beta + u` with clusters :math:`g = 1..G`, the test of
:math:`H_0: \\beta_j = r` uses the CR1 t-statistic

.. math::

    t = \\frac{\\hat\\beta_j - r}{\\sqrt{m\\, a'\\bigl(\\sum_g \\hat s_g \\hat s_g'\\bigr) a}},
    \\qquad m = \\frac{n-1}{n-K}\\,\\frac{G}{G-1},

with :math:`a = (X'WX)^{-1}e_j`, cluster scores :math:`\\hat s_g = X_g'W_g\\hat u_g` and :math:`(n, K)`
from ``small_sample`` (:func:`~analyses.did.wild_bootstrap.wild_cluster_bootstrap` passes the number of
students and fixest's :math:`K`, which leaves out fixed effects nested in the clusters).  Its null
distribution is estimated by the wild cluster bootstrap of Cameron, Gelbach & Miller (2008): bootstrap
samples :math:`y^* = X\\ddot\\beta + \\ddot u_g v_g` with one draw :math:`v_g` per cluster,
:math:`\\ddot\\beta` the estimate with :math:`\\beta_j = r` imposed (WCR, the default and the
recommended choice; MacKinnon, Nielsen & Webb 2023) or the unrestricted estimate (WCU), and the
bootstrap statistic computed exactly like :math:`t`.  Every draw costs :math:`O(G^2)`, not
:math:`O(n)`, by the algorithm of Roodman et al. (2019) (:mod:`analyses.did.wild_bootstrap.fast`);
p-values and the inverted interval are described in :mod:`analyses.did.wild_bootstrap.inversion`.

With Rademacher weights and :math:`2^G \\le B` all :math:`2^G` sign vectors are enumerated instead of
drawn.  ``weight_type=None`` chooses Webb's six-point weights when :math:`G < 12` (Webb 2023) and
Rademacher weights otherwise.

References
----------
Cameron, A. C., Gelbach, J. B., & Miller, D. L. (2008). Bootstrap-based improvements for inference
with clustered errors. *The Review of Economics and Statistics*, 90(3), 414-427.

Roodman, D., Nielsen, M. Ø., MacKinnon, J. G., & Webb, M. D. (2019). Fast and wild: Bootstrap
inference in Stata using boottest. *The Stata Journal*, 19(1), 4-60.

MacKinnon, J. G., Nielsen, M. Ø., & Webb, M. D. (2023). Cluster-robust inference: A guide to
empirical practice. *Journal of Econometrics*, 232(2), 272-299.

Webb, M. D. (2023). Reworking wild bootstrap-based inference for clustered errors. *Canadian
Journal of Economics*, 56(3), 839-858.

Examples
--------
>>> rng = np.random.default_rng(7)
>>> g = np.repeat(np.arange(14), 30)
>>> d = (g < 7).astype(float)
>>> X = np.column_stack([np.ones(g.size), d])
>>> y = 0.3 * d + rng.normal(size=14)[g] + rng.normal(size=g.size)
>>> res = wild_bootstrap_arrays(y, X, None, g, column=1, B=999, seed=1, term="treated")
>>> res.weight_type, res.draws, res.n_treated_clusters
('rademacher', 999, 7)
>>> bool(res.ci_low < res.estimate < res.ci_high), 0.0 <= res.p_value <= 1.0
(True, True)
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Literal

import numpy as np
from scipy import stats

from analyses.did.design_warnings import DesignWarning
from analyses.did.wild_bootstrap.diagnostics import FEW_FOR_RADEMACHER, design_issues
from analyses.did.wild_bootstrap.draws import WEIGHT_TYPES, chunk_size, draw_block, enumerate_signs
from analyses.did.wild_bootstrap.fast import (
    BootstrapMoments,
    ClusterParts,
    bootstrap_moments,
    cluster_parts,
    concat_moments,
)
from analyses.did.wild_bootstrap.inversion import P_VALUE_TYPES, bootstrap_p_value, invert_interval
from analyses.did.wild_bootstrap.result import WildBootstrapResult
from data_schema.arguments import check_choice
from data_schema.errors import ArgumentError, EstimationError

__all__ = ["wild_bootstrap_arrays", "run_bootstrap", "resolve_weight_type", "check_settings"]

_MAX_ENUMERATED_CLUSTERS = 40


def resolve_weight_type(weight_type: str | None, n_clusters: int) -> str:
    """``weight_type``, or for None: ``"webb"`` below 12 clusters (Webb 2023), else ``"rademacher"``."""
    if weight_type is None:
        return "webb" if n_clusters < FEW_FOR_RADEMACHER else "rademacher"
    return check_choice("weight_type", weight_type, WEIGHT_TYPES)


def _as_vector(name: str, value: object, m: int | None) -> np.ndarray:
    arr = np.asarray(value, dtype=float)
    if arr.ndim != 1 or (m is not None and arr.shape[0] != m):
        raise ArgumentError(f"{name} must be a 1-D array of {m if m is not None else 'n'} numbers; got shape "
                            f"{arr.shape}. Fix: pass one value per row of X")
    if not np.all(np.isfinite(arr)):
        raise ArgumentError(f"{name} has {int(np.sum(~np.isfinite(arr)))} missing or infinite values. "
                            "Fix: drop those rows before calling")
    return arr


def _check_arrays(y: object, X: object, weights: object, cluster: object, column: int
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    Xa = np.asarray(X, dtype=float)
    if Xa.ndim != 2:
        raise ArgumentError(f"X must be a 2-D array (rows x regressors); got shape {Xa.shape}")
    m, k = Xa.shape
    if not np.all(np.isfinite(Xa)):
        raise ArgumentError("X has missing or infinite values. Fix: drop those rows before calling")
    ya = _as_vector("y", y, m)
    wa = np.ones(m) if weights is None else _as_vector("weights", weights, m)
    if np.any(wa <= 0):
        raise ArgumentError(f"weights must be positive; {int(np.sum(wa <= 0))} are zero or negative. "
                            "Fix: drop rows with zero weight before calling")
    labels = np.asarray(cluster)
    if labels.ndim != 1 or labels.shape[0] != m:
        raise ArgumentError(f"cluster must be a 1-D array with one label per row ({m}); got shape {labels.shape}")
    if not 0 <= column < k:
        raise ArgumentError(f"column={column} is outside X's {k} columns; use an index from 0 to {k - 1}")
    _, codes = np.unique(labels, return_inverse=True)
    n_clusters = int(codes.max()) + 1 if m else 0
    if n_clusters < 2:
        raise EstimationError(f"the data hold {n_clusters} cluster(s); the wild cluster bootstrap needs at least "
                              "two. Fix: cluster at a finer level")
    if not np.any(Xa[:, column] != 0):
        raise EstimationError(f"column {column} of X is zero in every row, so its coefficient is not identified")
    return ya, Xa, wa, codes.astype(np.int64), n_clusters


def _treated_count(column: np.ndarray, codes: np.ndarray) -> int | None:
    """Clusters with a non-zero value, when ``column`` is a 0/1 indicator; None otherwise."""
    if not np.all((column == 0) | (column == 1)):
        return None
    return int(np.unique(codes[column != 0]).size)


def _moments(parts: ClusterParts, n_clusters: int, B: int, weight_type: str, seed: int | None
             ) -> tuple[BootstrapMoments, bool]:
    """All draws applied to ``parts`` block by block; True when the 2^G Rademacher vectors were enumerated."""
    enumerated = weight_type == "rademacher" and n_clusters <= _MAX_ENUMERATED_CLUSTERS and 2 ** n_clusters <= B
    step = chunk_size(n_clusters)
    if enumerated:
        total = 2 ** n_clusters
        blocks = [bootstrap_moments(parts, enumerate_signs(n_clusters, s, min(s + step, total)))
                  for s in range(0, total, step)]
    else:
        rng = np.random.default_rng(seed)
        blocks = [bootstrap_moments(parts, draw_block(rng, weight_type, n_clusters=n_clusters,
                                                      n_draws=min(step, B - s))) for s in range(0, B, step)]
    return concat_moments(blocks), enumerated


def run_bootstrap(y: np.ndarray, X: np.ndarray, weights: np.ndarray, codes: np.ndarray, n_clusters: int, *,
                  column: int, null: float, B: int, weight_type: str | None, impose_null: bool, level: float,
                  seed: int | None, small_sample: tuple[int, int], p_value_type: str, interval: bool, term: str,
                  n_treated: int | None) -> tuple[WildBootstrapResult, list[tuple[type[Warning], str]]]:
    """Checked arrays in, the result and its design warnings (not yet issued) out."""
    wt = resolve_weight_type(weight_type, n_clusters)
    n, K = small_sample
    if not n > K:
        raise EstimationError(f"small_sample=(n={n}, K={K}) leaves no residual degrees of freedom; n must exceed K")
    ssc = (n - 1) / (n - K) * n_clusters / (n_clusters - 1)
    parts = cluster_parts(y, X, weights, codes, column=column, ssc=ssc, impose_null=impose_null)
    moments, enumerated = _moments(parts, n_clusters, B, wt, seed)
    t_stat = parts.t_stat(null)
    t_boot = moments.t_boot(null)
    p_value = bootstrap_p_value(t_stat, t_boot, p_value_type)
    ci = invert_interval(moments, level=level, kind=p_value_type, n_clusters=n_clusters) if interval \
        else (math.nan, math.nan)
    crit = float(stats.t.ppf(0.5 + level / 2.0, n_clusters - 1))
    issues = design_issues(n_clusters=n_clusters, n_treated=n_treated, weight_type=wt)
    if interval and (math.isinf(ci[0]) or math.isinf(ci[1])):
        issues.append((DesignWarning, f"the {100 * level:g}% bootstrap interval is unbounded: no null value up to "
                       "2^60 CR1 half-widths from the estimate is rejected, so the data cannot bound the effect "
                       "at this level"))
    result = WildBootstrapResult(
        term=term, estimate=parts.estimate, std_error=parts.std_error, statistic=t_stat, null=float(null),
        p_value=p_value, ci_low=ci[0], ci_high=ci[1], level=float(level), p_value_type=p_value_type,
        bootstrap="restricted" if impose_null else "unrestricted", weight_type=wt, draws=moments.n_draws,
        enumerated=enumerated, seed=seed, n_obs=int(n), n_clusters=n_clusters, n_treated_clusters=n_treated,
        invalid_draws=int(np.count_nonzero(np.isnan(t_boot))),
        cr1_p_value=float(2.0 * stats.t.sf(abs(t_stat), n_clusters - 1)),
        cr1_ci_low=parts.estimate - crit * parts.std_error, cr1_ci_high=parts.estimate + crit * parts.std_error,
        warnings=tuple(message for _, message in issues), t_boot=t_boot)
    return result, issues


def check_settings(*, B: int, level: float, null: float, p_value_type: str, weight_type: str | None) -> None:
    """Raise an ``ArgumentError`` for an unknown choice, a non-positive ``B``, a level outside (0, 1) or a bad null."""
    check_choice("p_value_type", p_value_type, P_VALUE_TYPES)
    if weight_type is not None:
        check_choice("weight_type", weight_type, WEIGHT_TYPES)
    if isinstance(B, bool) or not isinstance(B, int | np.integer) or B < 1:
        raise ArgumentError(f"B={B!r} must be a positive whole number of bootstrap draws, e.g. 9999")
    if not 0.0 < level < 1.0:
        raise ArgumentError(f"level={level!r} must lie strictly between 0 and 1, e.g. 0.95")
    if not math.isfinite(null):
        raise ArgumentError(f"null={null!r} must be a finite number")


def wild_bootstrap_arrays(
    y: np.ndarray | Sequence[float],
    X: np.ndarray,
    weights: np.ndarray | Sequence[float] | None,
    cluster: np.ndarray | Sequence[object],
    *,
    column: int,
    null: float = 0.0,
    B: int = 9999,
    weight_type: Literal["rademacher", "webb", "mammen", "normal"] | None = None,
    impose_null: bool = True,
    level: float = 0.95,
    seed: int | None = 0,
    small_sample: tuple[int, int] | None = None,
    p_value_type: Literal["symmetric", "equal-tailed"] = "symmetric",
    interval: bool = True,
    term: str | None = None,
    treated_clusters: int | None = None,
) -> WildBootstrapResult:
    """Wild cluster bootstrap-t test of one coefficient of a weighted regression, with its inverted interval.

    Parameters
    ----------
    y
        Outcome, one value a row.
    X
        Regressors, rows x k (include the intercept or the fixed-effect dummies yourself, or pass
        arrays from which the fixed effect was swept out; see :func:`wild_cluster_bootstrap`).
    weights
        Positive regression weights, or None for ordinary least squares.
    cluster
        Cluster label of every row (any hashable values).
    column
        Index in ``X`` of the tested coefficient.
    null
        Null value :math:`r` of :math:`H_0: \\beta_j = r`.
    B
        Bootstrap draws (with Rademacher weights and :math:`2^G \\le B`, all :math:`2^G` sign vectors
        are enumerated instead).
    weight_type
        ``"rademacher"``, ``"webb"``, ``"mammen"``, ``"normal"``, or None for Webb below 12 clusters and
        Rademacher otherwise.
    impose_null
        True for WCR (null imposed on the bootstrap data), False for WCU.
    level
        Confidence level of the intervals.
    seed
        Seed of ``numpy.random.default_rng`` for the draws.
    small_sample
        ``(n, K)`` of the CR1 factor :math:`\\frac{n-1}{n-K}\\frac{G}{G-1}`; defaults to the rows and
        columns of ``X``.  The factor cancels in the p-value but sets the reported standard error and t.
    p_value_type
        ``"symmetric"`` (default) or ``"equal-tailed"``.
    interval
        False skips the test inversion (``ci_low``/``ci_high`` are NaN), for speed when only p is wanted.
    term
        Name of the tested coefficient in the result; defaults to ``"x{column}"``.
    treated_clusters
        Number of treated clusters for the design warnings; by default counted from ``X[:, column]``
        when it is a 0/1 indicator (pass it when ``X`` has been transformed).

    Returns
    -------
    WildBootstrapResult
        Design warnings (:class:`~analyses.did.design_warnings.FewTreatedClustersWarning`,
        :class:`~analyses.did.design_warnings.DesignWarning`) are issued and kept in ``warnings``.

    Raises
    ------
    ArgumentError
        Malformed arrays or settings.
    EstimationError
        Fewer than two clusters, collinear regressors, or a zero standard error.
    """
    check_settings(B=B, level=level, null=null, p_value_type=p_value_type, weight_type=weight_type)
    ya, Xa, wa, codes, n_clusters = _check_arrays(y, X, weights, cluster, int(column))
    n_treated = _treated_count(Xa[:, column], codes) if treated_clusters is None else int(treated_clusters)
    result, issues = run_bootstrap(
        ya, Xa, wa, codes, n_clusters, column=int(column), null=float(null), B=int(B), weight_type=weight_type,
        impose_null=bool(impose_null), level=float(level), seed=seed,
        small_sample=small_sample if small_sample is not None else Xa.shape, p_value_type=p_value_type,
        interval=interval, term=term if term is not None else f"x{column}", n_treated=n_treated)
    for category, message in issues:
        warnings.warn(message, category, stacklevel=2)
    return result
