"""Closed-form MDES and power (PowerUp! designs) and the design-parameter helper.

Reference values are PowerUpR's printed output in its cross-check vignette,
cran/PowerUpR:inst/doc/cross_checks.html (knitted from vignettes/cross_checks.Rmd), and in
cran/PowerUpR:inst/doc/vignettes.html ("PowerUpR Vignettes", Bulus & Dong, 2017-02-17).  PowerUpR prints
the MDES, its confidence limits and the standardized standard error to 3 decimals, so those are checked
to half a unit in the 3rd decimal (5e-4, plus 1e-9 for float noise); degrees of freedom exactly.
"""

import numpy as np
import pandas as pd
import pytest

from analyses.did.design_warnings import DesignWarning
from analyses.mixed.fit import fit
from analyses.mixed.simulate import simulate_nested
from analyses.power import DESIGNS, design_parameters, design_variance, mdes, power, r_squared_between
from data_schema.errors import ArgumentError, EstimationError

HALF_3DP = 5e-4 + 1e-9

# (design arguments, printed MDES, LCL, UCL, df, standardized SE), each from cross_checks.html:
CROSS_CHECKS = [
    # mdes.ira1r1(power=.80, n=250): "MDES is 0.356 95% CI [0.107,0.605]", df 248, SE 0.126
    (dict(design="ira1r1", n=250), 0.356, 0.107, 0.605, 248, 0.126),
    # mdes.cra2r2(power=.80, rho2=.17, n=15, J=20): "MDES is 0.629 95% CI [0.183,1.075]", df 18, SE 0.212
    (dict(design="cra2r2", rho2=0.17, n=15, J=20), 0.629, 0.183, 1.075, 18, 0.212),
    # mdes.cra3r3(power=.80, rho3=.06, rho2=.17, n=15, J=3, K=60): "MDES is 0.269 95% CI [0.08,0.458]",
    # df 58, SE 0.094
    (dict(design="cra3r3", rho3=0.06, rho2=0.17, n=15, J=3, K=60), 0.269, 0.080, 0.458, 58, 0.094),
    # mdes.bcra3r2(power=.80, rho3=.13, rho2=.10, omega3=.4, n=10, J=6, K=24): "MDES is 0.246 95% CI
    # [0.072,0.42]", df 23, SE 0.084
    (dict(design="bcra3r2", rho3=0.13, rho2=0.10, omega3=0.4, n=10, J=6, K=24), 0.246, 0.072, 0.420, 23, 0.084),
]


@pytest.mark.parametrize(("args", "es", "low", "high", "df", "se"), CROSS_CHECKS,
                         ids=[c[0]["design"] for c in CROSS_CHECKS])
def test_mdes_matches_powerupr_cross_checks(args, es, low, high, df, se):
    out = mdes(power=0.8, **args)
    assert out.df == df
    assert out.effect_size == pytest.approx(es, abs=HALF_3DP)
    assert out.ci_low == pytest.approx(low, abs=HALF_3DP)
    assert out.ci_high == pytest.approx(high, abs=HALF_3DP)
    assert out.std_error == pytest.approx(se, abs=HALF_3DP)


@pytest.mark.parametrize(("args", "es", "low", "high", "df", "se"), CROSS_CHECKS,
                         ids=[c[0]["design"] for c in CROSS_CHECKS])
def test_power_at_printed_mdes_matches_powerupr(args, es, low, high, df, se):
    # cross_checks.html: power.<design>(es=d1$mdes[1], ...) prints "80% power" (whole percent) for each design
    assert power(es=es, **args).power == pytest.approx(0.80, abs=0.005 + 0.01)  # es itself rounded to 3 dp


