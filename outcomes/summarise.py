"""One tidy table of outcome indicators by any grouping, with n, numerator, estimate and a 95% interval.

:func:`summarise` takes the indicator frames (from
:func:`outcomes.employment_indicators`, :func:`outcomes.certification_indicators`,
:func:`outcomes.assessment_indicators`, or :func:`outcomes.study_indicators` for
a whole study) and reports every indicator of :data:`outcomes.INDICATORS` they
hold, per group.  Proportions get the Wilson score interval, means a t interval
(or a percentile bootstrap), medians the distribution-free order-statistic
interval.  Employment indicators are always reported per follow-up
(``months_after_graduation``), because pooling the 6- and 36-month follow-ups
would count a graduate twice.  A frame may be a table in a query engine
(DuckDB, Spark, ... through Ibis); the groups are then reduced inside the
engine (:mod:`outcomes.engine`) and the same table comes back.

Examples
--------
>>> import pandas as pd
>>> frame = pd.DataFrame({"program": ["integrated"] * 3 + ["traditional"] * 2,
...                       "hsk_target_rate": [1.0, 1.0, 0.0, 0.0, float("nan")]})
>>> t = summarise(frame, by=["program"])
>>> t[["indicator", "program", "n", "numerator", "estimate"]]
         indicator      program  n  numerator  estimate
0  hsk_target_rate   integrated  3        2.0  0.666667
1  hsk_target_rate  traditional  1        0.0  0.000000
>>> summarise(frame, by=["program"], margins=True)["program"].tolist()
['integrated', 'traditional', 'All']
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from data_schema.arguments import check_choice, check_columns
from data_schema.engine import is_engine_table
from data_schema.errors import ArgumentError
from outcomes.cells import (
    MONTHS,
    follow_up_key,
    indicator_part,
    margin_sets,
    mean_columns,
    median_columns,
    proportion_columns,
)
from outcomes.engine import engine_parts
from outcomes.indicators import INDICATORS, Indicator
from outcomes.intervals import bootstrap_mean_intervals, median_intervals

if TYPE_CHECKING:
    from ibis.expr.types import Table

__all__ = ["summarise", "SUMMARY_COLUMNS", "MONTHS"]

SUMMARY_COLUMNS = ("n", "numerator", "estimate", "std_error", "ci_low", "ci_high", "ci_level", "method")
"""Columns after the indicator and group columns, in this order."""


def _group_codes(frame: pd.DataFrame, keys: list[str]) -> tuple[np.ndarray, pd.DataFrame]:
    if not keys:
        return np.zeros(len(frame), dtype=np.intp), pd.DataFrame(index=[0])
    grouped = frame.groupby(keys, sort=True, dropna=False, observed=True)
    codes = grouped.ngroup().to_numpy()
    labels = grouped.size().reset_index()[keys]
    return codes, labels


def _proportion(x: np.ndarray, codes: np.ndarray, g: int, level: float) -> dict:
    known = ~np.isnan(x)
    n = np.bincount(codes[known], minlength=g)
    k = np.bincount(codes[known], weights=x[known], minlength=g)
    return proportion_columns(n, k, level=level)


def _mean(x: np.ndarray, codes: np.ndarray, g: int, level: float, how: str, n_boot: int,
          seed: int | None) -> dict:
    known = ~np.isnan(x)
    c, v = codes[known], x[known]
    n = np.bincount(c, minlength=g)
    with np.errstate(invalid="ignore", divide="ignore"):
        m = np.bincount(c, weights=v, minlength=g) / n
        ss = np.bincount(c, weights=(v - m[c]) ** 2, minlength=g)
    cols = mean_columns(n, m, ss, level=level)
    if how == "t":
        return cols
    low, high = bootstrap_mean_intervals(v, c, g, level=level, n_boot=n_boot, seed=seed)
    return {**cols, "ci_low": low, "ci_high": high, "method": f"percentile bootstrap ({n_boot} resamples)"}


def _median(x: np.ndarray, codes: np.ndarray, g: int, level: float) -> dict:
    known = ~np.isnan(x)
    med, low, high = median_intervals(x[known], codes[known], g, level=level)
    return median_columns(np.bincount(codes[known], minlength=g), med, low, high)


def _one(frame: pd.DataFrame, ind: Indicator, groups: tuple[np.ndarray, pd.DataFrame], level: float, how: str,
         n_boot: int, seed: int | None) -> pd.DataFrame:
    codes, labels = groups
    x = pd.to_numeric(frame[ind.name], errors="raise").astype(float).to_numpy()
    g = len(labels)
    if ind.kind == "proportion":
        bad = ~np.isnan(x) & (x != 0) & (x != 1)
        if bad.any():
            raise ArgumentError(
                f"indicator {ind.name!r} is a proportion but holds {float(x[bad][0])!r}; use 1, 0 or NaN")
        cols = _proportion(x, codes, g, level)
    elif ind.kind == "mean":
        cols = _mean(x, codes, g, level, how, n_boot, seed)
    else:
        cols = _median(x, codes, g, level)
    return indicator_part(labels, ind.name, cols, level=level)


def summarise(
    frames: pd.DataFrame | Table | Sequence[pd.DataFrame | Table],
    *,
    by: Sequence[str] = ("program",),
    indicators: Sequence[str] | None = None,
    margins: bool = False,
    total: str = "All",
    level: float = 0.95,
    mean_interval: Literal["t", "bootstrap"] = "t",
    n_boot: int = 2000,
    seed: int | None = None,
) -> pd.DataFrame:
    """Every indicator the frames hold, by group, as one tidy table.

    Parameters
    ----------
    frames
        One indicator frame or several (e.g. the values of :func:`outcomes.study_indicators`).  An indicator
        is a column named as in :data:`outcomes.INDICATORS`.  A frame may also be a table in a query engine
        (an Ibis table, e.g. what :func:`outcomes.employment_indicators` returns for engine tables): its
        groups are then counted inside the engine and only one row a group comes back (see Notes).
    by
        Grouping columns, e.g. ``["program", "cohort"]``; each frame must have them.  Employment indicators
        are also grouped by ``months_after_graduation``.
    indicators
        Names to report (default: every catalogued indicator found in the frames).
    margins
        Add total rows: for every subset of ``by``, the rows with those columns set to ``total`` (what
        :func:`outcomes.protect` needs for complementary suppression).  Group columns then hold text.
    total
        Label of the total rows.
    level
        Confidence level of the intervals.
    mean_interval
        ``"t"`` (mean ± t quantile x SD/sqrt(n)) or ``"bootstrap"`` (percentile bootstrap; needs ``seed``).
    n_boot, seed
        Bootstrap resamples and seed.

    Returns
    -------
    pandas.DataFrame
        ``indicator``, the ``by`` columns, ``months_after_graduation`` (NA for indicators that are not
        per follow-up), then :data:`SUMMARY_COLUMNS`: ``n`` (students in the indicator's population),
        ``numerator`` (proportions only), ``estimate``, ``std_error`` (binomial or SD/sqrt(n); NaN for
        medians), ``ci_low``, ``ci_high``, ``ci_level``, ``method``; and ``population`` (the denominator in
        words).  Groups with no student in an indicator's population are left out.

    Raises
    ------
    ArgumentError
        An unknown indicator or one no frame holds, a proportion holding values other than 0, 1 and
        missing, a bootstrap without ``seed``, a level outside (0, 1); for an engine table also a bootstrap
        interval of a mean (it resamples rows).

    Notes
    -----
    On an engine table every number comes from per-group statistics computed in the engine
    (:mod:`outcomes.engine`): counts and sums for proportions; counts, sums and the engine's own
    sample variance for means; the order statistics at the ranks the median and its interval need for
    medians.  The estimates, standard errors and intervals are then computed by the same code as for a
    DataFrame (:mod:`outcomes.cells`), so both give the same table (to rounding in the last digits of
    sums).  Percentile-bootstrap intervals resample rows and are refused on engine tables.

    The engine runs one query per grouping plus one per median indicator and margin set.  A table that
    is itself a query (what :func:`outcomes.employment_indicators` returns for engine tables) is computed
    again by each of them; to make several tables, or margins with medians, store it once
    (``con.create_table("employment_indicators", rows)``) and summarise the stored table.
    """
    frames = [frames] if isinstance(frames, pd.DataFrame) or is_engine_table(frames) else list(frames)
    by = list(by)
    check_choice("mean_interval", mean_interval, ("t", "bootstrap"))
    if mean_interval == "bootstrap" and seed is None:
        raise ArgumentError("mean_interval='bootstrap' needs seed= so that the table can be reproduced")
    if not 0 < level < 1:
        raise ArgumentError(f"level={level!r} must lie strictly between 0 and 1, e.g. 0.95")
    wanted = list(indicators) if indicators is not None else list(INDICATORS)
    for name in wanted:
        check_choice("indicator", name, tuple(INDICATORS))
    found = {name for f in frames for name in wanted if name in f.columns}
    missing = [name for name in (indicators or ()) if name not in found]
    if missing:
        raise ArgumentError(f"no frame holds the indicator(s) {', '.join(map(repr, missing))}")
    parts = []
    for frame in frames:
        names = [n for n in wanted if n in frame.columns]
        if is_engine_table(frame):
            parts += engine_parts(frame, names, by=by, margins=margins, total=total, level=level,
                                  mean_interval=mean_interval)
            continue
        check_columns(frame, by, what="indicator frame")
        groups: dict[tuple[str, ...], tuple[np.ndarray, pd.DataFrame]] = {}  # one grouping per key set
        for name in names:
            ind = INDICATORS[name]
            extra = follow_up_key(ind, by)
            for keys in margin_sets(by, margins):
                key = tuple(keys + extra)
                if key not in groups:
                    groups[key] = _group_codes(frame, list(key))
                part = _one(frame, ind, groups[key], level, mean_interval, n_boot, seed)
                parts.append(part.assign(**{c: total for c in by if c not in keys}))
    return _assemble(parts, by, margins, wanted)


def _assemble(parts: list[pd.DataFrame], by: list[str], margins: bool, order: list[str]) -> pd.DataFrame:
    columns = ["indicator", *by, MONTHS, *SUMMARY_COLUMNS]
    if not parts:
        return pd.DataFrame(columns=[*columns, "population"])
    if margins:
        parts = [p.astype({c: object for c in by}) for p in parts]
    out = pd.concat(parts, ignore_index=True)
    if MONTHS not in out.columns:
        out[MONTHS] = pd.NA
    out[MONTHS] = out[MONTHS].astype("Int64")
    out["n"] = out["n"].astype(int)
    out["population"] = out["indicator"].map(lambda i: INDICATORS[i].population)
    rank = {name: i for i, name in enumerate(order)}
    out = out.assign(_rank=out["indicator"].map(rank)).sort_values(["_rank"], kind="stable")
    return out.drop(columns="_rank")[[*columns, "population"]].reset_index(drop=True)
