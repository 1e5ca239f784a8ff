"""Inference and the researcher's quantities of ``analyses.mixed``: Satterthwaite df, LRTs, profile intervals,
ICCs and design effects, Nakagawa R², Hedges' cluster effect sizes and growth trajectories.

Reference values come from R output printed in public sources, cited next to each number, or from
independent Python implementations run here (statsmodels MixedLM).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analyses.mixed.effect_size import cluster_effect_size, cluster_effect_size_from_summary
from analyses.mixed.fit import fit
from analyses.mixed.growth import growth_trajectories
from analyses.mixed.icc import design_effect, design_effect_from_summary, icc, variance_decomposition
from analyses.mixed.intervals import profile_intervals
from analyses.mixed.lrt import likelihood_ratio_test
from analyses.mixed.r2 import r2_nakagawa
from analyses.mixed.satterthwaite import fixed_effects_table, satterthwaite
from analyses.mixed.simulate import simulate_growth, simulate_nested
from data_schema.errors import ArgumentError, EstimationError

DATA = Path(__file__).parent / "data"
EXAMPLES = Path(__file__).resolve().parents[1] / "surveys" / "example_data"


@pytest.fixture(scope="module")
def sleep() -> pd.DataFrame:
    """lme4's sleepstudy (180 rows; provenance in reference-data/SOURCES.md)."""
    return pd.read_csv(DATA / "sleepstudy.csv")


@pytest.fixture(scope="module")
def fm1(sleep: pd.DataFrame):
    """``lmer(Reaction ~ Days + (Days | Subject), sleepstudy)`` (REML)."""
    return fit(sleep, "Reaction ~ Days", groups="Subject", re_formula="~ Days")


@pytest.fixture(scope="module")
def fm0(sleep: pd.DataFrame):
    """``lmer(Reaction ~ Days + (1 | Subject), sleepstudy)`` (REML)."""
    return fit(sleep, "Reaction ~ Days", groups="Subject")


# --- Satterthwaite ---------------------------------------------------------------------------------------------


def test_satterthwaite_sleepstudy_random_slope(fm1) -> None:
    sat = satterthwaite(fm1)
    # lmerTest step(fm1), printed in lme4/lme4 issue #562: "Days 1 17 45.853 3.264e-06" (NumDF, DenDF, F, p);
    # easystats/insight PR #561: emmeans(lmer.df = "satterthwaite") df 16.99973 for the intercept (Days = 0),
    # at lme4's optimum; easystats/parameters issue #227: "should be 16.99 and 17".  DenDF is printed to 5
    # significant digits, so the tolerance is half a unit in the 5th digit.
    np.testing.assert_allclose(sat.df, [17.0, 17.0], atol=5e-4)
    np.testing.assert_allclose(sat.statistic[1] ** 2, 45.853, atol=5e-4)
    np.testing.assert_allclose(sat.p_value[1], 3.264e-06, rtol=5e-4)
    # t values 36.838 and 6.771 as printed by lme4's summary (reference-data/SOURCES.md, "commonly reproduced").
    np.testing.assert_allclose(sat.statistic, [36.838, 6.771], atol=5e-4)


def test_satterthwaite_balanced_within_subject_df_is_exact(fm0) -> None:
    # Balanced random-intercept design: the within-subject effect's Satterthwaite df equal the error df of the
    # within-subject stratum, N - G - 1 = 180 - 18 - 1 = 161 (the value lmerTest prints for this model).
    sat = satterthwaite(fm0)
    np.testing.assert_allclose(sat.df[1], 161.0, atol=1e-4)


def test_satterthwaite_contrasts_match_rows(fm1) -> None:
    rows = satterthwaite(fm1).tidy()
    one = satterthwaite(fm1, [0.0, 1.0]).tidy()
    named = satterthwaite(fm1, {"day effect": [0.0, 1.0], "day 5": [1.0, 5.0]})
    np.testing.assert_allclose(one[["estimate", "std_error", "df", "p_value"]].to_numpy()[0],
                               rows[["estimate", "std_error", "df", "p_value"]].to_numpy()[1], rtol=1e-12)
    assert named.terms == ("day effect", "day 5")
    np.testing.assert_allclose(named.estimate[1], fm1.beta[0] + 5 * fm1.beta[1], rtol=1e-12)
    with pytest.raises(ArgumentError, match="one per fixed effect"):
        satterthwaite(fm1, [1.0, 2.0, 3.0])


