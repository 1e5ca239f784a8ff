"""Schema of the ``students`` table: one row a student.

Examples
--------
>>> StudentsSchema.to_schema().columns["program"].title
'Program'
"""

from __future__ import annotations

from typing import Optional

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from data_schema.schemas.fields import column

__all__ = ["StudentsSchema"]


class StudentsSchema(pa.DataFrameModel):
    """Students: institution, program, class, cohort and baseline covariates."""

    student_id: Series[str] = column(
        "text", "Student", "Pseudonymous student id (keyed hash of the institution's number).", required=True
    )
    institution_id: Series[str] = column("text", "Institution", "Institution code.", required=True)
    program: Series[str] = column(
        "code", "Program", "Integrated CBEC-ICE program or traditional program.",
        required=True, isin=["integrated", "traditional"],
    )
    class_id: Optional[Series[str]] = column("text", "Class", "Teaching class the student belongs to.")
    cohort: Series[pd.Int64Dtype] = column(
        "integer", "Entry cohort", "Year the student entered the program.", required=True, ge=2000, le=2100
    )
    graduation_year: Optional[Series[pd.Int64Dtype]] = column(
        "integer", "Graduation year", "Year the student graduated; empty if not (yet) graduated.",
        ge=2000, le=2110,
    )
    gender: Optional[Series[str]] = column(
        "code", "Gender", "Self-reported gender.", isin=["female", "male", "other", "unknown"]
    )
    birth_year: Optional[Series[pd.Int64Dtype]] = column("integer", "Birth year", "Year of birth.", ge=1950, le=2015)
    entrance_score: Optional[Series[float]] = column(
        "number", "Entrance score", "Score on the institution's entrance examination.", ge=0
    )
    prior_hsk_level: Optional[Series[pd.Int64Dtype]] = column(
        "integer", "Prior HSK level", "HSK level held at entry (0 = none; HSK 3.0 levels 1-9).", ge=0, le=9
    )
    student_origin: Series[str] = column(
        "code", "Origin", "Domestic or international student.", required=True, isin=["domestic", "international"]
    )
    nationality: Optional[Series[str]] = column(
        "code", "Nationality", "ISO 3166-1 alpha-2 country code (lower-cased on load).", str_matches=r"^[a-z]{2}$"
    )

    class Config:
        name = "students"
        title = "Students"
        description = "One row a student."
        strict = False

    @pa.dataframe_check(name="graduation_after_entry", description="graduation_year must not precede cohort")
    def graduation_after_entry(cls, df: pd.DataFrame) -> Series[bool]:
        """True where graduation_year is empty or not before cohort."""
        if "graduation_year" not in df:
            return pd.Series(True, index=df.index)
        ok = (df["graduation_year"] >= df["cohort"]).fillna(True)
        return ok.astype(bool)
