"""Baseline equivalence by the WWC bands (Procedures and Standards Handbook v5.0: |es| <= 0.05 satisfied,
0.05-0.25 satisfied only with adjustment, > 0.25 not satisfied).

Effect sizes are checked against independent implementations run on the same data: pingouin 0.7
``compute_effsize(x, y, eftype="hedges")`` for continuous characteristics (the same omega correction as the
WWC) and statsmodels ``Table2x2`` log odds ratios, times omega / 1.65, for binary ones; both in double
precision, so agreement is required to 1e-12.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
from statsmodels.stats.contingency_tables import Table2x2

from analyses.equivalence import baseline_equivalence, wwc_band
from data_schema.errors import ArgumentError, EstimationError


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    n = 400
    program = np.where(np.arange(n) < 180, "integrated", "traditional")
    treated = program == "integrated"
    return pd.DataFrame({
        "program": program,
        "entrance_score": rng.normal(480, 40, n) + 6 * treated,      # about 0.15 SD
        "prior_hsk_level": rng.integers(0, 5, n).astype(float),
        "international": (rng.random(n) < np.where(treated, 0.45, 0.30)).astype(int),
        "gender": rng.choice(["female", "male", "unknown"], n, p=[0.6, 0.37, 0.03]),
    })


def _omega(n: int) -> float:
    return 1 - 3 / (4 * n - 9)


def test_continuous_characteristics_match_pingouin(sample):
    result = baseline_equivalence(sample, group="program", treated="integrated",
                                  covariates=["entrance_score", "prior_hsk_level"])
    for cov in ["entrance_score", "prior_hsk_level"]:
        x = sample.loc[sample["program"] == "integrated", cov]
        y = sample.loc[sample["program"] == "traditional", cov]
        row = result.table.set_index("characteristic").loc[cov]
        assert row["effect_size"] == pytest.approx(pg.compute_effsize(x, y, eftype="hedges"), abs=1e-12)
        assert row["treated_value"] == pytest.approx(x.mean(), abs=1e-9)


def test_binary_and_categorical_characteristics_match_statsmodels(sample):
    result = baseline_equivalence(sample, group="program", treated="integrated", covariates=["international", "gender"])
    table = result.table
    assert table["characteristic"].tolist() == ["international", "gender", "gender", "gender"]
    assert table["level"].tolist() == ["", "female", "male", "unknown"]
    for row in table.itertuples():
        x = sample[row.characteristic] == (1 if not row.level else row.level)
        t = sample["program"] == "integrated"
        counts = [[(x & t).sum(), (~x & t).sum()], [(x & ~t).sum(), (~x & ~t).sum()]]
        expected = _omega(len(sample)) * Table2x2(np.array(counts)).log_oddsratio / 1.65
        assert row.effect_size == pytest.approx(expected, abs=1e-12)
        assert row.measure == "cox_index"


def test_bands_and_adjustment_decide_the_status(sample):
    assert [wwc_band(v) for v in (0.0, 0.05, 0.0500001, 0.25, 0.2500001, np.nan)] == [
        "satisfied", "satisfied", "requires adjustment", "requires adjustment", "not satisfied", "not estimable"]
    plain = baseline_equivalence(sample, group="program", treated="integrated", covariates=["entrance_score"])
    adjusted = baseline_equivalence(sample, group="program", treated="integrated", covariates=["entrance_score"],
                                    adjusted=["entrance_score"])
    g = plain.table.loc[0, "effect_size"]
    assert 0.05 < abs(g) <= 0.25  # the built-in 6-point gap on a 40-point SD
    assert plain.table.loc[0, "status"] == "not satisfied (not adjusted)" and not plain.satisfied
    assert plain.reasons == (f"entrance_score: difference {g:+.3f} SD is not satisfied (not adjusted)",)
    assert adjusted.table.loc[0, "status"] == "satisfied by adjustment" and adjusted.satisfied
    big = sample.assign(entrance_score=sample["entrance_score"] + 30 * (sample["program"] == "integrated"))
    bad = baseline_equivalence(big, group="program", treated="integrated", covariates=["entrance_score"],
                               adjusted=["entrance_score"])
    assert bad.table.loc[0, "status"] == "not satisfied" and not bad.satisfied


def test_errors_name_the_characteristic(sample):
    with pytest.raises(ArgumentError, match="'cohort', which is not among the covariates"):
        baseline_equivalence(sample, group="program", treated="integrated", covariates=["entrance_score"],
                             adjusted=["cohort"])
    constant = sample.assign(international=np.where(sample["program"] == "integrated", 1, 0))
    with pytest.raises(EstimationError, match="baseline characteristic 'international'"):
        baseline_equivalence(constant, group="program", treated="integrated", covariates=["international"])


def test_outputs(sample):
    result = baseline_equivalence(sample, group="program", treated="integrated",
                                  covariates=["entrance_score", "gender"], adjusted=["entrance_score"])
    assert list(result.tidy()["term"]) == ["entrance_score", "gender=female", "gender=male", "gender=unknown"]
    assert "Baseline equivalence" in result.summary()
    assert result.to_dict()["table"][0]["characteristic"] == "entrance_score"
    fig = result.plot()
    assert len(fig.axes[0].collections[-1].get_offsets()) == 4


def test_synthetic_study_characteristics(clean_study):
    _, study = clean_study
    students = study.students.assign(prior_hsk_level=lambda d: d["prior_hsk_level"].astype(float),
                                     entrance_score=lambda d: d["entrance_score"].astype(float))
    result = baseline_equivalence(students, group="program", treated="integrated",
                                  covariates=["entrance_score", "prior_hsk_level", "gender", "student_origin"])
    assert set(result.table["characteristic"]) == {"entrance_score", "prior_hsk_level", "gender", "student_origin"}
    # the generator draws baseline characteristics independently of adoption: every difference is small
    assert (result.table["effect_size"].abs() < 0.25).all(), result.summary()
