"""Schema of the ``assessments`` table: one row a student x assessment x rater.

Examples
--------
>>> AssessmentsSchema.to_schema().columns["rater_role"].checks[0].statistics["allowed_values"][:2]
['teacher', 'enterprise_mentor']
"""

from __future__ import annotations

from typing import Optional

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from data_schema.schemas.fields import column

__all__ = ["AssessmentsSchema", "RATER_ROLES", "NAMED_RATER_ROLES"]

RATER_ROLES = ["teacher", "enterprise_mentor", "peer", "self", "external_exam"]
NAMED_RATER_ROLES = ["teacher", "enterprise_mentor", "peer"]


class AssessmentsSchema(pa.DataFrameModel):
    """Module exams, capstone portfolios, internships, HSK and e-commerce certificates."""

    student_id: Series[str] = column("text", "Student", "Pseudonymous student id.", required=True)
    assessment: Series[str] = column(
        "code", "Assessment", "e.g. capstone_portfolio, internship, module_exam, hsk, cbec_certificate.",
        required=True, str_matches=r"^[a-z][a-z0-9_]*$",
    )
    component: Optional[Series[str]] = column("text", "Component", "Module code or exam section.")
    rater_id: Optional[Series[str]] = column(
        "text", "Rater", "Rater id; required for teacher, enterprise mentor and peer ratings."
    )
    rater_role: Series[str] = column("code", "Rater role", "Who gave the score.", required=True, isin=RATER_ROLES)
    score: Series[float] = column("number", "Score", "Score awarded, 0 to max_score.", required=True, ge=0)
    max_score: Series[float] = column("number", "Maximum score", "Highest possible score.", required=True, gt=0)
    level: Optional[Series[pd.Int64Dtype]] = column("integer", "Level", "HSK level attained (1-9).", ge=1, le=9)
    passed: Optional[Series[pd.BooleanDtype]] = column("boolean", "Passed", "Whether a certificate was passed.")
    assessed_on: Optional[Series[pd.Timestamp]] = column("date", "Assessed on", "Date of assessment (ISO 8601).")

    class Config:
        name = "assessments"
        title = "Assessments"
        description = "One row a student x assessment x rater."
        strict = False

    @pa.dataframe_check(name="score_within_max", description="score must not exceed max_score")
    def score_within_max(cls, df: pd.DataFrame) -> Series[bool]:
        """True where score <= max_score (or either is empty)."""
        return (df["score"] <= df["max_score"]).fillna(True).astype(bool)

    @pa.dataframe_check(
        name="rater_id_required", description="rater_id is required for teacher, enterprise_mentor and peer"
    )
    def rater_id_required(cls, df: pd.DataFrame) -> Series[bool]:
        """True unless a teacher, mentor or peer rating lacks a rater id."""
        named = df["rater_role"].isin(NAMED_RATER_ROLES).fillna(False)
        if "rater_id" not in df:
            return (~named).astype(bool)
        return (~named | df["rater_id"].notna()).astype(bool)
