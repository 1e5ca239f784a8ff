"""Event-study (dynamic) two-way fixed-effects regressions with binned endpoints and a joint pre-trend test.

Examples
--------
>>> import warnings
>>> from analyses.did.simulate import simulate_did
>>> data = simulate_did(n_units=40, n_periods=8, adoption=[5], students_per_cell=10, effect=0.5, seed=2)
>>> with warnings.catch_warnings():
...     warnings.simplefilter("ignore")
...     result = event_study(data, outcome="y", unit="unit", time="period", first_treated="first_treated",
...                          cluster="cluster")
>>> [int(e) for e in result.event_table()["event_time"]]
[-4, -3, -2, -1, 0, 1, 2, 3]
>>> result.pretrend.df_numerator
3
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import pandas as pd

from analyses.did.cells import COUNT, WEIGHT, WEIGHTED_OUTCOME, cell_sums
from analyses.did.coefficients import Coefficient, WaldTest, coefficient, wald_test
from analyses.did.design import TwfeDesign, cell_design, two_way_design
from analyses.did.ols import cluster_robust_fit
from analyses.did.twfe import design_notes
from analyses.tidy import tidy_frame
from data_schema.arguments import check_columns
from data_schema.engine import execute, is_engine_table
from data_schema.errors import ArgumentError, EstimationError
from data_schema.json_safe import json_safe

if TYPE_CHECKING:
    import ibis.expr.types as ir

__all__ = ["EventStudyResult", "event_study"]

_EVENT = "__event_{}"
_FIRST_KEY = "__first_treated"


@dataclass(frozen=True)
class EventStudyResult:
    """Leads and lags of adoption from one TWFE regression.

    Attributes
    ----------
    outcome
        Outcome column.
    event_times
        Event time of each coefficient (period minus first-treated period), reference periods excluded.
    coefficients
        One per event time, terms ``"event=-3"``, ...; the lowest and highest are binned endpoints
        when ``binned_low``/``binned_high`` say so.
    reference
        Event times normalised to zero (omitted).
    binned_low, binned_high
        Whether the first / last coefficient pools all event times beyond it.
    n_treated_obs
        Rows of ever-treated units at each event time (after binning), in the order of ``event_times``.
    pretrend
        Joint Wald F test that every lead (event time < 0, references excluded) is zero; ``None`` when
        there is no lead.
    vcov
        CR1 covariance of the event-time coefficients.
    n_obs, n_clusters, n_units, n_periods
        Sizes of the fit.
    method
        Estimator and covariance in words.
    notes
        Design warnings in words.
    """

    outcome: str
    event_times: tuple[int, ...]
    coefficients: tuple[Coefficient, ...]
    reference: tuple[int, ...]
    binned_low: bool
    binned_high: bool
    n_treated_obs: tuple[int, ...]
    pretrend: WaldTest | None
    vcov: tuple[tuple[float, ...], ...]
    n_obs: int
    n_clusters: int
    n_units: int
    n_periods: int
    method: str
    notes: tuple[str, ...]

    def tidy(self) -> pd.DataFrame:
        """One row per estimated event-time coefficient, with ``event_time`` as an extra column."""
        return tidy_frame([{**c.row(), "n_obs": self.n_obs, "n_clusters": self.n_clusters, "method": self.method,
                            "event_time": e} for c, e in zip(self.coefficients, self.event_times, strict=True)])

    def event_table(self) -> pd.DataFrame:
        """Plot-ready table: every event time in order, the reference rows at zero with no interval."""
        rows = [{"event_time": e, "estimate": c.estimate, "std_error": c.std_error, "ci_low": c.ci_low,
                 "ci_high": c.ci_high, "reference": False, "binned": self._binned(e), "n_treated_obs": n}
                for e, c, n in zip(self.event_times, self.coefficients, self.n_treated_obs, strict=True)]
        rows += [{"event_time": e, "estimate": 0.0, "std_error": np.nan, "ci_low": np.nan, "ci_high": np.nan,
                  "reference": True, "binned": False, "n_treated_obs": np.nan} for e in self.reference]
        return pd.DataFrame(rows).sort_values("event_time", kind="stable").reset_index(drop=True)

    def _binned(self, e: int) -> bool:
        return (self.binned_low and e == self.event_times[0]) or (self.binned_high and e == self.event_times[-1])

    def to_dict(self) -> dict:
        """JSON-safe dictionary of every field."""
        out = {k: getattr(self, k) for k in self.__dataclass_fields__ if k not in ("coefficients", "pretrend")}
        out["coefficients"] = [c.row() for c in self.coefficients]
        out["pretrend"] = None if self.pretrend is None else vars(self.pretrend)
        return json_safe(out)

    def summary(self) -> str:
        """The event study as text for people."""
        lines = [f"Event study: {self.outcome}", f"  {self.method}",
                 f"  {self.n_obs} observations, {self.n_clusters} clusters; reference event time(s) "
                 f"{', '.join(map(str, self.reference))}",
                 self.event_table()[["event_time", "estimate", "std_error", "ci_low", "ci_high", "binned"]]
                 .to_string(index=False)]
        if self.pretrend is not None:
            p = self.pretrend
            lines.append(f"  pre-trend test ({p.null}): F({p.df_numerator}, {p.df_denominator:g}) = "
                         f"{p.statistic:.4g}, p = {p.p_value:.4g}")
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


def _unit_message(first_treated: str, u: object, seen: Sequence[float]) -> str:
    values = ", ".join("missing" if pd.isna(v) else f"{v:g}" for v in seen)
    return (f"first_treated {first_treated!r} differs within unit {u} ({values}); it must be one period (or "
            "missing for never treated) per unit")


def _numeric_message(time: str, first_treated: str) -> str:
    return (f"time {time!r} and first_treated {first_treated!r} must be numeric periods (e.g. cohort years) so "
            "that event time = time - first_treated is defined")


def _event_times(data: pd.DataFrame, time: str, first_treated: str, unit: str) -> pd.Series:
    try:
        t = pd.to_numeric(data[time], errors="raise").astype(float)
        g = pd.to_numeric(data[first_treated], errors="raise").astype(float)
    except (TypeError, ValueError):
        raise ArgumentError(_numeric_message(time, first_treated)) from None
    g = g.where(g != 0)
    distinct = g.groupby(data[unit], sort=False, observed=True).nunique(dropna=False)
    if (distinct > 1).any():
        u = distinct.index[np.flatnonzero((distinct > 1).to_numpy())[0]]
        raise EstimationError(_unit_message(first_treated, u, pd.unique(g[data[unit] == u])))
    return t - g


def _first_period(table: ir.Table, first_treated: str) -> ir.FloatingColumn:
    """``first_treated`` as float in the engine, NULL for never treated (0, missing, or NaN as pandas reads it)."""
    import ibis

    first = table[first_treated].cast("float64")
    return ibis.ifelse(first.isnan() | (first == 0.0), ibis.null("float64"), first)


def _engine_event_counts(table: ir.Table, time: str, first_treated: str, unit: str) -> tuple[pd.Series, int]:
    """Rows at each observed event time and the table's row count, from one grouped query in the engine."""
    schema = table.schema()
    if not all(schema[c].is_numeric() for c in (time, first_treated)):
        raise ArgumentError(_numeric_message(time, first_treated))
    keys = table.select(__unit=table[unit], __first=_first_period(table, first_treated),
                        __time=table[time].cast("float64"))
    counts = execute(keys.group_by(["__unit", "__first", "__time"]).aggregate(__n=keys.count()))
    per_unit = counts[counts["__unit"].notna()].groupby("__unit", sort=True)["__first"].nunique(dropna=False)
    if (per_unit > 1).any():
        u = per_unit.index[np.flatnonzero((per_unit > 1).to_numpy())[0]]
        seen = counts.loc[counts["__unit"] == u, "__first"].drop_duplicates().sort_values(na_position="last")
        raise EstimationError(_unit_message(first_treated, u, seen.tolist()))
    e = (counts["__time"] - counts["__first"]).to_numpy(dtype=float)
    present = ~np.isnan(e)
    return (pd.Series(counts["__n"].to_numpy()[present], index=e[present]).groupby(level=0).sum(),
            int(counts["__n"].sum()))


