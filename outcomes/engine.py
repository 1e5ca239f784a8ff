"""The outcome summary table of an indicator table that lives in a query engine (DuckDB, Spark, ...).

:func:`outcomes.summarise` hands an engine table (an Ibis table) to :func:`engine_parts`, which asks the
engine for a few numbers per group and computes the table from them with the same code as for a
DataFrame (:mod:`outcomes.cells`).  No row-level data leave the engine:

- one aggregate query per grouping (``by``, plus ``months_after_graduation`` for employment indicators)
  returns, per cell and indicator, the count of known values, their sum and, for means, the engine's
  sample variance (a numerically stable one-pass algorithm in DuckDB, Spark and PostgreSQL);
- margins are pooled from those cells in numpy: counts and sums add up, squared deviations by the
  formula of Chan, Golub & LeVeque (see :mod:`outcomes.cells`);
- a median and its distribution-free interval are order statistics, so the engine numbers each group's
  values in order (a window ``row_number``) and returns only the values at the ranks the estimate and the
  interval need (at most four a group).  These are the same values the DataFrame path picks, so medians
  agree exactly.

Percentile-bootstrap intervals resample rows and cannot come from per-group statistics: they raise.

Each query reads the table afresh; when the table is a lazy query (the joins of
:func:`outcomes.employment_indicators`), store it first if many summaries or medians with margins are
wanted (``con.create_table(name, table)``).

Examples
--------
>>> import ibis
>>> import pandas as pd
>>> con = ibis.duckdb.connect()
>>> rows = pd.DataFrame({"program": ["integrated"] * 3 + ["traditional"] * 2,
...                      "hsk_target_rate": [1.0, 1.0, 0.0, 0.0, None]})
>>> parts = engine_parts(con.create_table("rows", rows), ["hsk_target_rate"], by=["program"])
>>> parts[0][["indicator", "program", "n", "numerator", "estimate"]]
         indicator      program  n  numerator  estimate
0  hsk_target_rate   integrated  3        2.0  0.666667
1  hsk_target_rate  traditional  1        0.0  0.000000
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from data_schema.arguments import check_columns
from data_schema.engine import execute
from data_schema.errors import ArgumentError
from outcomes.cells import (
    follow_up_key,
    indicator_part,
    margin_sets,
    mean_columns,
    median_columns,
    pool_moments,
    proportion_columns,
)
from outcomes.indicators import INDICATORS, Indicator
from outcomes.intervals import median_interval_ranks

if TYPE_CHECKING:
    from ibis.expr.types import Table

__all__ = ["engine_parts", "engine_groups"]


def _labels(frame: pd.DataFrame, table: Table, keys: Sequence[str]) -> pd.DataFrame:
    """Grouping columns back from the engine in the dtypes a validated DataFrame has, sorted like pandas."""
    out = frame.copy()
    for key in keys:
        kind = table[key].type()
        if kind.is_integer():
            out[key] = out[key].astype("Int64")
        elif kind.is_boolean():
            out[key] = out[key].astype("boolean")
        elif kind.is_string():
            out[key] = out[key].astype("str")
    if keys:
        out = out.sort_values(list(keys), kind="mergesort", na_position="last")
    return out.reset_index(drop=True)


def engine_groups(table: Table, keys: Sequence[str], **metrics: Any) -> pd.DataFrame:
    """Run ``table.group_by(keys).aggregate(**metrics)`` in the engine; groups sorted as pandas sorts them.

    Missing values of a grouping column form a group of their own (as ``groupby(dropna=False)``), placed
    last.

    Parameters
    ----------
    table
        An Ibis table.
    keys
        Grouping columns (may be empty: one row).
    **metrics
        Output name -> an Ibis reduction of ``table``.

    Returns
    -------
    pandas.DataFrame
        The grouping columns (integers as ``Int64``, text as ``str``) and the metrics.

    Examples
    --------
    >>> import ibis
    >>> import pandas as pd
    >>> con = ibis.duckdb.connect()
    >>> t = con.create_table("t", pd.DataFrame({"g": ["b", None, "a", "b"], "y": [1.0, 2.0, 3.0, 4.0]}))
    >>> engine_groups(t, ["g"], n=t.count(), total=t["y"].sum())
         g  n  total
    0    a  1    3.0
    1    b  2    5.0
    2  NaN  1    2.0
    """
    keys = list(keys)
    expr = table.group_by(keys).aggregate(**metrics) if keys else table.aggregate(**metrics)
    return _labels(execute(expr), table, keys)


def _value(table: Table, name: str) -> Any:
    """The indicator as float64 with NaN read as missing (NULL), as pandas reads it."""
    import ibis

    col = table[name]
    kind = col.type()
    if not (kind.is_numeric() or kind.is_boolean()):
        raise ArgumentError(f"indicator {name!r} is {kind} in the engine table; an indicator column holds "
                            "numbers (1, 0 or missing for a proportion)")
    x = col.cast("float64")
    return ibis.ifelse(x.isnan(), ibis.null("float64"), x) if kind.is_floating() else x


def _cell_metrics(table: Table, names: list[str]) -> dict[str, Any]:
    """The per-cell reductions of every indicator, one pass over the rows.

    For indicator ``i``: the count ``n{i}``; the sum ``s{i}`` (not for medians); the sample variance
    ``v{i}`` of a mean; for a proportion ``b{i}``, the sum of ``|x (x - 1)|``, zero exactly when every
    value is 0 or 1 (each term is non-negative, so nothing cancels).
    """
    metrics: dict[str, Any] = {}
    for i, name in enumerate(names):
        x = _value(table, name)
        kind = INDICATORS[name].kind
        metrics[f"n{i}"] = x.count()
        if kind != "median":
            metrics[f"s{i}"] = x.sum()
        if kind == "mean":
            metrics[f"v{i}"] = x.var(how="sample")
        elif kind == "proportion":
            metrics[f"b{i}"] = (x * (x - 1)).abs().sum()
    return metrics


def _not_binary(table: Table, name: str) -> ArgumentError:
    x = _value(table, name)
    example = execute(table.aggregate(e=x.min(where=(x != 0) & (x != 1))))["e"].iloc[0]
    return ArgumentError(f"indicator {name!r} is a proportion but holds {float(example)!r}; use 1, 0 or NaN")


def _cells(table: Table, key: list[str], names: list[str]) -> pd.DataFrame:
    """Per cell of ``key`` and indicator ``i``: ``n{i}``, ``s{i}`` and ``m{i}`` (squared deviations)."""
    check_columns(table, key, what="indicator table")
    cells = engine_groups(table, key, **_cell_metrics(table, names))
    for i, name in enumerate(names):
        cells[f"n{i}"] = cells[f"n{i}"].fillna(0).astype(np.int64)
        cells[f"s{i}"] = cells[f"s{i}"].astype(float).fillna(0.0) if f"s{i}" in cells else 0.0
        if f"b{i}" in cells and cells[f"b{i}"].fillna(0).to_numpy(dtype=float).any():
            raise _not_binary(table, name)
        if f"v{i}" in cells:
            n = cells[f"n{i}"].to_numpy()
            var = cells[f"v{i}"].astype(float).to_numpy()
            cells[f"m{i}"] = np.where(n > 1, var * (n - 1), 0.0)  # one value: no deviation
    return cells


def _grouping(cells: pd.DataFrame, keys: list[str]) -> tuple[np.ndarray, pd.DataFrame]:
    """The group of each cell under the coarser ``keys`` and the groups' labels, sorted as pandas sorts."""
    if not keys:
        return np.zeros(len(cells), dtype=np.intp), pd.DataFrame(index=[0])
    grouped = cells.groupby(keys, sort=True, dropna=False)
    return grouped.ngroup().to_numpy(), grouped.size().reset_index()[keys]


