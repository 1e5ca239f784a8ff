"""ATT(g,t) and their influence functions from cell sums: the engine-table path of ``staggered()``.

Repeated cross-sections without covariates need only sums over cells of rows.  The estimates and the
influence-function coefficients come from :func:`~analyses.did.staggered.group_time.rc_coefficients`, the
same numpy code the row path uses; this module turns the cell sums of
:mod:`analyses.did.staggered.engine_cells` into influence rows that give the row path's cluster sums, standard
errors, pre-test, bootstrap and aggregations (:class:`~analyses.did.staggered.multiplier.InfluenceRows`).

Notes
-----
Let row i have outcome :math:`y_i`, period :math:`p_i`, first-treatment value :math:`h_i` (cohort, or never)
and weight :math:`w_i` (normalised to mean 1 over the n rows).  Without covariates the outcome-regression, IPW
and doubly robust estimators coincide (Sant'Anna & Zhao 2020, with an intercept-only propensity score and
outcome regressions) and cell k = (g, t) with base period b and comparison cohorts :math:`C_k` is

.. math::
    \\widehat{ATT}_k = (m_{\\{g\\},t} - m_{\\{g\\},b}) - (m_{C_k,t} - m_{C_k,b}), \\qquad
    m_{S,p} = \\frac{\\sum_{h \\in S} Y_{hp}}{\\sum_{h \\in S} W_{hp}},

with cell sums :math:`W_{hp} = \\sum_{i \\in (h,p)} w_i`, :math:`Y_{hp} = \\sum_{i \\in (h,p)} w_i y_i`.  Its
influence function (on R ``did``'s scale) is linear in the row's own outcome given its cell:

.. math::
    \\mathrm{IF}_{ik} = w_i\\, s_k(h_i, p_i)\\, (y_i - \\mu_k(h_i, p_i)),

where :math:`s_k(h, p) = \\pm n / \\sum_{h' \\in S} W_{h'p}` for the four (group S, period p) terms
(+ for (g, t) and (:math:`C_k`, b), - for (g, b) and (:math:`C_k`, t)), :math:`\\mu_k(h, p) = m_{S,p}`, and 0
for rows in no term.  Hence, with sums over the rows of cluster c in cell (h, p) written
:math:`W_{chp}, Y_{chp}`,

* **cluster sums** :math:`S_{ck} = \\sum_i 1\\{i \\in c\\} \\mathrm{IF}_{ik}
  = \\sum_{h,p} s_k(h,p) (Y_{chp} - \\mu_k(h,p) W_{chp})` need per (cluster, cohort, period): rows,
  :math:`\\sum w`, :math:`\\sum w y`;
* **unclustered** (every row its own cluster) the standard errors and the pre-test need
  :math:`\\sum_i \\mathrm{IF}_{ik} \\mathrm{IF}_{il} = \\sum_{h,p} s_k s_l (Q_{hp} - (\\mu_k + \\mu_l) R_{hp}
  + \\mu_k \\mu_l V_{hp})` with :math:`V = \\sum w^2`, :math:`R = \\sum w^2 y`, :math:`Q = \\sum w^2 y^2` per
  (cohort, period) -- squares of the *weights*, which differ from :math:`\\sum w` unless every weight is 1.

Aggregations (``aggte``) add to a linear combination of the :math:`\\mathrm{IF}_{ik}` the estimation effect
of the group shares, :math:`w_i\\, a(h_i)`, also linear in :math:`(w_i y_i, w_i)` given the cell, so the same
sums serve.  The influence rows are therefore compressed:

* with a cluster, one row per (cluster, cohort): :math:`\\sum_p` of the cell terms above, weight
  :math:`\\sum_p W_{chp}`.  Summing them within clusters gives exactly :math:`S_{ck}` of the row path (the same
  clusters in the same order), hence the same standard errors, pre-test and -- with the same seed -- the same
  Mammen multipliers, one per cluster, and bootstrap bands;
* without a cluster, two rows per (cohort, period) cell, a square-root factor of the cell's moment matrix
  :math:`\\begin{pmatrix} Q & R \\\\ R & V \\end{pmatrix}` of :math:`(w y, w)`:
  :math:`s_k \\sqrt{Q - R^2/V}` with weight 0, and :math:`s_k (R - \\mu_k V)/\\sqrt V` with weight
  :math:`\\sqrt V`.  Their cross-products equal those of the rows for every linear combination, so analytic
  standard errors, the pre-test and aggregated standard errors agree; the per-observation multiplier bootstrap
  cannot be drawn from them (``n_boot`` must be 0).

The sums are taken of :math:`y - \\bar y` (a constant shift; every mean moves by it and every difference and
influence function is unchanged), which keeps :math:`Q - R^2/V` free of cancellation when the outcome's level
is large relative to its spread.

References
----------
Callaway, B., & Sant'Anna, P. H. C. (2021). Difference-in-differences with multiple time periods. Journal of
Econometrics, 225(2), 200-230. https://doi.org/10.1016/j.jeconom.2020.12.001

Sant'Anna, P. H. C., & Zhao, J. (2020). Doubly robust difference-in-differences estimators. Journal of
Econometrics, 219(1), 101-122. https://doi.org/10.1016/j.jeconom.2020.06.003

Examples
--------
>>> import ibis
>>> from analyses.did import simulate_did
>>> from analyses.did.staggered.engine_cells import read_cells
>>> from analyses.did.staggered.group_time import plan_cells
>>> rows = simulate_did(n_units=40, n_periods=5, students_per_cell=10, seed=3)
>>> table = ibis.duckdb.connect().create_table("graduates", rows)
>>> cells = read_cells(table, outcome="y", unit="unit", time="period", first_treated="first_treated",
...                    cluster="cluster")
>>> plan = plan_cells(cells.periods, cells.cohorts, cells.cohort_values, "never", 0, "varying")
>>> estimates, influence_rows = estimate_from_cells(cells, plan, "dr")
>>> influence_rows.kind, estimates.influence.shape
('cluster_sums', (40, 12))
"""

