"""The employment indicators' definitions, written once for pandas and for query engines.

Each employment indicator of :data:`outcomes.INDICATORS` is a *population* (who is counted in the
denominator) and a *value* for the people in it (a 0/1 condition for proportions, a number for salaries
and ratings).  :func:`employment_definitions` states every one of them in terms of a few column
primitives -- "is this code one of these", "is this value known", "this value is at least k" -- that two
adapters implement: :class:`PandasColumns` on a DataFrame (numpy arrays) and :class:`EngineColumns` on an
Ibis table (expressions that run inside DuckDB, Spark, ...).  The definitions therefore cannot drift
apart between the two paths; the adapters only differ in how a missing value is read, and both read it
the same way: a missing code is in no list, a missing number is not known and is below every threshold.

The due-date rule and the messages shared by both paths live here too.

Examples
--------
>>> import pandas as pd
>>> rows = pd.DataFrame({"responded": [True, True, False], "months_after_graduation": 6,
...                      "status": ["employed", "seeking", None], "sector": ["cbec", None, None]})
>>> values = employment_definitions(PandasColumns(rows), first=6, satisfied_from=4)
>>> values["employment_rate"].tolist(), values["cbec_sector_share"].tolist()
([1.0, 0.0, nan], [1.0, nan, nan])
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from ibis.expr.types import BooleanValue, FloatingValue, Table

__all__ = [
    "DESTINATION",
    "EngineColumns",
    "KEY",
    "PandasColumns",
    "STUDENT_COLUMNS",
    "WORKING",
    "duplicate_message",
    "employment_definitions",
    "month_index",
    "unmatched_message",
]

WORKING = ("employed", "self_employed")
"""Statuses that count as in work."""
DESTINATION = ("employed", "self_employed", "further_study")
"""Statuses that count as a graduate destination (去向落实)."""

STUDENT_COLUMNS = ("student_id", "institution_id", "program", "graduation_year")
"""Columns of the students table the employment indicators need."""
KEY = ["student_id", "months_after_graduation"]
"""One employment row per student and follow-up."""


class Columns(Protocol):
    """What :func:`employment_definitions` needs from a table: masks (booleans, never missing) and values."""

    def everyone(self) -> Any:
        """A mask true in every row."""

    def flag(self, name: str) -> Any:
        """A boolean column, missing (or absent) read as false."""

    def known(self, name: str) -> Any:
        """Whether the column holds a value (NaN counts as missing)."""

    def isin(self, name: str, codes: Sequence[str], *, lower: bool = False) -> Any:
        """Whether the code is one of ``codes`` (after lower-casing with ``lower``); missing is in no list."""

    def equals(self, name: str, value: int) -> Any:
        """Whether the number equals ``value``; missing is false."""

    def at_least(self, name: str, value: float) -> Any:
        """Whether the number is known and at least ``value``."""

    def share(self, condition: Any, population: Any) -> Any:
        """1.0 where ``condition``, 0.0 where not, inside ``population``; missing outside it."""

    def measure(self, name: str, population: Any) -> Any:
        """The number as float inside ``population``; missing outside it."""


def employment_definitions(cols: Columns, *, first: int, satisfied_from: int) -> dict[str, Any]:
    """Every employment indicator's column, in catalogue order, from one graduate x follow-up per row.

    Parameters
    ----------
    cols
        The rows, through :class:`PandasColumns` or :class:`EngineColumns`.  They hold ``responded`` and
        ``months_after_graduation`` and the employment columns (``status``; optional ``sector``,
        ``field_match``, ``monthly_salary``, ``employer_country``, ``employer_satisfaction``).
    first
        The earliest follow-up reported (``starting_salary`` is the salary there).
    satisfied_from
        Lowest employer rating that counts as satisfied.

    Returns
    -------
    dict of str to column
        Indicator name -> float values (numpy arrays or Ibis expressions), missing outside the population
        that :data:`outcomes.INDICATORS` states.

    Notes
    -----
    With :math:`R` = responded, :math:`W = R \\wedge` status in :data:`WORKING`: destination, employment,
    contract, self-employment, further-study and seeking rates are status conditions over :math:`R`; the
    sector shares are over :math:`W \\wedge` sector known; field match over :math:`W \\wedge` field_match
    known; working abroad (employer country other than ``cn``, any case) over :math:`W \\wedge` country
    known; salaries over :math:`W \\wedge` salary known (starting salary also at the ``first`` follow-up);
    the employer rating and the satisfied share over :math:`R \\wedge` status employed :math:`\\wedge`
    rating known.  The response rate and the all-graduates destination rate are over every row.
    """
    everyone = cols.everyone()
    responded = cols.flag("responded")
    working = responded & cols.isin("status", WORKING)
    has_sector = working & cols.known("sector")
    with_salary = working & cols.known("monthly_salary")
    rated = responded & cols.isin("status", ("employed",)) & cols.known("employer_satisfaction")
    placed = cols.isin("status", DESTINATION)
    return {
        "response_rate": cols.share(responded, everyone),
        "destination_rate": cols.share(placed, responded),
        "destination_rate_all_graduates": cols.share(responded & placed, everyone),
        "employment_rate": cols.share(cols.isin("status", WORKING), responded),
        "contract_employment_rate": cols.share(cols.isin("status", ("employed",)), responded),
        "self_employment_rate": cols.share(cols.isin("status", ("self_employed",)), responded),
        "further_study_rate": cols.share(cols.isin("status", ("further_study",)), responded),
        "seeking_rate": cols.share(cols.isin("status", ("seeking",)), responded),
        "cbec_sector_share": cols.share(cols.isin("sector", ("cbec",)), has_sector),
        "cultural_exchange_share": cols.share(cols.isin("sector", ("cultural_exchange",)), has_sector),
        "target_sector_share": cols.share(cols.isin("sector", ("cbec", "cultural_exchange")), has_sector),
        "field_match_rate": cols.share(cols.flag("field_match"), working & cols.known("field_match")),
        "working_abroad_share": cols.share(~cols.isin("employer_country", ("cn",), lower=True),
                                           working & cols.known("employer_country")),
        "monthly_salary": cols.measure("monthly_salary", with_salary),
        "starting_salary": cols.measure("monthly_salary",
                                        with_salary & cols.equals("months_after_graduation", first)),
        "employer_satisfaction": cols.measure("employer_satisfaction", rated),
        "employer_satisfied_rate": cols.share(cols.at_least("employer_satisfaction", satisfied_from), rated),
    }


class PandasColumns:
    """The column primitives on a pandas DataFrame (numpy arrays out).

    Parameters
    ----------
    frame
        The rows; an absent optional column reads as missing in every row.
    """

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame

    def _get(self, name: str) -> pd.Series | None:
        return self.frame[name] if name in self.frame.columns else None

    def _number(self, name: str) -> np.ndarray:
        col = self._get(name)
        if col is None:
            return np.full(len(self.frame), np.nan)
        return col.astype("Float64").to_numpy(dtype=float, na_value=np.nan)

    def _none(self) -> np.ndarray:
        return np.zeros(len(self.frame), dtype=bool)

    def everyone(self) -> np.ndarray:
        """A mask true in every row."""
        return np.ones(len(self.frame), dtype=bool)

    def flag(self, name: str) -> np.ndarray:
        """A boolean column, missing read as false."""
        col = self._get(name)
        return self._none() if col is None else col.astype("boolean").fillna(False).to_numpy(dtype=bool)

    def known(self, name: str) -> np.ndarray:
        """Whether the column holds a value."""
        col = self._get(name)
        if col is None:
            return self._none()
        if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
            return ~np.isnan(self._number(name))
        return col.notna().to_numpy(dtype=bool)

    def isin(self, name: str, codes: Sequence[str], *, lower: bool = False) -> np.ndarray:
        """Whether the code is one of ``codes``."""
        col = self._get(name)
        if col is None:
            return self._none()
        if lower:
            col = col.astype("string").str.lower()
        return col.isin(list(codes)).fillna(False).to_numpy(dtype=bool)

    def equals(self, name: str, value: int) -> np.ndarray:
        """Whether the number equals ``value``."""
        return self._number(name) == value

    def at_least(self, name: str, value: float) -> np.ndarray:
        """Whether the number is known and at least ``value``."""
        return self._number(name) >= value

    def share(self, condition: np.ndarray, population: np.ndarray) -> np.ndarray:
        """1.0/0.0 inside ``population``, missing outside."""
        return np.where(population, condition.astype(float), np.nan)

    def measure(self, name: str, population: np.ndarray) -> np.ndarray:
        """The number inside ``population``, missing outside."""
        return np.where(population, self._number(name), np.nan)


class EngineColumns:
    """The column primitives on an Ibis table (expressions that run in its engine).

    SQL comparisons with a missing value are missing, not false; every mask is therefore closed with
    ``fill_null(False)``, so that the masks are plain booleans as in :class:`PandasColumns`.  Floating
    columns may hold NaN as well as NULL (Parquet keeps both); both are missing.

    Parameters
    ----------
    table
        The rows; an absent optional column reads as missing in every row.
    """

    def __init__(self, table: Table) -> None:
        import ibis

        self.table = table
        self._ibis = ibis

    def _get(self, name: str) -> Any:
        return self.table[name] if name in self.table.columns else None

    def _number(self, name: str) -> FloatingValue:
        return self.table[name].cast("float64")

    def _false(self) -> BooleanValue:
        return self._ibis.literal(False)

    def everyone(self) -> BooleanValue:
        """A mask true in every row."""
        return self._ibis.literal(True)

    def flag(self, name: str) -> BooleanValue:
        """A boolean column, missing read as false."""
        col = self._get(name)
        if col is None:
            return self._false()
        return (col if col.type().is_boolean() else col.cast("boolean")).fill_null(False)

    def known(self, name: str) -> BooleanValue:
        """Whether the column holds a value."""
        col = self._get(name)
        if col is None:
            return self._false()
        if col.type().is_floating():
            return (col.notnull() & ~col.isnan()).fill_null(False)
        return col.notnull()

    def isin(self, name: str, codes: Sequence[str], *, lower: bool = False) -> BooleanValue:
        """Whether the code is one of ``codes``."""
        col = self._get(name)
        if col is None:
            return self._false()
        col = col if col.type().is_string() else col.cast("string")
        return (col.lower() if lower else col).isin(list(codes)).fill_null(False)

    def equals(self, name: str, value: int) -> BooleanValue:
        """Whether the number equals ``value``."""
        return (self._number(name) == value).fill_null(False) if self._get(name) is not None else self._false()

    def at_least(self, name: str, value: float) -> BooleanValue:
        """Whether the number is known and at least ``value``."""
        # DuckDB orders NaN above every number, so the known check comes first
        return (self.known(name) & (self._number(name) >= value).fill_null(False)) \
            if self._get(name) is not None else self._false()

    def share(self, condition: BooleanValue, population: BooleanValue) -> FloatingValue:
        """1.0/0.0 inside ``population``, missing outside."""
        value = condition.ifelse(1.0, 0.0).cast("float64")
        return self._ibis.ifelse(population, value, self._ibis.null("float64"))

    def measure(self, name: str, population: BooleanValue) -> FloatingValue:
        """The number inside ``population``, missing outside."""
        if self._get(name) is None:
            return self._ibis.null("float64")
        return self._ibis.ifelse(population, self._number(name), self._ibis.null("float64"))


def month_index(value: date | str) -> int:
    """Months since year 0 of a date: ``year * 12 + month - 1`` (the due-date rule compares these)."""
    d = pd.Timestamp(value)
    return d.year * 12 + d.month - 1


def duplicate_message(count: int, student_id: Any, months: Any) -> str:
    """The error for duplicate student x follow-up rows in the employment table."""
    return (f"employment has {count} duplicate student x follow-up row(s), e.g. student_id={student_id!r} at "
            f"{months} months; keep one row per student and follow-up")


def unmatched_message(lost: int) -> str:
    """The warning for employment rows that no graduate x follow-up takes up."""
    return (f"{lost} employment row(s) were left out of the indicators: their student has no graduation year "
            "in the students table, or their follow-up is not among the follow-ups asked for")