def _pool(cells: pd.DataFrame, grouping: tuple[np.ndarray, pd.DataFrame],
          i: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Indicator ``i`` in the groups of ``grouping``: count, sum (proportions) or mean, squared deviations."""
    codes, labels = grouping
    g = len(labels)
    n = cells[f"n{i}"].to_numpy(dtype=float)
    s = cells[f"s{i}"].to_numpy(dtype=float)
    if f"m{i}" not in cells:
        return np.bincount(codes, weights=n, minlength=g).astype(np.int64), np.bincount(codes, weights=s,
                                                                                        minlength=g), np.zeros(g)
    return pool_moments(n, s, cells[f"m{i}"].to_numpy(dtype=float), codes, g)


def _order_statistics(table: Table, name: str, key: list[str], labels: pd.DataFrame,
                      n: np.ndarray, level: float) -> dict:
    """Median and distribution-free interval of each group, from the engine's values at the needed ranks."""
    import ibis
    import pyarrow as pa

    sizes = np.unique(n[n > 0]).astype(np.int64)
    if not sizes.size:  # no value in any group: nothing to ask the engine
        return median_columns(n, *(np.full(len(n), np.nan),) * 3)
    lower, upper, _ = median_interval_ranks(sizes, level=level)
    ranks = ibis.memtable(pa.table({  # a rank 0 matches no row: no interval at that size
        "_n": sizes, "_a": (sizes + 1) // 2, "_b": sizes // 2 + 1,
        "_l": np.nan_to_num(lower).astype(np.int64), "_u": np.nan_to_num(upper).astype(np.int64)}))
    x = _value(table, name)
    rows = table.select(*key, _x=x)
    rows = rows.filter(rows["_x"].notnull())
    window = ibis.window(group_by=[rows[k] for k in key], order_by=rows["_x"])
    rows = rows.mutate(_r=ibis.row_number().over(window) + 1,
                       _n=rows["_x"].count().over(ibis.window(group_by=[rows[k] for k in key])))
    picked = rows.inner_join(ranks, "_n")
    r = picked["_r"]
    picked = picked.filter((r == picked["_a"]) | (r == picked["_b"]) | (r == picked["_l"]) | (r == picked["_u"]))
    found = _labels(execute(picked.select(*key, "_r", "_a", "_b", "_l", "_u", "_x")), table, key)
    where = (labels.reset_index(drop=True).reset_index(names="_g").merge(found, on=key, how="inner")
             if key else found.assign(_g=0))
    g = len(labels)

    def at(rank: str) -> np.ndarray:
        hit = where[where["_r"] == where[rank]]
        out = np.full(g, np.nan)
        out[hit["_g"].to_numpy(dtype=np.intp)] = hit["_x"].to_numpy(dtype=float)
        return out

    return median_columns(n, (at("_a") + at("_b")) / 2, at("_l"), at("_u"))


def _check(table: Table, names: list[str], by: list[str], mean_interval: str) -> None:
    check_columns(table, by, what="indicator table")
    means = [name for name in names if INDICATORS[name].kind == "mean"]
    if mean_interval == "bootstrap" and means:
        raise ArgumentError(f"mean_interval='bootstrap' resamples rows, which an engine table does not hand out; "
                            f"{', '.join(map(repr, means))} need mean_interval='t' here (computed from the "
                            "engine's counts, sums and variances), or pass a pandas DataFrame")


def engine_parts(table: Table, names: Sequence[str], *, by: Sequence[str], margins: bool = False,
                 total: str = "All", level: float = 0.95, mean_interval: str = "t") -> list[pd.DataFrame]:
    """The rows of :func:`outcomes.summarise` for the indicators ``names`` of an engine table.

    Parameters
    ----------
    table
        An Ibis table with the ``by`` columns and the indicator columns (``months_after_graduation`` too for
        employment indicators).
    names
        Indicators of :data:`outcomes.INDICATORS` to summarise, in order.
    by, margins, total, level, mean_interval
        As in :func:`outcomes.summarise`.

    Returns
    -------
    list of pandas.DataFrame
        One part per indicator and margin set, in the order :func:`outcomes.summarise` assembles them.

    Raises
    ------
    ArgumentError
        A bootstrap interval for a mean, an indicator column that is not numeric, a proportion holding
        values other than 0, 1 and missing.
    """
    by, names = list(by), list(names)
    _check(table, names, by, mean_interval)
    finest: dict[tuple[str, ...], list[str]] = {}
    for name in names:
        finest.setdefault(tuple(by + follow_up_key(INDICATORS[name], by)), []).append(name)
    cells = {key: _cells(table, list(key), group) for key, group in finest.items()}
    groupings: dict[tuple[str, ...], tuple[np.ndarray, pd.DataFrame]] = {}
    parts = []
    for name in names:
        ind: Indicator = INDICATORS[name]
        extra = follow_up_key(ind, by)
        base = cells[tuple(by + extra)]
        i = finest[tuple(by + extra)].index(name)
        for keys in margin_sets(by, margins):
            key = keys + extra
            if tuple(key) not in groupings:  # margins nest in the finest cells of the same follow-up key
                groupings[tuple(key)] = _grouping(base, key)
            labels = groupings[tuple(key)][1]
            n, centre, ss = _pool(base, groupings[tuple(key)], i)
            if ind.kind == "proportion":
                cols = proportion_columns(n, centre, level=level)
            elif ind.kind == "mean":
                cols = mean_columns(n, centre, ss, level=level)
            else:
                cols = _order_statistics(table, name, key, labels, n, level)
            part = indicator_part(labels, name, cols, level=level)
            parts.append(part.assign(**{c: total for c in by if c not in keys}))
    return parts