# vignettes.html, Scenario 1: mdes.cra3r3(power=.80, rho2=.06, rho3=.18, g3=1, R12=.55, R22=.50, R32=.45,
# P=.40, n=10, J=2, K=83) prints "mdes 0.23, 95% LCL 0.069, 95% UCL 0.392".
COVARIATE_CRA3 = dict(rho2=0.06, rho3=0.18, g=1, r2_level1=0.55, r2_level2=0.50, r2_level3=0.45, p=0.40, n=10, J=2,
                      K=83)


def test_mdes_cra3_with_covariates_matches_powerupr_vignette():
    out = mdes("cra3r3", power=0.8, **COVARIATE_CRA3)
    assert out.df == 83 - 1 - 2
    assert out.effect_size == pytest.approx(0.23, abs=0.005 + 1e-9)  # printed to 2 decimals
    assert out.ci_low == pytest.approx(0.069, abs=HALF_3DP)
    assert out.ci_high == pytest.approx(0.392, abs=HALF_3DP)


def test_power_cra3_with_covariates_matches_powerupr_vignette():
    # vignettes.html, Scenario 2: power.cra3r3(mdes=.23, <same design>) prints "[1] 0.8" (1 decimal)
    assert power("cra3r3", es=0.23, **COVARIATE_CRA3).power == pytest.approx(0.8, abs=0.05)


@pytest.mark.parametrize("design_args", [c[0] for c in CROSS_CHECKS] + [dict(design="cra3r3", **COVARIATE_CRA3)])
@pytest.mark.parametrize("target", [0.5, 0.8, 0.9])
@pytest.mark.parametrize("two_tailed", [True, False])
def test_power_inverts_mdes(design_args, target, two_tailed):
    found = mdes(power=target, alpha=0.05, two_tailed=two_tailed, **design_args)
    back = power(es=found.effect_size, alpha=0.05, two_tailed=two_tailed, **design_args)
    assert abs(back.power - target) < 1e-10
    assert back.multiplier == pytest.approx(found.multiplier, abs=1e-10)


def test_covariates_shrink_the_mdes_by_the_square_root_of_one_minus_r2():
    # Bloom (2006, eq. 19): with R² = .5 at level 1 only and many students per cluster... exact for IRA:
    # MDES ∝ sqrt(1 - R²) at fixed df (g = 0 in both).
    plain = mdes("ira1r1", n=400)
    adjusted = mdes("ira1r1", n=400, r2_level1=0.5)
    assert adjusted.effect_size / plain.effect_size == pytest.approx(np.sqrt(0.5), rel=1e-12)


def test_result_layout_and_serialisation():
    out = mdes("cra2r2", n=15, J=20, rho2=0.17)
    tidy = out.tidy()
    assert list(tidy["term"]) == ["effect_size", "power"]
    assert tidy.loc[0, "n_clusters"] == 20.0
    assert tidy.loc[0, "n_obs"] == 300.0
    assert tidy.loc[0, "statistic"] == pytest.approx(out.multiplier, rel=1e-12)
    assert tidy.loc[1, "estimate"] == 0.8
    assert "MDES" in out.summary()
    assert "Power" in power("cra2r2", es=0.5, n=15, J=20, rho2=0.17).summary()
    d = out.to_dict()
    assert d["parameters"]["rho2"] == 0.17
    assert d["df"] == 18
    assert set(DESIGNS) == {"ira1r1", "cra2r2", "cra3r3", "bcra3r2"}


