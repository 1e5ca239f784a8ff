"""The assessment indicators (portfolio score, assessment composite) per student, and the synthetic truth.

Truth (``truth.json``, data_schema/synthetic/assessments.py): ``capstone_portfolio.expected_quality`` is the
mean true portfolio quality per program on the teacher scale; ``composite`` is the mean over students of the
expected z-composite given each student's ability, program and raters.  Two indicators x two programs are
checked at the Bonferroni level 1 - 0.05/4.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from data_schema.errors import ColumnError, EstimationWarning
from outcomes import assessment_indicators, summarise

STUDENTS = pd.DataFrame({"student_id": ["a", "b", "c", "d"], "program": ["integrated"] * 2 + ["traditional"] * 2,
                         "cohort": pd.array([2020, 2020, 2020, 2021], dtype="Int64")})
ROWS = pd.DataFrame({
    "student_id": ["a", "a", "b", "b", "c", "c", "a", "b", "c", "d", "a", "d"],
    "assessment": ["capstone_portfolio"] * 6 + ["module_exam"] * 4 + ["hsk", "hsk"],
    "component": [None] * 6 + ["CHN101"] * 4 + [None, None],
    "rater_id": ["T1", None, "T1", None, "T2", None, "T9", "T9", "T9", "T9", None, None],
    "rater_role": ["teacher", "self", "teacher", "self", "teacher", "self"] + ["teacher"] * 4 + ["external_exam"] * 2,
    "score": [70.0, 80, 60, 68, 75, 83, 50, 70, 90, 65, 200, 180],
    "max_score": [100.0] * 10 + [300.0, 300.0],
})


def test_hand_example():
    with pytest.warns(EstimationWarning, match="cohort=2021 \\(n=1\\)"):
        f = assessment_indicators(STUDENTS, ROWS).set_index("student_id")
    # self - teacher = 10, 8, 8: offset 26/3; portfolio = mean(teacher, self - offset)
    offset = 26 / 3
    assert f.loc["a", "portfolio_score"] == pytest.approx((70 + 80 - offset) / 2, abs=1e-12)
    assert np.isnan(f.loc["d", "portfolio_score"])
    # composite: z within assessment x component x cohort (scipy.stats.zscore, ddof=1), HSK left out
    cap = stats.zscore([75.0, 64.0, 79.0], ddof=1)       # rater means of a, b, c (cohort 2020)
    mod = stats.zscore([50.0, 70.0, 90.0], ddof=1)       # CHN101, cohort 2020; d is alone in 2021
    assert f.loc[["a", "b", "c"], "assessment_composite"].to_numpy() == pytest.approx((cap + mod) / 2, abs=1e-12)
    assert np.isnan(f.loc["d", "assessment_composite"])


def test_composite_of_named_assessments():
    with pytest.warns(EstimationWarning, match="fewer than 2 students"):
        f = assessment_indicators(STUDENTS, ROWS, composite_of=["module_exam"]).set_index("student_id")
    assert f.loc[["a", "b", "c"], "assessment_composite"].tolist() == pytest.approx([-1.0, 0.0, 1.0], abs=1e-12)


def test_bad_input():
    with pytest.raises(ColumnError, match="students has no column 'cohort'"):
        assessment_indicators(STUDENTS.drop(columns="cohort"), ROWS)


def test_synthetic_study_recovers_the_truth(clean_study):
    syn, study = clean_study
    truth = syn.truth["assessments"]
    f = assessment_indicators(study.students, study.assessments)
    t = summarise(f, by=["program"], level=1 - 0.05 / 4).set_index(["indicator", "program"])
    for program in ("integrated", "traditional"):
        row, value = t.loc[("portfolio_score", program)], truth["capstone_portfolio"]["expected_quality"][program]
        assert row["n"] == value["n"]
        assert row["ci_low"] <= value["quality"] <= row["ci_high"]
        row, value = t.loc[("assessment_composite", program)], truth["composite"][program]
        assert row["n"] == value["n"]
        assert row["ci_low"] <= value["composite"] <= row["ci_high"]
