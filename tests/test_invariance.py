"""Multi-group CFA and the measurement-invariance ladder against lavaan / semTools printed output.

Data
----
``tests/data/invariance/HolzingerSwineford1939.csv`` is lavaan's
``HolzingerSwineford1939`` (301 rows; x1..x9; school Pasteur 156 / Grant-White
145; one missing ``grade``), copied byte for byte from the public repository
Statsomat/CFA, path ``HolzingerSwineford1939.csv``, commit
8b4a3ee402ec7b0c5ef436841f035a9f7a602839.
sha256 = 17eaf75bc8c6bcbcf1e7a9340b01709c791710c272557c8fdafeeeb1ce9dbcaf.
Checked here: 301 rows, column means x1 = 4.936 ... x9 = 5.374, and the lavaan
chi-squares below reproduce to every printed digit.

References (printed output; every expected value below names its source)
------------------------------------------------------------------------
[CFA]    lavaan tutorial "A CFA example" (lavaan 0.6-11 output of
         ``summary(cfa(HS.model, data = HolzingerSwineford1939), fit.measures = TRUE)``),
         https://lavaan.ugent.be/tutorial/cfa.html; source file
         yrosseel/lavaan.org.old, tutorial.src/cfa.md, commit acaddc4302df4dc49eaebfda2b7c659a43cd290a.
[GROUPS] lavaan tutorial "Multiple groups" (lavaan 0.5-16 output of ``cfa(HS.model, data =
         HolzingerSwineford1939, group = "school")``, the same with ``group.equal = "loadings"``, and
         semTools ``measurementInvariance(HS.model, data = HolzingerSwineford1939, group = "school")``);
         source file yrosseel/lavaan.org.old, tutorial.src/groups.tex, commit
         2d9c6e12e202dcd33392f5b453aed9f3cd3cab39.  The current page,
         https://lavaan.ugent.be/tutorial/groups.html (lavaan 0.6-21), prints the same configural
         test statistic 115.851, df 48, per-group 64.309 / 51.542 and 60 model parameters.

Definitions of CFI/TLI (R/lav_fit_cfi.R), RMSEA with sqrt(G) and N = total sample
size for ML "normal" likelihood (R/lav_fit_rmsea.R, lav_utils_get_ntotal) and SRMR
(R/lav_fit_srmr.R, "srmr_bentler" with means when the model has a mean
structure) were read from yrosseel/lavaan.  N versus N-1 in the multi-group
RMSEA is not distinguishable at the printed 3 decimals; the source decides it.

Tolerance: half a unit of the last printed digit (``printed`` helper).
"""

from __future__ import annotations

import hashlib
import json
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from data_schema.errors import EstimationError, EstimationWarning
from surveys.invariance import (
    ChenCutoffs,
    cfa,
    cfa_from_summary,
    invariance,
    invariance_from_summary,
    simulate_groups,
)

