"""Tests of analyses.effects: WWC effect sizes, clustering correction and Benjamini-Hochberg."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.contingency_tables import Table2x2
from statsmodels.stats.multitest import multipletests

import analyses.mixed as mixed
from analyses import effects
from analyses.effects import (
    adjusted_g,
    benjamini_hochberg,
    clustering_correction,
    cox_index,
    cox_index_from_summary,
    hedges_g,
    hedges_g_from_summary,
    improvement_index,
    small_sample_correction,
    t_from_g,
)
from data_schema.errors import ArgumentError, ColumnError, EstimationError

X = np.array([72.0, 75, 80, 68, 90, 85, 77, 79, 83, 70])
Y = np.array([65.0, 70, 72, 60, 75, 68, 74, 71])


def _frame() -> pd.DataFrame:
    return pd.DataFrame({"score": np.r_[X, Y], "program": ["ice"] * X.size + ["trad"] * Y.size})


def test_hedges_g_matches_pingouin():
    # pingouin 0.7.0, run here: pg.compute_effsize(X, Y, eftype="hedges") -> 1.3205904881824948
    # (pingouin's correction is the same WWC/Hedges omega = 1 - 3/(4N - 9), pingouin/effsize.py convert_effsize).
    es = hedges_g(_frame(), outcome="score", group="program", treated="ice")
    assert es.estimate == pytest.approx(1.3205904881824948, abs=1e-12)
    # pg.compute_effsize(X, Y, eftype="cohen") -> 1.3866200125916197
    assert es.uncorrected == pytest.approx(1.3866200125916197, abs=1e-12)
    # pg.compute_esci(stat=g, nx=10, ny=8, eftype="hedges", decimals=12) -> [0.21205369, 2.42912728], built as
    # g -/+ t_{0.975, 16} * SE; recover SE from the printed interval (8 decimals).
    se_pg = (2.42912728 - 0.21205369) / (2 * stats.t.ppf(0.975, 16))
    assert es.std_error == pytest.approx(se_pg, abs=1e-8)


def test_hedges_g_baselinr_example():
    # baselinr (CRAN, WWC v5.0), reference/hedges_g.md: hedges_g(c(5,6,7,4,5,6), c(1,1,1,0,0,0)) -> 0.8
    frame = pd.DataFrame({"x": [5, 6, 7, 4, 5, 6], "g": [1, 1, 1, 0, 0, 0]})
    assert hedges_g(frame, outcome="x", group="g", treated=1).estimate == pytest.approx(0.8, abs=1e-7)
    assert small_sample_correction(6) == pytest.approx(0.8, abs=1e-15)


def test_hedges_g_from_summary_equals_data_version():
    es = hedges_g(_frame(), outcome="score", group="program", treated="ice")
    summ = hedges_g_from_summary(mean_treated=X.mean(), mean_control=Y.mean(), sd_treated=X.std(ddof=1),
                                 sd_control=Y.std(ddof=1), n_treated=10, n_control=8)
    assert summ.estimate == pytest.approx(es.estimate, abs=1e-14)
    assert summ.std_error == pytest.approx(es.std_error, abs=1e-14)


def test_hedges_g_weights():
    frame = _frame()
    frame["w"] = 3.0
    plain = hedges_g(frame, outcome="score", group="program", treated="ice")
    weighted = hedges_g(frame, outcome="score", group="program", treated="ice", weights="w")
    assert weighted.estimate == pytest.approx(plain.estimate, abs=1e-12)
    rng = np.random.default_rng(7)
    frame["w"] = rng.uniform(0.5, 2.0, len(frame))
    a = hedges_g(frame, outcome="score", group="program", treated="ice", weights="w")
    frame["w"] *= 10
    b = hedges_g(frame, outcome="score", group="program", treated="ice", weights="w")
    assert a.estimate == pytest.approx(b.estimate, abs=1e-12)
    arm = frame["program"] == "ice"
    assert a.treated_value == pytest.approx(np.average(X, weights=frame.loc[arm, "w"]), abs=1e-12)
    assert a.n_treated == 10


def test_cox_index_against_statsmodels_log_odds_ratio():
    # 2x2 table: treated 30 of 50 employed, comparison 20 of 50.  statsmodels Table2x2 gives ln(OR) and its
    # delta-method SE independently; the WWC Cox index is omega * ln(OR) / 1.65 with omega = 1 - 3/(4*100 - 9).
    table = Table2x2(np.array([[30, 20], [20, 30]]))
    omega = 1 - 3 / (4 * 100 - 9)
    es = cox_index_from_summary(p_treated=0.6, p_control=0.4, n_treated=50, n_control=50)
    assert es.estimate == pytest.approx(omega * table.log_oddsratio / 1.65, abs=1e-12)
    assert es.std_error == pytest.approx(omega * table.log_oddsratio_se / 1.65, abs=1e-12)
    data = pd.DataFrame({"employed": [1] * 30 + [0] * 20 + [1] * 20 + [0] * 30,
                         "program": ["ice"] * 50 + ["trad"] * 50})
    from_data = cox_index(data, outcome="employed", group="program", treated="ice")
    assert from_data.estimate == pytest.approx(es.estimate, abs=1e-14)


def test_cox_index_undefined_at_zero_or_one():
    # baselinr reference/cox_index.md: cox_index(c(1,1,1,1,0,1,0,0), c(1,1,1,1,0,0,0,0)) -> NA (proportion 1)
    data = pd.DataFrame({"x": [1, 1, 1, 1, 0, 1, 0, 0], "g": [1, 1, 1, 1, 0, 0, 0, 0]})
    with pytest.raises(EstimationError, match="strictly between 0 and 1"):
        cox_index(data, outcome="x", group="g", treated=1)
    with pytest.raises(EstimationError, match="binary outcome"):
        cox_index(data.assign(x=[2, 1, 1, 1, 0, 1, 0, 0]), outcome="x", group="g", treated=1)


@pytest.mark.parametrize(("d", "u3"), [(0.2, 57.9), (0.5, 69.1), (0.8, 78.8), (1.0, 84.1)])
def test_improvement_index_cohen_u3(d, u3):
    # Cohen (1988), Statistical Power Analysis for the Behavioral Sciences, 2nd ed., Table 2.2.1: U3 (%) for
    # d = 0.2, 0.5, 0.8, 1.0 printed to one decimal; the WWC improvement index is U3 - 50.
    assert improvement_index(d) == pytest.approx(u3 - 50, abs=0.05)
    es = hedges_g_from_summary(mean_treated=d, mean_control=0.0, sd_treated=1.0, sd_control=1.0,
                               n_treated=10**6, n_control=10**6)
    assert es.improvement_index == pytest.approx(u3 - 50, abs=0.05)


def test_improvement_index_handbook_worked_example():
    # WWC Procedures and Standards Handbook v2.0 (December 2008), Appendix F "Computation of the Improvement
    # Index" (ies.ed.gov/ncee/wwc/references/iDocViewer/Doc.aspx?docId=19&tocId=12, web-archived copy):
    # "an effect size of 0.25 ... would correspond to a U3 of 60% ... an improvement index of 10 percentile
    # points".  Printed to whole percents: tolerance 0.5.
    assert improvement_index(0.25) == pytest.approx(10, abs=0.5)
    assert improvement_index(0.25) + 50 == pytest.approx(60, abs=0.5)
    assert improvement_index(-0.25) == pytest.approx(-10, abs=0.5)


def test_adjusted_g_from_ols_coefficient():
    import statsmodels.formula.api as smf

    rng = np.random.default_rng(3)
    n = 200
    data = pd.DataFrame({"ice": np.repeat([1, 0], n // 2), "pre": rng.normal(size=n)})
    data["score"] = 0.3 * data["ice"] + 0.8 * data["pre"] + rng.normal(size=n)
    coef = smf.ols("score ~ ice + pre", data).fit().params["ice"]
    sd_t, sd_c = data.loc[data.ice == 1, "score"].std(), data.loc[data.ice == 0, "score"].std()
    es = adjusted_g(coef, sd_treated=sd_t, sd_control=sd_c, n_treated=100, n_control=100)
    pooled = np.sqrt((99 * sd_t**2 + 99 * sd_c**2) / 198)
    assert es.estimate == pytest.approx((1 - 3 / (4 * 200 - 9)) * coef / pooled, abs=1e-12)
    # Without covariates the OLS coefficient is the raw difference, so adjusted g equals Hedges' g from data.
    raw = smf.ols("score ~ ice", data).fit().params["ice"]
    plain = hedges_g(data, outcome="score", group="ice", treated=1)
    assert adjusted_g(raw, sd_treated=sd_t, sd_control=sd_c, n_treated=100,
                      n_control=100).estimate == pytest.approx(plain.estimate, abs=1e-12)


def test_clustering_correction_baselinr_example():
    # baselinr (CRAN), reference/cluster_correction.md (WWC v4.1 Appendix F):
    # cluster_correction(g = 0.30, n_treatment = 200, n_comparison = 200, m_treatment = 10, m_comparison = 10,
    #                    outcome = "achievement")
    #   t 2.983266, t_corrected 1.348605, df 231.6576, p_value 0.1787808, significant FALSE
    t = t_from_g(0.30, n_treated=200, n_control=200)
    assert t == pytest.approx(2.983266, abs=5e-7)
    res = clustering_correction(t, n_total=400, n_clusters=20)
    assert res.icc == 0.20
    assert res.t_corrected == pytest.approx(1.348605, abs=5e-7)
    assert res.df == pytest.approx(231.6576, abs=5e-5)
    assert res.p_value == pytest.approx(0.1787808, abs=5e-8)
    assert not res.significant


def test_clustering_correction_limits_and_defaults():
    # Hedges (2007): rho = 0 leaves t and df = N - 2 unchanged.
    res = clustering_correction(2.5, n_total=300, n_clusters=15, icc=0.0)
    assert res.t_corrected == pytest.approx(2.5, abs=1e-14)
    assert res.df == pytest.approx(298, abs=1e-10)
    assert res.p_value == pytest.approx(res.p_value_uncorrected, abs=1e-14)
    behav = clustering_correction(2.5, n_total=300, n_clusters=15, outcome_domain="behavioral")
    assert behav.icc == 0.10
    assert behav.icc_source == "wwc default: behavioral"


def test_benjamini_hochberg_matches_statsmodels():
    rng = np.random.default_rng(11)
    for p in (rng.uniform(0, 0.2, 25), np.array([0.01, 0.01, 0.04, 0.2, 0.04, 0.9, 0.0])):
        reject, adj, _, _ = multipletests(p, alpha=0.05, method="fdr_bh")
        out = benjamini_hochberg(p, alpha=0.05)
        np.testing.assert_allclose(out["p_adjusted"], adj, rtol=0, atol=1e-12)
        np.testing.assert_array_equal(out["reject"], reject)


def test_benjamini_hochberg_keeps_series_index():
    out = benjamini_hochberg(pd.Series({"gpa": 0.012, "hsk": 0.030, "retention": 0.20}))
    assert list(out.index) == ["gpa", "hsk", "retention"]
    assert out["rank"].tolist() == [1, 2, 3]


def test_cluster_effect_size_is_reexported():
    assert effects.cluster_effect_size is mixed.cluster_effect_size
    assert effects.cluster_effect_size_from_summary is mixed.cluster_effect_size_from_summary


def test_result_outputs():
    es = hedges_g(_frame(), outcome="score", group="program", treated="ice")
    tidy = es.tidy()
    assert tidy.loc[0, "term"] == "hedges_g"
    assert tidy.loc[0, "n_obs"] == 18
    assert tidy.loc[0, "ci_low"] < es.estimate < tidy.loc[0, "ci_high"]
    assert "improvement index" in es.summary()
    json.dumps(es.to_dict())
    res = clustering_correction(2.5, n_total=300, n_clusters=15)
    assert res.tidy()["term"].tolist() == ["uncorrected", "clustering_corrected"]
    assert "corrected" in res.summary()
    json.dumps(res.to_dict())


def test_bad_input():
    frame = _frame()
    with pytest.raises(ColumnError, match="no column 'nope'"):
        hedges_g(frame, outcome="nope", group="program", treated="ice")
    with pytest.raises(EstimationError, match="expected exactly two"):
        hedges_g(frame, outcome="score", group="program", treated="other")
    with pytest.raises(EstimationError, match="pooled SD is 0"):
        hedges_g_from_summary(mean_treated=1, mean_control=0, sd_treated=0, sd_control=0, n_treated=5, n_control=5)
    with pytest.raises(ArgumentError, match="at least 2 observations"):
        hedges_g_from_summary(mean_treated=1, mean_control=0, sd_treated=1, sd_control=1, n_treated=1, n_control=5)
    with pytest.raises(ArgumentError, match="outcome_domain='reading' is not a valid choice"):
        clustering_correction(2.0, n_total=100, n_clusters=10, outcome_domain="reading")
    with pytest.raises(ArgumentError, match="icc=1.2"):
        clustering_correction(2.0, n_total=100, n_clusters=10, icc=1.2)
    with pytest.raises(ArgumentError, match="more students than clusters"):
        clustering_correction(2.0, n_total=10, n_clusters=10)
    with pytest.raises(ArgumentError, match="expected one or more numbers"):
        benjamini_hochberg([0.1, np.nan])
    with pytest.raises(ArgumentError, match="weights column"):
        hedges_g(frame.assign(w=-1.0), outcome="score", group="program", treated="ice", weights="w")
