"""Run a table's pandera schema on typed values and express its failures as progeval rules.

pandera validates lazily and returns every failing cell; this module maps its
check names to progeval's stable rule ids and plain-language messages, one
record per failing cell (row-level checks are attributed to the column a person
would correct).

=========================  ===================  ==============================
pandera check              rule                 message
=========================  ===================  ==============================
not_nullable               missing_required     required value is empty
isin                       allowed_values       must be one of: ...
greater_than(_or_equal_to) range                must be >= / > ...
less_than_or_equal_to      range                must be <= ...
str_matches                pattern              must match ...
row checks                 their own name       their description
=========================  ===================  ==============================

Examples
--------
>>> import pandas as pd
>>> from data_schema.schemas import TABLE_SPECS
>>> frame = pd.DataFrame({"student_id": ["a"], "months_after_graduation": pd.array([6], "Int64"),
...                       "status": ["employed"]}, index=pd.Index([2], name="row"))
>>> check_rules(frame, TABLE_SPECS["employment"])[["row", "column", "rule"]].values.tolist()
[[2, 'sector', 'sector_when_working']]
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from data_schema.coerce import FAILURE_COLUMNS, failure_frame
from data_schema.schemas import TableSpec

__all__ = ["check_rules", "ROW_CHECK_COLUMN"]

ROW_CHECK_COLUMN = {
    "graduation_after_entry": "graduation_year",
    "score_within_max": "score",
    "rater_id_required": "rater_id",
    "sector_when_working": "sector",
}
_RULES = {
    "not_nullable": "missing_required",
    "isin": "allowed_values",
    "greater_than_or_equal_to": "range",
    "greater_than": "range",
    "less_than_or_equal_to": "range",
    "less_than": "range",
    "in_range": "range",
    "str_matches": "pattern",
}


def _column_message(spec: TableSpec, column: str, check_name: str) -> str:
    if check_name == "not_nullable":
        return "required value is empty"
    for check in spec.columns[column].checks:
        if check.name == check_name:
            stats = check.statistics or {}
            if "allowed_values" in stats:
                return "must be one of: " + ", ".join(map(str, stats["allowed_values"]))
            if "pattern" in stats:
                return f"must match the pattern {stats['pattern']}"
            if check_name == "greater_than_or_equal_to":
                return f"must be >= {stats['min_value']}"
            if check_name == "greater_than":
                return f"must be > {stats['min_value']}"
            if check_name == "less_than_or_equal_to":
                return f"must be <= {stats['max_value']}"
    return check_name


def _present(spec: TableSpec, frame: pd.DataFrame) -> pa.DataFrameSchema:
    """The schema restricted to the columns the file has (absent optional columns are fine)."""
    schema = spec.schema
    return schema.remove_columns([c for c in schema.columns if c not in frame.columns])


def check_rules(frame: pd.DataFrame, spec: TableSpec) -> pd.DataFrame:
    """Every failing cell of ``frame`` under ``spec``'s schema, in ``FAILURE_COLUMNS`` layout."""
    try:
        _present(spec, frame).validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
    else:
        return failure_frame([], "", [], "", "")
    cases = cases[cases["index"].notna()]
    parts = []
    columns_level = cases[cases["schema_context"] == "Column"]
    for (column, check), group in columns_level.groupby(["column", "check"], sort=False):
        name = str(check).split("(")[0]
        rule = _RULES.get(name, name)
        rows = group["index"].astype("int64").to_numpy()
        values = frame.loc[rows, column].astype("str")
        parts.append(failure_frame(rows, column, values, rule, _column_message(spec, column, name)))
    frame_level = cases[cases["schema_context"] == "DataFrameSchema"]
    for check, group in frame_level.groupby("check", sort=False):
        name = str(check)
        column = ROW_CHECK_COLUMN.get(name, group["column"].iloc[0])
        rows = pd.unique(group["index"].astype("int64"))
        values = frame.loc[rows, column].astype("str") if column in frame else [""] * len(rows)
        description = next((c.description for c in spec.schema.checks if c.name == name), name)
        parts.append(failure_frame(rows, column, values, name, description or name))
    if not parts:
        return failure_frame([], "", [], "", "")
    return pd.concat(parts, ignore_index=True)[FAILURE_COLUMNS]