def test_fixed_effects_table_choices(fm1) -> None:
    normal = fixed_effects_table(fm1, ddf="normal")
    sat = fixed_effects_table(fm1)
    assert normal["df"].isna().all() and (sat["df"] > 16).all()
    assert list(sat.columns[:12]) == ["term", "estimate", "std_error", "statistic", "df", "p_value", "ci_low",
                                      "ci_high", "ci_level", "n_obs", "n_clusters", "method"]
    with pytest.raises(ArgumentError, match="ddf='kr'"):
        fixed_effects_table(fm1, ddf="kr")  # type: ignore[arg-type]
    assert "Satterthwaite" in satterthwaite(fm1).summary()
    assert satterthwaite(fm1).to_dict()["tests"][1]["term"] == "Days"


# --- likelihood-ratio tests ------------------------------------------------------------------------------------


def test_lrt_ml_refit_matches_statsmodels(sleep: pd.DataFrame, fm0, fm1) -> None:
    test = likelihood_ratio_test(fm0, fm1)
    from statsmodels.regression.mixed_linear_model import MixedLM

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sm0 = MixedLM.from_formula("Reaction ~ Days", sleep, groups=sleep["Subject"]).fit(reml=False)
        sm1 = MixedLM.from_formula("Reaction ~ Days", sleep, groups=sleep["Subject"], re_formula="~Days").fit(
            reml=False)
    # statsmodels 0.15 MixedLM, ML, run here: -2 llf 1794.0786 and 1751.9393 (SOURCES.md: ML deviance 1751.9393).
    np.testing.assert_allclose([test.deviance_reduced, test.deviance_full], [-2 * sm0.llf, -2 * sm1.llf], atol=1e-5)
    np.testing.assert_allclose(test.statistic, 2 * (sm1.llf - sm0.llf), atol=1e-5)
    assert test.df == 2 and test.criterion == "ML"
    np.testing.assert_allclose(test.p_value, stats.chi2.sf(test.statistic, 2), rtol=1e-12)
    mixture = 0.5 * stats.chi2.sf(test.statistic, 1) + 0.5 * stats.chi2.sf(test.statistic, 2)
    np.testing.assert_allclose(test.p_value_mixture, mixture, rtol=1e-12)
    # ML AIC of fm1: 1764 (lme4 tests/lmer-1.Rout.save, via reference-data/SOURCES.md), printed to 4 digits.
    np.testing.assert_allclose(test.aic_full, 1764, atol=0.5)


def test_lrt_reml_matches_lmertest_ranova(fm0, fm1) -> None:
    test = likelihood_ratio_test(fm0, fm1, refit=False)
    # lmerTest step(fm1) random-effect table in lme4/lme4 issue #562:
    # "Days in (Days | Subject) 0 4 -893.23 1794.5 42.837 2 4.99e-10".
    np.testing.assert_allclose(test.statistic, 42.837, atol=5e-4)
    np.testing.assert_allclose(test.p_value, 4.99e-10, rtol=1e-3)
    np.testing.assert_allclose(-test.deviance_reduced / 2, -893.23, atol=5e-3)
    np.testing.assert_allclose(test.aic_reduced, 1794.5, atol=0.05)
    assert test.tidy().loc[0, "p_value_mixture"] < test.p_value


def test_lrt_rejects_bad_pairs(sleep: pd.DataFrame, fm0, fm1) -> None:
    with pytest.raises(EstimationError, match="pass the smaller"):
        likelihood_ratio_test(fm1, fm0)
    intercept_only = fit(sleep, "Reaction ~ 1", groups="Subject")
    with pytest.raises(EstimationError, match="not comparable"):
        likelihood_ratio_test(intercept_only, fm1, refit=False)


# --- profile intervals -----------------------------------------------------------------------------------------


