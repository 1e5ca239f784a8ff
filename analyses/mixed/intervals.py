"""Profile-likelihood intervals for variance components (lme4's ``confint(fit, method = "profile")``).

Wald standard errors of variances are unreliable (their sampling distributions are skewed and bounded
at zero), so intervals come from the profile of the deviance: for a parameter ``psi`` (a random-effect
SD, a correlation, the residual SD, or any function of the variance parameters such as an ICC) the
deviance is minimised over all other variance parameters with ``psi`` held fixed, and the interval is
where that profile lies within the chi-square(1) cutoff of the minimum.

Examples
--------
>>> from analyses.mixed.fit import fit
>>> from analyses.mixed.simulate import simulate_growth
>>> data = simulate_growth(n_students=30, waves=4, seed=3)
>>> ci = profile_intervals(fit(data, "score ~ wave", groups="student_id"))
>>> list(ci.tidy()["term"])
['sd_Intercept|student_id', 'sigma']
>>> bool((ci.ci_low < ci.estimate).all() and (ci.estimate < ci.ci_high).all())
True
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import optimize, stats

from analyses.mixed.lrt import ml_deviance
from analyses.mixed.result import MixedResult
from analyses.tidy import tidy_frame
from data_schema.arguments import check_choice
from data_schema.errors import ArgumentError
from data_schema.json_safe import json_safe

__all__ = ["CRITERIA", "ProfileIntervals", "profile_intervals", "profile_limits", "variance_functions"]

CRITERIA = ("ML", "REML")
"""Deviances :func:`profile_intervals` can profile."""

Function = Callable[[np.ndarray], float]


@dataclass(frozen=True)
class ProfileIntervals:
    """Profile-likelihood confidence intervals of variance parameters.

    Attributes
    ----------
    terms
        ``sd_<term>|<level>``, ``cor_<term>.<term>|<level>`` and ``sigma`` (lme4's ``signames = FALSE``).
    estimate
        The estimates (SDs and correlations, not variances).
    ci_low, ci_high
        Limits where the profiled deviance exceeds its minimum by the chi-square(1) quantile.
    ci_level
        Confidence level.
    criterion
        ``"ML"`` or ``"REML"``: the deviance profiled (its optimum gives ``estimate``).
    n_obs, n_clusters
        Observations and top-level groups.
    notes
        Limits at a bound (an SD at zero, a correlation at +-1), in words.
    """

    terms: tuple[str, ...]
    estimate: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    ci_level: float
    criterion: str
    n_obs: int
    n_clusters: int
    notes: tuple[str, ...]

    def tidy(self) -> pd.DataFrame:
        """One row a parameter; ``std_error``, ``statistic`` and ``p_value`` are empty (no Wald test here)."""
        method = f"profile likelihood ({self.criterion} deviance) interval"
        return tidy_frame([{"term": t, "estimate": e, "ci_low": lo, "ci_high": hi, "ci_level": self.ci_level,
                            "n_obs": self.n_obs, "n_clusters": self.n_clusters, "method": method}
                           for t, e, lo, hi in zip(self.terms, self.estimate, self.ci_low, self.ci_high, strict=True)])

    def summary(self) -> str:
        """The intervals as text."""
        head = f"Profile-likelihood {100 * self.ci_level:g}% intervals ({self.criterion} deviance)"
        body = self.tidy()[["term", "estimate", "ci_low", "ci_high"]].to_string(index=False)
        return "\n".join([head, body, *[f"note: {n}" for n in self.notes]])

    def to_dict(self) -> dict:
        """JSON-safe dictionary of every field."""
        return json_safe({k: getattr(self, k) for k in self.__dataclass_fields__})


def _deviance(result: MixedResult, reml: bool) -> Function:
    n = result.theta.size

    def dev(phi: np.ndarray) -> float:
        return result.deviance_terms(phi[:n]).deviance(float(phi[n]), reml=reml)

    return dev


def _optimum(result: MixedResult, reml: bool) -> np.ndarray:
    """``(theta, sigma)`` at the optimum of the chosen criterion (an ML refit of a REML fit when ``reml=False``)."""
    if reml == result.reml:
        return np.r_[result.theta, result.sigma]
    _, theta = ml_deviance(result) if not reml else (None, result.theta)
    if reml:
        raise ArgumentError("a REML profile needs a REML fit; refit the model with reml=True")
    return np.r_[theta, result.deviance_terms(theta).sigma(reml=False)]


def variance_functions(result: MixedResult) -> list[tuple[str, Function, tuple[float, float]]]:
    """Name, function of ``phi = (theta, sigma)`` and natural range of each SD, correlation and sigma."""
    layout = result.layout
    n = result.theta.size
    out: list[tuple[str, Function, tuple[float, float]]] = []
    for idx, lev in enumerate(layout.levels):
        def factor(phi: np.ndarray, idx: int = idx) -> np.ndarray:
            return layout.factors(phi[:n])[idx]

        for j in range(lev.q):
            for i in range(j, lev.q):
                if i == j:
                    def sd(phi: np.ndarray, i: int = i, factor=factor) -> float:
                        return float(phi[n] * np.linalg.norm(factor(phi)[i]))

                    out.append((f"sd_{lev.terms[i]}|{lev.name}", sd, (0.0, np.inf)))
                else:
                    def cor(phi: np.ndarray, i: int = i, j: int = j, factor=factor) -> float:
                        t = factor(phi)
                        den = np.linalg.norm(t[i]) * np.linalg.norm(t[j])
                        return float(t[i] @ t[j] / den) if den > 0 else 0.0

                    out.append((f"cor_{lev.terms[i]}.{lev.terms[j]}|{lev.name}", cor, (-1.0, 1.0)))
    out.append(("sigma", lambda phi: float(phi[n]), (0.0, np.inf)))
    return out


class _Profile:
    """Minimised deviance with ``g(phi) = c``, warm-started from the last solution."""

    def __init__(self, result: MixedResult, g: Function, reml: bool) -> None:
        self.dev = _deviance(result, reml)
        self.g = g
        self.phi_hat = _optimum(result, reml)
        self.d_min = self.dev(self.phi_hat)
        lower = np.r_[result.layout.lower, 1e-8 * result.sigma]
        self.bounds = [(None if not np.isfinite(lo) else float(lo), None) for lo in lower]
        self.last = self.phi_hat.copy()

    def excess(self, c: float) -> float:
        cons = {"type": "eq", "fun": lambda phi: self.g(phi) - c}
        best = np.inf
        for start in (self.last, self.phi_hat):
            res = optimize.minimize(self.dev, start, method="SLSQP", bounds=self.bounds, constraints=[cons],
                                    options={"ftol": 1e-11, "maxiter": 500})
            if abs(self.g(res.x) - c) < 1e-6 * max(1.0, abs(c)) and res.fun < best:
                best, sol = float(res.fun), res.x
            if res.success and np.isfinite(best):
                break
        if not np.isfinite(best):
            return np.inf
        self.last = sol
        return max(best - self.d_min, 0.0)


def profile_limits(result: MixedResult, g: Function, bounds: tuple[float, float], *, level: float = 0.95,
                   criterion: Literal["ML", "REML"] = "ML") -> tuple[float, float]:
    """Profile-likelihood limits of ``g(theta, sigma)`` within its natural ``bounds``.

    Each limit is the root of ``D_prof(c) - D_min - chi2_1(level)``, found by Brent's method after stepping
    out from the estimate; a limit is the bound itself when the profile stays below the cutoff up to it.
    """
    prof = _Profile(result, g, criterion == "REML")
    cutoff = float(stats.chi2.ppf(level, 1))
    est = g(prof.phi_hat)
    limits = []
    for direction in (-1.0, 1.0):
        prof.last = prof.phi_hat.copy()
        bound = bounds[0] if direction < 0 else bounds[1]
        step = 0.1 * max(abs(est), 1e-3) if np.isinf(bound) else 0.1 * abs(bound - est)
        inner, outer = est, est
        found = False
        for _ in range(60):
            cand = est + direction * step
            if np.isfinite(bound) and (cand - bound) * direction >= 0:
                cand = bound - direction * 1e-9 * max(1.0, abs(bound))
            if prof.excess(cand) > cutoff:
                outer, found = cand, True
                break
            inner = cand
            if np.isfinite(bound) and abs(cand - bound) <= 1e-8 * max(1.0, abs(bound)):
                break
            step *= 2.0 if np.isinf(bound) else 1.0
            if np.isfinite(bound):
                step = step + 0.5 * (abs(bound - est) - step)
        if not found:
            limits.append(bound)
            continue
        prof.last = prof.phi_hat.copy()
        root = optimize.brentq(lambda c: prof.excess(c) - cutoff, inner, outer, xtol=1e-8 * max(1.0, abs(est)),
                               rtol=1e-8)
        limits.append(float(root))
    return limits[0], limits[1]


def profile_intervals(result: MixedResult, *, level: float = 0.95,
                      criterion: Literal["ML", "REML"] = "ML") -> ProfileIntervals:
    """Profile-likelihood intervals for every random-effect SD, correlation and the residual SD.

    Parameters
    ----------
    result
        A fitted model.
    level
        Confidence level.
    criterion
        The deviance profiled: ``"ML"`` (lme4's ``profile()``, which refits a REML fit by ML; the estimates
        reported are then the ML ones) or ``"REML"`` (the REML criterion of a REML fit).

    Returns
    -------
    ProfileIntervals

    Raises
    ------
    ArgumentError
        When ``level`` is not in (0, 1).

    Notes
    -----
    With :math:`D(\\theta, \\sigma)` the (RE)ML deviance (not profiled over sigma) and :math:`\\psi = g(\\theta,
    \\sigma)`, the profile is :math:`\\tilde D(c) = \\min_{g = c} D` (sequential quadratic programming), and the
    interval is :math:`\\{c : \\tilde D(c) - \\hat D \\le \\chi^2_{1, 1-\\alpha}\\}` (Bates et al. 2015, section 5.1).
    lme4 interpolates the signed square root of the profile with splines; here each limit is solved for directly.

    References
    ----------
    Bates, D., Mächler, M., Bolker, B., & Walker, S. (2015). Fitting linear mixed-effects models using lme4.
    *Journal of Statistical Software*, 67(1), 1-48.
    """
    if not 0.0 < float(level) < 1.0:
        raise ArgumentError(f"level={level!r} must lie strictly between 0 and 1, e.g. 0.95")
    check_choice("criterion", criterion, CRITERIA)
    phi_hat = _optimum(result, criterion == "REML")
    names, est, low, high, notes = [], [], [], [], []
    for name, g, bounds in variance_functions(result):
        lo, hi = profile_limits(result, g, bounds, level=level, criterion=criterion)
        names.append(name)
        est.append(g(phi_hat))
        low.append(lo)
        high.append(hi)
        for value, side in ((lo, "lower"), (hi, "upper")):
            if value in bounds:
                notes.append(f"the {side} limit of {name} is its bound {value:g}: the profile stays below the cutoff")
    return ProfileIntervals(tuple(names), np.array(est), np.array(low), np.array(high), float(level), criterion,
                            result.n_obs, result.n_groups[0], tuple(notes))
