"""Wild cluster bootstrap test of a two-way fixed-effects difference-in-differences coefficient.

Notes
-----
The regression is :math:`y_{it} = \\tau D_{it} + x_{it}'\\gamma + \\alpha_i + \\lambda_t + u_{it}`
(students :math:`i` in units, periods :math:`t`, clusters containing the units), built by
:func:`analyses.did.design.two_way_design`: the unit fixed effect is swept out by a weighted within
transform and the periods enter as dummies.  The wild cluster bootstrap on the swept arrays equals the
bootstrap of the full dummy regression only when the swept fixed effect is nested in the clusters:
the sweep :math:`M_D` commutes with multiplying residuals by cluster draws,
:math:`M_D(\\ddot u \\circ v) = (M_D\\ddot u) \\circ v`, exactly when :math:`v` is constant within every
level of the swept factor.  Otherwise an error is raised.  The CR1 factor uses the design's
:math:`K` (fixed effects nested in the clusters are not counted, as in fixest and reghdfe), so the
standard error and t match fixest's and pyfixest's ``vcov={"CRV1": cluster}``.

See :func:`analyses.did.wild_bootstrap.wild_bootstrap_arrays` for the bootstrap itself.

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
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from analyses.did.cells import design_from
from analyses.did.design import TwfeDesign
from analyses.did.twfe import treated_clusters
from analyses.did.wild_bootstrap.arrays import check_settings, run_bootstrap
from analyses.did.wild_bootstrap.result import WildBootstrapResult
from data_schema.arguments import check_choice, check_columns
from data_schema.errors import ArgumentError, EstimationError

if TYPE_CHECKING:
    import ibis.expr.types as ir

__all__ = ["wild_cluster_bootstrap"]


def _binary_treated_clusters(design: TwfeDesign) -> int | None:
    """Clusters with a non-zero treatment among the rows the regression uses; None unless treatment is 0/1."""
    raw = design.raw[:, 0]
    if not np.all((raw == 0) | (raw == 1)):
        return None
    return treated_clusters(design, (raw != 0) & (design.weights > 0))


def _positive_rows(design: TwfeDesign) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Drop rows of zero weight (they add nothing to any sum) so the bootstrap sees positive weights only."""
    keep = design.weights > 0
    if keep.all():
        return design.y, design.X, design.weights, design.cluster
    return design.y[keep], design.X[keep], design.weights[keep], design.cluster[keep]


def _check_nested(design: TwfeDesign, unit: str, cluster: str) -> None:
    if not design.absorbed_nested:
        raise EstimationError(
            f"the {design.absorbed} fixed effect is not nested in the clusters of {cluster!r} (some {design.absorbed} "
            "spans several clusters). The bootstrap works on data with that fixed effect swept out, and the sweep "
            "does not commute with flipping the residuals cluster by cluster, so the result would not be the wild "
            f"cluster bootstrap of the fixed-effects regression. Fix: cluster at a level that contains every "
            f"{unit!r} (e.g. the institution), which is also the level at which treatment is assigned")


