"""Schema of the ``employment`` table: one row a student x follow-up.

Examples
--------
>>> EmploymentSchema.to_schema().columns["status"].title
'Status'
"""

from __future__ import annotations

from typing import Optional

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from data_schema.schemas.fields import column

__all__ = ["EmploymentSchema", "STATUSES", "WORKING_STATUSES"]

STATUSES = ["employed", "self_employed", "further_study", "seeking", "not_seeking"]
WORKING_STATUSES = ["employed", "self_employed"]


class EmploymentSchema(pa.DataFrameModel):
    """Graduate destinations at 6, 12 and 36 months."""

    student_id: Series[str] = column("text", "Student", "Pseudonymous student id.", required=True)
    months_after_graduation: Series[pd.Int64Dtype] = column(
        "integer", "Months after graduation", "Follow-up point, usually 6, 12 or 36.", required=True, ge=0, le=120
    )
    status: Series[str] = column("code", "Status", "Destination at follow-up.", required=True, isin=STATUSES)
    sector: Optional[Series[str]] = column(
        "code", "Sector", "CBEC firm, cultural-exchange body or other; required when working.",
        isin=["cbec", "cultural_exchange", "other"],
    )
    field_match: Optional[Series[pd.BooleanDtype]] = column(
        "boolean", "Field match", "Whether the job matches the field of study."
    )
    monthly_salary: Optional[Series[float]] = column(
        "number", "Monthly salary", "Monthly salary in the study's currency.", ge=0
    )
    employer_country: Optional[Series[str]] = column(
        "code", "Employer country", "ISO 3166-1 alpha-2 code (lower-cased on load).", str_matches=r"^[a-z]{2}$"
    )
    employer_satisfaction: Optional[Series[pd.Int64Dtype]] = column(
        "integer", "Employer satisfaction", "Employer's rating of the graduate, 1-5.", ge=1, le=5
    )
    surveyed_on: Optional[Series[pd.Timestamp]] = column("date", "Surveyed on", "Date of the follow-up survey.")

    class Config:
        name = "employment"
        title = "Employment follow-ups"
        description = "One row a student x follow-up."
        strict = False

    @pa.dataframe_check(
        name="sector_when_working", description="sector is required when status is employed or self_employed"
    )
    def sector_when_working(cls, df: pd.DataFrame) -> Series[bool]:
        """True unless an employed or self-employed graduate lacks a sector."""
        working = df["status"].isin(WORKING_STATUSES).fillna(False)
        if "sector" not in df:
            return (~working).astype(bool)
        return (~working | df["sector"].notna()).astype(bool)