DATA = Path(__file__).parent / "data" / "invariance" / "HolzingerSwineford1939.csv"
SHA256 = "17eaf75bc8c6bcbcf1e7a9340b01709c791710c272557c8fdafeeeb1ce9dbcaf"
HS_MODEL = {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"], "speed": ["x7", "x8", "x9"]}
ITEMS = [f"x{i}" for i in range(1, 10)]


def printed(value: float, shown: float, digits: int = 3) -> bool:
    """True if ``value`` prints as ``shown`` with ``digits`` decimals (half-unit tolerance)."""
    return abs(value - shown) <= 0.5 * 10**-digits + 1e-12


@pytest.fixture(scope="module")
def hs() -> pd.DataFrame:
    return pd.read_csv(DATA)


@pytest.fixture(scope="module")
def single(hs):
    return cfa(hs, factors=HS_MODEL)


@pytest.fixture(scope="module")
def ladder(hs):
    return invariance(hs, factors=HS_MODEL, group="school")


def estimate(res, term, group=None, column="estimate"):
    tidy = res.tidy()
    rows = tidy[(tidy["term"] == term) & (tidy["group"].isna() if group is None else tidy["group"] == group)]
    assert len(rows) == 1, term
    return float(rows[column].iloc[0])


# --- the data -------------------------------------------------------------------------------------


def test_dataset_is_lavaans_holzinger_swineford(hs):
    assert hashlib.sha256(DATA.read_bytes()).hexdigest() == SHA256
    assert hs.shape == (301, 15)
    assert hs["school"].value_counts().to_dict() == {"Pasteur": 156, "Grant-White": 145}
    means = hs[ITEMS].mean()
    # lavaan's HolzingerSwineford1939: colMeans x1 = 4.936, x9 = 5.374 (3 decimals)
    assert printed(means["x1"], 4.936) and printed(means["x9"], 5.374)


# --- single-group three-factor model vs [CFA] ----------------------------------------------------


def test_single_group_fit_measures_match_lavaan(single):
    f = single.fit
    assert single.converged and not single.warnings
    assert printed(f.chisq, 85.306) and f.df == 24  # [CFA] Test statistic 85.306, Degrees of freedom 24
    assert printed(f.baseline_chisq, 918.852) and f.baseline_df == 36  # [CFA] Model Test Baseline Model
    assert printed(f.cfi, 0.931) and printed(f.tli, 0.896)  # [CFA] CFI 0.931, TLI 0.896
    assert printed(f.rmsea, 0.092)  # [CFA] RMSEA 0.092
    assert printed(f.rmsea_ci_low, 0.071) and printed(f.rmsea_ci_high, 0.114)  # [CFA] 90 Percent CI
    assert printed(f.srmr, 0.065)  # [CFA] SRMR 0.065
    assert printed(f.loglik, -3737.745) and printed(f.loglik_h1, -3695.092)  # [CFA] Loglikelihood H0, H1
    assert printed(f.aic, 7517.490) and printed(f.bic, 7595.339)  # [CFA] Akaike, Bayesian
    assert f.n_parameters == 21 and f.n_obs == 301  # [CFA] Number of model parameters 21, observations 301
    assert f.p_value < 0.0005  # [CFA] P-value (Chi-square) 0.000


# [CFA] "Latent Variables", "Covariances", "Variances": Estimate, Std.Err (3 decimals)
CFA_ESTIMATES = [
    ("visual=~x2", 0.554, 0.100),
    ("visual=~x3", 0.729, 0.109),
    ("textual=~x5", 1.113, 0.065),
    ("textual=~x6", 0.926, 0.055),
    ("speed=~x8", 1.180, 0.165),
    ("speed=~x9", 1.082, 0.151),
    ("visual~~textual", 0.408, 0.074),
    ("visual~~speed", 0.262, 0.056),
    ("textual~~speed", 0.173, 0.049),
    ("x1~~x1", 0.549, 0.114),
    ("x2~~x2", 1.134, 0.102),
    ("x3~~x3", 0.844, 0.091),
    ("x4~~x4", 0.371, 0.048),
    ("x5~~x5", 0.446, 0.058),
    ("x6~~x6", 0.356, 0.043),
    ("x7~~x7", 0.799, 0.081),
    ("x8~~x8", 0.488, 0.074),
    ("x9~~x9", 0.566, 0.071),
    ("visual~~visual", 0.809, 0.145),
    ("textual~~textual", 0.979, 0.112),
    ("speed~~speed", 0.384, 0.086),
]


@pytest.mark.parametrize(("term", "est", "se"), CFA_ESTIMATES)
def test_single_group_estimates_and_expected_information_se_match_lavaan(single, term, est, se):
    assert printed(estimate(single, term), est)
    assert printed(estimate(single, term, column="std_error"), se)


def test_single_group_z_values_match_lavaan(single):
    # [CFA] z-value column: visual=~x2 5.554, textual=~x5 17.014, speed~~speed 4.451
    assert printed(estimate(single, "visual=~x2", column="statistic"), 5.554)
    assert printed(estimate(single, "textual=~x5", column="statistic"), 17.014)
    assert printed(estimate(single, "speed~~speed", column="statistic"), 4.451)


def test_marker_loadings_are_fixed_and_without_se(single):
    tidy = single.tidy()
    markers = tidy[tidy["term"].isin(["visual=~x1", "textual=~x4", "speed=~x7"])]
    assert (markers["estimate"] == 1.0).all() and not markers["free"].any()
    assert markers["std_error"].isna().all()
    assert list(tidy.columns[:6]) == ["group", "term", "kind", "lhs", "op", "rhs"]


def test_meanstructure_single_group_keeps_chisq_and_adds_intercepts(hs, single):
    res = cfa(hs, factors=HS_MODEL, meanstructure=True)
    assert res.fit.chisq == pytest.approx(single.fit.chisq, abs=1e-8) and res.fit.df == 24
    assert res.fit.n_parameters == 30  # 21 + 9 intercepts
    assert res.fit.srmr == pytest.approx(single.fit.srmr * np.sqrt(45 / 54), rel=1e-6)  # zero mean residuals
    assert res.intercepts().to_numpy() == pytest.approx(hs[ITEMS].mean().to_numpy(), abs=1e-8)


def test_variance_identification_rescales_the_marker_solution(hs, single):
    res = cfa(hs, factors=HS_MODEL, identification="variance")
    assert res.fit.chisq == pytest.approx(single.fit.chisq, abs=1e-7)
    phi = single.factor_covariance()
    expected = single.loadings()["visual"] * np.sqrt(phi.loc["visual", "visual"])
    assert res.loadings()["visual"].to_numpy() == pytest.approx(expected.to_numpy(), abs=1e-6)
    assert np.diag(res.factor_covariance()) == pytest.approx([1.0, 1.0, 1.0])


def test_standardized_loading_is_lambda_sd_factor_over_sd_item(single):
    sigma, _ = single.implied()
    phi = single.factor_covariance().loc["visual", "visual"]
    lam = single.loadings().loc["x2", "visual"]
    assert estimate(single, "visual=~x2", column="estimate_std") == pytest.approx(
        lam * np.sqrt(phi) / np.sqrt(sigma.loc["x2", "x2"])
    )


def test_from_summary_equals_raw_data(hs, single):
    cov = hs[ITEMS].cov()  # divisor N - 1, as published matrices are
    res = cfa_from_summary(factors=HS_MODEL, covariances=cov, n_obs=len(hs))
    assert res.fit.chisq == pytest.approx(single.fit.chisq, rel=1e-10)
    assert res.std_errors == pytest.approx(single.std_errors, rel=1e-8)


def test_one_factor_path_for_omega(hs):
    res = cfa(hs, factors={"textual": ["x4", "x5", "x6"]})
    assert res.fit.df == 0 and res.converged
    lam, theta = res.loadings()["textual"], res.residual_variances()
    phi = res.factor_covariance().loc["textual", "textual"]
    sigma, _ = res.implied()
    # a just-identified one-factor model reproduces the sample covariance matrix exactly
    assert sigma.to_numpy() == pytest.approx(hs[["x4", "x5", "x6"]].cov(ddof=0).to_numpy(), abs=1e-8)
    omega = lam.sum() ** 2 * phi / (lam.sum() ** 2 * phi + theta.sum())
    assert 0.0 < omega < 1.0


# --- multi-group models vs [GROUPS] --------------------------------------------------------------


def test_configural_model_matches_lavaan(hs):
    res = cfa(hs, factors=HS_MODEL, group="school")
    assert res.groups == ("Pasteur", "Grant-White") and res.n_obs == (156, 145)
    assert printed(res.fit.chisq, 115.851) and res.fit.df == 48  # [GROUPS] 115.851, df 48
    assert printed(res.chisq_by_group[0], 64.309) and printed(res.chisq_by_group[1], 51.542)  # [GROUPS]
    assert res.fit.n_parameters == 60  # lavaan.ugent.be/tutorial/groups.html: Number of model parameters 60
    # [GROUPS] Group 1 [Pasteur] and Group 2 [Grant-White]: Estimate, Std.err, Z-value
    assert printed(estimate(res, "visual=~x2", "Pasteur"), 0.394)
    assert printed(estimate(res, "visual=~x2", "Pasteur", "std_error"), 0.122)
    assert printed(estimate(res, "visual=~x2", "Pasteur", "statistic"), 3.220)
    assert printed(estimate(res, "x1~1", "Pasteur"), 4.941)
    assert printed(estimate(res, "x1~1", "Pasteur", "std_error"), 0.095)
    assert printed(estimate(res, "x1~~x1", "Pasteur"), 0.298)
    assert printed(estimate(res, "x1~~x1", "Pasteur", "std_error"), 0.232)
    assert printed(estimate(res, "visual=~x3", "Grant-White"), 0.925)
    assert printed(estimate(res, "visual=~x3", "Grant-White", "std_error"), 0.166)
    assert printed(estimate(res, "textual~~speed", "Grant-White"), 0.222)
    assert printed(estimate(res, "textual~~speed", "Grant-White", "std_error"), 0.073)
    assert printed(estimate(res, "speed~~speed", "Grant-White"), 0.461)


def test_metric_model_matches_lavaan(hs):
    res = cfa(hs, factors=HS_MODEL, group="school", group_equal=["loadings"])
    assert printed(res.fit.chisq, 124.044) and res.fit.df == 54  # [GROUPS] 124.044, df 54
    assert printed(res.chisq_by_group[0], 68.825) and printed(res.chisq_by_group[1], 55.219)  # [GROUPS]
    for group in ("Pasteur", "Grant-White"):  # [GROUPS] equal loadings: x2 0.599 (0.100), x3 0.784 (0.108)
        assert printed(estimate(res, "visual=~x2", group), 0.599)
        assert printed(estimate(res, "visual=~x2", group, "std_error"), 0.100)
        assert printed(estimate(res, "visual=~x3", group, "statistic"), 7.267)
        assert estimate(res, "visual=~x2", group, "equal_across_groups") == 1.0
    assert printed(estimate(res, "textual~~speed", "Grant-White"), 0.226)  # [GROUPS] 0.226 (0.072)
    assert printed(estimate(res, "textual~~speed", "Grant-White", "std_error"), 0.072)
    assert printed(estimate(res, "x5~1", "Grant-White", "statistic"), 47.173)  # [GROUPS] x5 4.712 (0.100) 47.173


# [GROUPS] semTools measurementInvariance: chisq, df, cfi, rmsea, bic per model
SEMTOOLS = {
    "configural": (115.851, 48, 0.923, 0.097, 7706.822),
    "metric": (124.044, 54, 0.921, 0.093, 7680.771),
    "scalar": (164.103, 60, 0.882, 0.107, 7686.588),
}


@pytest.mark.parametrize("level", list(SEMTOOLS))
def test_ladder_models_match_semtools(ladder, level):
    chisq, df, cfi_, rmsea_, bic = SEMTOOLS[level]
    f = ladder.model(level).fit
    assert printed(f.chisq, chisq) and f.df == df
    assert printed(f.cfi, cfi_) and printed(f.rmsea, rmsea_) and printed(f.bic, bic)
    assert f.p_value < 0.0005  # [GROUPS] pvalue 0.000


def test_ladder_differences_match_semtools(ladder):
    metric, scalar = ladder.comparisons
    # [GROUPS] Model 1 versus model 2: delta.chisq 8.192, delta.df 6, delta.p.value 0.224, delta.cfi 0.002
    assert printed(metric.delta_chisq, 8.192) and metric.delta_df == 6 and printed(metric.p_value, 0.224)
    assert printed(-metric.delta_cfi, 0.002)  # semTools prints cfi(free) - cfi(restricted)
    # [GROUPS] Model 2 versus model 3: 40.059, 6, 0.000, 0.038
    assert printed(scalar.delta_chisq, 40.059) and scalar.delta_df == 6 and scalar.p_value < 0.0005
    assert printed(-scalar.delta_cfi, 0.038)
    # [GROUPS] Model 1 versus model 3: delta.chisq 48.251, delta.cfi 0.041
    conf, _, scal = ladder.models
    assert printed(scal.fit.chisq - conf.fit.chisq, 48.251)
    assert printed(conf.fit.cfi - scal.fit.cfi, 0.041)


def test_ladder_verdicts_on_holzinger_swineford(ladder):
    tidy = ladder.tidy()
    assert list(tidy["verdict"]) == ["baseline", "holds", "fails"]
    assert tidy.loc[2, "delta_cfi"] < -0.010 and tidy.loc[2, "delta_srmr"] >= 0.010
    assert "supported by SRMR" in tidy.loc[2, "reason"]
    assert ladder.supported_level == "metric"
    assert list(tidy.columns[:4]) == ["level", "chisq", "df", "p_value"]


def test_ladder_result_is_json_safe(ladder):
    text = json.dumps(ladder.to_dict(), allow_nan=False)
    assert '"supported_level": "metric"' in text
    json.dumps(ladder.model("scalar").to_dict(), allow_nan=False)


def test_strict_level_constrains_residual_variances(hs):
    res = invariance(hs, factors=HS_MODEL, group="school", levels=("scalar", "strict"))
    strict = res.model("strict")
    assert strict.fit.df == 69  # 108 moments - (6 + 9 + 9 loadings/intercepts/residuals + 2 x 6 Phi + 3 means)
    resid = strict.residual_variances("Pasteur")
    assert resid.to_numpy() == pytest.approx(strict.residual_variances("Grant-White").to_numpy())
    assert res.comparisons[0].srmr_cutoff == 0.010


def test_ladder_speed_on_holzinger_swineford(hs):
    start = time.perf_counter()
    invariance(hs, factors=HS_MODEL, group="school")
    assert time.perf_counter() - start < 1.0


def test_ladder_speed_from_sufficient_statistics():
    df = simulate_groups(factors=HS_MODEL, n_per_group={"a": 5000, "b": 5000}, seed=1)
    start = time.perf_counter()
    res = invariance(df, factors=HS_MODEL, group="group")
    assert time.perf_counter() - start < 2.0
    assert res.n_obs == (5000, 5000)


# --- synthetic data ------------------------------------------------------------------------------


def test_invariant_data_hold_at_every_level():
    df = simulate_groups(factors=HS_MODEL, n_per_group={"a": 500, "b": 500}, seed=2)
    res = invariance(df, factors=HS_MODEL, group="group", levels=("configural", "metric", "scalar", "strict"))
    assert [c.verdict for c in res.comparisons] == ["holds", "holds", "holds"]
    assert res.supported_level == "strict"


def test_shifted_intercept_fails_the_scalar_step():
    shift = {("b", "x5"): 0.5}  # half an item SD (item variances are 1)
    df = simulate_groups(factors=HS_MODEL, n_per_group={"a": 500, "b": 500}, intercept_shift=shift, seed=2)
    res = invariance(df, factors=HS_MODEL, group="group")
    metric, scalar = res.comparisons
    assert metric.verdict == "holds"
    assert scalar.verdict == "fails" and scalar.cfi_flag and scalar.rmsea_flag
    assert scalar.p_value < 1e-6
    assert res.supported_level == "metric"


def test_invariance_from_summary_equals_raw_data(hs, ladder):
    groups = ["Pasteur", "Grant-White"]
    sub = {g: hs.loc[hs["school"] == g, ITEMS] for g in groups}
    res = invariance_from_summary(
        factors=HS_MODEL,
        covariances={g: sub[g].cov() for g in groups},
        means={g: sub[g].mean() for g in groups},
        n_obs={g: len(sub[g]) for g in groups},
    )
    assert res.tidy()["chisq"].to_numpy() == pytest.approx(ladder.tidy()["chisq"].to_numpy(), rel=1e-9)


def test_custom_cutoffs_change_the_verdict(hs):
    lenient = ChenCutoffs(cfi=-0.050)
    res = invariance(hs, factors=HS_MODEL, group="school", cutoffs=lenient)
    assert [c.verdict for c in res.comparisons] == ["holds", "holds"]


# --- missing data, warnings ----------------------------------------------------------------------


def test_listwise_deletion_is_counted(hs):
    holes = hs.copy()
    holes.loc[[0, 5], "x3"] = np.nan
    holes.loc[200, "school"] = None
    res = cfa(holes, factors=HS_MODEL, group="school")
    assert res.n_excluded == 3 and res.n_obs == (154, 144)
    complete = cfa(holes.dropna(subset=ITEMS + ["school"]), factors=HS_MODEL, group="school")
    assert res.fit.chisq == pytest.approx(complete.fit.chisq, rel=1e-12)


def test_heywood_case_is_warned_and_recorded():
    items = ["a", "b", "c"]
    # positive definite, but the one-factor solution implies a standardized loading^2 of .8 * .8 / .55 = 1.16 > 1
    # for item a, hence a negative residual variance (a Heywood case)
    cov = pd.DataFrame([[1.0, 0.8, 0.8], [0.8, 1.0, 0.55], [0.8, 0.55, 1.0]], index=items, columns=items)
    with pytest.warns(EstimationWarning, match="Heywood case: negative residual variance of \\['a'\\]"):
        res = cfa_from_summary(factors={"f": items}, covariances=cov, n_obs=200)
    assert any("Heywood" in w for w in res.warnings)
    assert res.residual_variances()["a"] < 0


def test_a_clean_fit_issues_no_warning(hs):
    with warnings.catch_warnings():
        warnings.simplefilter("error", EstimationWarning)
        cfa(hs, factors=HS_MODEL)


# --- bad input -----------------------------------------------------------------------------------


def test_missing_column_is_named(hs):
    with pytest.raises(KeyError, match="data has no column 'x10'"):
        cfa(hs, factors={"f": ["x1", "x2", "x10"]})


def test_missing_group_column_is_named(hs):
    with pytest.raises(KeyError, match="data has no column 'class'"):
        invariance(hs, factors=HS_MODEL, group="class")


def test_factor_with_one_item_is_refused(hs):
    with pytest.raises(EstimationError, match="factor 'speed' has 1 item"):
        cfa(hs, factors={"visual": ["x1", "x2", "x3"], "speed": ["x7"]})


def test_item_on_two_factors_is_refused(hs):
    with pytest.raises(EstimationError, match=r"items \['x3'\] load on more than one factor"):
        cfa(hs, factors={"a": ["x1", "x2", "x3"], "b": ["x3", "x4", "x5"]})


def test_group_with_fewer_rows_than_items_is_refused(hs):
    tiny = pd.concat([hs, hs.head(5).assign(school="Tiny")], ignore_index=True)
    with pytest.raises(EstimationError, match="group 'Tiny' has 5 complete rows but the model has 9 items"):
        invariance(tiny, factors=HS_MODEL, group="school")


def test_non_numeric_item_is_refused(hs):
    text = hs.assign(x2=hs["x2"].astype(str))
    with pytest.raises(EstimationError, match="item 'x2' has dtype .* expected numeric"):
        cfa(text, factors=HS_MODEL)


def test_constant_item_is_refused(hs):
    flat = hs.assign(x9=1.0)
    with pytest.raises(EstimationError, match=r"not positive definite \(items without variance: \['x9'\]\)"):
        cfa(flat, factors=HS_MODEL)


def test_underidentified_model_is_refused(hs):
    with pytest.raises(EstimationError, match="not identified"):
        cfa(hs, factors={"f": ["x1", "x2"]})


def test_invariance_needs_two_groups(hs):
    with pytest.raises(EstimationError, match="at least two groups"):
        invariance(hs.assign(one="all"), factors=HS_MODEL, group="one")


def test_unknown_level_lists_the_choices(hs):
    with pytest.raises(ValueError, match="levels='partial' is not a valid choice; use one of: 'configural'"):
        invariance(hs, factors=HS_MODEL, group="school", levels=("configural", "partial"))


def test_levels_out_of_order_are_refused(hs):
    with pytest.raises(EstimationError, match="must be distinct and ordered"):
        invariance(hs, factors=HS_MODEL, group="school", levels=("scalar", "metric"))


def test_unknown_identification_lists_the_choices(hs):
    with pytest.raises(ValueError, match="identification='fixed' is not a valid choice"):
        cfa(hs, factors=HS_MODEL, identification="fixed")


def test_group_argument_required_for_multi_group_accessors(hs):
    res = cfa(hs, factors=HS_MODEL, group="school")
    with pytest.raises(ValueError, match="pass group=<one of them>"):
        res.loadings()
