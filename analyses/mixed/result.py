"""The fitted linear mixed model: estimates, variance components, fit criteria and the convergence record.

Besides the numbers a reader wants, the result keeps what later inference needs: theta (the relative
covariance parameters), sigma, the fixed-effect covariance, the data sizes and the engine itself, so
the profiled deviance (:meth:`MixedResult.deviance`) and its pieces at any theta
(:meth:`MixedResult.deviance_terms`) can be re-evaluated for likelihood-ratio tests, profile
intervals, parametric bootstraps and Satterthwaite's degrees of freedom.

Examples
--------
>>> from analyses.mixed.fit import fit
>>> from analyses.mixed.simulate import simulate_growth
>>> data = simulate_growth(n_students=60, waves=4, seed=1)
>>> result = fit(data, "score ~ wave * program", groups="student_id")
>>> list(result.tidy()["term"])
['Intercept', 'wave', 'program[T.traditional]', 'wave:program[T.traditional]']
>>> list(result.variance_components()["group"])
['student_id', 'Residual']
>>> bool(np.isclose(result.deviance(result.theta), result.criterion))
True
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from analyses.mixed.covariance import RandomLevel, ThetaLayout
from analyses.mixed.optimize import Convergence
from analyses.mixed.profile import DevianceTerms, ProfiledDeviance
from analyses.tidy import tidy_frame
from data_schema.json_safe import json_safe

__all__ = ["MixedResult", "VARIANCE_COLUMNS"]

VARIANCE_COLUMNS = ("group", "term", "term_2", "kind", "estimate", "std_dev", "correlation", "n_groups")
"""Columns of :meth:`MixedResult.variance_components`, in order."""


@dataclass(frozen=True)
class MixedResult:
    """A linear mixed model fitted by REML or ML.

    Attributes
    ----------
    formula, groups, re_formula
        The fixed-effects formula, the top-level grouping column and its random-effects formula
        (``None``: a random intercept).
    vc
        ``(name, column)`` of each variance component nested in ``groups``.
    reml
        REML (True) or maximum likelihood.
    response
        The response's name.
    fixed_names
        Fixed-effect names, in the order of ``beta``.
    beta
        Fixed-effect estimates (generalised least squares at the estimated covariances).
    vcov
        Their covariance ``sigma^2 (X'V^-1X)^-1`` (conditional on the variance estimates).
    theta
        Relative covariance parameters: the lower triangle of each level's ``T_l``, column by column
        (lme4's ``getME(fit, "theta")``).
    theta_names
        ``level:term`` (diagonal) or ``level:row_term.col_term`` names of theta.
    levels
        The random-effect levels, top level first (``RandomLevel`` name and terms).
    sigma
        Residual standard deviation.
    covariances
        Covariance matrix of each level's random effects, ``sigma^2 T_l T_l'``.
    n_obs, n_dropped
        Rows used, and rows dropped for a missing value.
    n_groups
        Groups at each level (components counted within the top-level groups).
    criterion
        REML criterion (REML) or deviance (ML): ``-2`` times the log-likelihood at the optimum.
    log_likelihood
        REML or ML log-likelihood (``-criterion / 2``), as lme4's ``logLik``.
    n_parameters
        Fixed effects + theta + sigma: lme4's degrees of freedom of ``logLik``.
    aic, bic
        ``criterion + 2 k`` and ``criterion + k log(n)`` with ``k = n_parameters`` (lme4's ``AIC`` and
        ``BIC``; for a REML fit they use the REML criterion, as lme4 prints them).
    convergence
        Optimizers run, the chosen one, gradient, Hessian and boundary checks.
    method
        The estimator in words.
    notes
        Every warning raised by the fit, in words.
    engine
        The deviance engine used (the nested engine, or the dense per-group engine after a statsmodels
        fallback); not part of ``to_dict()``.
    """

    formula: str
    groups: str
    re_formula: str | None
    vc: tuple[tuple[str, str], ...]
    reml: bool
    response: str
    fixed_names: tuple[str, ...]
    beta: np.ndarray
    vcov: np.ndarray
    theta: np.ndarray
    theta_names: tuple[str, ...]
    levels: tuple[RandomLevel, ...]
    sigma: float
    covariances: tuple[np.ndarray, ...]
    n_obs: int
    n_dropped: int
    n_groups: tuple[int, ...]
    criterion: float
    log_likelihood: float
    n_parameters: int
    aic: float
    bic: float
    convergence: Convergence
    method: str
    notes: tuple[str, ...]
    engine: ProfiledDeviance = field(repr=False, compare=False)

    @property
    def layout(self) -> ThetaLayout:
        """The theta layout (levels, names, bounds)."""
        return ThetaLayout(self.levels)

    @property
    def std_errors(self) -> np.ndarray:
        """Standard errors of ``beta``."""
        return np.sqrt(np.diag(self.vcov))

    def deviance_terms(self, theta: np.ndarray) -> DevianceTerms:
        """The penalized least-squares pieces at any ``theta`` (see :class:`DevianceTerms`)."""
        return self.engine.terms(np.asarray(theta, dtype=float))

    def deviance(self, theta: np.ndarray, *, reml: bool | None = None) -> float:
        """Profiled criterion at ``theta``: REML criterion or ML deviance (``reml=None``: as fitted)."""
        return self.deviance_terms(theta).criterion(reml=self.reml if reml is None else reml)

    def tidy(self, level: float = 0.95) -> pd.DataFrame:
        """One row per fixed effect: Wald z statistic, normal p-value and interval.

        The ``df`` column is empty: these are large-sample tests (lme4 prints no p-values; lmerTest's
        Satterthwaite degrees of freedom are the small-sample alternative).
        """
        se = self.std_errors
        z = float(stats.norm.ppf(0.5 + level / 2))
        rows = []
        for name, est, s in zip(self.fixed_names, self.beta, se, strict=True):
            stat = est / s if s > 0 else np.nan
            rows.append({"term": name, "estimate": est, "std_error": s, "statistic": stat,
                         "p_value": 2 * stats.norm.sf(abs(stat)), "ci_low": est - z * s, "ci_high": est + z * s,
                         "ci_level": level, "n_obs": self.n_obs, "n_clusters": self.n_groups[0],
                         "method": f"{'REML' if self.reml else 'ML'} linear mixed model; Wald z test"})
        return tidy_frame(rows)

    def variance_components(self) -> pd.DataFrame:
        """Variances, SDs, covariances and correlations of every level and the residual (lme4's ``VarCorr``).

        Columns :data:`VARIANCE_COLUMNS`: a variance row has ``kind="variance"``, its ``std_dev`` and an
        empty ``term_2``; a covariance row has ``kind="covariance"``, both terms and their correlation.
        """
        rows = []
        for lev, cov, m in zip(self.levels, self.covariances, self.n_groups, strict=True):
            sd = np.sqrt(np.diag(cov))
            for i, term in enumerate(lev.terms):
                rows.append((lev.name, term, "", "variance", cov[i, i], sd[i], np.nan, m))
            for j in range(lev.q):
                for i in range(j + 1, lev.q):
                    corr = cov[i, j] / (sd[i] * sd[j]) if sd[i] > 0 and sd[j] > 0 else np.nan
                    rows.append((lev.name, lev.terms[i], lev.terms[j], "covariance", cov[i, j], np.nan, corr, m))
        rows.append(("Residual", "", "", "variance", self.sigma ** 2, self.sigma, np.nan, self.n_obs))
        out = pd.DataFrame(rows, columns=list(VARIANCE_COLUMNS))
        for col in ("estimate", "std_dev", "correlation"):
            out[col] = out[col].astype("float64")
        out["n_groups"] = out["n_groups"].astype("int64")
        return out

    def to_dict(self) -> dict:
        """JSON-safe dictionary of every field but the engine."""
        conv = self.convergence
        out = {k: getattr(self, k) for k in self.__dataclass_fields__ if k not in ("engine", "convergence", "levels")}
        out["levels"] = [{"name": lev.name, "terms": list(lev.terms)} for lev in self.levels]
        out["fixed_effects"] = self.tidy().to_dict(orient="records")
        out["variance_components"] = self.variance_components().to_dict(orient="records")
        out["convergence"] = {
            "engine": conv.engine, "chosen": conv.chosen, "polished": conv.polished, "singular": conv.singular,
            "converged": conv.converged, "messages": list(conv.messages), "spread": conv.spread,
            "runs": [vars(r) for r in conv.runs],
            "check": vars(conv.check),
        }
        return json_safe(out)

    def summary(self) -> str:
        """The fit as text for people, laid out like lme4's ``summary()``."""
        kind = "REML" if self.reml else "maximum likelihood"
        crit = "REML criterion" if self.reml else "deviance"
        lines = [f"Linear mixed model fit by {kind} ({self.method})",
                 f"Formula: {self.formula}; random: {self._random_text()}",
                 f"{crit} at convergence: {self.criterion:.4f}",
                 f"AIC {self.aic:.4f}  BIC {self.bic:.4f}  logLik {self.log_likelihood:.4f}  "
                 f"parameters {self.n_parameters}", "", "Random effects:"]
        vcs = self.variance_components()
        lines.append(vcs.drop(columns=["kind"]).to_string(index=False, na_rep=""))
        groups = ", ".join(f"{lev.name} {m}" for lev, m in zip(self.levels, self.n_groups, strict=True))
        lines += [f"Number of obs: {self.n_obs} ({self.n_dropped} dropped for missing values); groups: {groups}",
                  "", "Fixed effects:",
                  self.tidy()[["term", "estimate", "std_error", "statistic", "p_value", "ci_low", "ci_high"]]
                  .to_string(index=False), "", self._convergence_text()]
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)

    def _random_text(self) -> str:
        top = self.levels[0]
        terms = " + ".join("1" if t == "Intercept" else t for t in top.terms)
        parts = [f"({terms} | {self.groups})"]
        for name, col in self.vc:
            parts.append(f"(1 | {self.groups}:{col}) [{name}]")
        return " + ".join(parts)

    def _convergence_text(self) -> str:
        conv = self.convergence
        runs = ", ".join(f"{r.optimizer} {r.criterion:.6f}" for r in conv.runs)
        eig = ", ".join(f"{v:.4g}" for v in conv.check.hessian_eigenvalues)
        status = "converged" if conv.converged else "NOT converged"
        sing = "; singular (boundary) fit" if conv.singular else ""
        return (f"Convergence: {status}{sing}; engine {conv.engine}; runs: {runs}; chosen {conv.chosen}"
                f"{' (Newton-polished)' if conv.polished else ''}; max|scaled gradient| "
                f"{conv.check.scaled_gradient:.3g}; Hessian eigenvalues [{eig}]")