from __future__ import annotations

import numpy as np

from analyses.did.staggered.drdid import Method
from analyses.did.staggered.engine_cells import CellDesign
from analyses.did.staggered.group_time import (
    CellEstimates,
    CellPlan,
    RcCoefficients,
    check_overlap,
    finish_cells,
    rc_coefficients,
)
from analyses.did.staggered.multiplier import InfluenceRows

__all__ = ["estimate_from_cells"]


def _by_cohort_period(design: CellDesign, values: np.ndarray) -> np.ndarray:
    """Sum a per-cell array into a (cohort value, period) table."""
    n_h, n_p = len(design.cohort_values), len(design.periods)
    index = design.cohort_code * n_p + design.period_code
    return np.bincount(index, weights=values, minlength=n_h * n_p).reshape(n_h, n_p)


def estimate_from_cells(design: CellDesign, plan: CellPlan, method: Method) -> tuple[CellEstimates, InfluenceRows]:
    """ATT(g,t), compressed influence functions and what their rows are (see the module notes)."""
    counts = np.rint(_by_cohort_period(design, design.counts.astype(float))).astype(np.int64)
    coef = rc_coefficients(_by_cohort_period(design, design.w_sum), _by_cohort_period(design, design.wy_sum),
                           counts, design.n_obs, plan)
    cohort_weight = np.bincount(design.cohort_code, weights=design.w_sum, minlength=len(design.cohort_values))
    if design.cluster_code is None:
        influence, rows = _moment_rows(design, coef, counts, cohort_weight)
    else:
        influence, rows = _cluster_rows(design, coef, cohort_weight)
    estimates = finish_cells(coef.att, influence, coef.n_treated, coef.n_control, plan)
    if method != "reg":
        estimates = check_overlap(plan, estimates)
    return estimates, rows


def _cluster_rows(design: CellDesign, coef: RcCoefficients,
                  cohort_weight: np.ndarray) -> tuple[np.ndarray, InfluenceRows]:
    """One influence row per (cluster, cohort): the sum of its observations' influence functions."""
    h, p = design.cohort_code, design.period_code
    terms = coef.scale[h, p] * (design.wy_sum[:, None] - coef.centre[h, p] * design.w_sum[:, None])
    n_h = len(design.cohort_values)
    keys, inverse = np.unique(design.cluster_code * n_h + h, return_inverse=True)
    order = np.argsort(inverse, kind="stable")
    starts = np.searchsorted(inverse[order], np.arange(len(keys)))
    influence = np.add.reduceat(terms[order], starts, axis=0)
    rows = InfluenceRows(group=design.cohort_values[keys % n_h],
                         weight=np.bincount(inverse, weights=design.w_sum, minlength=len(keys)),
                         cluster=keys // n_h, n=design.n_obs, n_clusters=design.n_clusters,
                         cohort_weight=cohort_weight, kind="cluster_sums")
    return influence, rows


def _moment_rows(design: CellDesign, coef: RcCoefficients, counts: np.ndarray,
                 cohort_weight: np.ndarray) -> tuple[np.ndarray, InfluenceRows]:
    """Two influence rows per (cohort, period) cell whose cross-products equal those of its observations."""
    if design.ww_sum is None or design.wwy_sum is None or design.wwyy_sum is None:
        raise ValueError("unclustered cell sums need the sums of squared weights")
    h, p = np.nonzero(counts > 0)
    v = _by_cohort_period(design, design.ww_sum)[h, p]
    r = _by_cohort_period(design, design.wwy_sum)[h, p]
    q = _by_cohort_period(design, design.wwyy_sum)[h, p]
    root_v = np.sqrt(v)
    positive = v > 0
    spread = np.sqrt(np.maximum(q - np.divide(r**2, v, out=np.zeros_like(v), where=positive), 0.0))
    scale, centre = coef.scale[h, p], coef.centre[h, p]
    level = np.divide(r[:, None] - centre * v[:, None], root_v[:, None], out=np.zeros_like(centre),
                      where=positive[:, None])
    influence = np.concatenate([scale * spread[:, None], scale * level])
    rows = InfluenceRows(group=design.cohort_values[np.concatenate([h, h])],
                         weight=np.concatenate([np.zeros(len(h)), root_v]), cluster=None, n=design.n_obs,
                         n_clusters=design.n_clusters, cohort_weight=cohort_weight, kind="moment_factors")
    return influence, rows
