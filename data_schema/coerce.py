"""Turn raw cell values into typed columns, recording every repair and every failure.

Each column is coerced by its kind (see :mod:`data_schema.schemas.fields`):

========  ==================================================================
text      trimmed; empty = missing; a formula-like value fails ``formula_like``
code      as text, then lower-cased (``case_normalised``)
integer   whole numbers (``3`` or ``3.0``); anything else fails ``not_integer``
number    decimal numbers; ``8k`` or ``1,200`` fail ``not_number``
date      ISO 8601 ``YYYY-MM-DD``; ``YYYY/MM/DD`` and ``YYYY.MM.DD`` are rewritten
          (``date_normalised``); day-month orders such as ``15/03/2024`` are
          ambiguous and fail ``not_date``
boolean   true/false, yes/no, 1/0, t/f, 是/否; else ``not_boolean``
========  ==================================================================

Work is done on the distinct values of a column, so a ten-million-row column
with a few hundred distinct answers costs a few hundred conversions.

Examples
--------
>>> import pandas as pd
>>> frame = pd.DataFrame({"d": ["2024-03-15", "2024/3/5", "15/03/2024"]},
...                      index=pd.Index([2, 3, 4], name="row"))
>>> out = coerce_column(frame["d"], "date", "d")
>>> out.values.dt.strftime("%Y-%m-%d").tolist()[:2], out.failures["rule"].tolist()
(['2024-03-15', '2024-03-05'], ['not_date'])
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

__all__ = ["CoercedColumn", "coerce_column", "FAILURE_COLUMNS", "to_text", "failure_frame"]

FAILURE_COLUMNS = ["row", "column", "value", "rule", "message"]
_FORMULA = r"^(?:[=@\t\r]|[+\-][^\d.])"
_TRUE = {"true", "t", "yes", "y", "1", "1.0", "是", "对"}
_FALSE = {"false", "f", "no", "n", "0", "0.0", "否", "错"}
_YMD = re.compile(r"^(\d{4})[/.](\d{1,2})[/.](\d{1,2})$")


@dataclass(frozen=True)
class CoercedColumn:
    """A typed column with the failures and repairs met on the way."""

    values: pd.Series
    failures: pd.DataFrame
    fixes: dict[str, int] = field(default_factory=dict)


def failure_frame(rows: pd.Index | np.ndarray, column: str, values: pd.Series | list, rule: str,
                  message: str) -> pd.DataFrame:
    """Failure records in the standard layout (one row a failing cell)."""
    rows = np.asarray(rows, dtype="int64")
    return pd.DataFrame(
        {
            "row": rows,
            "column": column,
            "value": pd.Series(values, dtype="str").fillna("").to_numpy() if len(rows) else [],
            "rule": rule,
            "message": message,
        },
        columns=FAILURE_COLUMNS,
    )


def _one_text(value: object) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dt.datetime, pd.Timestamp)):
        stamp = pd.Timestamp(value)
        return stamp.strftime("%Y-%m-%d") if stamp == stamp.normalize() else stamp.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def to_text(series: pd.Series) -> pd.Series:
    """Any raw column as strings (missing stays missing), integral floats without ``.0``."""
    if isinstance(series.dtype, pd.StringDtype):
        return series
    if ptypes.is_integer_dtype(series.dtype) and not ptypes.is_bool_dtype(series.dtype):
        return series.astype("Int64").astype("str").where(series.notna())
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    converted = np.array([_one_text(u) for u in uniques] + [None], dtype=object)
    return pd.Series(converted[codes], index=series.index, dtype="str")


def _clean_text(series: pd.Series) -> tuple[pd.Series, pd.Series, int]:
    """(original text, trimmed text with '' -> NA, number of values trimmed)."""
    text = to_text(series)
    stripped = text.str.strip()
    trimmed = int(((stripped != text) & text.notna()).sum())
    if not trimmed:
        stripped = text  # share the array: no copy of a clean column
    empty = stripped == ""
    return text, (stripped.mask(empty) if empty.any() else stripped), trimmed


def _failed(original: pd.Series, mask: pd.Series, column: str, rule: str, message: str) -> pd.DataFrame:
    mask = mask.fillna(False).astype(bool)
    return failure_frame(original.index[mask.to_numpy()], column, original[mask], rule, message)


def _text_kind(series: pd.Series, column: str, lower: bool) -> CoercedColumn:
    original, values, trimmed = _clean_text(series)
    fixes = {"whitespace_trimmed": trimmed} if trimmed else {}
    bad = values.str.contains(_FORMULA, regex=True).fillna(False).astype(bool)
    if bad.any():
        values = values.mask(bad)
    if lower:
        lowered = values.str.lower()
        changed = int(((lowered != values) & values.notna()).sum())
        if changed:
            fixes["case_normalised"] = changed
            values = lowered
    failures = _failed(original, bad, column, "formula_like",
                       "looks like a spreadsheet formula; formulas are never evaluated or copied")
    return CoercedColumn(values, failures, fixes)


def _numeric_kind(series: pd.Series, column: str, integer: bool) -> CoercedColumn:
    if ptypes.is_numeric_dtype(series.dtype) and not ptypes.is_bool_dtype(series.dtype):
        original, numbers, fixes = series, series.astype("float64"), {}
    else:
        original, text, trimmed = _clean_text(series)
        fixes = {"whitespace_trimmed": trimmed} if trimmed else {}
        codes, uniques = pd.factorize(text, use_na_sentinel=True)
        parsed = pd.to_numeric(pd.Series(uniques, dtype="str"), errors="coerce").to_numpy(dtype="float64",
                                                                                           na_value=np.nan)
        numbers = pd.Series(np.append(parsed, np.nan)[codes], index=series.index)
        bad = text.notna() & numbers.isna()
        if bad.any():
            rule, msg = ("not_integer", "not a whole number") if integer else ("not_number", "not a number")
            return _finish_numeric(numbers.mask(bad), original, bad, column, rule, msg, integer, fixes)
    bad = pd.Series(False, index=series.index)
    return _finish_numeric(numbers, original, bad, column, "", "", integer, fixes)


def _finish_numeric(numbers: pd.Series, original: pd.Series, bad: pd.Series, column: str, rule: str,
                    msg: str, integer: bool, fixes: dict[str, int]) -> CoercedColumn:
    failures = [_failed(original, bad, column, rule, msg)] if bad.any() else []
    infinite = np.isinf(numbers.to_numpy(dtype="float64", na_value=np.nan))
    if infinite.any():
        mask = pd.Series(infinite, index=numbers.index)
        failures.append(_failed(original, mask, column, "not_integer" if integer else "not_number",
                                "not a finite number"))
        numbers = numbers.mask(mask)
    if integer:
        fractional = numbers.notna() & (numbers % 1 != 0)
        if fractional.any():
            failures.append(_failed(original, fractional, column, "not_integer", "not a whole number"))
            numbers = numbers.mask(fractional)
        values = numbers.astype("Int64")
    else:
        values = numbers
    merged = pd.concat(failures, ignore_index=True) if failures else failure_frame([], column, [], "", "")
    return CoercedColumn(values, merged, fixes)


def _parse_date(text: str) -> tuple[pd.Timestamp | None, bool]:
    """(timestamp or None, whether it was rewritten from a non-ISO form)."""
    match = _YMD.match(text)
    if match:
        year, month, day = (int(g) for g in match.groups())
        try:
            return pd.Timestamp(year=year, month=month, day=day), True
        except ValueError:
            return None, False
    try:
        stamp = pd.to_datetime(text, format="ISO8601")
    except (ValueError, OverflowError):
        return None, False
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert(None)
    return stamp, False


def _date_kind(series: pd.Series, column: str) -> CoercedColumn:
    if ptypes.is_datetime64_any_dtype(series.dtype):
        return CoercedColumn(series.astype("datetime64[ns]"), failure_frame([], column, [], "", ""))
    original, text, trimmed = _clean_text(series)
    fixes = {"whitespace_trimmed": trimmed} if trimmed else {}
    codes, uniques = pd.factorize(text, use_na_sentinel=True)
    parsed = [_parse_date(u) for u in uniques]
    stamps = pd.DatetimeIndex([p[0] for p in parsed] + [None]).as_unit("ns").to_numpy()
    rewritten = np.array([p[1] for p in parsed] + [False])
    failed_u = np.array([p[0] is None for p in parsed] + [False])
    values = pd.Series(stamps[codes], index=series.index)
    if rewritten[codes].any():
        fixes["date_normalised"] = int(rewritten[codes].sum())
    bad = pd.Series(failed_u[codes], index=series.index)
    failures = _failed(original, bad, column, "not_date",
                       "not a date in YYYY-MM-DD form (day/month orders are ambiguous)")
    return CoercedColumn(values, failures, fixes)


def _boolean_kind(series: pd.Series, column: str) -> CoercedColumn:
    original, text, trimmed = _clean_text(series)
    fixes = {"whitespace_trimmed": trimmed} if trimmed else {}
    lowered = text.str.lower()
    truth = lowered.isin(_TRUE)
    falsity = lowered.isin(_FALSE)
    bad = lowered.notna() & ~truth & ~falsity
    values = pd.Series(pd.NA, index=series.index, dtype="boolean")
    values[truth.to_numpy(dtype=bool)] = True
    values[falsity.to_numpy(dtype=bool)] = False
    failures = _failed(original, bad, column, "not_boolean", "not true/false (or yes/no, 1/0)")
    return CoercedColumn(values, failures, fixes)


def coerce_column(series: pd.Series, kind: str, column: str) -> CoercedColumn:
    """Coerce one raw column to its kind; see the module docstring for the rules."""
    if kind in ("text", "code"):
        return _text_kind(series, column, lower=kind == "code")
    if kind in ("integer", "number"):
        return _numeric_kind(series, column, integer=kind == "integer")
    if kind == "date":
        return _date_kind(series, column)
    if kind == "boolean":
        return _boolean_kind(series, column)
    raise ValueError(f"unknown column kind {kind!r}")
