"""mixed.fit against lme4's published output (sleepstudy, High School and Beyond), engine cross-checks, API.

Data (provenance in tests/data/hsb.PROVENANCE.md):
- tests/data/sleepstudy.csv: lme4's sleepstudy, byte copy of SamChen/VariantionPlayground : sleepstudy.csv
  @ e95923eb9a5fa36226e7a02530fafd1c2f42c8d8, sha256
  f0b09c94b0d09e94c6446ed1a9efbc3c36cbad23727469fb0556ba4890e0ab70.
- tests/data/hsb.csv: High School and Beyond, rnorouzian/e : hsb.csv @ 46e58bf66a1173795b8662c756f99aa9068212af
  (LF line endings; the original has CRLF), sha256 d51ef23629a7ca278e5d98e3d40a5209eb821731fbbe218f73ceafcd4a4ec2c0.

Tolerances follow the digits the reference prints: half a unit in the last printed digit.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analyses import mixed
from analyses.mixed.covariance import RandomLevel, ThetaLayout, lower_factor
from analyses.mixed.dense import DenseGroupsDeviance
from analyses.mixed.nested import NestedDeviance
from analyses.mixed.optimize import fd_gradient
from analyses.tidy import TIDY_COLUMNS
from data_schema.errors import ArgumentError, ColumnError, EstimationError

DATA = Path(__file__).parent / "data"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def sleep() -> pd.DataFrame:
    path = DATA / "sleepstudy.csv"
    assert _sha256(path) == "f0b09c94b0d09e94c6446ed1a9efbc3c36cbad23727469fb0556ba4890e0ab70"
    return pd.read_csv(path)


@pytest.fixture(scope="module")
def hsb() -> pd.DataFrame:
    path = DATA / "hsb.csv"
    assert _sha256(path) == "d51ef23629a7ca278e5d98e3d40a5209eb821731fbbe218f73ceafcd4a4ec2c0"
    frame = pd.read_csv(path).rename(columns={"sch.id": "school", "math": "mathach"})
    frame["mean_ses"] = frame.groupby("school")["ses"].transform("mean")
    frame["cses"] = frame["ses"] - frame["mean_ses"]
    return frame


@pytest.fixture(scope="module")
def sleep_reml(sleep: pd.DataFrame) -> mixed.MixedResult:
    return mixed.fit(sleep, "Reaction ~ Days", groups="Subject", re_formula="~ Days")


@pytest.fixture(scope="module")
def sleep_ml(sleep: pd.DataFrame) -> mixed.MixedResult:
    return mixed.fit(sleep, "Reaction ~ Days", groups="Subject", re_formula="~ Days", reml=False)


def _vc(result: mixed.MixedResult) -> pd.DataFrame:
    return result.variance_components()


# --- sleepstudy: lme4 -------------------------------------------------------------------------------------------


def test_sleepstudy_reml_fixed_effects_match_lme4_to_1e6(sleep_reml: mixed.MixedResult) -> None:
    # lme4/lme4 : tests/lmer-1.R, fm1 <- lmer(Reaction ~ Days + (Days | Subject), sleepstudy):
    # stopifnot(all.equal(fixef(fm1), c(251.405104848485, 10.467285959595), tolerance = 1e-13))
    np.testing.assert_allclose(sleep_reml.beta, [251.405104848485, 10.467285959595], atol=1e-6)
    # same file: cov2cor(vcov(fm1))[1, 2] = -0.13755 (printed to 5 digits)
    vcov = sleep_reml.vcov
    assert vcov[0, 1] / np.sqrt(vcov[0, 0] * vcov[1, 1]) == pytest.approx(-0.13755, abs=5e-6)


def test_sleepstudy_reml_variance_components_match_lme4(sleep_reml: mixed.MixedResult) -> None:
    # lme4/lme4 : tests/lmer-1.Rout.save, print(fm1): Subject (Intercept) Std.Dev. 24.74, Days 5.92, Corr 0.07,
    # Residual 25.59 (two decimals)
    vc = _vc(sleep_reml)
    sds = vc.loc[vc["kind"] == "variance", "std_dev"].to_numpy()
    np.testing.assert_allclose(sds, [24.74, 5.92, 25.59], atol=0.005)
    assert vc.loc[vc["kind"] == "covariance", "correlation"].item() == pytest.approx(0.07, abs=0.005)
    # summary(fm1) as commonly reproduced (shared/reference-data/SOURCES.md): variances 612.09, 35.07, 654.94;
    # SEs 6.825, 1.546
    np.testing.assert_allclose(vc.loc[vc["kind"] == "variance", "estimate"], [612.09, 35.07, 654.94], atol=0.005)
    np.testing.assert_allclose(sleep_reml.std_errors, [6.825, 1.546], atol=5e-4)


def test_sleepstudy_reml_criterion(sleep_reml: mixed.MixedResult) -> None:
    # lme4 summary(fm1): "REML criterion at convergence: 1743.6"; statsmodels 0.15 MixedLM REML -2 llf 1743.6283
    # (shared/reference-data/SOURCES.md)
    assert sleep_reml.criterion == pytest.approx(1743.6283, abs=1e-4)
    assert sleep_reml.log_likelihood == pytest.approx(-1743.6283 / 2, abs=1e-4)
    assert sleep_reml.n_parameters == 6
    assert sleep_reml.aic == pytest.approx(sleep_reml.criterion + 12)
    assert sleep_reml.bic == pytest.approx(sleep_reml.criterion + 6 * np.log(180))
    assert sleep_reml.convergence.converged and not sleep_reml.convergence.singular


def test_sleepstudy_ml_matches_lme4(sleep_ml: mixed.MixedResult) -> None:
    # lme4/lme4 : tests/lmer-1.Rout.save, ML fit: SDs 23.78, 5.72, corr 0.08, residual 25.59; AIC 1764
    vc = _vc(sleep_ml)
    np.testing.assert_allclose(vc.loc[vc["kind"] == "variance", "std_dev"], [23.78, 5.72, 25.59], atol=0.005)
    assert vc.loc[vc["kind"] == "covariance", "correlation"].item() == pytest.approx(0.08, abs=0.005)
    assert sleep_ml.aic == pytest.approx(1764, abs=0.5)
    # statsmodels ML deviance 1751.9393 (SOURCES.md; matches lme4's deviance to printed digits)
    assert sleep_ml.criterion == pytest.approx(1751.9393, abs=1e-4)
    np.testing.assert_allclose(sleep_ml.beta, [251.405104848485, 10.467285959595], atol=1e-6)


def test_sleepstudy_random_intercept(sleep: pd.DataFrame) -> None:
    # statsmodels 0.15 Reaction ~ Days, random intercept by Subject (SOURCES.md): variances 1378.18 and 960.46,
    # -2 REML llf 1786.465
    result = mixed.fit(sleep, "Reaction ~ Days", groups="Subject")
    np.testing.assert_allclose(_vc(result)["estimate"], [1378.18, 960.46], atol=0.005)
    assert result.criterion == pytest.approx(1786.465, abs=5e-4)


# --- High School and Beyond: lme4 -------------------------------------------------------------------------------


def test_hsb_null_model_reml_matches_lme4(hsb: pd.DataFrame) -> None:
    # lmer(mathach ~ 1 + (1 | school)), REML, as printed in public lme4 course notes on these data:
    # "REML criterion at convergence: 47116.8"; school (Intercept) 8.614 (SD 2.935); Residual 39.148 (6.257);
    # (Intercept) 12.6370, SE 0.2444.  Raudenbush & Bryk (2002, Table 4.2): tau00 = 8.61, sigma^2 = 39.15,
    # gamma00 = 12.64.
    result = mixed.fit(hsb, "mathach ~ 1", groups="school")
    vc = _vc(result)
    np.testing.assert_allclose(vc["estimate"], [8.614, 39.148], atol=5e-4)
    np.testing.assert_allclose(vc["std_dev"], [2.935, 6.257], atol=5e-4)
    assert result.beta[0] == pytest.approx(12.6370, abs=5e-5)
    assert result.std_errors[0] == pytest.approx(0.2444, abs=5e-5)
    assert result.criterion == pytest.approx(47116.8, abs=0.05)
    assert result.n_groups == (160,) and result.n_obs == 7185


def test_hsb_null_model_ml_matches_lme4(hsb: pd.DataFrame) -> None:
    # lmer(mathach ~ 1 + (1 | schid), REML = FALSE, data = merTools::hsb), summary() as printed in public notes:
    # AIC 47121.8, BIC 47142.4, logLik -23557.9, deviance 47115.8; schid (Intercept) 8.553 (2.925);
    # Residual 39.148 (6.257); (Intercept) 12.6371, SE 0.2436
    result = mixed.fit(hsb, "mathach ~ 1", groups="school", reml=False)
    vc = _vc(result)
    np.testing.assert_allclose(vc["estimate"], [8.553, 39.148], atol=5e-4)
    assert result.beta[0] == pytest.approx(12.6371, abs=5e-5)
    assert result.std_errors[0] == pytest.approx(0.2436, abs=5e-5)
    assert (result.aic, result.bic) == (pytest.approx(47121.8, abs=0.05), pytest.approx(47142.4, abs=0.05))
    assert result.log_likelihood == pytest.approx(-23557.9, abs=0.05)
    assert result.criterion == pytest.approx(47115.8, abs=0.05)


def test_hsb_random_slope_matches_lme4_after_leaving_the_boundary(hsb: pd.DataFrame) -> None:
    # gmonette/cv : articles/cv-mixed.md @ 326bdff177430c6ae1653d7f3d09dedd207c7ccf,
    # lmer(mathach ~ mean.ses * cses + sector * cses + (cses | school), data = HSB):
    # REML criterion 46504; school (Intercept) 2.380 (1.543), cses 0.101 (0.318), Corr 0.39; Residual 36.721
    # (6.060); fixed 12.128, 5.333, 2.945, 1.227, 1.039, -1.643; SEs 0.199, 0.369, 0.156, 0.306, 0.299, 0.240.
    # Both optimizers first stop on the singular boundary (correlation +1, criterion 46503.84); the boundary
    # probe restarts them inside and they reach lme4's optimum.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = mixed.fit(hsb, "mathach ~ mean_ses * cses + sector * cses", groups="school", re_formula="~ cses")
    assert result.criterion == pytest.approx(46504, abs=0.5)
    vc = _vc(result)
    np.testing.assert_allclose(vc.loc[vc["kind"] == "variance", "estimate"], [2.380, 0.101, 36.721], atol=5e-4)
    np.testing.assert_allclose(vc.loc[vc["kind"] == "variance", "std_dev"], [1.543, 0.318, 6.060], atol=5e-4)
    assert vc.loc[vc["kind"] == "covariance", "correlation"].item() == pytest.approx(0.39, abs=0.005)
    names = [tuple(sorted(n.split(":"))) for n in result.fixed_names]
    order = [names.index(tuple(sorted(n.split(":")))) for n in
             ("Intercept", "mean_ses", "cses", "sector", "mean_ses:cses", "cses:sector")]
    np.testing.assert_allclose(result.beta[order], [12.128, 5.333, 2.945, 1.227, 1.039, -1.643], atol=5e-4)
    np.testing.assert_allclose(result.std_errors[order], [0.199, 0.369, 0.156, 0.306, 0.299, 0.240], atol=5e-4)
    runs = result.convergence.runs
    assert min(r.criterion for r in runs[:2]) > result.criterion + 0.1
    assert any("restart" in r.optimizer for r in runs)
    assert result.convergence.converged and not result.convergence.singular


# --- engines ----------------------------------------------------------------------------------------------------


def _nested_data(seed: int) -> pd.DataFrame:
    return mixed.simulate_nested(n_institutions=8, classes_per_institution=3, students_per_class=5, waves=3,
                                 seed=seed)


@pytest.mark.filterwarnings("ignore::analyses.mixed.SingularFitWarning")
@pytest.mark.parametrize("theta", [[0.7, 0.4, 1.3], [0.0, 0.5, 1.0], [1.2, 0.0, 0.0]])
def test_nested_engine_equals_dense_engine(theta: list[float]) -> None:
    # Two independent computations of the same profiled deviance: block elimination over the nested levels
    # (O(groups)) and a dense Cholesky factor per institution.
    data = _nested_data(4)
    design = mixed.fit(data, "score ~ wave + program", groups="institution_id",
                       vc={"class": "class_id", "student": "student_id"})
    layout = design.layout
    inst = pd.factorize(data["institution_id"])[0]
    cls = pd.factorize(data["institution_id"] + data["class_id"])[0]
    stu = pd.factorize(data["student_id"])[0]
    x = np.column_stack([np.ones(len(data)), data["wave"], data["program"] == "traditional"]).astype(float)
    y = data["score"].to_numpy()
    fast = NestedDeviance(y, x, [inst, cls, stu], [None, None, None], layout)
    dense = DenseGroupsDeviance(y, x, inst, None, [cls, stu], layout)
    a, b = fast.terms(np.array(theta)), dense.terms(np.array(theta))
    for reml in (True, False):
        assert a.criterion(reml=reml) == pytest.approx(b.criterion(reml=reml), rel=1e-12)
    np.testing.assert_allclose(a.beta, b.beta, rtol=1e-10)
    np.testing.assert_allclose(a.xtvx, b.xtvx, rtol=1e-10)


@pytest.mark.parametrize("reml", [True, False])
def test_analytic_gradient_equals_finite_differences(sleep: pd.DataFrame, reml: bool) -> None:
    layout = ThetaLayout((RandomLevel("Subject", ("Intercept", "Days")),))
    x = np.column_stack([np.ones(len(sleep)), sleep["Days"]]).astype(float)
    engine = NestedDeviance(sleep["Reaction"].to_numpy(float), x, [pd.factorize(sleep["Subject"])[0]], [x], layout)
    theta = np.array([0.9, 0.1, 0.3])
    numeric = fd_gradient(lambda t: engine.criterion(t, reml=reml), theta, layout.lower, h=1e-6)
    np.testing.assert_allclose(engine.gradient(theta, reml=reml), numeric, rtol=1e-6, atol=1e-6)


def test_deviance_hooks_reproduce_the_fit(sleep_reml: mixed.MixedResult) -> None:
    terms = sleep_reml.deviance_terms(sleep_reml.theta)
    assert sleep_reml.deviance(sleep_reml.theta) == pytest.approx(sleep_reml.criterion, rel=1e-14)
    assert terms.deviance(sleep_reml.sigma, reml=True) == pytest.approx(sleep_reml.criterion, rel=1e-12)
    np.testing.assert_allclose(terms.vcov(sleep_reml.sigma), sleep_reml.vcov, rtol=1e-12)
    # the ML deviance at the REML estimates is larger than the ML optimum (1751.9393)
    assert sleep_reml.deviance(sleep_reml.theta, reml=False) > 1751.9393
    cov = sleep_reml.covariances[0] / sleep_reml.sigma ** 2
    np.testing.assert_allclose(sleep_reml.layout.theta_from_factors([lower_factor(cov)]), sleep_reml.theta)


# --- results API ------------------------------------------------------------------------------------------------


def test_tidy_variance_components_summary_and_dict(sleep_reml: mixed.MixedResult) -> None:
    tidy = sleep_reml.tidy(level=0.9)
    assert tuple(tidy.columns) == TIDY_COLUMNS
    assert list(tidy["term"]) == ["Intercept", "Days"]
    assert tidy["ci_level"].eq(0.9).all() and tidy["df"].isna().all()
    z = tidy["estimate"] / tidy["std_error"]
    np.testing.assert_allclose(tidy["statistic"], z)
    np.testing.assert_allclose(tidy["ci_high"] - tidy["estimate"], 1.6448536269514722 * tidy["std_error"])
    assert tidy["n_clusters"].eq(18).all() and tidy["n_obs"].eq(180).all()
    vc = sleep_reml.variance_components()
    assert tuple(vc.columns) == mixed.VARIANCE_COLUMNS
    assert list(vc["group"]) == ["Subject", "Subject", "Subject", "Residual"]
    text = sleep_reml.summary()
    assert "REML criterion at convergence: 1743.6283" in text and "(1 + Days | Subject)" in text
    payload = sleep_reml.to_dict()
    json.dumps(payload)
    assert payload["convergence"]["converged"] is True and payload["reml"] is True
    assert payload["theta_names"] == ["Subject:Intercept", "Subject:Days.Intercept", "Subject:Days"]


def test_missing_values_are_dropped_and_counted(sleep: pd.DataFrame) -> None:
    data = sleep.astype({"Reaction": float}).copy()
    data.loc[[0, 5, 17], "Reaction"] = np.nan
    result = mixed.fit(data, "Reaction ~ Days", groups="Subject")
    assert (result.n_obs, result.n_dropped) == (177, 3)


@pytest.mark.filterwarnings("ignore::analyses.mixed.SingularFitWarning")
def test_statsmodels_style_vc_formula_is_accepted() -> None:
    data = _nested_data(7)
    a = mixed.fit(data, "score ~ wave", groups="institution_id", vc={"class": "class_id"})
    b = mixed.fit(data, "score ~ wave", groups="institution_id", vc={"class": "0 + C(class_id)"})
    assert a.criterion == pytest.approx(b.criterion, rel=1e-14)
    assert a.vc == (("class", "class_id"),)


# --- warnings and errors ----------------------------------------------------------------------------------------


def test_zero_variance_is_a_singular_fit_with_a_warning() -> None:
    # every group mean is exactly the grand mean, so the REML estimate of the group variance is zero
    rng = np.random.default_rng(11)
    g = np.repeat(np.arange(40), 10)
    y = rng.normal(size=400)
    data = pd.DataFrame({"y": y - pd.Series(y).groupby(g).transform("mean").to_numpy(), "g": g})
    with pytest.warns(mixed.SingularFitWarning, match="variance of g: Intercept is zero"):
        result = mixed.fit(data, "y ~ 1", groups="g")
    assert result.convergence.singular and result.theta[0] == 0.0
    assert result.convergence.check.at_bound == ("g:Intercept",)
    assert any("singular" in note for note in result.notes)


def test_crossed_components_fall_back_to_statsmodels_with_a_warning() -> None:
    rng = np.random.default_rng(5)
    inst = np.repeat(np.arange(10), 30)
    cls, rater = rng.integers(0, 3, inst.size), rng.integers(0, 3, inst.size)
    y = (rng.normal(0, .6, 10)[inst] + rng.normal(0, .5, 30)[inst * 3 + cls] + rng.normal(0, .4, 30)[inst * 3 + rater]
         + rng.normal(size=inst.size))
    data = pd.DataFrame({"y": y, "inst": inst, "cls": cls, "rater": rater})
    with pytest.warns(mixed.EngineFallbackWarning, match="not nested in one another"):
        result = mixed.fit(data, "y ~ 1", groups="inst", vc={"class": "cls", "rater": "rater"})
    assert result.convergence.engine == "statsmodels"
    assert result.convergence.runs[0].optimizer == "statsmodels"
    assert result.criterion <= result.convergence.runs[0].criterion + 1e-9


def test_errors_say_what_is_wrong(sleep: pd.DataFrame) -> None:
    with pytest.raises(ColumnError, match="no column 'subject'"):
        mixed.fit(sleep, "Reaction ~ Days", groups="subject")
    with pytest.raises(ArgumentError, match="has no response"):
        mixed.fit(sleep, "~ Days", groups="Subject")
    with pytest.raises(ArgumentError, match="optimizers='bobyqa' is not a valid choice"):
        mixed.fit(sleep, "Reaction ~ Days", groups="Subject", optimizers=("bobyqa",))
    with pytest.raises(ArgumentError, match="names no column of data"):
        mixed.fit(sleep, "Reaction ~ Days", groups="Subject", vc={"class": "class_id"})
    twice = sleep.assign(Days2=2 * sleep["Days"])
    with pytest.raises(EstimationError, match="'Days2' is a linear combination"):
        mixed.fit(twice, "Reaction ~ Days + Days2", groups="Subject")
    with pytest.raises(EstimationError, match="has 1 group"):
        mixed.fit(sleep.assign(one=1), "Reaction ~ Days", groups="one")
    with pytest.raises(EstimationError, match="cannot be told apart from the residual"):
        mixed.fit(sleep.assign(row=np.arange(180)), "Reaction ~ Days", groups="row")
    with pytest.raises(ArgumentError, match="must be a pandas DataFrame"):
        mixed.fit(sleep.to_dict(), "Reaction ~ Days", groups="Subject")


# --- synthetic study --------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_recovers_the_synthetic_study_variance_components() -> None:
    # data_schema.synthetic.effects.VARIANCE (institution 0.10, class 0.05, student 0.60, occasion 0.25 on the
    # latent scale), the same components generate_study() records in truth["variance_components"].  Twelve
    # replications of 30 institutions x 4 classes x 12 students x 3 waves; the mean estimate of every component
    # and effect must lie within 3.5 Monte-Carlo standard errors of the truth (REML is nearly unbiased here).
    from data_schema.synthetic.effects import VARIANCE

    estimates = []
    for seed in range(12):
        data = mixed.simulate_nested(n_institutions=30, classes_per_institution=4, students_per_class=12, waves=3,
                                     growth=0.3, program_effect=0.3, seed=100 + seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", mixed.SingularFitWarning)
            result = mixed.fit(data, "score ~ wave + program", groups="institution_id",
                               vc={"class": "class_id", "student": "student_id"})
        vc = result.variance_components()["estimate"].to_numpy()
        beta = dict(zip(result.fixed_names, result.beta, strict=True))
        estimates.append([*vc, beta["wave"], -beta["program[T.traditional]"]])
    est = np.array(estimates)
    truth = np.array([VARIANCE["institution"], VARIANCE["class"], VARIANCE["student"], VARIANCE["occasion"], 0.3,
                      0.3])
    mc_se = est.std(axis=0, ddof=1) / np.sqrt(len(est))
    assert np.all(np.abs(est.mean(axis=0) - truth) < 3.5 * mc_se + 1e-3), (est.mean(axis=0), truth, mc_se)
