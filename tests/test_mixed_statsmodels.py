"""mixed.fit against statsmodels' MixedLM (0.15, installed) on simulated designs, run here.

Where statsmodels converges its log-likelihood must equal ours to 1e-6 (its default gradient tolerance stops up
to 1.1e-6 short; refitted with ``gtol=1e-10`` it agrees with ours to 1e-12, and ours is never lower),
and our deviance evaluated at statsmodels' estimates must equal statsmodels' -2 llf to 1e-9 relative: the
same likelihood, computed independently.  Where statsmodels fails (covariate in days, a small slope SD: its
three optimizers stop with converged=False), we reach a far better likelihood and pass our own checks.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from analyses import mixed
from analyses.mixed.covariance import lower_factor


def _statsmodels(data: pd.DataFrame, formula: str, groups: str, re_formula: str | None, vc: dict | None,
                 reml: bool, **fit_kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = smf.mixedlm(formula, data, groups=data[groups], re_formula=re_formula, vc_formula=vc)
        return model, model.fit(reml=reml, **fit_kwargs)


def _theta(result: mixed.MixedResult, sm) -> np.ndarray:
    """statsmodels' estimates as our theta: chol(cov_re / scale), then sqrt(vcomp / scale) in vc order."""
    factors = [lower_factor(np.asarray(sm.cov_re_unscaled, dtype=float))]
    names = list(sm.model.exog_vc.names)
    for name, _ in result.vc:
        factors.append(np.array([[np.sqrt(max(sm.vcomp[names.index(name)] / sm.scale, 0.0))]]))
    return result.layout.theta_from_factors(factors)


def _growth(seed: int, slope_sd: float) -> pd.DataFrame:
    return mixed.simulate_growth(n_students=150, waves=5, slope_sd=slope_sd, correlation=0.3, seed=seed)


def _nested(seed: int) -> pd.DataFrame:
    return mixed.simulate_nested(n_institutions=12, classes_per_institution=3, students_per_class=6, waves=3,
                                 variances={"institution": 0.3, "class": 0.15}, seed=seed)


CASES = {
    # name: (data, formula, groups, our re_formula / vc, statsmodels re_formula / vc_formula)
    "random intercept": (lambda: _growth(1, 0.0), "score ~ wave * program", "student_id", None, None, None, None),
    "intercept and slope": (lambda: _growth(2, 0.3), "score ~ wave * program", "student_id", "~ wave", None,
                            "~wave", None),
    "classes in institutions": (lambda: _nested(3), "score ~ wave + program", "institution_id", None,
                                {"class": "class_id"}, "1", {"class": "0 + C(class_id)"}),
    "students in classes in institutions": (lambda: _nested(4), "score ~ wave + program", "institution_id", None,
                                            {"class": "class_id", "student": "student_id"}, "1",
                                            {"class": "0 + C(class_id)", "student": "0 + C(student_id)"}),
}


@pytest.mark.parametrize("reml", [True, False], ids=["REML", "ML"])
@pytest.mark.parametrize("case", list(CASES))
def test_log_likelihood_matches_statsmodels(case: str, reml: bool) -> None:
    make, formula, groups, re_formula, vc, sm_re, sm_vc = CASES[case]
    data = make()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mixed.SingularFitWarning)
        ours = mixed.fit(data, formula, groups=groups, re_formula=re_formula, vc=vc, reml=reml)
    _, sm = _statsmodels(data, formula, groups, sm_re, sm_vc, reml)
    assert sm.converged, f"statsmodels did not converge on {case}"
    # the same likelihood: our deviance at statsmodels' parameters equals statsmodels' -2 llf
    assert ours.deviance(_theta(ours, sm)) == pytest.approx(-2 * sm.llf, rel=1e-9)
    # the optimum: statsmodels' defaults stop up to 1.1e-6 below it (measured), never above ours
    assert sm.llf - 1e-8 <= ours.log_likelihood <= sm.llf + 2e-6
    # with a tight gradient tolerance statsmodels reaches the same optimum (measured |diff| <= 1.2e-12)
    _, tight = _statsmodels(data, formula, groups, sm_re, sm_vc, reml, gtol=1e-10)
    assert ours.log_likelihood == pytest.approx(tight.llf, abs=1e-8)
    sm = tight
    names = [tuple(sorted(n.split(":"))) for n in ours.fixed_names]
    order = [names.index(tuple(sorted(n.split(":")))) for n in sm.fe_params.index]
    np.testing.assert_allclose(ours.beta[order], sm.fe_params.to_numpy(), rtol=1e-6, atol=1e-8)
    assert ours.convergence.converged


def test_we_reach_a_better_likelihood_where_statsmodels_fails() -> None:
    # Growth measured in days (0 to 350) with a slope SD of 0.002 a day: statsmodels' bfgs, lbfgs and cg all
    # stop early ("Gradient optimization failed", converged=False) about 568 deviance units above the optimum.
    rng = np.random.default_rng(3)
    n, waves = 60, 8
    sid = np.repeat(np.arange(n), waves)
    day = np.tile(np.arange(waves) * 50.0, n)
    y = 10 + 0.01 * day + rng.normal(0, 2, n)[sid] + rng.normal(0, 0.002, n)[sid] * day + rng.normal(0, 1, n * waves)
    data = pd.DataFrame({"y": y, "day": day, "sid": sid})
    _, sm = _statsmodels(data, "y ~ day", "sid", "~day", None, True)
    ours = mixed.fit(data, "y ~ day", groups="sid", re_formula="~ day")
    assert not sm.converged
    assert -2 * sm.llf - ours.criterion > 100
    assert ours.convergence.converged and not ours.convergence.singular
    # statsmodels' own likelihood, evaluated by our engine at its stopping point, confirms it stopped early
    assert ours.deviance(_theta(ours, sm)) == pytest.approx(-2 * sm.llf, rel=1e-9)
    sd = ours.variance_components().query("kind == 'variance'")["std_dev"].to_numpy()
    np.testing.assert_allclose(sd, [2.0, 0.002, 1.0], rtol=0.35)


def test_fallback_result_matches_statsmodels_on_crossed_components() -> None:
    rng = np.random.default_rng(8)
    inst = np.repeat(np.arange(12), 25)
    cls, rater = rng.integers(0, 3, inst.size), rng.integers(0, 4, inst.size)
    y = (rng.normal(0, .7, 12)[inst] + rng.normal(0, .5, 36)[inst * 3 + cls] + rng.normal(0, .4, 48)[inst * 4 + rater]
         + rng.normal(size=inst.size))
    data = pd.DataFrame({"y": y, "x": rng.normal(size=inst.size), "inst": inst, "cls": cls, "rater": rater})
    with pytest.warns(mixed.EngineFallbackWarning, match="statsmodels' MixedLM fitted"):
        ours = mixed.fit(data, "y ~ x", groups="inst", vc={"class": "cls", "rater": "rater"})
    _, sm = _statsmodels(data, "y ~ x", "inst", "1", {"class": "0 + C(cls)", "rater": "0 + C(rater)"}, True)
    assert ours.deviance(_theta(ours, sm)) == pytest.approx(-2 * sm.llf, rel=1e-9)
    assert ours.log_likelihood == pytest.approx(sm.llf, abs=1e-6)
    assert ours.log_likelihood >= sm.llf - 1e-8
