"""Satterthwaite's degrees of freedom for fixed effects and contrasts of a linear mixed model (as lmerTest).

A t statistic for a contrast ``l'beta`` has an unknown distribution because its variance
``l'C(phi)l`` depends on the estimated variance parameters ``phi = (theta, sigma)``.  Satterthwaite's
approximation matches it to a scaled chi-square: ``df = 2 (l'Cl)^2 / (g'Ag)`` with ``g`` the gradient of
``l'C(phi)l`` in ``phi`` and ``A`` the asymptotic covariance of ``phi-hat``, twice the inverse Hessian of
the (RE)ML deviance in ``phi``.  lmerTest evaluates both with numDeriv; here the same quantities come
from the engine's deviance terms (:meth:`MixedResult.deviance_terms`) at perturbed parameters, with
Richardson-extrapolated central differences (:mod:`analyses.mixed.numderiv`).

Examples
--------
>>> from analyses.mixed.fit import fit
>>> from analyses.mixed.simulate import simulate_growth
>>> data = simulate_growth(n_students=30, waves=4, seed=2)
>>> result = fit(data, "score ~ wave + program", groups="student_id")
>>> sat = satterthwaite(result)
>>> list(sat.tidy()["term"])
['Intercept', 'wave', 'program[T.traditional]']
>>> bool(sat.df[2] < 40)  # a between-student effect: df near the 28 residual student df
True
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from analyses.mixed.fit_warnings import MixedModelWarning
from analyses.mixed.numderiv import hessian, jacobian
from analyses.mixed.result import MixedResult
from analyses.tidy import tidy_frame
from data_schema.arguments import check_choice
from data_schema.errors import ArgumentError
from data_schema.json_safe import json_safe

__all__ = ["SatterthwaiteResult", "satterthwaite", "fixed_effects_table", "variance_parameter_vcov", "DDF"]

DDF = ("satterthwaite", "normal")
"""Denominator degrees of freedom :func:`fixed_effects_table` offers."""

ContrastSpec = np.ndarray | Sequence[float] | Sequence[Sequence[float]] | Mapping[str, Sequence[float]] | None


@dataclass(frozen=True)
class SatterthwaiteResult:
    """t tests of fixed effects or contrasts with Satterthwaite's degrees of freedom.

    Attributes
    ----------
    terms
        One name a test (a fixed effect's name, or the contrast's).
    contrasts
        The contrast matrix ``L`` (one row a test, one column a fixed effect).
    estimate, std_error
        ``L beta`` and ``sqrt(diag(L C L'))``.
    statistic
        t statistics ``estimate / std_error``.
    df
        Satterthwaite's degrees of freedom.
    p_value
        Two-sided p-values from the t distribution with ``df`` degrees of freedom.
    ci_low, ci_high, ci_level
        t-based confidence limits and their level.
    varpar_names
        Names of the variance parameters ``(theta..., sigma)``.
    varpar_vcov
        Their asymptotic covariance ``2 H^-1`` (``H`` the Hessian of the deviance).
    n_obs, n_clusters
        Observations and top-level groups.
    reml
        Whether the model was fitted by REML (the deviance differentiated is then the REML criterion).
    notes
        What needs a reader's care (a Hessian that is not positive definite), in words.
    """

    terms: tuple[str, ...]
    contrasts: np.ndarray
    estimate: np.ndarray
    std_error: np.ndarray
    statistic: np.ndarray
    df: np.ndarray
    p_value: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    ci_level: float
    varpar_names: tuple[str, ...]
    varpar_vcov: np.ndarray
    n_obs: int
    n_clusters: int
    reml: bool
    notes: tuple[str, ...]

    def tidy(self) -> pd.DataFrame:
        """One row a test: the tidy columns, ``method`` naming Satterthwaite's t test."""
        method = f"{'REML' if self.reml else 'ML'} linear mixed model; t test, Satterthwaite df"
        rows = [{"term": t, "estimate": e, "std_error": s, "statistic": z, "df": d, "p_value": p, "ci_low": lo,
                 "ci_high": hi, "ci_level": self.ci_level, "n_obs": self.n_obs, "n_clusters": self.n_clusters,
                 "method": method}
                for t, e, s, z, d, p, lo, hi in zip(self.terms, self.estimate, self.std_error, self.statistic,
                                                    self.df, self.p_value, self.ci_low, self.ci_high, strict=True)]
        return tidy_frame(rows)

    def summary(self) -> str:
        """The coefficient table of lmerTest's ``summary()``, as text."""
        table = self.tidy()[["term", "estimate", "std_error", "df", "statistic", "p_value"]]
        lines = ["t tests with Satterthwaite's degrees of freedom (H0: each estimate is zero)",
                 table.to_string(index=False)]
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)

    def to_dict(self) -> dict:
        """JSON-safe dictionary of every field, with the tests as records."""
        out = {k: getattr(self, k) for k in self.__dataclass_fields__}
        out["tests"] = self.tidy().to_dict(orient="records")
        return json_safe(out)


def _varpar(result: MixedResult) -> np.ndarray:
    return np.r_[np.asarray(result.theta, dtype=float), result.sigma]


def _deviance_vp(result: MixedResult):
    n_theta = result.theta.size

    def dev(vp: np.ndarray) -> float:
        return result.deviance_terms(vp[:n_theta]).deviance(abs(float(vp[n_theta])), reml=result.reml)

    return dev


def _vcov_vp(result: MixedResult):
    n_theta = result.theta.size

    def vcov(vp: np.ndarray) -> np.ndarray:
        return result.deviance_terms(vp[:n_theta]).vcov(float(vp[n_theta]))

    return vcov


def variance_parameter_vcov(result: MixedResult) -> tuple[np.ndarray, tuple[str, ...]]:
    """Asymptotic covariance of ``(theta, sigma)``: twice the inverse Hessian of the (RE)ML deviance.

    Returns the matrix and notes (a warning is raised too when the Hessian is not positive definite).
    """
    h = hessian(_deviance_vp(result), _varpar(result))
    h = (h + h.T) / 2.0
    eig = np.linalg.eigvalsh(h)
    notes: tuple[str, ...] = ()
    if eig.min() <= 1e-8 * max(abs(float(eig.max())), 1.0):
        message = (f"the Hessian of the deviance in the variance parameters is not positive definite (smallest "
                   f"eigenvalue {eig.min():.3g}); the fit may be singular, so Satterthwaite's degrees of freedom "
                   "are unreliable")
        warnings.warn(message, MixedModelWarning, stacklevel=3)
        notes = (message,)
        return 2.0 * np.linalg.pinv(h), notes
    return 2.0 * np.linalg.inv(h), notes


def _contrasts(spec: ContrastSpec, names: tuple[str, ...]) -> tuple[np.ndarray, tuple[str, ...]]:
    p = len(names)
    if spec is None:
        return np.eye(p), names
    if isinstance(spec, Mapping):
        labels = tuple(str(k) for k in spec)
        mat = np.array([np.asarray(v, dtype=float) for v in spec.values()], dtype=float)
    else:
        mat = np.atleast_2d(np.asarray(spec, dtype=float))
        labels = tuple(f"contrast {i + 1}" for i in range(mat.shape[0]))
    if mat.ndim != 2 or mat.shape[1] != p or mat.shape[0] == 0:
        raise ArgumentError(f"contrast has shape {np.shape(mat)}; expected one or more rows of {p} weights, one per "
                            f"fixed effect ({', '.join(names)})")
    return mat, labels


def satterthwaite(result: MixedResult, contrast: ContrastSpec = None, *, level: float = 0.95) -> SatterthwaiteResult:
    """Test fixed effects (or contrasts ``l'beta``) by t tests with Satterthwaite's degrees of freedom.

    Parameters
    ----------
    result
        A fitted model (REML or ML).
    contrast
        ``None`` for every fixed effect (lmerTest's ``summary()``); a vector of ``p`` weights; a matrix whose
        rows are tested one by one (``contest1D``); or a mapping name -> weights.
    level
        Confidence level of the t intervals.

    Returns
    -------
    SatterthwaiteResult

    Raises
    ------
    ArgumentError
        When a contrast does not have one weight per fixed effect, or ``level`` is not in (0, 1).

    Warns
    -----
    MixedModelWarning
        When the Hessian of the deviance in the variance parameters is not positive definite.

    Notes
    -----
    With ``phi = (theta, sigma)``, ``C(phi) = sigma^2 (X'V_theta^-1 X)^-1`` and
    ``A = 2 [d^2 D / d phi d phi']^-1`` (``D`` the REML criterion or ML deviance, not profiled over sigma),

    .. math:: \\nu = \\frac{2 (l' C l)^2}{g' A g}, \\qquad g_k = l' \\frac{\\partial C}{\\partial \\phi_k} l,

    and ``t = l'beta / sqrt(l'Cl)`` is referred to ``t(nu)`` (Kuznetsova et al. 2017, section 3.1;
    Satterthwaite 1946).  Derivatives are Richardson-extrapolated central differences (see
    :func:`analyses.mixed.numderiv.default_steps` for the steps).

    References
    ----------
    Kuznetsova, A., Brockhoff, P. B., & Christensen, R. H. B. (2017). lmerTest package: Tests in linear
    mixed effects models. *Journal of Statistical Software*, 82(13), 1-26.
    Satterthwaite, F. E. (1946). An approximate distribution of estimates of variance components.
    *Biometrics Bulletin*, 2(6), 110-114.
    """
    if not 0.0 < float(level) < 1.0:
        raise ArgumentError(f"level={level!r} must lie strictly between 0 and 1, e.g. 0.95")
    mat, labels = _contrasts(contrast, result.fixed_names)
    varpar = _varpar(result)
    a, notes = variance_parameter_vcov(result)
    jac = jacobian(lambda vp: _vcov_vp(result)(vp).ravel(), varpar)
    p = len(result.fixed_names)
    grads = np.stack([mat @ jac[:, k].reshape(p, p) @ mat.T for k in range(varpar.size)], axis=-1)
    g = np.diagonal(grads, axis1=0, axis2=1).T  # (tests, parameters)
    var = np.einsum("ij,jk,ik->i", mat, result.vcov, mat)
    df = 2.0 * var ** 2 / np.einsum("ij,jk,ik->i", g, a, g)
    est = mat @ result.beta
    se = np.sqrt(var)
    tstat = est / se
    pval = 2.0 * stats.t.sf(np.abs(tstat), df)
    q = stats.t.ppf(0.5 + level / 2.0, df)
    names = (*[f"theta:{n}" for n in result.theta_names], "sigma")
    return SatterthwaiteResult(labels, mat, est, se, tstat, df, pval, est - q * se, est + q * se, float(level), names,
                               a, result.n_obs, result.n_groups[0], result.reml, notes)


def fixed_effects_table(result: MixedResult, *, ddf: Literal["satterthwaite", "normal"] = "satterthwaite",
                        level: float = 0.95) -> pd.DataFrame:
    """The fixed-effects table of lmerTest: estimate, SE, df, t and p per fixed effect, as a tidy frame.

    Parameters
    ----------
    result
        A fitted model.
    ddf
        ``"satterthwaite"`` (t tests with Satterthwaite's df, lmerTest's default) or ``"normal"`` (Wald z tests,
        ``df`` empty: what :meth:`MixedResult.tidy` gives).
    level
        Confidence level.

    Returns
    -------
    pandas.DataFrame
        The tidy columns, one row per fixed effect.

    Examples
    --------
    >>> from analyses.mixed.fit import fit
    >>> from analyses.mixed.simulate import simulate_growth
    >>> result = fit(simulate_growth(n_students=20, waves=3, seed=4), "score ~ wave", groups="student_id")
    >>> list(fixed_effects_table(result, ddf="normal")["df"].isna())
    [True, True]
    """
    check_choice("ddf", ddf, DDF)
    if ddf == "normal":
        return result.tidy(level)
    return satterthwaite(result, level=level).tidy()
