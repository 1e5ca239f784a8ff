"""Graduate employment indicators: one row a graduate x follow-up that was due, answered or not.

A QA office's follow-up survey reaches some graduates and not others; a rate
among those who answered is not a rate among graduates.  This module therefore
starts from the graduates (``students`` rows with a graduation year), lists the
follow-ups each was due for, and marks who answered.  Each indicator column of
:data:`outcomes.INDICATORS` (family ``"employment"``) is then 1/0 (proportions)
or a value (salary, rating) for the rows in that indicator's population and
NaN elsewhere, so that ``frame[indicator].mean()`` is the indicator.

Definitions
-----------
A follow-up ``m`` months after graduation is *due* for a graduate when the
graduation month (``graduation_month`` of ``graduation_year``) plus ``m``
months is no later than the month of ``as_of`` (the export date), or when the
graduate answered it.  Without ``as_of``, a follow-up counts as run for an
institution's graduating class (``institution_id`` x ``graduation_year``) when
at least one of them answered it.

The indicator values come from one set of definitions
(:mod:`outcomes.employment.definitions`) that both paths use: pandas here,
and a query engine (DuckDB, Spark, ... through Ibis) when the tables are
engine tables (:mod:`outcomes.employment.engine`).

Examples
--------
>>> import pandas as pd
>>> students = pd.DataFrame({"student_id": ["a", "b", "c"], "institution_id": "I1",
...     "program": ["integrated", "integrated", "traditional"], "cohort": 2019, "graduation_year": 2023})
>>> employment = pd.DataFrame({"student_id": ["a", "c"], "months_after_graduation": 6,
...     "status": ["employed", "further_study"], "sector": ["cbec", None], "monthly_salary": [7000.0, None]})
>>> f = employment_indicators(students, employment, as_of="2024-06-30")
>>> f[["student_id", "responded", "destination_rate", "cbec_sector_share"]]
  student_id  responded  destination_rate  cbec_sector_share
0          a       True               1.0                1.0
1          b      False               NaN                NaN
2          c       True               1.0                NaN
>>> f["destination_rate_all_graduates"].tolist()
[1.0, 0.0, 1.0]
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, overload

import pandas as pd

from data_schema.arguments import check_columns
from data_schema.engine import is_engine_table
from data_schema.errors import ArgumentError, DataQualityWarning
from outcomes.employment.definitions import (
    DESTINATION,
    KEY,
    STUDENT_COLUMNS,
    WORKING,
    PandasColumns,
    duplicate_message,
    employment_definitions,
    month_index,
    unmatched_message,
)
from outcomes.employment.engine import engine_employment_indicators

if TYPE_CHECKING:
    from ibis.expr.types import Table

__all__ = ["employment_indicators", "due_follow_ups", "WORKING", "DESTINATION"]


def due_follow_ups(graduates: pd.DataFrame, employment: pd.DataFrame, months: Sequence[int], *,
                   as_of: date | str | None, graduation_month: int) -> pd.DataFrame:
    """Every graduate x follow-up that was due (see the module notes), with ``responded``."""
    grid = graduates.merge(pd.DataFrame({"months_after_graduation": list(months)}), how="cross")
    answered = employment[KEY].assign(responded=True)
    grid = grid.merge(answered, on=KEY, how="left", validate="one_to_one")
    grid["responded"] = grid["responded"].fillna(False).astype(bool)
    if as_of is not None:
        when = grid["graduation_year"].to_numpy(dtype=int) * 12 + graduation_month - 1
        due = when + grid["months_after_graduation"].to_numpy(dtype=int) <= month_index(as_of)
    else:
        run = grid.loc[grid["responded"], ["institution_id", "graduation_year", "months_after_graduation"]]
        keys = ["institution_id", "graduation_year", "months_after_graduation"]
        due = grid[keys].merge(run.drop_duplicates().assign(_run=True), on=keys, how="left")["_run"]
        due = due.fillna(False).to_numpy(dtype=bool)
    return grid[due | grid["responded"].to_numpy()].reset_index(drop=True)


def _unmatched(employment: pd.DataFrame, frame: pd.DataFrame) -> None:
    kept = employment[KEY].merge(frame.loc[frame["responded"], KEY], on=KEY, how="left", indicator=True)
    lost = int((kept["_merge"] == "left_only").sum())
    if lost:
        warnings.warn(unmatched_message(lost), DataQualityWarning, stacklevel=3)


def _indicators(f: pd.DataFrame, first: int, satisfied_from: int) -> pd.DataFrame:
    values = employment_definitions(PandasColumns(f), first=first, satisfied_from=satisfied_from)
    return pd.DataFrame(values, index=f.index)


@overload
def employment_indicators(students: pd.DataFrame, employment: pd.DataFrame, *, as_of: date | str | None = ...,
                          follow_ups: Sequence[int] | None = ..., graduation_month: int = ...,
                          satisfied_from: int = ...) -> pd.DataFrame: ...
@overload
def employment_indicators(students: Table, employment: Table, *, as_of: date | str | None = ...,
                          follow_ups: Sequence[int] | None = ..., graduation_month: int = ...,
                          satisfied_from: int = ...) -> Table: ...
def employment_indicators(
    students: pd.DataFrame | Table,
    employment: pd.DataFrame | Table,
    *,
    as_of: date | str | None = None,
    follow_ups: Sequence[int] | None = None,
    graduation_month: int = 6,
    satisfied_from: int = 4,
) -> pd.DataFrame | Table:
    """One row a graduate x due follow-up, with ``responded`` and every employment indicator.

    Parameters
    ----------
    students
        The students table (``student_id``, ``institution_id``, ``program``, ``graduation_year`` and any
        covariates, which are carried along for grouping and for the non-response table): a pandas
        DataFrame, or an Ibis table in a query engine (DuckDB, Spark, ...; then ``employment`` too).
    employment
        The employment table (``student_id``, ``months_after_graduation``, ``status`` and the optional columns
        ``sector``, ``field_match``, ``monthly_salary``, ``employer_country``, ``employer_satisfaction``),
        of the same kind as ``students``.
    as_of
        Export date; decides which follow-ups were due (see the module notes).  Default: inferred from who
        answered.
    follow_ups
        Months after graduation to report; default every value in ``employment``.
    graduation_month
        Month of graduation (default June).
    satisfied_from
        Lowest employer rating that counts as satisfied (default 4 on the 1-5 scale).

    Returns
    -------
    pandas.DataFrame or ibis.expr.types.Table
        The students' columns, ``months_after_graduation``, ``responded``, the employment table's columns and
        one float column per employment indicator of :data:`outcomes.INDICATORS` (NaN outside its population).
        ``monthly_salary`` and ``employer_satisfaction`` are the indicator columns: the table's values
        restricted to the indicator's population.  ``starting_salary`` is the salary at the earliest
        follow-up in ``follow_ups``.  The same kind of table as the inputs: a DataFrame sorted by student
        and follow-up, or a lazy engine table (no row order, NULL for NaN) that
        :func:`outcomes.summarise`, :func:`outcomes.response_rates` and :func:`outcomes.nonresponse_bounds`
        reduce inside the engine.

    Raises
    ------
    ArgumentError
        Duplicate student x follow-up rows, no follow-up to report, a graduation month outside 1-12, or one
        table in pandas and the other in an engine.

    Warns
    -----
    DataQualityWarning
        When employment rows cannot be placed (no graduation year, or a follow-up not asked for).

    Notes
    -----
    Both kinds of input go through the same definitions
    (:func:`outcomes.employment.definitions.employment_definitions`); the engine path
    (:func:`outcomes.employment.engine.engine_employment_indicators`) builds the rows as one query and
    only brings back the counts its checks need.
    """
    if not 1 <= graduation_month <= 12:
        raise ArgumentError(f"graduation_month={graduation_month!r} is not a month; use 1-12")
    engine = is_engine_table(students), is_engine_table(employment)
    if any(engine):
        if not all(engine):
            raise ArgumentError("students and employment must both be pandas DataFrames or both tables of one "
                                f"query engine; received {type(students).__name__} and "
                                f"{type(employment).__name__} (load both into the engine, e.g. "
                                "con.create_table(name, frame))")
        return engine_employment_indicators(students, employment, as_of=as_of, follow_ups=follow_ups,
                                            graduation_month=graduation_month, satisfied_from=satisfied_from)
    check_columns(students, STUDENT_COLUMNS, what="students")
    check_columns(employment, (*KEY, "status"), what="employment")
    months = sorted(int(m) for m in (follow_ups if follow_ups is not None
                                     else employment["months_after_graduation"].dropna().unique()))
    if not months:
        raise ArgumentError("no follow-ups: the employment table is empty and follow_ups was not given")
    dup = employment.duplicated(KEY)
    if dup.any():
        first = employment.loc[dup, KEY].iloc[0]
        raise ArgumentError(duplicate_message(int(dup.sum()), first["student_id"], first["months_after_graduation"]))
    graduates = students[students["graduation_year"].notna()]
    emp = employment[employment["months_after_graduation"].isin(months)]
    frame = due_follow_ups(graduates, emp, months, as_of=as_of, graduation_month=graduation_month)
    frame = frame.merge(emp, on=KEY, how="left", validate="one_to_one")
    _unmatched(employment, frame)
    frame = frame.sort_values(["student_id", "months_after_graduation"], kind="stable").reset_index(drop=True)
    indicators = _indicators(frame, months[0], satisfied_from)
    return pd.concat([frame.drop(columns=[c for c in indicators.columns if c in frame.columns]), indicators], axis=1)