class _Window(NamedTuple):
    """The event window: its ends, the estimated event times and their treated-row counts."""

    low: int
    high: int
    times: list[int]
    n_at: tuple[int, ...]
    binned_low: bool
    binned_high: bool


def _window(counts: pd.Series, leads: int | None, lags: int | None, refs: tuple[int, ...],
            first_treated: str) -> _Window:
    """Window and binning from the rows at each observed event time (``counts``, indexed by event time)."""
    observed = np.sort(counts.index.to_numpy(dtype=float))
    if observed.size == 0:
        raise EstimationError(f"no unit is ever treated ({first_treated!r} is missing or 0 everywhere)")
    low = -int(leads) if leads is not None else int(observed[0])
    high = int(lags) if lags is not None else int(observed[-1])
    if low > min(refs) or high < 0:
        raise ArgumentError(f"the event window [{low}, {high}] must contain the reference {refs} and event time 0")
    at = counts.groupby(np.clip(counts.index.to_numpy(dtype=float), low, high)).sum()
    times = [v for v in range(low, high + 1) if v not in refs and at.get(float(v), 0) > 0]
    return _Window(low, high, times, tuple(int(at.get(float(v), 0)) for v in times), bool((observed < low).any()),
                   bool((observed > high).any()))


def _pandas_design(data: pd.DataFrame, *, outcome: str, unit: str, time: str, first_treated: str, cluster: str,
                   covariates: list[str], weights: str | None, leads: int | None, lags: int | None,
                   refs: tuple[int, ...]) -> tuple[_Window, TwfeDesign]:
    e = _event_times(data, time, first_treated, unit)
    window = _window(e.value_counts(), leads, lags, refs, first_treated)
    binned = e.clip(lower=window.low, upper=window.high)
    cols = list(dict.fromkeys([outcome, unit, time, cluster, *covariates] + ([weights] if weights else [])))
    frame = data[cols].copy()
    names = []
    for v in window.times:
        name = _EVENT.format(v)
        frame[name] = (binned == v).astype(float).to_numpy()
        names.append(name)
    design = two_way_design(frame, outcome=outcome, regressors=[*names, *covariates], unit=unit, time=time,
                            cluster=cluster, weights=weights)
    return window, design


