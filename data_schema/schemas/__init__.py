"""The four source tables as pandera models, plus the facts the reader needs about them.

The models are the codebook: titles, descriptions and allowed values printed by
the reports come from them (see :func:`codebook_table`).

Examples
--------
>>> spec = TABLE_SPECS["employment"]
>>> spec.key
('student_id', 'months_after_graduation')
>>> "sector" in spec.columns
True
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import pandas as pd
import pandera.pandas as pa

from data_schema.schemas.assessments import AssessmentsSchema
from data_schema.schemas.employment import EmploymentSchema
from data_schema.schemas.students import StudentsSchema
from data_schema.schemas.survey_responses import SurveyResponsesSchema

__all__ = [
    "AssessmentsSchema",
    "EmploymentSchema",
    "StudentsSchema",
    "SurveyResponsesSchema",
    "TableSpec",
    "TABLE_SPECS",
    "IDENTIFIER_COLUMNS",
    "codebook_table",
]

IDENTIFIER_COLUMNS: tuple[str, ...] = ("name", "national_id", "passport_no", "phone", "email")
"""Direct identifiers: dropped on load, never written anywhere."""


@dataclass(frozen=True)
class TableSpec:
    """A source table: its pandera model and its unique key (``None`` = no key)."""

    name: str
    model: type[pa.DataFrameModel]
    key: tuple[str, ...] | None

    @cached_property
    def schema(self) -> pa.DataFrameSchema:
        """The pandera schema built from the model."""
        return self.model.to_schema()

    @property
    def columns(self) -> dict[str, pa.Column]:
        """Canonical columns, in contract order."""
        return dict(self.schema.columns)

    @property
    def required_columns(self) -> tuple[str, ...]:
        """Columns that must be present in the file."""
        return tuple(n for n, c in self.columns.items() if c.required)

    def kind(self, column: str) -> str:
        """Value kind of a column (``text``, ``code``, ``integer``, ...)."""
        return self.columns[column].metadata["kind"]


TABLE_SPECS: dict[str, TableSpec] = {
    "students": TableSpec("students", StudentsSchema, ("student_id",)),
    "survey_responses": TableSpec(
        "survey_responses", SurveyResponsesSchema, ("student_id", "instrument", "wave", "item")
    ),
    "assessments": TableSpec("assessments", AssessmentsSchema, None),
    "employment": TableSpec("employment", EmploymentSchema, ("student_id", "months_after_graduation")),
}


def _rule_text(check: pa.Check) -> str:
    stats = check.statistics or {}
    if "allowed_values" in stats:
        return "one of: " + ", ".join(map(str, stats["allowed_values"]))
    parts = {"min_value": ">= {}", "max_value": "<= {}", "pattern": "matches {}"}
    found = [fmt.format(stats[k]) for k, fmt in parts.items() if k in stats]
    if check.name == "greater_than":
        found = [f"> {stats['min_value']}"]
    return ", ".join(found) or check.name


def codebook_table(table: str) -> pd.DataFrame:
    """The codebook of a source table as a DataFrame a report can print.

    Columns: ``column, title, kind, required, rule, description``.
    """
    spec = TABLE_SPECS[table]
    rows = []
    for name, col in spec.columns.items():
        rows.append(
            {
                "column": name,
                "title": col.title,
                "kind": col.metadata["kind"],
                "required": "yes" if col.metadata["required"] else ("optional column" if not col.required else "no"),
                "rule": "; ".join(_rule_text(c) for c in col.checks),
                "description": col.description,
            }
        )
    for check in spec.schema.checks:
        rows.append(
            {"column": "(row)", "title": check.name, "kind": "", "required": "", "rule": check.description or "",
             "description": check.description or ""}
        )
    return pd.DataFrame(rows)