def test_bad_arguments_say_what_to_do():
    with pytest.raises(ArgumentError, match="design='cra4r4' is not a valid choice"):
        mdes("cra4r4", n=10)
    with pytest.raises(ArgumentError, match="J=None: design 'cra2r2' needs a sample size"):
        mdes("cra2r2", n=10, rho2=0.1)
    with pytest.raises(ArgumentError, match="rho3=0.1 does not apply to design 'cra2r2'"):
        mdes("cra2r2", n=10, J=20, rho2=0.1, rho3=0.1)
    with pytest.raises(ArgumentError, match="rho2=15.0 must lie in"):
        mdes("cra2r2", n=10, J=20, rho2=15)
    with pytest.raises(ArgumentError, match="rho2 \\+ rho3"):
        mdes("cra3r3", n=10, J=2, K=20, rho2=0.6, rho3=0.5)
    with pytest.raises(ArgumentError, match="power=1.0 must lie strictly between 0 and 1"):
        mdes("ira1r1", n=10, power=1.0)
    with pytest.raises(ArgumentError, match="p=0 must lie strictly between"):
        design_variance("ira1r1", n=10, p=0)
    with pytest.raises(ArgumentError, match="es=nan must be a finite effect size"):
        power("ira1r1", es=float("nan"), n=10)
    with pytest.raises(EstimationError, match="leaves df=0"):
        mdes("cra2r2", n=10, J=4, rho2=0.1, g=2)


# ---- design parameters from fitted mixed models, against statsmodels MixedLM (independent implementation) ----

@pytest.fixture(scope="module")
def two_level():
    data = simulate_nested(n_institutions=16, classes_per_institution=1, students_per_class=20, waves=1, seed=11,
                           variances={"institution": 0.25, "class": 0.0, "student": 0.5, "occasion": 0.25})
    rng = np.random.default_rng(5)
    x = rng.normal(size=len(data))
    data = data.assign(x=x, score=data["score"] + 0.7 * x)
    return data


def _statsmodels_components(data, formula):
    import statsmodels.formula.api as smf

    res = smf.mixedlm(formula, data, groups=data["institution_id"]).fit(reml=True)
    return float(res.cov_re.iloc[0, 0]), float(res.scale)


def test_design_parameters_match_statsmodels(two_level):
    null = fit(two_level, "score ~ 1", groups="institution_id")
    cov = fit(two_level, "score ~ x", groups="institution_id")
    tau0, sig0 = _statsmodels_components(two_level, "score ~ 1")
    tau1, sig1 = _statsmodels_components(two_level, "score ~ x")
    out = design_parameters(null, covariate_result=cov)
    assert out.levels == ("institution_id", "Residual")
    # both are REML optima found numerically; agreement to 1e-4 in variance shares
    assert out.shares[0] == pytest.approx(tau0 / (tau0 + sig0), abs=1e-4)
    with pytest.warns(DesignWarning, match="r2_level2 estimated at -0.1"):
        args = out.powerup_arguments()
    assert args["r2_level2"] == 0.0  # the negative estimate is passed to PowerUp! as 0, with the warning
    assert out.r_squared[0] == pytest.approx(1 - tau1 / tau0, abs=1e-3)
    assert args["rho2"] == pytest.approx(tau0 / (tau0 + sig0), abs=1e-4)
    assert args["r2_level1"] == pytest.approx(1 - sig1 / sig0, abs=1e-4)
    assert r_squared_between(null, cov)["Residual"] == pytest.approx(args["r2_level1"], abs=1e-12)
    assert isinstance(out.tidy(), pd.DataFrame)
    with pytest.warns(DesignWarning):
        assert "rho2=" in out.summary()
    with pytest.warns(DesignWarning):
        assert out.to_dict()["powerup_arguments"]["rho2"] == args["rho2"]
    # feeds the MDES functions directly
    assert mdes("cra2r2", n=20, J=16, **args).effect_size > 0


def test_design_parameters_without_covariates_has_no_r2(two_level):
    out = design_parameters(fit(two_level, "score ~ 1", groups="institution_id"))
    assert np.isnan(out.r_squared).all()
    assert sorted(out.powerup_arguments()) == ["rho2"]


def test_r_squared_refuses_mismatched_models(two_level):
    null = fit(two_level, "score ~ 1", groups="institution_id")
    other = fit(two_level.iloc[:-20], "score ~ 1", groups="institution_id")
    with pytest.raises(EstimationError, match="differ; fit both with the same random structure"):
        r_squared_between(null, other)