def _engine_design(table: ir.Table, *, outcome: str, unit: str, time: str, first_treated: str, cluster: str,
                   covariates: list[str], weights: str | None, leads: int | None, lags: int | None,
                   refs: tuple[int, ...]) -> tuple[_Window, TwfeDesign]:
    counts, total = _engine_event_counts(table, time, first_treated, unit)
    window = _window(counts, leads, lags, refs, first_treated)
    # The first treated period (0 = never) is a cell key, constant within units (checked above); event time
    # and its bin are then computed from the keys, as the row path computes them from the rows.
    first = _first_period(table, first_treated).fill_null(0.0)
    sums = cell_sums(table.mutate(**{_FIRST_KEY: first}), outcome=outcome, unit=unit, time=time, cluster=cluster,
                     keys=[_FIRST_KEY, *covariates], weights=weights, guard=covariates,
                     labels={_FIRST_KEY: first_treated}, total_rows=total)
    g = sums.cells[_FIRST_KEY].to_numpy(dtype=float)
    e = sums.cells[time].to_numpy(dtype=float) - np.where(g == 0.0, np.nan, g)
    binned = np.clip(e, window.low, window.high)
    xs = np.column_stack([(binned[:, None] == np.asarray(window.times, dtype=float)[None, :]).astype(float),
                          *(sums.cells[c].to_numpy(dtype=float)[:, None] for c in covariates)])
    design = cell_design(sums.cells, xs, names=[*(_EVENT.format(v) for v in window.times), *covariates], unit=unit,
                         time=time, cluster=cluster, n_dropped=sums.n_dropped, count=COUNT, weight=WEIGHT,
                         weighted_outcome=WEIGHTED_OUTCOME)
    return window, design


