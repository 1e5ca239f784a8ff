"""Response counts and respondent/non-respondent comparisons of an engine table, as per-group statistics.

The functions of :mod:`outcomes.employment.response` need, per group and follow-up, only counts (due
graduates, respondents, the numerator of a rate) and, for the non-response table, each covariate's count,
mean and sample variance among respondents and non-respondents (a category's share is the mean of its 0/1
indicator).  For an engine table (an Ibis table, e.g. what :func:`outcomes.employment_indicators` returns
for engine tables) these are aggregate queries; the rest of the computation is the pandas path's own code.

Examples
--------
>>> import ibis
>>> import pandas as pd
>>> con = ibis.duckdb.connect()
>>> frame = con.create_table("f", pd.DataFrame({"program": ["integrated"] * 3, "months_after_graduation": 6,
...                                             "responded": [True, True, False]}))
>>> response_counts(frame, ["program", "months_after_graduation"])
      program  months_after_graduation  graduates  respondents
0  integrated                        6          3            2
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from outcomes.engine import engine_groups

if TYPE_CHECKING:
    from ibis.expr.types import Table

__all__ = ["covariate_moments", "response_counts"]

_MONTHS = "months_after_graduation"


def response_counts(table: Table, keys: Sequence[str], numerator: str | None = None) -> pd.DataFrame:
    """Per group: ``graduates`` (rows), ``respondents`` and, with ``numerator``, the sum of that column.

    Parameters
    ----------
    table
        An engine table with ``responded`` and the ``keys``.
    keys
        Grouping columns.
    numerator
        An indicator column whose known values are summed (missing counts as 0, as ``pandas.Series.sum``).

    Returns
    -------
    pandas.DataFrame
        The keys (sorted as pandas sorts groups; integers as ``Int64``, except a complete
        ``months_after_graduation``, int64 as in the indicator frame), ``graduates``, ``respondents`` and
        ``numerator``, int64.
    """
    metrics: dict[str, Any] = {"graduates": table.count(), "respondents": table["responded"].cast("int64").sum()}
    if numerator is not None:
        metrics["numerator"] = table[numerator].cast("float64").sum()
    out = engine_groups(table, keys, **metrics)
    for name in metrics:
        out[name] = out[name].fillna(0).astype(np.int64)
    if _MONTHS in keys and out[_MONTHS].notna().all():  # the pandas frame's follow-up column is int64
        out[_MONTHS] = out[_MONTHS].astype(np.int64)
    return out


def _level(col: Any) -> Any:
    """A covariate as the text pandas' ``astype(str)`` gives (booleans as ``True``/``False``)."""
    import ibis

    kind = col.type()
    if kind.is_boolean():
        return ibis.ifelse(col, "True", "False")
    return col if kind.is_string() else col.cast("string")


def _sides(stats: pd.DataFrame, on: list[str]) -> pd.DataFrame:
    """One row a group (and level): the statistics of respondents (``_1``) and non-respondents (``_0``)."""
    one, zero = (stats[stats["responded"] == flag].drop(columns="responded") for flag in (True, False))
    wide = one.merge(zero, on=on, how="outer", suffixes=("_1", "_0"))  # missing keys match each other
    for side in ("_1", "_0"):
        wide[f"n{side}"] = wide[f"n{side}"].fillna(0).astype(np.int64)
    return wide.sort_values(on, kind="mergesort", na_position="last").reset_index(drop=True)


def covariate_moments(table: Table, keys: Sequence[str], covariate: str) -> pd.DataFrame:
    """Known count, mean and sample variance of a covariate among respondents and non-respondents, by group.

    Parameters
    ----------
    table
        An engine table with ``responded``, the ``keys`` and ``covariate``.
    keys
        Grouping columns.
    covariate
        A numeric column (compared by its mean) or any other (compared by the share of each category,
        the mean of the category's 0/1 indicator among students with the covariate known).

    Returns
    -------
    pandas.DataFrame
        One row a group and level (``level`` None for a numeric covariate; levels present in the group,
        as text, otherwise): ``n_1``, ``mean_1``, ``var_1`` for respondents and ``n_0``, ``mean_0``,
        ``var_0`` for non-respondents (variance with divisor n - 1; NaN below two students).

    Examples
    --------
    >>> import ibis
    >>> con = ibis.duckdb.connect()
    >>> t = con.create_table("cov", pd.DataFrame({"program": "integrated", "responded": [True, True, False],
    ...                                           "gender": ["female", "male", "female"]}))
    >>> covariate_moments(t, ["program"], "gender")[["level", "n_1", "mean_1", "n_0", "mean_0"]]
        level  n_1  mean_1  n_0  mean_0
    0  female    2     0.5    1     1.0
    1    male    2     0.5    1     0.0
    """
    keys = list(keys)
    col = table[covariate]
    kind = col.type()
    if kind.is_numeric() and not kind.is_boolean():
        x = col.cast("float64")
        known = (x.notnull() & ~x.isnan()).fill_null(False)
        stats = engine_groups(table, [*keys, "responded"], n=known.sum(), mean=x.mean(where=known),
                              var=x.var(how="sample", where=known))
        return _sides(stats, keys).assign(level=None)
    marked = table.filter(col.notnull()).mutate(_level=_level(col))
    counts = engine_groups(marked, [*keys, "responded", "_level"], k=marked.count())
    totals = engine_groups(marked, [*keys, "responded"], n=marked.count())
    grid = counts[[*keys, "_level"]].drop_duplicates().merge(pd.DataFrame({"responded": [True, False]}), how="cross")
    stats = grid.merge(counts, on=[*keys, "responded", "_level"], how="left").merge(
        totals, on=[*keys, "responded"], how="left")
    n = stats["n"].fillna(0).to_numpy(dtype=float)
    k = stats["k"].fillna(0).to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        stats = stats.assign(n=n, mean=k / n, var=np.where(n > 1, k * (n - k) / (n * np.maximum(n - 1, 1)), np.nan))
    return _sides(stats.drop(columns="k").rename(columns={"_level": "level"}), [*keys, "level"])
