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

import numpy as np
import pandas as pd

from data_schema.arguments import check_columns
from data_schema.errors import ArgumentError, DataQualityWarning

__all__ = ["employment_indicators", "due_follow_ups", "WORKING", "DESTINATION"]

WORKING = ("employed", "self_employed")
"""Statuses that count as in work."""
DESTINATION = ("employed", "self_employed", "further_study")
"""Statuses that count as a graduate destination (去向落实)."""

_STUDENT_COLUMNS = ("student_id", "institution_id", "program", "graduation_year")
_KEY = ["student_id", "months_after_graduation"]


def _month_index(value: date | str) -> int:
    d = pd.Timestamp(value)
    return d.year * 12 + d.month - 1


def due_follow_ups(graduates: pd.DataFrame, employment: pd.DataFrame, months: Sequence[int], *,
                   as_of: date | str | None, graduation_month: int) -> pd.DataFrame:
    """Every graduate x follow-up that was due (see the module notes), with ``responded``."""
    grid = graduates.merge(pd.DataFrame({"months_after_graduation": list(months)}), how="cross")
    answered = employment[_KEY].assign(responded=True)
    grid = grid.merge(answered, on=_KEY, how="left", validate="one_to_one")
    grid["responded"] = grid["responded"].fillna(False).astype(bool)
    if as_of is not None:
        when = grid["graduation_year"].to_numpy(dtype=int) * 12 + graduation_month - 1
        due = when + grid["months_after_graduation"].to_numpy(dtype=int) <= _month_index(as_of)
    else:
        run = grid.loc[grid["responded"], ["institution_id", "graduation_year", "months_after_graduation"]]
        keys = ["institution_id", "graduation_year", "months_after_graduation"]
        due = grid[keys].merge(run.drop_duplicates().assign(_run=True), on=keys, how="left")["_run"]
        due = due.fillna(False).to_numpy(dtype=bool)
    return grid[due | grid["responded"].to_numpy()].reset_index(drop=True)


def _unmatched(employment: pd.DataFrame, frame: pd.DataFrame) -> None:
    kept = employment[_KEY].merge(frame.loc[frame["responded"], _KEY], on=_KEY, how="left", indicator=True)
    lost = int((kept["_merge"] == "left_only").sum())
    if lost:
        warnings.warn(
            f"{lost} employment row(s) were left out of the indicators: their student has no graduation year "
            "in the students table, or their follow-up is not among the follow-ups asked for",
            DataQualityWarning, stacklevel=3)


def _share(condition: np.ndarray, population: np.ndarray) -> np.ndarray:
    return np.where(population, condition.astype(float), np.nan)


def _column(frame: pd.DataFrame, name: str, dtype: str = "object") -> pd.Series:
    return frame[name] if name in frame.columns else pd.Series(pd.NA, index=frame.index, dtype=dtype)


def _indicators(f: pd.DataFrame, first: int, satisfied_from: int) -> pd.DataFrame:
    responded = f["responded"].to_numpy(dtype=bool)
    status = f["status"].astype(object).to_numpy()
    working = responded & np.isin(status, WORKING)
    sector = _column(f, "sector").astype(object).to_numpy()
    has_sector = working & pd.notna(sector)
    match = _column(f, "field_match", "boolean").astype("boolean")
    country = _column(f, "employer_country").astype("string").str.lower()
    salary = _column(f, "monthly_salary", "Float64").astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    rating = _column(f, "employer_satisfaction", "Float64").astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    rated = responded & (status == "employed") & ~np.isnan(rating)
    with_salary = working & ~np.isnan(salary)
    out = {
        "response_rate": responded.astype(float),
        "destination_rate": _share(np.isin(status, DESTINATION), responded),
        "destination_rate_all_graduates": (responded & np.isin(status, DESTINATION)).astype(float),
        "employment_rate": _share(np.isin(status, WORKING), responded),
        "contract_employment_rate": _share(status == "employed", responded),
        "self_employment_rate": _share(status == "self_employed", responded),
        "further_study_rate": _share(status == "further_study", responded),
        "seeking_rate": _share(status == "seeking", responded),
        "cbec_sector_share": _share(sector == "cbec", has_sector),
        "cultural_exchange_share": _share(sector == "cultural_exchange", has_sector),
        "target_sector_share": _share(np.isin(sector, ("cbec", "cultural_exchange")), has_sector),
        "field_match_rate": _share(match.fillna(False).to_numpy(dtype=bool), working & match.notna().to_numpy()),
        "working_abroad_share": _share((country != "cn").fillna(False).to_numpy(dtype=bool),
                                       working & country.notna().to_numpy()),
        "monthly_salary": np.where(with_salary, salary, np.nan),
        "starting_salary": np.where(with_salary & (f["months_after_graduation"].to_numpy() == first), salary, np.nan),
        "employer_satisfaction": np.where(rated, rating, np.nan),
        "employer_satisfied_rate": _share(rating >= satisfied_from, rated),
    }
    return pd.DataFrame(out, index=f.index)


