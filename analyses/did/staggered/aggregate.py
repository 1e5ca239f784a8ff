"""Aggregate ATT(g,t) into overall, group, event-time and calendar-time effects, as R ``did::aggte``.

Examples
--------
>>> from analyses.did.staggered import simulate_staggered, staggered
>>> sim = simulate_staggered(n_units=400, n_periods=6, n_cohorts=2, seed=5)
>>> res = staggered(sim.data, outcome="y", unit="unit", time="time", first_treated="first_treated", n_boot=199)
>>> dyn = aggregate(res, "dynamic")
>>> dyn.components["event"].tolist()
[-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0]
>>> bool(dyn.critical_value >= 1.959963984540054)
True
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from analyses.did.staggered.multiplier import analytic_se, cluster_sums, multiplier_bootstrap
from analyses.did.staggered.results import StaggeredAggregate, StaggeredResult, _wald
from data_schema.arguments import check_choice
from data_schema.errors import ArgumentError, EstimationError

__all__ = ["Kind", "aggregate"]

Kind = Literal["simple", "group", "dynamic", "calendar"]

_KINDS = ("simple", "group", "dynamic", "calendar")
_WORDS = {"simple": "average of post-treatment ATT(g,t) weighted by group size",
          "group": "average effect of each group over its post-treatment periods; overall: groups weighted by size",
          "dynamic": "average effect at each event time weighted by group size; overall: mean over event times >= 0",
          "calendar": "average effect in each period weighted by group size; overall: mean over periods"}


class _Parts:
    """Cell-level inputs shared by every aggregation."""

    def __init__(self, result: StaggeredResult, na_rm: bool):
        table = result.att_gt
        missing = table["estimate"].isna().to_numpy()
        if missing.any() and not na_rm:
            cells = ", ".join(f"ATT({g:g},{t:g})" for g, t in table.loc[missing, ["group", "time"]].to_numpy())
            raise EstimationError(f"ATT(g,t) could not be estimated for {cells}; pass na_rm=True to aggregate the "
                                  "others (see the result's notes for the reason)")
        keep = ~missing
        self.g = table["group"].to_numpy()[keep]
        self.t = table["time"].to_numpy()[keep]
        self.att = table["estimate"].to_numpy()[keep]
        self.influence = result.influence[:, keep]
        self.values, self.row_code = np.unique(result.row_group, return_inverse=True)
        self.cell_code = np.searchsorted(self.values, self.g)
        self.w = result.row_weight
        self.pg = np.zeros(len(self.values))  # the weighted group shares; only treated cohorts' are used
        self.pg[np.searchsorted(self.values, result.cohorts)] = result.cohort_shares

    def combine(self, masks: np.ndarray, group_weighted: bool) -> tuple[np.ndarray, np.ndarray]:
        """Estimates and influence functions of columns of ``masks`` (cells x components)."""
        if group_weighted:
            raw = masks * self.pg[self.cell_code][:, None]
        else:
            raw = masks.astype(float)
        total = raw.sum(axis=0)
        weights = raw / total
        est = self.att @ weights
        influence = self.influence @ weights
        if group_weighted:
            # estimation effect of the group shares: w_i (sum_k att_k 1{g_k=G_i} - theta #{k: g_k=G_i}) / sum pg
            onehot = np.zeros((len(self.values), len(self.att)))
            onehot[self.cell_code, np.arange(len(self.att))] = 1.0
            a, m = onehot @ (masks * self.att[:, None]), onehot @ masks
            influence = influence + self.w[:, None] * (a - m * est)[self.row_code] / total
        return est, influence


def _group(parts: _Parts, max_e: float) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, float, np.ndarray]:
    post = (parts.g <= parts.t) & (parts.t <= parts.g + max_e)
    groups = np.unique(parts.g[post])
    masks = (parts.g[:, None] == groups[None, :]) & post[:, None]
    est, influence = parts.combine(masks, group_weighted=False)
    pgg = parts.pg[np.searchsorted(parts.values, groups)]
    total = pgg.sum()
    overall = float(est @ pgg / total)
    in_groups = np.isin(parts.values, groups)
    att_by_value = np.zeros(len(parts.values))
    att_by_value[np.searchsorted(parts.values, groups)] = est
    wif = parts.w * ((att_by_value - overall) * in_groups)[parts.row_code] / total
    frame = pd.DataFrame({"group": groups, "event": np.nan, "time": np.nan})
    return frame, est, influence, overall, influence @ (pgg / total) + wif


def _dynamic(parts: _Parts, min_e: float, max_e: float,
             balance_e: int | None) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, float, np.ndarray]:
    event = parts.t - parts.g
    include = np.ones(len(event), dtype=bool)
    events = np.unique(event)
    if balance_e is not None:
        t_last, t_first = parts.t.max(), parts.t.min()
        events = events[(events <= balance_e) & (events >= balance_e - (t_last - t_first))]
        include = t_last - parts.g >= balance_e
    events = events[(events >= min_e) & (events <= max_e)]
    masks = (event[:, None] == events[None, :]) & include[:, None]
    events, masks = events[masks.any(axis=0)], masks[:, masks.any(axis=0)]
    if events.size == 0:
        raise EstimationError("no event time is left in the window min_e..max_e (after balance_e); widen it")
    est, influence = parts.combine(masks, group_weighted=True)
    positive = events >= 0
    if not positive.any():
        raise EstimationError("no event time >= 0 in the window, so there is no overall post-treatment effect")
    frame = pd.DataFrame({"group": np.nan, "event": events, "time": np.nan})
    return frame, est, influence, float(est[positive].mean()), influence[:, positive].mean(axis=1)


def _calendar(parts: _Parts) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, float, np.ndarray]:
    times = np.unique(parts.t[parts.t >= parts.g.min()])
    masks = (parts.t[:, None] == times[None, :]) & (parts.g <= parts.t)[:, None]
    times, masks = times[masks.any(axis=0)], masks[:, masks.any(axis=0)]
    est, influence = parts.combine(masks, group_weighted=True)
    frame = pd.DataFrame({"group": np.nan, "event": np.nan, "time": times})
    return frame, est, influence, float(est.mean()), influence.mean(axis=1)


def aggregate(result: StaggeredResult, kind: Kind = "group", *, min_e: float = -np.inf, max_e: float = np.inf,
              balance_e: int | None = None, na_rm: bool = False, n_boot: int | None = None,
              seed: int | None = None, level: float | None = None) -> StaggeredAggregate:
    """Aggregate the ATT(g,t) of :func:`~analyses.did.staggered.staggered` as R ``did::aggte`` does.

    Parameters
    ----------
    result
        The output of :func:`~analyses.did.staggered.staggered`.
    kind
        ``"simple"`` (post-treatment cells weighted by group size), ``"group"`` (each group's average over its
        post-treatment periods, R's default), ``"dynamic"`` (event study) or ``"calendar"`` (each period).
    min_e, max_e
        Event-time window.  ``max_e`` also caps the post-treatment periods used by ``"simple"`` and ``"group"``
        (t <= g + max_e); ``min_e`` applies to ``"dynamic"`` only, as in R.
    balance_e
        ``"dynamic"`` only: keep the groups observed for at least ``balance_e`` periods after treatment and the
        event times ``balance_e - (T_last - T_first)`` to ``balance_e``, so every event time averages the same
        groups.
    na_rm
        Drop ATT(g,t) that could not be estimated instead of raising.
    n_boot, seed, level
        Bootstrap draws, seed and confidence level of the uniform band; default to the result's.

    Returns
    -------
    StaggeredAggregate

    Raises
    ------
    EstimationError
        When some ATT(g,t) is missing (and ``na_rm`` is False) or the window leaves nothing to aggregate.

    Notes
    -----
    With :math:`\\hat p_g` the weighted share of units in group g, a component averages its cells with weights
    :math:`\\hat p_{g_k} / \\sum_{l} \\hat p_{g_l}` (equal weights within a group).  Because the shares are
    estimated, the influence function of a component :math:`\\hat\\theta = \\sum_k \\omega_k \\widehat{ATT}_k`
    is (Callaway & Sant'Anna 2021, Section 4 and Appendix)

    .. math::
        \\psi_i = \\sum_k \\omega_k \\psi_{ik}
        + \\frac{w_i \\sum_k 1\\{G_i = g_k\\} (\\widehat{ATT}_k - \\hat\\theta)}{\\sum_k \\hat p_{g_k}},

    R ``aggte``'s ``wif`` term written in closed form.  Overall effects: ``simple`` is itself such an
    average; ``group`` averages the group effects with weights :math:`\\hat p_g` (same correction);
    ``dynamic`` and ``calendar`` take the plain mean of their components (event times >= 0 for dynamic).
    Standard errors are :math:`\\sqrt{\\sum_c (\\sum_{i \\in c} \\psi_i)^2}/n`; the uniform band over the
    components uses the multiplier bootstrap, its critical value raised to the pointwise normal one when it
    falls below it, as R does.

    References
    ----------
    Callaway, B., & Sant'Anna, P. H. C. (2021). Difference-in-differences with multiple time periods. Journal
    of Econometrics, 225(2), 200-230. https://doi.org/10.1016/j.jeconom.2020.12.001

    Examples
    --------
    >>> from analyses.did.staggered import simulate_staggered, staggered
    >>> sim = simulate_staggered(n_units=400, n_periods=5, n_cohorts=2, seed=1)
    >>> res = staggered(sim.data, outcome="y", unit="unit", time="time", first_treated="first_treated",
    ...                 n_boot=199)
    >>> groups = aggregate(res, "group")
    >>> round(groups.estimate, 2), round(groups.std_error, 2)
    (1.0, 0.11)
    >>> groups.components[["group", "estimate"]].round(2).to_numpy().tolist()
    [[3.0, 0.77], [4.0, 1.21]]
    """
    check_choice("kind", kind, _KINDS)
    if balance_e is not None and kind != "dynamic":
        raise ArgumentError(f"balance_e={balance_e!r} applies to kind='dynamic' only; received kind={kind!r}")
    n_boot = result.n_boot if n_boot is None else int(n_boot)
    if n_boot > 0 and result.influence_rows == "moment_factors":
        raise ArgumentError(f"n_boot={n_boot}: this result was estimated from an engine table without a cluster, "
                            "and the multiplier bootstrap draws one multiplier per observation, which cell sums "
                            "cannot reproduce; pass n_boot=0 (analytic standard errors), or re-run staggered() "
                            "with cluster= (e.g. the institution)")
    seed = result.seed if seed is None else seed
    level = result.level if level is None else float(level)
    parts = _Parts(result, na_rm)
    if kind == "simple":
        mask = ((parts.g <= parts.t) & (parts.t <= parts.g + max_e))[:, None]
        if not mask.any():
            raise EstimationError("no post-treatment ATT(g,t) within max_e to aggregate")
        est, influence = parts.combine(mask, group_weighted=True)
        frame = pd.DataFrame({"group": [], "event": [], "time": []}, dtype=float)
        overall, overall_if = float(est[0]), influence[:, 0]
        est, influence = est[:0], influence[:, :0]
    elif kind == "group":
        frame, est, influence, overall, overall_if = _group(parts, max_e)
    elif kind == "dynamic":
        frame, est, influence, overall, overall_if = _dynamic(parts, min_e, max_e, balance_e)
    else:
        frame, est, influence, overall, overall_if = _calendar(parts)
    return _inference(result, kind, frame, est, influence, overall, overall_if, n_boot, seed, level,
                      (min_e, max_e, balance_e))


def _inference(result: StaggeredResult, kind: str, frame: pd.DataFrame, est: np.ndarray, influence: np.ndarray,
               overall: float, overall_if: np.ndarray, n_boot: int, seed: int | None, level: float,
               window: tuple) -> StaggeredAggregate:
    n, codes, n_clusters = result.n_units, result.row_cluster, result.n_clusters
    z = float(stats.norm.ppf(0.5 + level / 2))
    sums = cluster_sums(influence, codes, n_clusters)
    se = analytic_se(sums, n)
    boot = multiplier_bootstrap(sums, n, n_boot=n_boot, seed=seed, level=level)
    notes = []
    crit = boot.critical_value
    if np.isfinite(crit) and crit < z:
        notes.append(f"the bootstrap critical value {crit:.4f} was below the normal {z:.4f} and was raised to it, "
                     "as R did does")
        crit = z
    frame = frame.assign(estimate=est, std_error=se, ci_low=est - z * se, ci_high=est + z * se,
                         boot_std_error=boot.std_error, band_low=est - crit * boot.std_error,
                         band_high=est + crit * boot.std_error)
    overall_se = float(analytic_se(cluster_sums(overall_if[:, None], codes, n_clusters), n)[0])
    statistic, p_value = _wald(overall, overall_se)
    method = (f"aggte type '{kind}' (R did): {_WORDS[kind]}; analytic SE from the influence function, clustered "
              f"by {result.cluster_label}")
    min_e, max_e, balance_e = window
    return StaggeredAggregate(kind=kind, estimate=overall, std_error=overall_se, statistic=statistic,
                              p_value=p_value, ci_low=overall - z * overall_se, ci_high=overall + z * overall_se,
                              components=frame, critical_value=crit if len(frame) else float("nan"),
                              influence=influence, overall_influence=overall_if, level=level, n_boot=n_boot,
                              seed=seed, min_e=float(min_e), max_e=float(max_e), balance_e=balance_e,
                              n_obs=result.n_obs, n_units=result.n_units, n_clusters=n_clusters, method=method,
                              notes=tuple(notes))