def event_study(data: pd.DataFrame | ir.Table, *, outcome: str, unit: str, time: str, first_treated: str,
                cluster: str | None = None, covariates: Sequence[str] = (), weights: str | None = None,
                leads: int | None = None, lags: int | None = None, reference: int | Sequence[int] = -1,
                level: float = 0.95) -> EventStudyResult:
    """TWFE event study: ``outcome ~ sum_e 1[t - g = e] + covariates + unit FE + time FE``.

    Parameters
    ----------
    data
        Students or a unit x period panel: a pandas DataFrame, or an Ibis table whose engine (DuckDB,
        Spark, ...) computes the unit x period cell sums (see Notes).
    outcome, unit, time
        Outcome and the two fixed-effect factors; ``time`` numeric (e.g. cohort year).
    first_treated
        First treated period of the row's unit; missing or 0 = never treated (as R ``did``).
    cluster
        Cluster column (default ``unit``).
    covariates, weights, level
        As in :func:`analyses.did.twfe`.
    leads, lags
        Event window ``[-leads, lags]``; event times beyond it are binned into the endpoint coefficients
        (the endpoints then mean "this far or farther").  Default: every observed event time, no binning.
    reference
        Event time(s) normalised to zero (default -1).  Without never-treated units a second reference
        is needed (e.g. ``(-1, -leads)``), since relative time is then collinear with unit and time.

    Returns
    -------
    EventStudyResult

    Raises
    ------
    ArgumentError
        When the window misses the reference or event time 0, ``time``/``first_treated`` are not numeric,
        or (engine table) the cluster or a covariate varies within unit x period cells.
    EstimationError
        When ``first_treated`` varies within a unit, no unit is ever treated, or the regression is not
        identified.

    Notes
    -----
    Binning the endpoints keeps every treated observation in a coefficient instead of silently folding
    distant periods into the reference (Schmidheiny & Siegloch 2023).  The pre-trend test is the joint
    Wald test that all lead coefficients are zero, :math:`F = \\hat\\beta_L' \\hat V_L^{-1}\\hat\\beta_L / q`
    on :math:`(q, G-1)` degrees of freedom.  Under staggered adoption with heterogeneous effects the
    lead and lag coefficients are contaminated by other periods' effects (Sun & Abraham 2021); use
    :func:`analyses.did.staggered` (dynamic aggregation) for the event-study estimand that is robust to it.

    On an engine table two grouped queries bring back O(cells) numbers: the rows at each (unit, first
    treated period, period), which give the event window and check that ``first_treated`` is constant
    within units, and the cell sums of :func:`analyses.did.cells.cell_sums` with the first treated period
    as a key, from which the event time :math:`t - g` of each cell is binned in numpy.  The cluster and
    covariates must then be constant within cells (cell-level covariates); the result is the one the
    DataFrame path gives on the same rows.

    References
    ----------
    Schmidheiny, K., & Siegloch, S. (2023). On event studies and distributed-lags in two-way fixed
    effects models. *Journal of Applied Econometrics*, 38(5), 695-713.
    Sun, L., & Abraham, S. (2021). Estimating dynamic treatment effects in event studies with
    heterogeneous treatment effects. *Journal of Econometrics*, 225(2), 175-199.
    """
    cluster = cluster or unit
    covariates = list(covariates)
    check_columns(data, [outcome, unit, time, first_treated, cluster, *covariates], what="data")
    refs = tuple(sorted({int(reference)} if isinstance(reference, int | np.integer) else {int(r) for r in reference}))
    build = _engine_design if is_engine_table(data) else _pandas_design
    window, design = build(data, outcome=outcome, unit=unit, time=time, first_treated=first_treated,
                           cluster=cluster, covariates=covariates, weights=weights, leads=leads, lags=lags, refs=refs)
    fit = cluster_robust_fit(design)
    df = design.n_clusters - 1
    times = window.times
    k = len(times)
    coefs = tuple(coefficient(f"event={v}", fit.beta[j], np.sqrt(fit.vcov[j, j]), df=df, level=level)
                  for j, v in enumerate(times))
    lead_idx = [j for j, v in enumerate(times) if v < 0]
    pretrend = None if not lead_idx else wald_test(
        fit.beta[lead_idx], fit.vcov[np.ix_(lead_idx, lead_idx)], terms=tuple(coefs[j].term for j in lead_idx),
        df_denominator=df, null="every lead (pre-adoption event-time coefficient) is zero")
    post = [j for j, v in enumerate(times) if v >= 0]
    notes = design_notes(design, design.raw[:, post].sum(axis=1) != 0)
    for note, category in notes:
        warnings.warn(note, category, stacklevel=2)
    method = (f"OLS with {unit} and {time} fixed effects and event-time dummies (endpoints binned), CR1 "
              f"cluster-robust SE by {cluster} (K={design.k_small_sample}); t({df}) inference")
    return EventStudyResult(outcome, tuple(times), coefs, refs, window.binned_low, window.binned_high, window.n_at,
                            pretrend, tuple(tuple(float(x) for x in row) for row in fit.vcov[:k, :k]), design.n_obs,
                            design.n_clusters, design.n_units, design.n_periods, method,
                            tuple(n for n, _ in notes))