def test_profile_intervals_match_lme4_example(sleep: pd.DataFrame) -> None:
    # lmer(Reaction ~ Days + (Days || Subject)) written as (0 + Days | Subject) + (1 | Subject).
    fm2 = fit(sleep, "Reaction ~ Days", groups="Subject", re_formula="~ 0 + Days", vc={"intercept": "Subject"})
    ci = profile_intervals(fm2).tidy().set_index("term")
    # lme4 man/confint.merMod.Rd example: CI2 <- confint(fm2, maxpts = 8), checked there with
    # stopifnot(all.equal(tolerance = 5e-6, ...)): .sig01 (intercept) 15.25847-37.78184, .sig02 (Days)
    # 3.964157-8.768238, .sigma 22.88062-28.78768 (lme4 profiles the ML deviance).  lme4 interpolates an 8-point
    # profile with splines, so its limits carry an interpolation error of about 1e-4 relative; the limits here
    # are solved for directly, and the tolerance is that of the reference's method, not of its printed digits.
    expected = {"sd_Intercept|intercept": (15.25847, 37.78184), "sd_Days|Subject": (3.964157, 8.768238),
                "sigma": (22.88062, 28.78768)}
    for term, (lo, hi) in expected.items():
        np.testing.assert_allclose(ci.loc[term, ["ci_low", "ci_high"]].to_numpy(dtype=float), [lo, hi], rtol=2e-4)


# --- ICC, variance decomposition, design effect ----------------------------------------------------------------


def test_icc_one_way_matches_shrout_fleiss() -> None:
    wide = pd.read_csv(EXAMPLES / "shrout_fleiss_1979.csv")
    long = wide.melt(id_vars="target", var_name="judge", value_name="rating")
    result = fit(long, "rating ~ 1", groups="target")
    out = icc(result)
    # ICC(1,1) = 0.1657418 (pingouin 0.7 / R psych::ICC on Shrout & Fleiss 1979; reference-data/SOURCES.md):
    # for a balanced one-way design the REML ICC equals the ANOVA ICC(1,1) when it is positive.
    np.testing.assert_allclose(out.icc[0], 0.1657418, atol=5e-8)
    assert out.ci_low[0] < out.icc[0] < out.ci_high[0]


def test_icc_adjusted_matches_performance(fm0) -> None:
    # performance::icc(lmer(Reaction ~ Days + (1 | Subject))) "Adjusted ICC: 0.589" (easystats/performance PR #506).
    np.testing.assert_allclose(icc(fm0).icc[0], 0.589, atol=5e-4)
    decomposition = variance_decomposition(fm0)
    np.testing.assert_allclose(decomposition["share"].sum(), 1.0, rtol=1e-12)


def test_icc_hsb_null_model_matches_statsmodels() -> None:
    hsb = pd.read_csv(DATA / "hsb.csv", usecols=["sch.id", "math"]).rename(columns={"sch.id": "school"})
    result = fit(hsb, "math ~ 1", groups="school")
    from statsmodels.regression.mixed_linear_model import MixedLM

    sm = MixedLM.from_formula("math ~ 1", hsb, groups=hsb["school"]).fit(reml=True)
    # statsmodels MixedLM (REML), run here: -2 REML llf 47116.793484; the likelihood is flat in tau, so its
    # variance estimates differ from this fit's in the 4th digit while the criterion agrees to 1e-6 (and this fit's
    # is not higher).
    assert result.criterion <= -2 * sm.llf + 1e-6
    np.testing.assert_allclose(result.criterion, -2 * sm.llf, atol=1e-6)
    out = icc(result)
    # Raudenbush & Bryk (2002, Table 4.2), the one-way random-effects ANOVA of HSB math achievement:
    # tau00 = 8.61, sigma^2 = 39.15 (printed to 2 decimals), so ICC = 8.61 / 47.76 = 0.18.
    np.testing.assert_allclose([out.variances[0], out.residual_variance], [8.61, 39.15], atol=5e-3)
    np.testing.assert_allclose(out.icc[0], 0.18, atol=5e-3)
    assert 0.0 < out.ci_low[0] < out.icc[0] < out.ci_high[0] < 1.0


def test_icc_rejects_random_slopes(fm1) -> None:
    with pytest.raises(EstimationError, match="random intercepts only"):
        icc(fm1)