def employment_indicators(
    students: pd.DataFrame,
    employment: pd.DataFrame,
    *,
    as_of: date | str | None = None,
    follow_ups: Sequence[int] | None = None,
    graduation_month: int = 6,
    satisfied_from: int = 4,
) -> pd.DataFrame:
    """One row a graduate x due follow-up, with ``responded`` and every employment indicator.

    Parameters
    ----------
    students
        The students table (``student_id``, ``institution_id``, ``program``, ``graduation_year`` and any
        covariates, which are carried along for grouping and for the non-response table).
    employment
        The employment table (``student_id``, ``months_after_graduation``, ``status`` and the optional columns
        ``sector``, ``field_match``, ``monthly_salary``, ``employer_country``, ``employer_satisfaction``).
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
    pandas.DataFrame
        The students' columns, ``months_after_graduation``, ``responded``, the employment table's columns and
        one float column per employment indicator of :data:`outcomes.INDICATORS` (NaN outside its population).
        ``monthly_salary`` and ``employer_satisfaction`` are the indicator columns: the table's values
        restricted to the indicator's population.  ``starting_salary`` is the salary at the earliest
        follow-up in ``follow_ups``.

    Warns
    -----
    DataQualityWarning
        When employment rows cannot be placed (no graduation year, or a follow-up not asked for).
    """
    check_columns(students, _STUDENT_COLUMNS, what="students")
    check_columns(employment, (*_KEY, "status"), what="employment")
    if not 1 <= graduation_month <= 12:
        raise ArgumentError(f"graduation_month={graduation_month!r} is not a month; use 1-12")
    months = sorted(int(m) for m in (follow_ups if follow_ups is not None
                                     else employment["months_after_graduation"].dropna().unique()))
    if not months:
        raise ArgumentError("no follow-ups: the employment table is empty and follow_ups was not given")
    dup = employment.duplicated(_KEY)
    if dup.any():
        first = employment.loc[dup, _KEY].iloc[0]
        raise ArgumentError(f"employment has {int(dup.sum())} duplicate student x follow-up row(s), e.g. "
                            f"student_id={first['student_id']!r} at {first['months_after_graduation']} months; "
                            "keep one row per student and follow-up")
    graduates = students[students["graduation_year"].notna()]
    emp = employment[employment["months_after_graduation"].isin(months)]
    frame = due_follow_ups(graduates, emp, months, as_of=as_of, graduation_month=graduation_month)
    frame = frame.merge(emp, on=_KEY, how="left", validate="one_to_one")
    _unmatched(employment, frame)
    frame = frame.sort_values(["student_id", "months_after_graduation"], kind="stable").reset_index(drop=True)
    indicators = _indicators(frame, months[0], satisfied_from)
    return pd.concat([frame.drop(columns=[c for c in indicators.columns if c in frame.columns]), indicators], axis=1)
