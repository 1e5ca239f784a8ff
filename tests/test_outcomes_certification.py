"""Certification indicators: a hand-computed example, bad input, and the synthetic study's truth.

The synthetic truth (``truth.json``, ``assessments.certification``) is, per program, the mean over the
students with the result of each student's model probability or expectation given prior HSK level, ability
and program (data_schema/synthetic/assessments.py).  Five indicators x two programs are checked at the
Bonferroni level 1 - 0.05/10.
"""

from __future__ import annotations

import pandas as pd
import pytest

from data_schema.errors import ArgumentError, ColumnError
from outcomes import certification_indicators, summarise

STUDENTS = pd.DataFrame({
    "student_id": ["a", "b", "c", "d", "e"],
    "program": ["integrated", "integrated", "traditional", "traditional", "traditional"],
    "prior_hsk_level": pd.array([2, 3, 0, pd.NA, 4], dtype="Int64"),
})
ASSESSMENTS = pd.DataFrame({
    "student_id": ["a", "a", "a", "b", "c", "c", "d", "e", "e"],
    "assessment": ["hsk", "hsk", "cbec_certificate", "hsk", "cbec_certificate", "cbec_certificate", "hsk",
                   "module_exam", "cbec_certificate"],
    "level": pd.array([3, 5, None, 3, None, None, 6, None, None], dtype="Int64"),
    "passed": pd.array([None, None, False, None, False, True, None, None, None], dtype="boolean"),
})


def test_hand_example():
    f = certification_indicators(STUDENTS, ASSESSMENTS, hsk_target=4).set_index("student_id")
    # a: best of HSK 3 and 5 -> 5, gain 3, target reached, certificate failed -> dual 0
    assert f.loc["a", ["hsk_level", "hsk_gain", "hsk_target_rate", "certificate_pass_rate",
                       "dual_certification_rate"]].tolist() == [5.0, 3.0, 1.0, 0.0, 0.0]
    # b: HSK 3 < 4, no certificate -> dual undefined
    assert f.loc["b", ["hsk_level", "hsk_gain", "hsk_target_rate"]].tolist() == [3.0, 0.0, 0.0]
    assert pd.isna(f.loc["b", "dual_certification_rate"])
    # c: failed then passed -> passed on an attempt; no HSK
    assert f.loc["c", "certificate_pass_rate"] == 1.0 and pd.isna(f.loc["c", "hsk_level"])
    # d: HSK 6 with no recorded prior -> no gain
    assert f.loc["d", "hsk_level"] == 6.0 and pd.isna(f.loc["d", "hsk_gain"])
    # e: certificate row without a recorded pass/fail -> unknown, not a fail
    assert pd.isna(f.loc["e", "certificate_pass_rate"])
    t = summarise(f.reset_index(), by=["program"], indicators=["hsk_target_rate", "certificate_pass_rate"])
    got = t.set_index(["indicator", "program"])[["n", "numerator"]]
    assert got.loc[("hsk_target_rate", "integrated")].tolist() == [2, 1]
    assert got.loc[("hsk_target_rate", "traditional")].tolist() == [1, 1]
    assert got.loc[("certificate_pass_rate", "traditional")].tolist() == [1, 1]


def test_target_level_changes_the_rate():
    f = certification_indicators(STUDENTS, ASSESSMENTS, hsk_target=6).set_index("student_id")
    assert f.loc[["a", "b", "d"], "hsk_target_rate"].tolist() == [0.0, 0.0, 1.0]  # levels 5, 3, 6
    assert f["hsk_target_rate"].isna().tolist() == [False, False, True, False, True]


def test_bad_input():
    with pytest.raises(ArgumentError, match="hsk_target=10 is not an HSK level"):
        certification_indicators(STUDENTS, ASSESSMENTS, hsk_target=10)
    with pytest.raises(ColumnError, match="assessments has no column 'passed'"):
        certification_indicators(STUDENTS, ASSESSMENTS.drop(columns="passed"))


def test_synthetic_study_recovers_the_truth(clean_study):
    syn, study = clean_study
    truth = syn.truth["assessments"]["certification"]
    f = certification_indicators(study.students, study.assessments,
                                 hsk_target=study.config.outcomes.hsk_target_level)
    assert truth["hsk_target_level"] == study.config.outcomes.hsk_target_level
    t = summarise(f, by=["program"], level=1 - 0.05 / 10).set_index(["indicator", "program"])
    expected = {
        "hsk_level": ("hsk", "level"), "hsk_gain": ("hsk", "gain"), "hsk_target_rate": ("hsk", "target"),
        "certificate_pass_rate": ("certificate_pass", "rate"),
        "dual_certification_rate": ("dual_certification", "rate"),
    }
    for name, (block, key) in expected.items():
        for program in ("integrated", "traditional"):
            row, value = t.loc[(name, program)], truth[block][program]
            assert row["n"] == value["n"], (name, program)
            assert row["ci_low"] <= value[key] <= row["ci_high"], (name, program, value[key], row.to_dict())