def test_design_effect_kish_and_nested() -> None:
    data = simulate_nested(n_institutions=12, classes_per_institution=3, students_per_class=5, waves=1, seed=4,
                           variances={"institution": 0.4, "class": 0.2})
    two = fit(data, "score ~ 1", groups="institution_id")
    deff = design_effect(data, two)
    share = variance_decomposition(two)["share"].iloc[0]
    # Kish (1965): 1 + (m - 1) rho with m = 15 students per institution.
    np.testing.assert_allclose(deff.design_effect, 1 + 14 * share, rtol=1e-12)
    np.testing.assert_allclose(deff.design_effect, design_effect_from_summary(share, 15), rtol=1e-12)
    three = fit(data, "score ~ 1", groups="institution_id", vc={"class": "class_id"})
    shares = variance_decomposition(three)["share"].to_numpy()
    np.testing.assert_allclose(design_effect(data, three).design_effect, 1 + 14 * shares[0] + 4 * shares[1],
                               rtol=1e-12)
    with pytest.raises(ArgumentError, match="must be matching"):
        design_effect_from_summary(0.1, 0.5)
    with pytest.raises(ArgumentError, match="pass the data"):
        design_effect(data.iloc[:-5], two)


# --- Nakagawa R² -----------------------------------------------------------------------------------------------


def test_r2_nakagawa_sleepstudy(sleep: pd.DataFrame, fm0, fm1) -> None:
    # performance::r2_nakagawa, printed to 3 digits: random slope model "Conditional R2: 0.799, Marginal R2: 0.279"
    # (easystats/performance issue #428); random intercept model "0.704" and "0.280" (PR #506).
    slope = r2_nakagawa(sleep, fm1)
    np.testing.assert_allclose([slope.conditional, slope.marginal], [0.799, 0.279], atol=5e-4)
    intercept = r2_nakagawa(sleep, fm0)
    np.testing.assert_allclose([intercept.conditional, intercept.marginal], [0.704, 0.280], atol=5e-4)
    assert list(slope.tidy()["term"]) == ["R2_marginal", "R2_conditional"]


# --- Hedges (2007) effect sizes --------------------------------------------------------------------------------


def test_effect_size_reduces_to_textbook_without_clustering() -> None:
    # Hedges (2007): with rho = 0, V(d_T) is the familiar (N_T+N_C)/(N_T N_C) + d^2 / (2(N-2)) and d_T = d.
    es = cluster_effect_size_from_summary(mean_treated=0.5, mean_control=0.0, sd_total=1.0, icc=0.0,
                                          cluster_size=10, clusters_treated=3, clusters_control=4)
    np.testing.assert_allclose(es.delta_t, 0.5, rtol=1e-12)
    np.testing.assert_allclose(es.var_t, 70 / 1200 + 0.25 / (2 * 68), rtol=1e-12)
    with pytest.raises(ArgumentError, match="icc=1.2"):
        cluster_effect_size_from_summary(mean_treated=0.5, mean_control=0.0, sd_total=1.0, icc=1.2,
                                         cluster_size=10, clusters_treated=3, clusters_control=3)


def test_effect_size_raw_data_matches_summary() -> None:
    rng = np.random.default_rng(3)
    cluster = np.repeat(np.arange(16), 12)
    arm = np.where(cluster < 8, "integrated", "traditional")
    y = 0.4 * (arm == "integrated") + rng.normal(0, 0.5, 16)[cluster] + rng.normal(0, 1, cluster.size)
    data = pd.DataFrame({"y": y, "program": arm, "class": cluster})
    es = cluster_effect_size(data, outcome="y", treatment="program", cluster="class", treated="integrated", icc=0.2)
    s_t = np.sqrt(sum(((g - g.mean()) ** 2).sum() for _, g in data.groupby("program")["y"]) / (192 - 2))
    ref = cluster_effect_size_from_summary(mean_treated=y[arm == "integrated"].mean(),
                                           mean_control=y[arm == "traditional"].mean(), sd_total=s_t, icc=0.2,
                                           cluster_size=12, clusters_treated=8, clusters_control=8,
                                           sd_within=es.sd_within)
    np.testing.assert_allclose([es.delta_t, es.var_t, es.delta_w, es.var_w],
                               [ref.delta_t, ref.var_t, ref.delta_w, ref.var_w], rtol=1e-12)
    with pytest.raises(EstimationError, match="exactly two"):
        cluster_effect_size(data, outcome="y", treatment="program", cluster="class", treated="other")


