"""Employment indicators of graduates whose tables live in a query engine (DuckDB, Spark, ... through Ibis).

:func:`engine_employment_indicators` builds the same graduate x due follow-up rows as the pandas path of
:func:`outcomes.employment_indicators`, with the same indicator columns from the same definitions
(:func:`outcomes.employment.definitions.employment_definitions`), as a *lazy* Ibis table: nothing
row-level leaves the engine.  :func:`outcomes.summarise`, :func:`outcomes.response_rates` and
:func:`outcomes.nonresponse_bounds` reduce it to one row a group inside the engine.  The checks the pandas
path makes (duplicate follow-ups, rows that cannot be placed) run as aggregate queries that return a few
numbers.

Examples
--------
>>> import ibis
>>> import pandas as pd
>>> con = ibis.duckdb.connect()
>>> students = con.create_table("students", pd.DataFrame({"student_id": ["a", "b"], "institution_id": "I1",
...     "program": "integrated", "graduation_year": [2023, 2023]}))
>>> employment = con.create_table("employment", pd.DataFrame({"student_id": ["a"], "months_after_graduation": [6],
...     "status": ["employed"], "sector": ["cbec"]}))
>>> f = engine_employment_indicators(students, employment, as_of="2024-06-30")
>>> from data_schema.engine import execute
>>> execute(f.order_by("student_id").select("student_id", "responded", "employment_rate"))
  student_id  responded  employment_rate
0          a       True              1.0
1          b      False              NaN
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

import pandas as pd

from data_schema.arguments import check_columns
from data_schema.engine import execute
from data_schema.errors import ArgumentError, DataQualityWarning
from outcomes.employment.definitions import (
    KEY,
    STUDENT_COLUMNS,
    EngineColumns,
    duplicate_message,
    employment_definitions,
    month_index,
    unmatched_message,
)

if TYPE_CHECKING:
    from ibis.expr.types import Table

__all__ = ["engine_employment_indicators"]

_MONTHS = "months_after_graduation"
_ANSWERED = "_progeval_answered"


_FILE_ROW = "row"
"""The file-row column of the tables :func:`data_schema.warehouse.open_tables` opens."""


def _follow_ups(employment: Table, follow_ups: Sequence[int] | None) -> list[int]:
    if follow_ups is not None:
        months = sorted(int(m) for m in follow_ups)
    else:
        col = employment[_MONTHS]
        found = execute(employment.filter(col.notnull()).select(col).distinct())
        months = sorted(int(m) for m in found[_MONTHS])
    if not months:
        raise ArgumentError("no follow-ups: the employment table is empty and follow_ups was not given")
    return months


def _check_unique(students: Table, employment: Table) -> None:
    counts = employment.group_by(KEY).aggregate(_rows=employment.count())
    dup = counts.filter(counts["_rows"] > 1)
    extra = execute(dup.aggregate(extra=(dup["_rows"] - 1).sum()))["extra"].iloc[0]
    if pd.notna(extra) and extra > 0:  # the sum over no duplicate is NULL
        first = execute(dup.order_by(KEY).limit(1)).iloc[0]
        raise ArgumentError(duplicate_message(int(extra), first["student_id"], int(first[_MONTHS])))
    graduates = students.filter(students["graduation_year"].notnull())
    ids = execute(graduates.aggregate(rows=graduates.count(), ids=graduates["student_id"].nunique())).iloc[0]
    if int(ids["rows"]) != int(ids["ids"]):
        raise ArgumentError(f"students has {int(ids['rows']) - int(ids['ids'])} repeated student_id(s) among "
                            "graduates; keep one row per student (validate the table with data_schema)")


def _check_names(students: Table, employment: Table) -> list[str]:
    both = [c for c in employment.columns if c in students.columns and c != "student_id"]
    if both or _MONTHS in students.columns:
        raise ArgumentError(f"students and employment both have the column(s) {both or [_MONTHS]}; a column "
                            "belongs to one table (rename or drop it in one of them)")
    return [c for c in employment.columns if c not in KEY]


def _due(grid: Table, responded: object, as_of: date | str | None, graduation_month: int) -> object:
    import ibis

    if as_of is not None:
        when = grid["graduation_year"].cast("int64") * 12 + (graduation_month - 1) + grid[_MONTHS]
        return when <= month_index(as_of)
    run = ibis.window(group_by=[grid["institution_id"], grid["graduation_year"], grid[_MONTHS]])
    return responded.any().over(run)


def engine_employment_indicators(students: Table, employment: Table, *, as_of: date | str | None = None,
                                 follow_ups: Sequence[int] | None = None, graduation_month: int = 6,
                                 satisfied_from: int = 4) -> Table:
    """The employment indicator rows of :func:`outcomes.employment_indicators`, as a lazy engine table.

    Parameters
    ----------
    students, employment
        Ibis tables of one engine with the columns of the pandas path.
    as_of, follow_ups, graduation_month, satisfied_from
        As in :func:`outcomes.employment_indicators`.

    Returns
    -------
    ibis.expr.types.Table
        One row a graduate x due follow-up: the students' columns, ``months_after_graduation``,
        ``responded``, the employment table's other columns and one float64 column per employment indicator
        (NULL outside its population).  Rows have no order; nothing has run yet except the checks.

    Raises
    ------
    ArgumentError
        Duplicate student x follow-up rows, repeated graduates, no follow-up, or a column in both tables.

    Warns
    -----
    DataQualityWarning
        When employment rows cannot be placed (no graduation year, or a follow-up not asked for).
    """
    import ibis

    check_columns(students, STUDENT_COLUMNS, what="students")
    check_columns(employment, (*KEY, "status"), what="employment")
    # a study database's tables carry the input file's row number as a column (the pandas path keeps it
    # in the index, which the merge drops): it numbers rows of one file, not graduates, so it goes here too
    students, employment = (t.drop(_FILE_ROW) if _FILE_ROW in t.columns else t for t in (students, employment))
    extra = _check_names(students, employment)
    _check_unique(students, employment)
    months = _follow_ups(employment, follow_ups)
    graduates = students.filter(students["graduation_year"].notnull())
    answers = employment.filter(employment[_MONTHS].isin(months))
    answers = answers.mutate(**{_MONTHS: answers[_MONTHS].cast("int64"), _ANSWERED: ibis.literal(True)})
    grid = ibis.union(*(graduates.mutate(**{_MONTHS: ibis.literal(m, "int64")}) for m in months))
    joined = grid.left_join(answers, KEY)
    responded = joined[_ANSWERED].notnull()
    joined = joined.mutate(responded=responded)
    rows = joined.filter(_due(joined, joined["responded"], as_of, graduation_month) | joined["responded"])
    rows = rows.select(*students.columns, _MONTHS, "responded", *extra)
    values = employment_definitions(EngineColumns(rows), first=months[0], satisfied_from=satisfied_from)
    kept = [c for c in rows.columns if c not in values]
    placed = int(execute(answers.semi_join(graduates, "student_id").aggregate(n=ibis._.count()))["n"].iloc[0])
    lost = int(execute(employment.aggregate(n=employment.count()))["n"].iloc[0]) - placed
    if lost:
        warnings.warn(unmatched_message(lost), DataQualityWarning, stacklevel=3)
    return rows.select(*kept, **{name: value.cast("float64") for name, value in values.items()})
