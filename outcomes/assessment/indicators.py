"""The assessment indicators of :data:`outcomes.INDICATORS`: one row a student, ready for ``summarise``.

Examples
--------
>>> import pandas as pd
>>> students = pd.DataFrame({"student_id": ["a", "b", "c"], "program": "integrated", "cohort": 2020})
>>> rows = pd.DataFrame({"student_id": ["a", "a", "b", "b", "c", "c"], "assessment": "capstone_portfolio",
...     "component": None, "rater_id": ["T1", None, "T1", None, "T2", None],
...     "rater_role": ["teacher", "self", "teacher", "self", "teacher", "self"],
...     "score": [70.0, 80.0, 60.0, 68.0, 75.0, 83.0], "max_score": 100.0})
>>> f = assessment_indicators(students, rows)  # self ratings run 26/3 points above the teachers'
>>> f[["student_id", "portfolio_score", "assessment_composite"]].round(3)
  student_id  portfolio_score  assessment_composite
0          a           70.667                 0.300
1          b           59.667                -1.116
2          c           74.667                 0.815
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from data_schema.arguments import check_columns
from outcomes.assessment.portfolio import portfolio_score
from outcomes.assessment.standardise import assessment_composite, standardised_scores

__all__ = ["assessment_indicators", "NOT_IN_COMPOSITE"]

NOT_IN_COMPOSITE = ("hsk",)
"""Assessments left out of the default composite: HSK is a certification that only some students sit
(international students), so including it would make composites of different students incomparable."""


def assessment_indicators(
    students: pd.DataFrame,
    assessments: pd.DataFrame,
    *,
    portfolio: str = "capstone_portfolio",
    composite_of: Sequence[str] | None = None,
    reference: str = "teacher",
) -> pd.DataFrame:
    """One row a student with ``portfolio_score`` and ``assessment_composite``.

    Parameters
    ----------
    students
        The students table (``student_id``, ``cohort``); every column is kept.
    assessments
        The assessments table.
    portfolio
        The multi-rater portfolio assessment; its ratings are corrected for rater-role leniency against
        ``reference`` (:func:`outcomes.assessment.portfolio_score`, ``method="role"``).  NaN for every
        student when the table has no such rows.
    composite_of
        Assessments in the composite (default: every assessment in the table except :data:`NOT_IN_COMPOSITE`),
        each z-standardised within assessment, component and cohort, then averaged with equal weights.
    reference
        Rater role whose scale the portfolio score is expressed on.

    Returns
    -------
    pandas.DataFrame
        The students' columns plus ``portfolio_score`` (percent of the maximum) and ``assessment_composite``
        (SD units), in the students' order.
    """
    check_columns(students, ["student_id", "cohort"], what="students")
    check_columns(assessments, ["student_id", "assessment", "rater_role", "score", "max_score"], what="assessments")
    out = students.reset_index(drop=True).copy()
    ids = out["student_id"]
    rows = assessments[assessments["assessment"] == portfolio]
    if len(rows):
        p = portfolio_score(assessments, assessment=portfolio, reference=reference)
        out["portfolio_score"] = ids.map(p.set_index("student_id")["portfolio_score"]).astype(float)
    else:
        out["portfolio_score"] = np.nan
    names = list(composite_of) if composite_of is not None else sorted(
        set(assessments["assessment"].dropna()) - set(NOT_IN_COMPOSITE))
    chosen = assessments[assessments["assessment"].isin(names)]
    if len(chosen):
        z = standardised_scores(chosen, students)
        c = assessment_composite(z)
        out["assessment_composite"] = ids.map(c.set_index("student_id")["composite"]).astype(float)
    else:
        out["assessment_composite"] = np.nan
    return out