@pytest.mark.slow
def test_effect_size_simulation_mean_and_variance() -> None:
    # Direct simulation (no worked example of Hedges 2007 was found in print): 4,000 designs with 10 + 10
    # clusters of 20, rho = 0.2, delta_T = 0.5.  The mean estimate must be within 4 Monte-Carlo SEs of delta and
    # the empirical variance within 4 SEs (relative SE sqrt(2 / R) = 2.2%) of the mean formula variance.
    rng = np.random.default_rng(2007)
    reps, m, n, rho, delta = 4000, 10, 20, 0.2, 0.5
    y = rng.normal(0, np.sqrt(rho), (reps, 2 * m))[:, :, None] + rng.normal(0, np.sqrt(1 - rho), (reps, 2 * m, n))
    y[:, :m] += delta
    big_n = 2 * m * n
    mt, mc = y[:, :m].reshape(reps, -1).mean(1), y[:, m:].reshape(reps, -1).mean(1)
    ss_t = ((y[:, :m].reshape(reps, -1) - mt[:, None]) ** 2).sum(1) + ((y[:, m:].reshape(reps, -1) - mc[:, None]) ** 2
                                                                      ).sum(1)
    s_w = np.sqrt(((y - y.mean(2, keepdims=True)) ** 2).sum((1, 2)) / (big_n - 2 * m))
    out = [cluster_effect_size_from_summary(mean_treated=a, mean_control=b, sd_total=np.sqrt(c / (big_n - 2)),
                                            sd_within=d, icc=rho, cluster_size=n, clusters_treated=m,
                                            clusters_control=m) for a, b, c, d in zip(mt, mc, ss_t, s_w, strict=True)]
    for est, var, target in (([o.delta_t for o in out], [o.var_t for o in out], delta),
                             ([o.delta_w for o in out], [o.var_w for o in out], delta / np.sqrt(1 - rho))):
        est = np.asarray(est)
        assert abs(est.mean() - target) < 4 * est.std() / np.sqrt(reps)
        assert abs(est.var() / np.mean(var) - 1) < 4 * np.sqrt(2 / reps)


# --- growth trajectories ---------------------------------------------------------------------------------------


def test_growth_trajectories_match_statsmodels_predict() -> None:
    data = simulate_growth(n_students=200, waves=4, seed=8)
    result = fit(data, "score ~ wave * program", groups="student_id", re_formula="~ wave")
    traj = growth_trajectories(data, result, time="wave", program="program")
    from statsmodels.regression.mixed_linear_model import MixedLM

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sm = MixedLM.from_formula("score ~ wave * program", data, groups=data["student_id"],
                                  re_formula="~wave").fit(reml=True)
    grid = traj.predictions[["program", "wave"]]
    # statsmodels MixedLMResults.predict: the fixed-effects part, on the same grid (statsmodels run here).
    np.testing.assert_allclose(traj.predictions["estimate"], sm.predict(grid), atol=1e-6)
    x = traj.contrasts[: len(grid)]
    names = list(result.fixed_names)
    order = [list(sm.fe_params.index).index(n) for n in names]
    cov = sm.cov_params().to_numpy()[np.ix_(order, order)]
    np.testing.assert_allclose(traj.predictions["std_error"], np.sqrt(np.einsum("ij,jk,ik->i", x, cov, x)), rtol=1e-4)
    diff = traj.differences.set_index("wave")["estimate"]
    slope_gap = result.beta[names.index("wave:program[T.traditional]")]
    np.testing.assert_allclose(diff.loc[3.0] - diff.loc[0.0], 3 * slope_gap, rtol=1e-10)
    # The synthetic truth: traditional minus integrated grows by 0.1 per wave (simulate_growth defaults).
    assert abs(result.beta[names.index("wave:program[T.traditional]")] - 0.1) < 3 * result.std_errors[3]
    assert (traj.predictions["df"] > 150).all()
    assert set(traj.tidy()["kind"]) == {"mean", "difference"}


def test_growth_needs_other_covariates() -> None:
    data = simulate_growth(n_students=30, waves=3, seed=1)
    data["age"] = np.random.default_rng(2).normal(15.0, 1.0, len(data))
    result = fit(data, "score ~ wave * program + age", groups="student_id")
    with pytest.raises(ArgumentError, match="at="):
        growth_trajectories(data, result, time="wave", program="program")
    traj = growth_trajectories(data, result, time="wave", program="program", at={"age": 15.0}, ddf="normal")
    assert np.isinf(traj.predictions["df"]).all()