def wild_cluster_bootstrap(
    data: pd.DataFrame | ir.Table,
    *,
    outcome: str,
    treatment: str,
    unit: str,
    time: str,
    cluster: str,
    covariates: Sequence[str] = (),
    weights: str | None = None,
    term: str | None = None,
    null: float = 0.0,
    B: int = 9999,
    weight_type: Literal["rademacher", "webb", "mammen", "normal"] | None = None,
    bootstrap: Literal["restricted", "unrestricted"] = "restricted",
    level: float = 0.95,
    seed: int | None = 0,
    p_value_type: Literal["symmetric", "equal-tailed"] = "symmetric",
    interval: bool = True,
) -> WildBootstrapResult:
    """Wild cluster bootstrap-t p-value and interval for a coefficient of a two-way fixed-effects regression.

    Parameters
    ----------
    data
        Long table, one row per student (or per unit x period): a pandas DataFrame, or an Ibis table whose
        engine (DuckDB, Spark, ...) computes the unit x period cell sums; the bootstrap then runs on the
        cells, with the same draws and results as on the DataFrame.
    outcome
        Numeric outcome column.
    treatment
        Treatment column (0/1 for "treated clusters" to be counted and checked).
    unit, time
        Fixed-effect factors (e.g. institution x program, and cohort).
    cluster
        Cluster column; every unit must lie in one cluster.
    covariates
        Further numeric regressors (on an engine table, only covariates constant within unit x period cells).
    weights
        Optional column of non-negative student weights.
    term
        Coefficient to test: ``treatment`` (default), a covariate, or a period dummy such as ``"year=2021"``.
    null
        Null value :math:`r` of :math:`H_0: \\beta = r`.
    B
        Bootstrap draws (Rademacher with :math:`2^G \\le B` enumerates all :math:`2^G` sign vectors).
    weight_type
        ``"rademacher"``, ``"webb"``, ``"mammen"``, ``"normal"``; None: Webb below 12 clusters, else Rademacher.
    bootstrap
        ``"restricted"`` (WCR, null imposed; recommended) or ``"unrestricted"`` (WCU).
    level
        Confidence level.
    seed
        Seed of the draws.
    p_value_type
        ``"symmetric"`` or ``"equal-tailed"``.
    interval
        False skips the interval (NaN bounds).

    Returns
    -------
    WildBootstrapResult
        Design warnings (one or few treated clusters, Rademacher with few clusters) are issued as
        :class:`~analyses.did.design_warnings.FewTreatedClustersWarning` /
        :class:`~analyses.did.design_warnings.DesignWarning` and kept in ``warnings``.

    Raises
    ------
    EstimationError
        The unit fixed effect is not nested in the clusters, a regressor does not vary, or fewer than two
        clusters.
    ArgumentError
        Unknown ``term`` or a setting outside its choices; on an engine table, a treatment, covariate or
        cluster that varies within unit x period cells.

    Notes
    -----
    See the module notes; the bootstrap t-statistic, p-value and interval are those of
    :func:`~analyses.did.wild_bootstrap.wild_bootstrap_arrays`.

    References
    ----------
    Roodman, D., Nielsen, M. Ø., MacKinnon, J. G., & Webb, M. D. (2019). Fast and wild: Bootstrap
    inference in Stata using boottest. *The Stata Journal*, 19(1), 4-60.

    Examples
    --------
    Twelve institutions of two programmes each, six cohorts of ten students; six institutions adopt
    the integrated programme from the fourth cohort:

    >>> rng = np.random.default_rng(3)
    >>> unit = np.repeat(np.arange(24), 60)
    >>> cohort, inst = np.tile(np.repeat(np.arange(6), 10), 24), unit // 2
    >>> treated = ((inst < 6) & (cohort >= 3)).astype(float)
    >>> score = 0.4 * treated + rng.normal(size=12)[inst] + 0.1 * cohort + rng.normal(size=unit.size)
    >>> data = pd.DataFrame({"score": score, "treated": treated, "unit": unit, "cohort": cohort, "inst": inst})
    >>> res = wild_cluster_bootstrap(data, outcome="score", treatment="treated", unit="unit", time="cohort",
    ...                              cluster="inst", B=999, seed=1)
    >>> res.n_clusters, res.n_treated_clusters, res.weight_type, res.draws, res.enumerated
    (12, 6, 'rademacher', 999, False)
    >>> bool(res.ci_low < res.estimate < res.ci_high), res.tidy().loc[0, "term"]
    (True, 'treated')
    """
    check_choice("bootstrap", bootstrap, ("restricted", "unrestricted"))
    check_settings(B=B, level=level, null=null, p_value_type=p_value_type, weight_type=weight_type)
    covariates = list(covariates)
    used = list(dict.fromkeys([outcome, treatment, *covariates, unit, time, cluster]
                              + ([weights] if weights else [])))
    check_columns(data, used, what="data")
    design = design_from(data, outcome=outcome, regressors=[treatment, *covariates], unit=unit, time=time,
                         cluster=cluster, weights=weights, guard=covariates)
    _check_nested(design, unit, cluster)
    term = treatment if term is None else term
    if term not in design.names:
        valid = ", ".join(repr(n) for n in design.names)
        raise ArgumentError(f"term={term!r} is not a coefficient of this regression; use one of: {valid}")
    column = design.names.index(term)
    y, X, w, codes = _positive_rows(design)
    _, codes = np.unique(codes, return_inverse=True)
    n_treated = _binary_treated_clusters(design) if term == treatment else None
    result, issues = run_bootstrap(
        y, X, w, codes.astype(np.int64), int(codes.max()) + 1, column=column, null=float(null), B=int(B),
        weight_type=weight_type, impose_null=bootstrap == "restricted", level=float(level), seed=seed,
        small_sample=(design.n_obs, design.k_small_sample), p_value_type=p_value_type, interval=interval,
        term=term, n_treated=n_treated)
    for category, message in issues:
        warnings.warn(message, category, stacklevel=2)
    return result
