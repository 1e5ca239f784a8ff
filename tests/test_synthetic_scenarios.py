"""The WWC scenarios of the synthetic study: a baseline gap and differential attrition, each known exactly.

The default study is drawn unchanged by these options (the byte-identical test in test_synthetic covers it).
Tolerances are three standard errors of the sampled quantity.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analyses.equivalence import baseline_equivalence
from data_schema.errors import ConfigError
from data_schema.synthetic import generate_study
from data_schema.synthetic.surveys import UNIT_NONRESPONSE


def _students(path) -> pd.DataFrame:
    return pd.read_csv(path, dtype={"student_id": str})


def test_baseline_gap_shifts_entrance_scores_by_the_requested_sd(tmp_path):
    syn = generate_study(tmp_path, baseline_gap=0.15)
    students = _students(syn.students_path)
    result = baseline_equivalence(students, group="program", treated="integrated", covariates=["entrance_score"])
    g = result.table.loc[0, "effect_size"]
    n1, n0 = result.table.loc[0, ["n_treated", "n_control"]]
    se = np.sqrt(1 / n1 + 1 / n0)
    assert abs(g - 0.15) < 3 * se, (g, se)
    assert result.table.loc[0, "band"] == "requires adjustment"
    assert syn.truth["surveys"]["scenario"]["baseline_gap_sd"] == 0.15


def test_differential_attrition_removes_integrated_wave2_respondents(tmp_path):
    syn = generate_study(tmp_path, differential_attrition=0.3)
    students = _students(syn.students_path)
    responses = pd.read_csv(syn.survey_responses_path, dtype={"student_id": str})
    wave2 = set(responses.loc[responses["wave"] == 2, "student_id"])
    graduated = students[students["graduation_year"].notna()]
    rate = graduated.assign(answered=graduated["student_id"].isin(wave2)).groupby("program")["answered"].agg(
        ["mean", "size"])
    base = 1 - UNIT_NONRESPONSE[2]
    expected = {"traditional": base, "integrated": base * (1 - 0.3)}
    for program, row in rate.iterrows():
        se = np.sqrt(expected[program] * (1 - expected[program]) / row["size"])
        assert abs(row["mean"] - expected[program]) < 3 * se, (program, row["mean"], expected[program])
    assert syn.truth["surveys"]["scenario"]["differential_attrition_wave2"] == 0.3


@pytest.mark.parametrize(("kwargs", "match"), [({"baseline_gap": 1.5}, "baseline_gap must be a number from -1 to 1"),
                                               ({"differential_attrition": -0.1}, "differential_attrition must be")])
def test_scenario_values_are_checked(tmp_path, kwargs, match):
    with pytest.raises(ConfigError, match=match):
        generate_study(tmp_path, **kwargs)
