"""Likelihood-ratio tests between nested linear mixed models (lme4's ``anova(m0, m1)``).

Both models are refitted by maximum likelihood (as lme4 does) from their own deviance engines, so no
data are needed: the profiled ML deviance is minimised over theta starting at the fitted theta.
A test that a variance is zero puts the null on the boundary of the parameter space, where the
chi-square reference is conservative; the 50:50 mixture of chi-square distributions of Self & Liang
(1987) and Stram & Lee (1994) is given beside it.

Examples
--------
>>> from analyses.mixed.fit import fit
>>> from analyses.mixed.simulate import simulate_growth
>>> data = simulate_growth(n_students=40, waves=4, slope_sd=0.5, seed=5)
>>> m0 = fit(data, "score ~ wave", groups="student_id")
>>> m1 = fit(data, "score ~ wave", groups="student_id", re_formula="~ wave")
>>> test = likelihood_ratio_test(m0, m1)
>>> test.df, bool(test.p_value_mixture < test.p_value)
(2, True)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from analyses.mixed.optimize import best_run, minimize_all
from analyses.mixed.result import MixedResult
from analyses.tidy import tidy_frame
from data_schema.errors import EstimationError
from data_schema.json_safe import json_safe

__all__ = ["LikelihoodRatioTest", "likelihood_ratio_test", "ml_deviance"]


@dataclass(frozen=True)
class LikelihoodRatioTest:
    """A likelihood-ratio test of a reduced model against a fuller one.

    Attributes
    ----------
    statistic
        ``deviance_reduced - deviance_full`` (lme4's ``Chisq``).
    df
        Difference in the number of parameters.
    p_value
        ``P(chi2(df) > statistic)``.
    p_value_mixture
        The boundary-corrected p-value ``0.5 P(chi2(df - 1) > s) + 0.5 P(chi2(df) > s)`` when the models
        differ by one random effect (with its covariances) and nothing else; NaN otherwise (see ``notes``).
    deviance_reduced, deviance_full
        ``-2`` log-likelihood of each model (ML unless ``refit=False`` with two REML fits).
    n_parameters_reduced, n_parameters_full
        Parameters of each model (fixed effects, theta, sigma).
    aic_reduced, aic_full, bic_reduced, bic_full
        Information criteria from the deviances used.
    criterion
        ``"ML"`` or ``"REML"``: which likelihood was compared.
    n_obs
        Observations.
    null_hypothesis
        The null in words.
    notes
        Refits, boundary remarks, and why a mixture p-value is missing.
    """

    statistic: float
    df: int
    p_value: float
    p_value_mixture: float
    deviance_reduced: float
    deviance_full: float
    n_parameters_reduced: int
    n_parameters_full: int
    aic_reduced: float
    aic_full: float
    bic_reduced: float
    bic_full: float
    criterion: str
    n_obs: int
    null_hypothesis: str
    notes: tuple[str, ...]

    def tidy(self) -> pd.DataFrame:
        """One row: the chi-square statistic, its df and p-value; ``p_value_mixture`` as an extra column."""
        return tidy_frame([{"term": "likelihood ratio", "statistic": self.statistic, "df": self.df,
                            "p_value": self.p_value, "n_obs": self.n_obs,
                            "method": f"{self.criterion} likelihood-ratio test, chi-square({self.df})",
                            "p_value_mixture": self.p_value_mixture}])

    def summary(self) -> str:
        """lme4's ``anova()`` table as text."""
        table = pd.DataFrame({"npar": [self.n_parameters_reduced, self.n_parameters_full],
                              "AIC": [self.aic_reduced, self.aic_full], "BIC": [self.bic_reduced, self.bic_full],
                              "logLik": [-self.deviance_reduced / 2, -self.deviance_full / 2],
                              "deviance": [self.deviance_reduced, self.deviance_full]}, index=["reduced", "full"])
        lines = [f"Likelihood-ratio test ({self.criterion}); H0: {self.null_hypothesis}", table.to_string(),
                 f"Chisq = {self.statistic:.6g} on {self.df} df, p = {self.p_value:.4g}; "
                 f"50:50 mixture p = {self.p_value_mixture:.4g}"]
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)

    def to_dict(self) -> dict:
        """JSON-safe dictionary of every field."""
        return json_safe({k: getattr(self, k) for k in self.__dataclass_fields__})


def ml_deviance(result: MixedResult) -> tuple[float, np.ndarray]:
    """The ML deviance of the model and its theta: the fit itself if ML, else an ML refit from the REML theta."""
    if not result.reml:
        return float(result.criterion), np.asarray(result.theta, dtype=float)
    layout = result.layout
    engine = result.engine

    def fun(th: np.ndarray) -> float:
        return result.deviance(th, reml=False)

    grad = None
    if getattr(engine, "has_gradient", False):
        def grad(th: np.ndarray) -> np.ndarray:
            return engine.gradient(th, reml=False)

    runs = minimize_all(fun, np.asarray(result.theta, dtype=float), layout.lower, ("lbfgsb", "nelder_mead"), grad)
    best = best_run(runs)
    return float(best.criterion), np.array(best.theta)


