"""Every ATT(g,t) of a staggered design and its influence function, vectorised over cohorts and periods.

A cell (g, t) compares the units first treated in period g with a comparison group between a *base* period
b and the current period t, as R ``did::att_gt`` does:

* post-treatment and anticipation periods (:math:`t \\ge g - \\delta`) use the last period before
  anticipation starts, :math:`b = g - \\delta - 1`;
* earlier (pre-treatment) periods use :math:`b = t - 1` (``base_period="varying"``) or again
  :math:`b = g - \\delta - 1` (``"universal"``; the cell with :math:`t = b` is then 0 by construction);
* the comparison group is the never-treated units (``"never"``) or, with ``"not_yet"``, also the units first
  treated after :math:`\\max(t, b) + \\delta`, other than cohort g.

Without covariates the three estimators coincide with the unconditional DiD
:math:`(\\bar Y_{g,t} - \\bar Y_{g,b}) - (\\bar Y_{C,t} - \\bar Y_{C,b})` and all cells come from cohort x
period weighted sums in one pass; with covariates each cell calls the 2x2 estimator of
:mod:`analyses.did.staggered.drdid`.  The influence function is on R's scale: row i of column k is
:math:`(n / n_k)\\,\\psi_{ik}`, with :math:`n` the rows of the design (units or observations), :math:`n_k` those
in the cell and :math:`\\psi` the 2x2 influence function, so that
:math:`\\mathrm{se}_k = \\sqrt{\\tfrac1n \\sum_i \\mathrm{IF}_{ik}^2 / n}`.

Examples
--------
>>> periods = np.array([2003.0, 2004, 2005])
>>> plan = plan_cells(periods, np.array([2004.0, 2005]), np.array([2004.0, 2005, np.inf]), "never", 0, "varying")
>>> list(zip(plan.group.tolist(), periods[plan.current].tolist(), periods[plan.base].tolist()))
[(2004.0, 2004.0, 2003.0), (2004.0, 2005.0, 2003.0), (2005.0, 2004.0, 2003.0), (2005.0, 2005.0, 2004.0)]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from analyses.did.staggered.design import StaggeredDesign
from analyses.did.staggered.drdid import Method, panel_did, rc_did

__all__ = ["CellEstimates", "CellPlan", "RcCoefficients", "check_overlap", "estimate_cells", "finish_cells",
           "plan_cells", "rc_coefficients"]


@dataclass(frozen=True)
class CellPlan:
    """Which ATT(g,t) to estimate.

    Attributes
    ----------
    group
        First-treatment period g of each cell.
    current, base
        Period indices of t and of the base period b.
    normalized
        Universal-base cells with t = b (ATT 0 by construction, no standard error).
    treated
        ``(n_cohort_values, n_cells)``: the cohort value that is treated in each cell.
    controls
        ``(n_cohort_values, n_cells)``: cohort values in the comparison group of each cell.
    """

    group: np.ndarray
    current: np.ndarray
    base: np.ndarray
    normalized: np.ndarray
    treated: np.ndarray
    controls: np.ndarray


@dataclass(frozen=True)
class CellEstimates:
    """Estimates of the planned cells: ``att``, ``influence`` (rows x cells), cell sizes and problems."""

    att: np.ndarray
    influence: np.ndarray
    n_treated: np.ndarray
    n_control: np.ndarray
    problems: tuple[str | None, ...]


def plan_cells(periods: np.ndarray, cohorts: np.ndarray, cohort_values: np.ndarray, control_group: str,
               anticipation: int, base_period: str) -> CellPlan:
    """Enumerate the cells of R ``did`` (groups in order, then periods) with their base period and comparisons."""
    group, current, base, normalized, controls = [], [], [], [], []
    first = 1 if base_period == "varying" else 0
    for g in cohorts:
        pre = np.flatnonzero(periods + anticipation < g)
        last_pre = int(pre[-1])
        for c in range(first, len(periods)):
            b = last_pre if (periods[c] >= g - anticipation or base_period == "universal") else c - 1
            later = max(periods[c], periods[b])
            ctrl = np.isinf(cohort_values)
            if control_group == "not_yet":
                ctrl = ctrl | ((cohort_values > later + anticipation) & (cohort_values != g))
            group.append(g)
            current.append(c)
            base.append(b)
            normalized.append(base_period == "universal" and c == b)
            controls.append(ctrl)
    group_arr = np.array(group, dtype=float)
    return CellPlan(group=group_arr, current=np.array(current), base=np.array(base),
                    normalized=np.array(normalized, dtype=bool),
                    treated=cohort_values[:, None] == group_arr[None, :],
                    controls=np.array(controls, dtype=bool).T)


def estimate_cells(design: StaggeredDesign, plan: CellPlan, method: Method) -> CellEstimates:
    """ATT(g,t) and influence functions of every planned cell."""
    if design.covariates.shape[-1] == 1:
        est = _panel_unconditional(design, plan) if design.panel else _rc_unconditional(design, plan)
        if method != "reg":
            est = check_overlap(plan, est)
        return est
    return _with_covariates(design, plan, method)


def finish_cells(att: np.ndarray, influence: np.ndarray, n_treated: np.ndarray, n_control: np.ndarray,
                 plan: CellPlan) -> CellEstimates:
    """Set normalised cells to 0 and cells without treated or comparison units to NaN (zero influence)."""
    att = np.where(plan.normalized, 0.0, att)
    influence[:, plan.normalized] = 0.0
    problems: list[str | None] = []
    for k in range(len(att)):
        if plan.normalized[k]:
            problems.append(None)
        elif n_treated[k] == 0:
            problems.append("no treated units in the base or the current period")
        elif n_control[k] == 0:
            problems.append("no comparison units in the base or the current period")
        else:
            problems.append(None)
    bad = np.array([p is not None for p in problems], dtype=bool)
    att = np.where(bad, np.nan, att)
    influence[:, bad] = 0.0
    return CellEstimates(att, influence, n_treated, n_control, tuple(problems))


def _panel_unconditional(design: StaggeredDesign, plan: CellPlan) -> CellEstimates:
    y, w, code = design.outcome, design.weights, design.cohort_code
    n, n_cohorts = y.shape[0], len(design.cohort_values)
    onehot = np.zeros((n, n_cohorts))
    onehot[np.arange(n), code] = 1.0
    w_sum = onehot.T @ w
    sums = onehot.T @ (w[:, None] * y)  # cohort x period
    change = sums[:, plan.current] - sums[:, plan.base]
    counts = onehot.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        w1, w0 = w_sum @ plan.treated, w_sum @ plan.controls
        mu1 = (change * plan.treated).sum(axis=0) / w1
        mu0 = (change * plan.controls).sum(axis=0) / w0
        scale = plan.treated * (n / w1) - plan.controls * (n / w0)
    centre = plan.treated * mu1 + plan.controls * mu0
    scale, centre = np.nan_to_num(scale), np.nan_to_num(centre)
    influence = w[:, None] * scale[code] * (y[:, plan.current] - y[:, plan.base] - centre[code])
    return finish_cells(mu1 - mu0, influence, counts @ plan.treated, counts @ plan.controls, plan)


class RcCoefficients(NamedTuple):
    """Unconditional cross-section ATT(g,t) from cohort x period sums, and its influence-function coefficients.

    The influence function of row i (cohort h, period p) in cell k is
    :math:`w_i\\,\\mathrm{scale}_{hpk}(y_i - \\mathrm{centre}_{hpk})`.
    """

    att: np.ndarray
    scale: np.ndarray  # (n_cohort_values, n_periods, n_cells)
    centre: np.ndarray  # (n_cohort_values, n_periods, n_cells)
    n_treated: np.ndarray
    n_control: np.ndarray


def rc_coefficients(w_sum: np.ndarray, y_sum: np.ndarray, counts: np.ndarray, n: int,
                    plan: CellPlan) -> RcCoefficients:
    """ATT(g,t), influence coefficients and cell sizes from cohort x period sums of w, w*y and rows.

    ``w_sum``, ``y_sum`` and ``counts`` are ``(n_cohort_values, n_periods)``; ``n`` is the number of rows.
    Cells whose treated or comparison group is empty in a period get sizes 0 (see :func:`finish_cells`).
    """
    n_cohorts, n_periods = w_sum.shape
    k = np.arange(len(plan.group))
    scale = np.zeros((n_cohorts, n_periods, len(k)))
    centre = np.zeros_like(scale)
    att = np.zeros(len(k))
    n_treated, n_control = np.full(len(k), np.inf), np.full(len(k), np.inf)
    # comparison terms first: the treated cohort is never in the comparison group
    for mask, sign in ((plan.controls, -1.0), (plan.treated, 1.0)):
        for period_index, direction in ((plan.current, 1.0), (plan.base, -1.0)):
            ws = (w_sum[:, period_index] * mask).sum(axis=0)
            with np.errstate(invalid="ignore", divide="ignore"):
                mean = (y_sum[:, period_index] * mask).sum(axis=0) / ws
                coef = np.nan_to_num(sign * direction * n / ws)
            att += sign * direction * np.nan_to_num(mean)
            size = (counts[:, period_index] * mask).sum(axis=0)
            if sign > 0:
                n_treated = np.minimum(n_treated, size)
            else:
                n_control = np.minimum(n_control, size)
            rows, cols = np.nonzero(mask)
            scale[rows, period_index[cols], cols] = coef[cols]
            centre[rows, period_index[cols], cols] = np.nan_to_num(mean)[cols]
    in_cell = counts[:, plan.current] + counts[:, plan.base]
    return RcCoefficients(att, scale, centre, (in_cell * plan.treated).sum(axis=0) * (n_treated > 0),
                          (in_cell * plan.controls).sum(axis=0) * (n_control > 0))


def _rc_unconditional(design: StaggeredDesign, plan: CellPlan) -> CellEstimates:
    y, w, code, period = design.outcome, design.weights, design.cohort_code, design.period_code
    n, n_cohorts, n_periods = len(y), len(design.cohort_values), len(design.periods)
    cell = code * n_periods + period
    w_sum = np.bincount(cell, weights=w, minlength=n_cohorts * n_periods).reshape(n_cohorts, n_periods)
    y_sum = np.bincount(cell, weights=w * y, minlength=n_cohorts * n_periods).reshape(n_cohorts, n_periods)
    counts = np.bincount(cell, minlength=n_cohorts * n_periods).reshape(n_cohorts, n_periods)
    coef = rc_coefficients(w_sum, y_sum, counts, n, plan)
    influence = w[:, None] * coef.scale[code, period] * (y[:, None] - coef.centre[code, period])
    return finish_cells(coef.att, influence, coef.n_treated, coef.n_control, plan)


def check_overlap(plan: CellPlan, est: CellEstimates) -> CellEstimates:
    """Intercept-only propensity scores are the treated share; R ``did`` gives NA at 0.999 and trims at 0.995."""
    share = est.n_treated / np.maximum(est.n_treated + est.n_control, 1)
    bad = ~plan.normalized & (share >= 0.995)
    if not bad.any():
        return est
    att = np.where(bad, np.nan, est.att)
    influence = est.influence.copy()
    influence[:, bad] = 0.0
    problems = tuple("overlap fails: treated share of the cell is 0.995 or more" if b else p
                     for b, p in zip(bad, est.problems, strict=True))
    return CellEstimates(att, influence, est.n_treated, est.n_control, problems)


def _with_covariates(design: StaggeredDesign, plan: CellPlan, method: Method) -> CellEstimates:
    n = design.n_rows
    code, w, x = design.cohort_code, design.weights, design.covariates
    att = np.zeros(len(plan.group))
    influence = np.zeros((n, len(plan.group)))
    n_treated = np.zeros(len(plan.group), dtype=int)
    n_control = np.zeros(len(plan.group), dtype=int)
    problems: list[str | None] = []
    for k in range(len(plan.group)):
        c, b = plan.current[k], plan.base[k]
        d_all = plan.treated[code, k]
        rows = d_all | plan.controls[code, k]
        if not design.panel:
            rows &= (design.period_code == c) | (design.period_code == b)
        idx = np.flatnonzero(rows)
        d = d_all[idx].astype(float)
        n_treated[k], n_control[k] = int(d.sum()), int(len(idx) - d.sum())
        if plan.normalized[k] or n_treated[k] == 0 or n_control[k] == 0:
            att[k] = 0.0 if plan.normalized[k] else np.nan
            problems.append(None if plan.normalized[k] else "no treated or no comparison units in the cell")
            continue
        if design.panel:
            fit = panel_did(design.outcome[idx, c] - design.outcome[idx, b], d, x[idx, min(b, c)], w[idx], method)
        else:
            post = (design.period_code[idx] == c).astype(float)
            fit = rc_did(design.outcome[idx], post, d, x[idx], w[idx], method)
        att[k] = fit.att
        problems.append(fit.problem)
        if fit.problem is None:
            influence[idx, k] = n / len(idx) * fit.influence
    return CellEstimates(att, influence, n_treated, n_control, tuple(problems))
