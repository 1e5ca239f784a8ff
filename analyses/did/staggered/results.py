"""Result objects of the staggered difference-in-differences estimator and of its aggregations.

Examples
--------
>>> from analyses.did.staggered import simulate_staggered, staggered
>>> sim = simulate_staggered(n_units=300, n_periods=5, n_cohorts=2, seed=3)
>>> res = staggered(sim.data, outcome="y", unit="unit", time="time", first_treated="first_treated", n_boot=99)
>>> from analyses.tidy import TIDY_COLUMNS
>>> list(res.tidy().columns[:12]) == list(TIDY_COLUMNS)
True
>>> res.tidy()["term"].iloc[0]
'ATT(3,2)'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from analyses.tidy import tidy_frame
from data_schema.json_safe import json_safe

__all__ = ["StaggeredAggregate", "StaggeredResult"]

_ARRAYS = ("influence", "row_group", "row_weight", "row_cluster", "influence_rows", "overall_influence")
"""Fields left out of ``to_dict()``: the influence functions and what their rows are (they differ by backend)."""


def _fmt(value: float) -> str:
    return "never" if np.isinf(value) else f"{value:g}"


def _wald(estimate: float, se: float) -> tuple[float, float]:
    if not np.isfinite(se) or se <= 0:
        return float("nan"), float("nan")
    z = estimate / se
    return float(z), float(2 * stats.norm.sf(abs(z)))


def _table_text(frame: pd.DataFrame) -> str:
    labels = {c: (lambda v: f"{v:g}") for c in ("group", "time", "event") if c in frame}
    return frame.to_string(index=False, float_format=lambda v: f"{v:.4f}", formatters=labels, na_rep="NA")


def _plain(result: Any) -> dict:
    return json_safe({k: getattr(result, k) for k in result.__dataclass_fields__ if k not in _ARRAYS})


@dataclass(frozen=True)
class StaggeredResult:
    """Group-time average treatment effects ATT(g,t) of Callaway & Sant'Anna (2021).

    Attributes
    ----------
    att_gt
        One row per (group, time) cell, groups then times: ``group`` (first-treatment period g), ``time`` (t),
        ``event`` (t - g), ``base_period`` (the period t is compared with), ``post`` (t >= g), ``estimate``,
        ``std_error`` (analytic, from the influence function), ``ci_low``/``ci_high`` (pointwise normal
        interval), ``boot_std_error`` (multiplier bootstrap, IQR-based), ``band_low``/``band_high`` (uniform
        band: estimate +/- ``critical_value`` x ``boot_std_error``), ``n_treated``/``n_control`` (units, or rows
        with cross-sections, in the cell) and ``problem`` (why the estimate is missing, else empty).
    influence
        ``(n_rows, n_cells)`` influence functions on R ``did``'s scale (``se = sqrt(sum IF^2)/n`` without
        clustering); kept for aggregation, never printed.  From a DataFrame its rows are the units (panel) or
        observations; from an engine table they are compressed rows that give the same standard errors
        (see ``influence_rows``).
    row_group, row_weight, row_cluster
        First-treatment period (``inf`` = never), normalised weight (its compressed equivalent for engine
        tables) and cluster code of each influence-function row (``row_cluster`` is None when every data row is
        its own cluster).
    influence_rows
        What the influence rows are: ``"rows"`` (units or observations), ``"cluster_sums"`` (engine table with
        a cluster: one row per cluster and first-treatment value, the sums of its observations) or
        ``"moment_factors"`` (engine table without a cluster: factors of each cohort x period cell's second
        moments, enough for analytic standard errors but not for the multiplier bootstrap).
    critical_value
        Sup-t critical value of the uniform band over all estimable cells (NaN with ``n_boot=0``).
    pretest_statistic, pretest_df, pretest_p_value
        Wald test that every pre-treatment ATT(g,t) (t < g - anticipation) is 0, chi-square with ``pretest_df``
        degrees of freedom, using the (cluster-robust) analytic covariance; R ``did``'s ``W`` and ``Wpval``.
    pretest_note
        The null hypothesis in words, or why the test is not available.
    outcome, control_group, est_method, base_period, anticipation, panel, covariates
        The specification.
    level, n_boot, seed
        Confidence level, bootstrap draws and seed.
    n_obs, n_units, n_clusters, cluster_label
        Data rows used, influence-function rows (units or observations), clusters and what they are.
    periods, cohorts
        Periods and treated cohorts used.
    cohort_shares
        Weighted share :math:`\\hat p_g` of the units (observations) in each of ``cohorts``: the weights of the
        aggregations.
    notes
        What the data cleaning changed and which cells could not be estimated, in words.
    """

    att_gt: pd.DataFrame
    influence: np.ndarray = field(repr=False)
    row_group: np.ndarray = field(repr=False)
    row_weight: np.ndarray = field(repr=False)
    row_cluster: np.ndarray | None = field(repr=False)
    influence_rows: str
    critical_value: float
    pretest_statistic: float
    pretest_df: int
    pretest_p_value: float
    pretest_note: str
    outcome: str
    control_group: str
    est_method: str
    base_period: str
    anticipation: int
    panel: bool
    covariates: tuple[str, ...]
    level: float
    n_boot: int
    seed: int | None
    n_obs: int
    n_units: int
    n_clusters: int
    cluster_label: str
    periods: tuple[float, ...]
    cohorts: tuple[float, ...]
    cohort_shares: tuple[float, ...]
    notes: tuple[str, ...]

    @property
    def method(self) -> str:
        """The estimator and its inference, in words."""
        estimator = {"dr": "doubly robust", "ipw": "inverse probability weighting", "reg": "outcome regression"}
        comparison = {"never": "never-treated", "not_yet": "not-yet-treated"}[self.control_group]
        return (f"Callaway-Sant'Anna ATT(g,t), {estimator[self.est_method]}, {comparison} comparison; "
                f"influence-function SE clustered by {self.cluster_label}")

    def tidy(self) -> pd.DataFrame:
        """One row per ATT(g,t): term ``ATT(g,t)``; extra columns group, time, event, band and cell sizes."""
        rows = []
        for rec in self.att_gt.to_dict(orient="records"):
            statistic, p_value = _wald(rec["estimate"], rec["std_error"])
            rows.append({"term": f"ATT({_fmt(rec['group'])},{_fmt(rec['time'])})", "estimate": rec["estimate"],
                         "std_error": rec["std_error"], "statistic": statistic, "p_value": p_value,
                         "ci_low": rec["ci_low"], "ci_high": rec["ci_high"], "ci_level": self.level,
                         "n_obs": rec["n_treated"] + rec["n_control"], "n_clusters": self.n_clusters,
                         "method": self.method, "group": rec["group"], "time": rec["time"], "event": rec["event"],
                         "base_period": rec["base_period"], "post": rec["post"],
                         "boot_std_error": rec["boot_std_error"], "band_low": rec["band_low"],
                         "band_high": rec["band_high"], "n_treated": rec["n_treated"],
                         "n_control": rec["n_control"]})
        return tidy_frame(rows)

    def summary(self) -> str:
        """The ATT(g,t) table with intervals, the pre-test and the design notes, as text."""
        kind = (f"balanced panel of {self.n_units} units" if self.panel
                else f"repeated cross-sections, {self.n_units} observations")
        lines = [f"Callaway & Sant'Anna (2021) group-time ATT(g,t) of {self.outcome}",
                 f"  {self.method}",
                 f"  {kind}, {len(self.periods)} periods, {self.n_obs} rows; covariates: "
                 f"{', '.join(self.covariates) or 'none'}; anticipation {self.anticipation}; "
                 f"{self.base_period} base period",
                 f"  {self.level:.0%} pointwise intervals from analytic SEs; uniform band from {self.n_boot} Mammen "
                 f"multiplier draws (seed {self.seed}), critical value {self.critical_value:.4f}", ""]
        cols = ["group", "time", "estimate", "std_error", "ci_low", "ci_high", "band_low", "band_high",
                "n_treated", "n_control"]
        lines.append(_table_text(self.att_gt[cols]))
        if np.isfinite(self.pretest_statistic):
            lines.append(f"\nPre-test of parallel trends: chi2({self.pretest_df}) = {self.pretest_statistic:.4f}, "
                         f"p = {self.pretest_p_value:.5f} ({self.pretest_note})")
        else:
            lines.append(f"\nPre-test of parallel trends not available: {self.pretest_note}")
        lines.extend(f"Note: {note}" for note in self.notes)
        return "\n".join(lines)

    def to_dict(self) -> dict:
        """JSON-safe dictionary of every field except the influence functions and what their rows are."""
        return _plain(self)

    def aggregate(self, kind: str = "group", **options: Any) -> StaggeredAggregate:
        """Shortcut for :func:`analyses.did.staggered.aggregate` on this result."""
        from analyses.did.staggered.aggregate import aggregate

        return aggregate(self, kind, **options)


@dataclass(frozen=True)
class StaggeredAggregate:
    """An aggregation of ATT(g,t) as R ``did::aggte`` defines it.

    Attributes
    ----------
    kind
        ``"simple"``, ``"group"``, ``"dynamic"`` or ``"calendar"``.
    estimate, std_error, statistic, p_value, ci_low, ci_high
        The overall ATT of this aggregation, its analytic standard error, z statistic, two-sided normal
        p-value and pointwise interval.
    components
        One row per group (``group``), event time (``event``) or calendar period (``time``): ``estimate``,
        ``std_error``, ``ci_low``/``ci_high``, ``boot_std_error``, ``band_low``/``band_high`` (uniform band over
        the components); empty for ``"simple"``.
    critical_value
        Sup-t critical value of the uniform band over the components (at least the pointwise normal value).
    influence, overall_influence
        Influence functions of the components ``(n_units, n_components)`` and of the overall ATT.
    level, n_boot, seed
        Confidence level, bootstrap draws and seed.
    min_e, max_e, balance_e
        Event-time window and balancing (R ``aggte``'s arguments).
    n_obs, n_units, n_clusters
        Data rows, influence-function rows and clusters.
    method
        The aggregation and its inference, in words.
    notes
        Adjustments made, in words.
    """

    kind: str
    estimate: float
    std_error: float
    statistic: float
    p_value: float
    ci_low: float
    ci_high: float
    components: pd.DataFrame
    critical_value: float
    influence: np.ndarray = field(repr=False)
    overall_influence: np.ndarray = field(repr=False)
    level: float
    n_boot: int
    seed: int | None
    min_e: float
    max_e: float
    balance_e: int | None
    n_obs: int
    n_units: int
    n_clusters: int
    method: str
    notes: tuple[str, ...]

    def tidy(self) -> pd.DataFrame:
        """The overall row ``ATT(<kind>)`` then one row per component (``ATT(g=..)``, ``ATT(e=..)``, ``ATT(t=..)``)."""
        base = {"ci_level": self.level, "n_obs": self.n_obs, "n_clusters": self.n_clusters, "method": self.method,
                "aggregation": self.kind}
        rows = [{"term": f"ATT({self.kind})", "estimate": self.estimate, "std_error": self.std_error,
                 "statistic": self.statistic, "p_value": self.p_value, "ci_low": self.ci_low,
                 "ci_high": self.ci_high, **base, "group": np.nan, "event": np.nan, "time": np.nan,
                 "boot_std_error": np.nan, "band_low": np.nan, "band_high": np.nan}]
        label = {"group": "g", "dynamic": "e", "calendar": "t"}.get(self.kind)
        for rec in self.components.to_dict(orient="records"):
            key = {"g": "group", "e": "event", "t": "time"}[label]
            statistic, p_value = _wald(rec["estimate"], rec["std_error"])
            rows.append({"term": f"ATT({label}={_fmt(rec[key])})", "estimate": rec["estimate"],
                         "std_error": rec["std_error"], "statistic": statistic, "p_value": p_value,
                         "ci_low": rec["ci_low"], "ci_high": rec["ci_high"], **base, "group": rec["group"],
                         "event": rec["event"], "time": rec["time"], "boot_std_error": rec["boot_std_error"],
                         "band_low": rec["band_low"], "band_high": rec["band_high"]})
        return tidy_frame(rows)

    def summary(self) -> str:
        """Overall ATT and the components with uniform bands, as text."""
        lines = [f"Aggregated ATT ({self.kind}), Callaway & Sant'Anna (2021)", f"  {self.method}",
                 f"  ATT = {self.estimate:.4f} (SE {self.std_error:.4f}), {self.level:.0%} CI "
                 f"[{self.ci_low:.4f}, {self.ci_high:.4f}], p = {self.p_value:.4g}"]
        if len(self.components):
            key = {"group": "group", "dynamic": "event", "calendar": "time"}[self.kind]
            cols = [key, "estimate", "std_error", "ci_low", "ci_high", "band_low", "band_high"]
            lines += [f"  uniform band critical value {self.critical_value:.4f} ({self.n_boot} multiplier draws, "
                      f"seed {self.seed})", "", _table_text(self.components[cols])]
        lines.extend(f"Note: {note}" for note in self.notes)
        return "\n".join(lines)

    def to_dict(self) -> dict:
        """JSON-safe dictionary of every field except the influence functions."""
        return _plain(self)
