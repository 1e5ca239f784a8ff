"""Schema of the ``survey_responses`` table: one row a student x instrument x wave x item.

Whether an answer lies within its instrument's scale depends on the codebook,
so that rule is checked when a whole study is loaded
(:func:`data_schema.load_study`).

Examples
--------
>>> list(SurveyResponsesSchema.to_schema().columns)[:4]
['student_id', 'instrument', 'wave', 'item']
"""

from __future__ import annotations

from typing import Optional

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from data_schema.schemas.fields import column

__all__ = ["SurveyResponsesSchema"]


class SurveyResponsesSchema(pa.DataFrameModel):
    """Likert answers to the study's instruments."""

    student_id: Series[str] = column("text", "Student", "Pseudonymous student id.", required=True)
    instrument: Series[str] = column("code", "Instrument", "Id of an instrument with a codebook.", required=True)
    wave: Series[pd.Int64Dtype] = column(
        "integer", "Wave", "Survey wave: 0 = entry, then 1, 2, ... as the study config labels them.",
        required=True, ge=0, le=50,
    )
    item: Series[str] = column("code", "Item", "Item id within the instrument.", required=True)
    response: Series[pd.Int64Dtype] = column(
        "integer", "Response", "Answer on the instrument's scale; empty = not answered."
    )
    response_date: Optional[Series[pd.Timestamp]] = column("date", "Response date", "Date answered (ISO 8601).")

    class Config:
        name = "survey_responses"
        title = "Survey responses"
        description = "One row a student x instrument x wave x item."
        strict = False
