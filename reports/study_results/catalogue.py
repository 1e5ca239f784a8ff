"""The table catalogue: every table's columns and row order, and the function that puts a frame in that shape.

Examples
--------
>>> frame = pd.DataFrame({"table": ["students"], "rule": ["cohort: range"], "rows": [np.int64(3)], "x": [1]})
>>> out = finish("quarantine_rules", frame)
>>> list(out.columns), out["rows"].dtype.name
(['table', 'rule', 'rows'], 'int64')
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["TABLES", "TOTAL", "TableSpec", "finish"]

TOTAL = "All"
"""Label of margin rows in the indicator tables."""

_SUPPRESSION = ("suppressed", "suppression")
_INDICATOR = ("indicator", "indicator_label", "kind", "program", "cohort", "n", "numerator", "estimate", "std_error",
              "ci_low", "ci_high", "ci_level", "method", *_SUPPRESSION)


@dataclass(frozen=True)
class TableSpec:
    """Columns of a table in order, and the columns its rows are sorted by."""

    columns: tuple[str, ...]
    sort: tuple[str, ...]


TABLES: dict[str, TableSpec] = {
    "profile": TableSpec(("institution_id", "program", "cohort", "n", *_SUPPRESSION),
                         ("institution_id", "program", "cohort")),
    "profile_totals": TableSpec(("program", "cohort", "n", *_SUPPRESSION), ("program", "cohort")),
    "reliability": TableSpec(("instrument", "instrument_label", "instrument_label_zh", "scale", "wave", "wave_label",
                              "n", "k", "alpha", "alpha_ci_low", "alpha_ci_high", "omega", "omega_ci_low",
                              "omega_ci_high", "ci_level", "note", *_SUPPRESSION), ("instrument", "scale", "wave")),
    "competency_scores": TableSpec(("instrument", "instrument_label", "instrument_label_zh", "wave", "wave_label",
                                    "program", "n", "estimate", "std_error", "ci_low", "ci_high", "ci_level",
                                    *_SUPPRESSION), ("instrument", "wave", "program")),
    "growth": TableSpec(("instrument", "instrument_label", "term", "estimate", "std_error", "statistic", "p_value",
                         "ci_low", "ci_high", "ci_level", "n_obs", "n_clusters", "method", *_SUPPRESSION),
                        ("instrument", "term")),
    "growth_icc": TableSpec(("instrument", "instrument_label", "level", "estimate", "ci_low", "ci_high", "ci_level",
                             "variance", "share", "n_obs", "n_groups", *_SUPPRESSION), ("instrument", "level")),
    "assessment": TableSpec(_INDICATOR, ("indicator", "program", "cohort")),
    "hsk": TableSpec(_INDICATOR, ("indicator", "program", "cohort")),
    "certificates": TableSpec(_INDICATOR, ("indicator", "program", "cohort")),
    "employment": TableSpec(("indicator", "indicator_label", "kind", "program", "graduation_year",
                             "months_after_graduation", "n", "numerator", "estimate", "std_error", "ci_low", "ci_high",
                             "ci_level", "method", *_SUPPRESSION),
                            ("indicator", "months_after_graduation", "program", "graduation_year")),
    "nonresponse_bounds": TableSpec(("indicator", "indicator_label", "program", "months_after_graduation", "graduates",
                                     "respondents", "numerator", "respondent_rate", "lower", "upper", "ci_low",
                                     "ci_high", "ci_level", *_SUPPRESSION),
                                    ("indicator", "months_after_graduation", "program")),
    "trends": TableSpec(("indicator", "indicator_label", "kind", "program", "cohort", "cohort_basis", "n", "estimate",
                         "ci_low", "ci_high", *_SUPPRESSION), ("indicator", "program", "cohort")),
    "did_estimates": TableSpec(("outcome", "outcome_label", "unit", "method", "estimate", "std_error", "statistic",
                                "ci_low", "ci_high", "ci_level", "p_value", "inference", "n_obs", "n_clusters",
                                "n_treated_clusters", *_SUPPRESSION), ("outcome", "method")),
    "event_study": TableSpec(("outcome", "outcome_label", "event_time", "term", "estimate", "std_error", "statistic",
                              "df", "p_value", "ci_low", "ci_high", "ci_level", "reference", "binned", "n_treated_obs",
                              "n_obs", "n_clusters", "method", *_SUPPRESSION), ("outcome", "event_time")),
    "pretrend": TableSpec(("outcome", "outcome_label", "statistic", "df", "df_denominator", "p_value", "null",
                           "staggered_statistic", "staggered_df", "staggered_p_value", "staggered_note"),
                          ("outcome",)),
    "did_dynamic": TableSpec(("outcome", "outcome_label", "event_time", "estimate", "std_error", "ci_low", "ci_high",
                              "ci_level", "n_treated", "method", *_SUPPRESSION), ("outcome", "event_time")),
    "effects": TableSpec(("outcome", "outcome_label", "method", "estimate", "std_error", "ci_low", "ci_high",
                          "p_value", "p_value_bh", "scale", "inference", "headline", "n_obs", "n_clusters", "n_treated",
                          "n_control", *_SUPPRESSION), ("outcome", "method")),
    "equivalence": TableSpec(("outcome", "outcome_label", "characteristic", "characteristic_label", "level", "measure",
                              "n_treated",
                              "n_control", "treated_value", "control_value", "effect_size", "band", "adjusted",
                              "status", *_SUPPRESSION), ("outcome", "characteristic", "level")),
    "attrition": TableSpec(("outcome", "outcome_label", "level", "measure", "estimate", "n", "max_differential_pct",
                            "low_attrition", "boundary", "reason", *_SUPPRESSION), ("outcome", "level", "measure")),
    "evidence": TableSpec(("outcome", "outcome_label", "rating", "check", "result", "detail"), ("outcome", "check")),
    "evidence_reasons": TableSpec(("outcome", "outcome_label", "position", "reason"), ("outcome", "position")),
    "caveats": TableSpec(("analysis", "scope", "message"), ("analysis", "message")),
    "data_quality": TableSpec(("table", "file", "read", "valid", "quarantined", "reconciles"), ("table",)),
    "quarantine_rules": TableSpec(("table", "rule", "rows"), ("table", "rule")),
}
"""Every table :func:`reports.study_results.run_analyses` can return, with its columns and sort keys."""


def _plain(series: pd.Series) -> pd.Series:
    """The column as plain bool, int64, float64 or str (missing text as ``""``)."""
    kind = pd.api.types.infer_dtype(series, skipna=False)
    if pd.api.types.is_bool_dtype(series) or kind == "boolean":
        if series.isna().any():
            raise ValueError(f"column {series.name!r} is boolean with missing values")
        return series.astype(bool)
    if pd.api.types.is_numeric_dtype(series):
        if pd.api.types.is_integer_dtype(series) and not series.isna().any():
            return series.astype("int64")
        return pd.to_numeric(series).astype("Float64").astype("float64")
    return pd.Series([_text(v) for v in series.tolist()], index=series.index, dtype=str)


def _text(value: object) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _sort_key(series: pd.Series) -> pd.Series:
    """Margin rows (``"All"``) after every other value of a text column."""
    if pd.api.types.is_string_dtype(series) or series.dtype == object:
        return series.where(series != TOTAL, "\U0010ffff")
    return series


def finish(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with exactly the catalogued columns of table ``name``, plain dtypes and sorted rows.

    Parameters
    ----------
    name
        A key of :data:`TABLES`.
    frame
        The table built by an analysis; extra columns are dropped.

    Returns
    -------
    pandas.DataFrame
        A new frame with a fresh ``RangeIndex``.

    Raises
    ------
    KeyError
        When ``frame`` lacks a catalogued column (a programming error, not a data problem).
    """
    spec = TABLES[name]
    missing = [c for c in spec.columns if c not in frame.columns]
    if missing:
        raise KeyError(f"table {name!r} is missing the catalogued column(s) {missing}")
    out = pd.DataFrame({c: _plain(frame[c].reset_index(drop=True)) for c in spec.columns})
    if len(out):
        out = out.sort_values(list(spec.sort), key=_sort_key, kind="mergesort", ignore_index=True)
    return out