def _check_pair(reduced: MixedResult, full: MixedResult) -> None:
    if reduced.response != full.response or reduced.n_obs != full.n_obs:
        raise EstimationError(f"the models were fitted to different data (response {reduced.response!r} on "
                              f"{reduced.n_obs} rows vs {full.response!r} on {full.n_obs}); fit both to the same rows")
    if reduced.n_parameters >= full.n_parameters:
        raise EstimationError(f"the reduced model has {reduced.n_parameters} parameters and the full one "
                              f"{full.n_parameters}; pass the smaller (nested) model first")
    if not set(reduced.fixed_names) <= set(full.fixed_names):
        raise EstimationError("the reduced model's fixed effects are not a subset of the full model's, so the models "
                              "are not nested; compare nested models only")


def _mixture_note(reduced: MixedResult, full: MixedResult, df: int) -> tuple[float, str]:
    same_fixed = tuple(reduced.fixed_names) == tuple(full.fixed_names)
    n_new = int(full.layout.diagonal.sum() - reduced.layout.diagonal.sum())
    if same_fixed and n_new == 1:
        return 1.0, ("the null puts a variance on the boundary (zero), where chi-square(df) is conservative; "
                     f"p_value_mixture uses 0.5 chi-square({df - 1}) + 0.5 chi-square({df}) (Stram & Lee 1994)")
    why = ("the fixed effects differ" if not same_fixed else
           f"the full model adds {n_new} random effects, not one")
    return float("nan"), f"no mixture p-value: {why}, so the 50:50 mixture does not apply"


def likelihood_ratio_test(reduced: MixedResult, full: MixedResult, *, refit: bool = True) -> LikelihoodRatioTest:
    """Likelihood-ratio test of ``reduced`` against ``full`` (lme4's ``anova(reduced, full)``).

    Parameters
    ----------
    reduced, full
        Nested fits to the same rows, the smaller first.
    refit
        Refit REML fits by maximum likelihood (lme4's default).  With ``refit=False`` two REML fits are
        compared on the REML likelihood, which is valid only when their fixed effects are identical
        (lmerTest's ``ranova``).

    Returns
    -------
    LikelihoodRatioTest

    Raises
    ------
    EstimationError
        When the models are not nested fits to the same data, or ``refit=False`` is asked for REML fits
        with different fixed effects.

    Notes
    -----
    :math:`\\chi^2 = D_0 - D_1` with :math:`D = -2\\log L`, referred to :math:`\\chi^2_{k_1 - k_0}`.  When the
    full model adds one random effect (with its covariances) the null lies on the boundary and the
    asymptotic distribution is :math:`\\tfrac12\\chi^2_{d-1} + \\tfrac12\\chi^2_d` (Self & Liang 1987;
    Stram & Lee 1994), with :math:`\\chi^2_0` a point mass at zero.

    References
    ----------
    Self, S. G., & Liang, K.-Y. (1987). Asymptotic properties of maximum likelihood estimators and likelihood
    ratio tests under nonstandard conditions. *JASA*, 82(398), 605-610.
    Stram, D. O., & Lee, J. W. (1994). Variance components testing in the longitudinal mixed effects model.
    *Biometrics*, 50(4), 1171-1177.
    """
    _check_pair(reduced, full)
    notes: list[str] = []
    if refit:
        d0, _ = ml_deviance(reduced)
        d1, _ = ml_deviance(full)
        criterion = "ML"
        if reduced.reml or full.reml:
            notes.append("refitted with ML (lme4's anova default)")
    else:
        if reduced.reml != full.reml:
            raise EstimationError("one model is a REML fit and the other ML; use refit=True to compare on ML")
        if reduced.reml and tuple(reduced.fixed_names) != tuple(full.fixed_names):
            raise EstimationError("REML likelihoods of models with different fixed effects are not comparable; "
                                  "use refit=True (ML)")
        d0, d1 = float(reduced.criterion), float(full.criterion)
        criterion = "REML" if full.reml else "ML"
    k0, k1 = reduced.n_parameters, full.n_parameters
    df = k1 - k0
    stat = max(d0 - d1, 0.0)
    pval = float(stats.chi2.sf(stat, df))
    weight, note = _mixture_note(reduced, full, df)
    notes.append(note)
    mixture = float("nan")
    if weight == 1.0:
        lower = float(stats.chi2.sf(stat, df - 1)) if df > 1 else float(stat <= 0.0)
        mixture = 0.5 * lower + 0.5 * pval
    logn = float(np.log(full.n_obs))
    null = "the reduced model holds (the extra parameters of the full model are zero)"
    return LikelihoodRatioTest(float(stat), int(df), pval, mixture, d0, d1, k0, k1, d0 + 2 * k0, d1 + 2 * k1,
                               d0 + k0 * logn, d1 + k1 * logn, criterion, full.n_obs, null, tuple(notes))
