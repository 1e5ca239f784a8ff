"""Callaway & Sant'Anna (2021) difference-in-differences with staggered adoption: ``staggered()``.

Examples
--------
>>> from analyses.did.staggered import simulate_staggered
>>> sim = simulate_staggered(n_units=500, n_periods=6, n_cohorts=2, seed=11)
>>> res = staggered(sim.data, outcome="y", unit="unit", time="time", first_treated="first_treated",
...                 n_boot=199, seed=1)
>>> res.att_gt[["group", "time", "base_period"]].head(3).to_numpy().tolist()
[[3.0, 2.0, 1.0], [3.0, 3.0, 2.0], [3.0, 4.0, 2.0]]
>>> res.pretest_df
4
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from analyses.did.design_warnings import DesignWarning
from analyses.did.staggered.cell_estimates import estimate_from_cells
from analyses.did.staggered.design import StaggeredDesign, prepare_design
from analyses.did.staggered.engine_cells import CellDesign, check_engine_options, read_cells
from analyses.did.staggered.group_time import CellEstimates, CellPlan, estimate_cells, plan_cells
from analyses.did.staggered.multiplier import InfluenceRows, analytic_se, cluster_sums, multiplier_bootstrap
from analyses.did.staggered.results import StaggeredResult
from data_schema.arguments import check_choice
from data_schema.engine import is_engine_table
from data_schema.errors import ArgumentError

if TYPE_CHECKING:
    from ibis.expr.types import Table

__all__ = ["staggered"]

ControlGroup = Literal["never", "not_yet"]
BasePeriod = Literal["varying", "universal"]
EstMethod = Literal["dr", "ipw", "reg"]


def _check_numbers(anticipation: int, level: float, n_boot: int) -> None:
    if isinstance(anticipation, bool) or not isinstance(anticipation, int | np.integer) or anticipation < 0:
        raise ArgumentError(f"anticipation={anticipation!r} must be a non-negative whole number of periods")
    if not 0 < level < 1:
        raise ArgumentError(f"level={level!r} must be between 0 and 1, e.g. 0.95")
    if isinstance(n_boot, bool) or not isinstance(n_boot, int | np.integer) or n_boot < 0:
        raise ArgumentError(f"n_boot={n_boot!r} must be a non-negative integer (0 skips the uniform band)")


def staggered(data: pd.DataFrame | Table, *, outcome: str, unit: str, time: str, first_treated: str,
              control_group: ControlGroup = "never", covariates: Sequence[str] | str = (), anticipation: int = 0,
              panel: bool | None = None, weights: str | None = None, cluster: str | None = None,
              level: float = 0.95, n_boot: int = 999, seed: int | None = 0, base_period: BasePeriod = "varying",
              est_method: EstMethod = "dr") -> StaggeredResult:
    """Group-time average treatment effects ATT(g,t) with staggered adoption (Callaway & Sant'Anna 2021).

    Parameters
    ----------
    data
        Long table: one row per unit (panel) or observation (repeated cross-sections) and period.  A pandas
        DataFrame, or an Ibis table in a query engine (DuckDB, Spark, ...) holding repeated cross-sections
        (``panel=False``, no covariates): the cell sums are then computed by the engine and only they come
        back (see Notes).
    outcome
        Numeric outcome.
    unit
        Unit identifier (student, class, institution).  With repeated cross-sections it only identifies rows.
    time
        Numeric period (e.g. year).
    first_treated
        Period in which the unit is first treated (adopts the integrated programme); 0 or missing for units
        never treated.  Must be constant within unit.
    control_group
        ``"never"``: never-treated units; ``"not_yet"``: never-treated plus units not yet treated (nor
        anticipating) in either period of the comparison.
    covariates
        Numeric pre-treatment covariates for conditional parallel trends (with a panel, values of the earlier
        of the two periods compared are used).
    anticipation
        Periods before ``first_treated`` in which units may already react; comparisons then start from
        ``g - anticipation - 1``.
    panel
        None decides: panel when no unit has two rows in a period, else repeated cross-sections.  Panel units
        missing periods are dropped (with a warning), as R ``did`` does by default.  An engine table needs
        ``panel=False``.
    weights
        Sampling weights (constant within unit in a panel); normalised to mean 1.
    cluster
        Column constant within unit (e.g. institution) whose influence functions are summed for standard
        errors, the pre-test and the multiplier bootstrap (R ``did``'s ``clustervars``).  Default: unit (panel)
        or row (cross-sections).
    level
        Confidence level of the intervals and the uniform band.
    n_boot
        Multiplier-bootstrap draws for the uniform band (0: no band).  An engine table without ``cluster``
        needs 0 (the draws are per observation).
    seed
        Seed of the bootstrap.
    base_period
        ``"varying"`` (pre-treatment cells compare t with t - 1) or ``"universal"`` (every cell compares t with
        g - anticipation - 1; that cell is 0).
    est_method
        ``"dr"`` doubly robust, ``"ipw"`` inverse probability weighting or ``"reg"`` outcome regression
        (Sant'Anna & Zhao 2020); identical without covariates.

    Returns
    -------
    StaggeredResult
        ATT(g,t) table, influence functions, pre-test; ``.aggregate(kind)`` gives the summaries.

    Raises
    ------
    EstimationError
        When no cohort has a pre-treatment period, there are no never-treated units with
        ``control_group="never"``, or ``first_treated`` varies within a unit.
    ArgumentError
        For invalid choices or numbers, and for options an engine table cannot give from cell sums (a panel,
        covariates, the bootstrap without a cluster).

    Warns
    -----
    DesignWarning
        For every change to the data (dropped rows, units or periods), small cohorts, fewer than 30 clusters
        and cells that cannot be estimated.

    Notes
    -----
    For cohort g (units first treated in g) and period t with base period b (``g - anticipation - 1`` after
    treatment), under (conditional) parallel trends

    .. math::
        ATT(g,t) = E[Y_t - Y_b \\mid G = g] - E[Y_t - Y_b \\mid C],

    estimated by the 2x2 estimator ``est_method`` on cohort g and its comparison group C.  Each estimate has
    an influence function :math:`\\psi_{ik}`; the standard error is :math:`\\sqrt{\\sum_c (\\sum_{i\\in c}
    \\psi_{ik})^2}/n` and the uniform band uses the sup-t critical value of the Mammen multiplier bootstrap
    (Callaway & Sant'Anna 2021, Algorithm 1) with the IQR-based bootstrap standard errors.  The pre-test is
    the Wald statistic :math:`\\hat a' \\hat\\Sigma^{-1} \\hat a` of the pre-treatment cells (t < g - anticipation).
    This follows R ``did`` 2.x (``att_gt``, ``aggte``) including its current rule that anticipation periods use
    the base period ``g - anticipation - 1`` and are left out of the pre-test.

    From an engine table the estimates, influence-function cluster sums (with a cluster) or cross-products
    (without) are computed from sums over (cluster x) first-treatment value x period cells of the rows,
    :math:`\\sum w`, :math:`\\sum wy` (and :math:`\\sum w^2`, :math:`\\sum w^2 y`, :math:`\\sum w^2 y^2`
    without a cluster), which give the same result as the DataFrame path up to floating-point rounding
    (derivation in :mod:`analyses.did.staggered.cell_estimates`); ``influence`` then holds compressed rows.

    References
    ----------
    Callaway, B., & Sant'Anna, P. H. C. (2021). Difference-in-differences with multiple time periods. Journal
    of Econometrics, 225(2), 200-230. https://doi.org/10.1016/j.jeconom.2020.12.001

    Sant'Anna, P. H. C., & Zhao, J. (2020). Doubly robust difference-in-differences estimators. Journal of
    Econometrics, 219(1), 101-122. https://doi.org/10.1016/j.jeconom.2020.06.003

    Examples
    --------
    Two cohorts adopting in periods 3 and 4 (true effects 0.5, 1.0, 1.5 and 0.75, 1.5):

    >>> from analyses.did.staggered import simulate_staggered
    >>> sim = simulate_staggered(n_units=400, n_periods=5, n_cohorts=2, seed=1)
    >>> res = staggered(sim.data, outcome="y", unit="unit", time="time", first_treated="first_treated",
    ...                 n_boot=199)
    >>> print(res.att_gt.query("post")[["group", "time", "estimate", "std_error"]].round(2).to_string(index=False))
     group  time  estimate  std_error
       3.0   3.0      0.27       0.17
       3.0   4.0      0.77       0.19
       3.0   5.0      1.27       0.18
       4.0   4.0      1.00       0.17
       4.0   5.0      1.42       0.18
    >>> round(res.aggregate("group").estimate, 2)
    1.0

    The same repeated cross-sections in DuckDB give the same result:

    >>> import ibis
    >>> from analyses.did import simulate_did
    >>> rows = simulate_did(n_units=60, n_periods=6, students_per_cell=10, seed=2)
    >>> table = ibis.duckdb.connect().create_table("graduates", rows)
    >>> spec = dict(outcome="y", unit="unit", time="period", first_treated="first_treated", panel=False,
    ...             cluster="cluster", n_boot=199)
    >>> local, engine = staggered(rows, **spec), staggered(table, **spec)
    >>> bool(np.allclose(engine.att_gt["band_low"], local.att_gt["band_low"], rtol=1e-12, atol=0))
    True
    """
    check_choice("control_group", control_group, ("never", "not_yet"))
    check_choice("base_period", base_period, ("varying", "universal"))
    check_choice("est_method", est_method, ("dr", "ipw", "reg"))
    _check_numbers(anticipation, level, n_boot)
    covariates = (covariates,) if isinstance(covariates, str) else tuple(covariates)
    design: StaggeredDesign | CellDesign
    if is_engine_table(data):
        check_engine_options(panel=panel, covariates=covariates, n_boot=int(n_boot), cluster=cluster)
        design = read_cells(data, outcome=outcome, unit=unit, time=time, first_treated=first_treated,
                            control_group=control_group, anticipation=int(anticipation), weights=weights,
                            cluster=cluster, stacklevel=3)
        plan = plan_cells(design.periods, design.cohorts, design.cohort_values, control_group, int(anticipation),
                          base_period)
        cells, rows = estimate_from_cells(design, plan, est_method)
    else:
        design = prepare_design(data, outcome=outcome, unit=unit, time=time, first_treated=first_treated,
                                control_group=control_group, covariates=covariates, anticipation=int(anticipation),
                                panel=panel, weights=weights, cluster=cluster, stacklevel=3)
        plan = plan_cells(design.periods, design.cohorts, design.cohort_values, control_group, int(anticipation),
                          base_period)
        cells = estimate_cells(design, plan, est_method)
        rows = _data_rows(design)
    spec = dict(outcome=outcome, control_group=control_group, est_method=est_method, base_period=base_period,
                anticipation=int(anticipation), covariates=covariates, level=float(level), n_boot=int(n_boot),
                seed=seed)
    return _result(design, plan, cells, rows, spec)


def _data_rows(design: StaggeredDesign) -> InfluenceRows:
    """The influence rows of the row path: one per unit (panel) or observation."""
    cohort_weight = np.bincount(design.cohort_code, weights=design.weights, minlength=len(design.cohort_values))
    return InfluenceRows(group=design.cohort_values[design.cohort_code], weight=design.weights,
                         cluster=design.cluster_code, n=design.n_rows, n_clusters=design.n_clusters,
                         cohort_weight=cohort_weight, kind="rows")


def _result(design: StaggeredDesign | CellDesign, plan: CellPlan, cells: CellEstimates, rows: InfluenceRows,
            spec: dict[str, Any]) -> StaggeredResult:
    notes = list(design.notes)
    failed = [f"ATT({g:g},{design.periods[t]:g}): {p}"
              for g, t, p in zip(plan.group, plan.current, cells.problems, strict=True) if p is not None]
    if failed:
        text = "ATT(g,t) set to missing for " + "; ".join(failed)
        notes.append(text)
        warnings.warn(text, DesignWarning, stacklevel=3)
    table, crit, sums = _table(design.periods, rows, plan, cells, spec["level"], spec["n_boot"], spec["seed"])
    statistic, df, p_value, note = _pretest(table, sums, rows.n, spec["anticipation"])
    shares = rows.cohort_weight[np.searchsorted(design.cohort_values, design.cohorts)] / rows.n
    return StaggeredResult(
        att_gt=table, influence=cells.influence, row_group=rows.group, row_weight=rows.weight,
        row_cluster=rows.cluster, influence_rows=rows.kind, critical_value=crit, pretest_statistic=statistic,
        pretest_df=df, pretest_p_value=p_value, pretest_note=note, panel=design.panel, n_obs=design.n_obs,
        n_units=rows.n, n_clusters=design.n_clusters, cluster_label=design.cluster_label,
        periods=tuple(design.periods.tolist()), cohorts=tuple(design.cohorts.tolist()),
        cohort_shares=tuple(shares.tolist()), notes=tuple(notes), **spec)


def _table(periods: np.ndarray, rows: InfluenceRows, plan: CellPlan, cells: CellEstimates, level: float,
           n_boot: int, seed: int | None) -> tuple[pd.DataFrame, float, np.ndarray]:
    n = rows.n
    sums = cluster_sums(cells.influence, rows.cluster, rows.n_clusters)
    live = np.isfinite(cells.att) & ~plan.normalized
    se = np.where(live, analytic_se(sums, n), np.nan)
    z = float(stats.norm.ppf(0.5 + level / 2))
    boot_se = np.full(len(se), np.nan)
    boot = multiplier_bootstrap(sums[:, live], n, n_boot=n_boot, seed=seed, level=level)
    boot_se[live] = boot.std_error
    crit = boot.critical_value
    time = periods[plan.current]
    table = pd.DataFrame({
        "group": plan.group, "time": time, "event": time - plan.group, "base_period": periods[plan.base],
        "post": time >= plan.group, "estimate": cells.att, "std_error": se, "ci_low": cells.att - z * se,
        "ci_high": cells.att + z * se, "boot_std_error": boot_se, "band_low": cells.att - crit * boot_se,
        "band_high": cells.att + crit * boot_se, "n_treated": cells.n_treated.astype(int),
        "n_control": cells.n_control.astype(int), "problem": [p or "" for p in cells.problems]})
    return table, crit, sums


def _pretest(table: pd.DataFrame, sums: np.ndarray, n: int, anticipation: int) -> tuple[float, int, float, str]:
    pre = ((table["time"] < table["group"] - anticipation) & table["std_error"].notna()).to_numpy()
    q = int(pre.sum())
    if q == 0:
        return float("nan"), 0, float("nan"), "there is no pre-treatment ATT(g,t) with t < g - anticipation to test"
    a = table["estimate"].to_numpy()[pre]
    cov = sums[:, pre].T @ sums[:, pre] / n**2
    if 1.0 / np.linalg.cond(cov, p=1) <= np.finfo(float).eps:
        return float("nan"), q, float("nan"), "the covariance of the pre-treatment ATT(g,t) is singular"
    statistic = float(a @ np.linalg.solve(cov, a))
    return (statistic, q, float(stats.chi2.sf(statistic, q)),
            f"H0: all {q} pre-treatment ATT(g,t) (t < g - anticipation) are 0")
