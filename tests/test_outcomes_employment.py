"""Employment indicators: a hand-computed follow-up, due dates, bad input, and the synthetic study's truth.

The synthetic truth (``truth.json``, ``employment.expected``) is the model expectation of each indicator
given every graduate's ability, program and realised sector (data_schema/synthetic/employment.py); the
estimates' intervals must cover it.  About 100 intervals are checked at once, so each is computed at the
Bonferroni level 1 - 0.05/K: at 95% about five would miss by design.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from data_schema.errors import ArgumentError, ColumnError, DataQualityWarning
from outcomes import INDICATORS, employment_indicators, nonresponse_bounds, nonresponse_table, response_rates, summarise

STUDENTS = pd.DataFrame({
    "student_id": ["s1", "s2", "s3", "s4", "s5", "s6", "s7"],
    "institution_id": ["I1"] * 5 + ["I2"] * 2,
    "program": ["integrated"] * 5 + ["traditional"] * 2,
    "cohort": pd.array([2019] * 5 + [2020, 2021], dtype="Int64"),
    "graduation_year": pd.array([2023] * 5 + [2024, pd.NA], dtype="Int64"),
    "gender": ["female", "male", "female", "female", "male", "female", "male"],
    "entrance_score": [500.0, 480, 470, 460, 420, 450, 440],
})
EMPLOYMENT = pd.DataFrame({
    "student_id": ["s1", "s2", "s3", "s4", "s1"],
    "months_after_graduation": pd.array([6, 6, 6, 6, 12], dtype="Int64"),
    "status": ["employed", "self_employed", "further_study", "seeking", "employed"],
    "sector": ["cbec", "other", None, None, "cbec"],
    "field_match": pd.array([True, False, None, None, True], dtype="boolean"),
    "monthly_salary": [6000.0, 8000.0, np.nan, np.nan, 6500.0],
    "employer_country": ["cn", "us", None, None, "cn"],
    "employer_satisfaction": pd.array([5, pd.NA, pd.NA, pd.NA, 3], dtype="Int64"),
})

# Hand count, 6-month follow-up of the five 2023 graduates of I1 (s5 did not answer):
HAND_6 = {
    "response_rate": (4, 5), "destination_rate": (3, 4), "destination_rate_all_graduates": (3, 5),
    "employment_rate": (2, 4), "contract_employment_rate": (1, 4), "self_employment_rate": (1, 4),
    "further_study_rate": (1, 4), "seeking_rate": (1, 4), "cbec_sector_share": (1, 2),
    "cultural_exchange_share": (0, 2), "target_sector_share": (1, 2), "field_match_rate": (1, 2),
    "working_abroad_share": (1, 2), "employer_satisfied_rate": (1, 1),
}


@pytest.fixture
def frame() -> pd.DataFrame:
    return employment_indicators(STUDENTS, EMPLOYMENT, as_of="2024-09-30")


def test_hand_counts_at_six_months(frame):
    six = frame[(frame["months_after_graduation"] == 6) & (frame["institution_id"] == "I1")]
    for name, (k, n) in HAND_6.items():
        col = six[name]
        assert (col.notna().sum(), col.sum()) == (n, k), name
    assert six["monthly_salary"].median() == 7000.0  # (6000 + 8000) / 2
    assert six["starting_salary"].median() == 7000.0
    assert six["employer_satisfaction"].mean() == 5.0


def test_due_follow_ups_follow_the_export_date(frame):
    # 2023 graduates (June): 6 months = Dec 2023, 12 months = June 2024, both before 2024-09-30: due.
    # s6 graduated June 2024: 6 months = Dec 2024 is after the export date: not due.  s7 never graduated.
    due = frame.groupby("student_id")["months_after_graduation"].apply(list).to_dict()
    assert due == {f"s{i}": [6, 12] for i in range(1, 6)}
    twelve = frame[frame["months_after_graduation"] == 12]
    assert twelve["response_rate"].tolist() == [1.0, 0.0, 0.0, 0.0, 0.0]
    assert frame.loc[frame["months_after_graduation"] == 12, "starting_salary"].isna().all()


def test_without_export_date_a_follow_up_counts_as_run_when_someone_answered():
    f = employment_indicators(STUDENTS, EMPLOYMENT)
    # I1's 2023 graduates answered at 6 and 12 months; nobody of I2's 2024 class answered anything.
    assert sorted(f["student_id"].unique()) == ["s1", "s2", "s3", "s4", "s5"]
    assert len(f) == 10


def test_summarise_counts_and_wilson_interval(frame):
    from statsmodels.stats.proportion import proportion_confint

    t = summarise(frame, by=["program"], indicators=["destination_rate"])
    row = t[(t["program"] == "integrated") & (t["months_after_graduation"] == 6)].iloc[0]
    assert (row["n"], row["numerator"], row["estimate"]) == (4, 3, 0.75)
    low, high = proportion_confint(3, 4, alpha=0.05, method="wilson")  # statsmodels 0.14, independent code
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((low, high), abs=1e-12)
    assert row["population"] == INDICATORS["destination_rate"].population


def test_response_rates_and_nonresponse_table(frame):
    r = response_rates(frame)
    six = r[r["months_after_graduation"] == 6].iloc[0]
    assert (six["graduates"], six["respondents"], six["nonrespondents"], six["response_rate"]) == (5, 4, 1, 0.8)
    t = nonresponse_table(frame, covariates=["entrance_score", "gender"])
    score = t[(t["months_after_graduation"] == 6) & (t["covariate"] == "entrance_score")].iloc[0]
    assert score["respondents_value"] == pytest.approx((500 + 480 + 470 + 460) / 4)
    assert score["nonrespondents_value"] == 420.0
    assert np.isnan(score["std_difference"])  # one non-respondent: no SD
    female = t[(t["months_after_graduation"] == 6) & (t["level"] == "female")].iloc[0]
    assert (female["respondents_value"], female["nonrespondents_value"]) == (0.75, 0.0)


def test_nonresponse_bounds_hand(frame):
    b = nonresponse_bounds(frame, "destination_rate").iloc[0]
    # 3 of 4 respondents placed, 1 of 5 graduates did not answer: [3/5, 4/5]
    assert (b["lower"], b["upper"], b["respondent_rate"]) == (0.6, 0.8, 0.75)
    assert b["ci_low"] <= 0.6 and b["ci_high"] >= 0.8


def test_bad_input_is_named():
    with pytest.raises(ColumnError, match="employment has no column 'status'"):
        employment_indicators(STUDENTS, EMPLOYMENT.drop(columns="status"))
    doubled = pd.concat([EMPLOYMENT, EMPLOYMENT.iloc[[0]]])
    with pytest.raises(ArgumentError, match="1 duplicate student x follow-up row.*student_id='s1' at 6 months"):
        employment_indicators(STUDENTS, doubled)
    with pytest.raises(ArgumentError, match="graduation_month=13 is not a month"):
        employment_indicators(STUDENTS, EMPLOYMENT, graduation_month=13)
    with pytest.raises(ArgumentError, match="indicator='monthly_salary' is not a valid choice"):
        nonresponse_bounds(employment_indicators(STUDENTS, EMPLOYMENT), "monthly_salary")


def test_rows_that_cannot_be_placed_are_reported():
    orphan = pd.concat([EMPLOYMENT, pd.DataFrame({"student_id": ["s7"], "months_after_graduation": pd.array(
        [6], dtype="Int64"), "status": ["employed"], "sector": ["other"]})], ignore_index=True)
    with pytest.warns(DataQualityWarning, match="1 employment row"):
        f = employment_indicators(STUDENTS, orphan, as_of="2024-09-30")
    assert "s7" not in set(f["student_id"])


# --- the synthetic study ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def synthetic(clean_study):
    syn, study = clean_study
    cfg = study.config.outcomes
    frame = employment_indicators(study.students, study.employment, as_of=cfg.as_of,
                                  satisfied_from=cfg.satisfied_from)
    return syn, frame


def test_synthetic_counts_match_the_generator(synthetic):
    syn, frame = synthetic
    r = response_rates(frame)
    for row in syn.truth["employment"]["rates"]:
        got = r[(r["program"] == row["program"])
                & (r["months_after_graduation"] == row["months_after_graduation"])].iloc[0]
        assert (got["graduates"], got["respondents"]) == (row["graduates"], row["respondents"])


def test_synthetic_indicators_cover_the_generator_truth(synthetic):
    syn, frame = synthetic
    expected = syn.truth["employment"]["expected"]
    names = [n for n, i in INDICATORS.items() if i.family == "employment" and n != "starting_salary"]
    k = len(names) * sum(len(v) for v in expected.values())
    t = summarise(frame, by=["program"], indicators=names, level=1 - 0.05 / k)
    missed = []
    for months, programs in expected.items():
        for program, basis in programs.items():
            truth = {**basis["respondents"], **basis["graduates"]}
            for name in names:
                row = t[(t["indicator"] == name) & (t["program"] == program)
                        & (t["months_after_graduation"] == int(months))].iloc[0]
                if not row["ci_low"] <= truth[name] <= row["ci_high"]:
                    missed.append((months, program, name, truth[name], row["ci_low"], row["ci_high"]))
    assert not missed


def test_synthetic_starting_salary_is_the_six_month_salary(synthetic):
    syn, frame = synthetic
    t = summarise(frame, by=["program"], indicators=["starting_salary"], level=1 - 0.05 / 2)
    assert t["months_after_graduation"].tolist() == [6, 6]
    for row in t.itertuples():
        truth = syn.truth["employment"]["expected"]["6"][row.program]["respondents"]["monthly_salary"]
        assert row.ci_low <= truth <= row.ci_high


def test_synthetic_bounds_contain_the_all_graduate_rate(synthetic):
    syn, frame = synthetic
    b = nonresponse_bounds(frame, "destination_rate")
    for months, programs in syn.truth["employment"]["expected"].items():
        for program, basis in programs.items():
            row = b[(b["program"] == program) & (b["months_after_graduation"] == int(months))].iloc[0]
            assert row["ci_low"] <= basis["graduates"]["destination_rate"] <= row["ci_high"]
            assert row["lower"] < row["respondent_rate"] < row["upper"]
