"""Coercion of raw cells to typed values: every repair counted, every failure recorded with row and value."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from data_schema.coerce import FAILURE_COLUMNS, coerce_column, to_text


def _column(values: list, dtype: str | None = "str") -> pd.Series:
    return pd.Series(values, index=pd.Index(range(2, 2 + len(values)), name="row"), dtype=dtype)


def _failed(result) -> list[list]:
    return result.failures[["row", "value", "rule"]].values.tolist()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("3", 3), ("3.0", 3), (" 4 ", 4), ("-2", -2), ("1e2", 100), (None, pd.NA), ("", pd.NA), ("  ", pd.NA)],
)
def test_integer_accepts_whole_numbers(raw, expected):
    out = coerce_column(_column([raw]), "integer", "wave")
    assert out.failures.empty
    assert out.values.dtype == "Int64"
    value = out.values.iloc[0]
    assert (value is pd.NA and expected is pd.NA) or value == expected


@pytest.mark.parametrize("raw", ["3.5", "six", "1,200", "8k", "inf", "-inf", "3 4", "0x10"])
def test_integer_rejects(raw):
    out = coerce_column(_column(["1", raw]), "integer", "wave")
    assert _failed(out) == [[3, raw, "not_integer"]]
    assert out.values.isna().tolist() == [False, True]


@pytest.mark.parametrize("raw", ["8k", "1,200", "abc", "inf", "12 000", "¥500"])
def test_number_rejects(raw):
    out = coerce_column(_column([raw]), "number", "monthly_salary")
    assert _failed(out) == [[2, raw, "not_number"]]
    assert out.failures["message"].iloc[0].startswith("not a")


@pytest.mark.parametrize(("raw", "expected"), [("8500", 8500.0), ("8500.50", 8500.5), (" 0 ", 0.0), ("-1", -1.0)])
def test_number_accepts(raw, expected):
    out = coerce_column(_column([raw]), "number", "monthly_salary")
    assert out.failures.empty
    assert out.values.iloc[0] == expected


def test_numeric_dtype_column_is_checked_for_whole_numbers():
    out = coerce_column(_column([6.0, 6.5, np.nan], dtype="float64"), "integer", "months_after_graduation")
    assert _failed(out) == [[3, "6.5", "not_integer"]]
    assert out.values.tolist()[0] == 6


def test_whitespace_trim_is_counted():
    out = coerce_column(_column([" 6", "6 ", "6", None]), "integer", "wave")
    assert out.fixes == {"whitespace_trimmed": 2}


@pytest.mark.parametrize(
    ("raw", "iso", "fixed"),
    [
        ("2024-03-15", "2024-03-15", False),
        ("2024/03/15", "2024-03-15", True),
        ("2024.03.15", "2024-03-15", True),
        ("2024/3/5", "2024-03-05", True),
        ("2024-03-15T10:30:00", "2024-03-15 10:30:00", False),
    ],
)
def test_dates_in_year_first_form(raw, iso, fixed):
    out = coerce_column(_column([raw]), "date", "surveyed_on")
    assert out.failures.empty
    assert out.values.iloc[0] == pd.Timestamp(iso)
    assert out.fixes == ({"date_normalised": 1} if fixed else {})


@pytest.mark.parametrize("raw", ["15/03/2024", "03/15/2024", "15.03.2024", "2024-02-30", "2024/13/01",
                                 "March 15, 2024", "yesterday"])
def test_ambiguous_or_impossible_dates_fail(raw):
    out = coerce_column(_column([raw]), "date", "surveyed_on")
    assert _failed(out) == [[2, raw, "not_date"]]
    assert out.fixes == {}
    assert pd.isna(out.values.iloc[0])


def test_datetime_column_passes_through():
    stamps = pd.Series(pd.to_datetime(["2024-03-15", None]), index=pd.Index([2, 3], name="row"))
    out = coerce_column(stamps, "date", "surveyed_on")
    assert out.failures.empty
    assert out.values.iloc[0] == pd.Timestamp("2024-03-15") and pd.isna(out.values.iloc[1])


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("true", True), ("Yes", True), ("1", True), ("T", True), ("是", True),
     ("false", False), ("NO", False), ("0", False), ("否", False), (None, None)],
)
def test_booleans(raw, expected):
    out = coerce_column(_column([raw]), "boolean", "field_match")
    assert out.failures.empty
    value = out.values.iloc[0]
    assert (value is pd.NA) if expected is None else bool(value) is expected


@pytest.mark.parametrize("raw", ["maybe", "2", "y es"])
def test_boolean_rejects(raw):
    assert _failed(coerce_column(_column([raw]), "boolean", "field_match")) == [[2, raw, "not_boolean"]]


def test_codes_are_lower_cased_and_counted():
    out = coerce_column(_column(["Employed", "employed", " SEEKING ", None]), "code", "status")
    assert out.values.tolist()[:3] == ["employed", "employed", "seeking"]
    assert out.fixes == {"whitespace_trimmed": 1, "case_normalised": 2}


def test_text_keeps_case():
    out = coerce_column(_column(["Class A", " I01 "]), "text", "class_id")
    assert out.values.tolist() == ["Class A", "I01"]
    assert out.fixes == {"whitespace_trimmed": 1}


@pytest.mark.parametrize(
    "raw",
    ['=HYPERLINK("http://example.invalid","x")', "=1+1", "@SUM(A1:A2)", "+A1", "-A1", "--1", " =cmd|' /C calc'!A0"],
)
def test_formula_like_text_fails(raw):
    out = coerce_column(_column([raw]), "text", "rater_id")
    assert _failed(out) == [[2, raw, "formula_like"]]
    assert pd.isna(out.values.iloc[0])
    assert "never evaluated" in out.failures["message"].iloc[0]


@pytest.mark.parametrize("raw", ["-5", "+86 138 0000 0000", "-.5", "a=b", "T-01", "+"])
def test_text_that_merely_contains_signs_is_fine(raw):
    assert coerce_column(_column([raw]), "text", "rater_id").failures.empty


def test_failure_layout_and_unknown_kind():
    out = coerce_column(_column(["x"]), "integer", "wave")
    assert out.failures.columns.tolist() == FAILURE_COLUMNS
    assert out.failures["column"].tolist() == ["wave"]
    with pytest.raises(ValueError, match="unknown column kind 'currency'"):
        coerce_column(_column(["x"]), "currency", "wave")


def test_to_text_renders_values_as_a_person_typed_them():
    raw = pd.Series([2019011203.0, 6, True, dt.date(2024, 3, 15), pd.Timestamp("2024-03-15"), None, "x"],
                    dtype=object)
    assert to_text(raw).tolist()[:5] == ["2019011203", "6", "true", "2024-03-15", "2024-03-15"]
    assert pd.isna(to_text(raw).iloc[5])
    assert to_text(pd.Series([1, 2], dtype="int64")).tolist() == ["1", "2"]
