"""McDonald's omega total from a one-factor model, with a Wald (delta-method) and a bootstrap interval.

Notes
-----
With loadings :math:`\\lambda` and residual variances :math:`\\psi` of the
one-factor ML model (:mod:`surveys.reliability.factor`),

.. math::

    \\omega = \\frac{(\\sum_i \\lambda_i)^2}{(\\sum_i \\lambda_i)^2 + \\sum_i \\psi_i},

the share of the model-implied variance of the total score due to the common
factor (McDonald 1999, eq. 6.20b; ``omega`` in R ``semTools::compRelSEM`` and
``MBESS::ci.reliability``).  The Wald interval is
:math:`\\hat\\omega \\pm z\\,\\mathrm{SE}` with :math:`\\mathrm{SE}^2 = g'\\mathcal I^{-1}g`,
:math:`g` the gradient of :math:`\\omega` in :math:`(\\lambda, \\psi)` and
:math:`\\mathcal I` the expected information (Raykov 2002).  The bootstrap
interval refits the model to ``n_boot`` resamples of respondents.

References
----------
McDonald, R. P. (1999). *Test Theory: A Unified Treatment*. Lawrence Erlbaum.

Raykov, T. (2002). Analytic estimation of standard error and confidence interval for
scale reliability. *Multivariate Behavioral Research*, 37(1), 89-103.

Kelley, K., & Pornprasertmanit, S. (2016). Confidence intervals for population
reliability coefficients. *Psychological Methods*, 21(1), 69-92.

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> f = rng.standard_normal((2000, 1))
>>> x = f * np.array([0.8, 0.7, 0.6, 0.7]) + rng.standard_normal((2000, 4)) * 0.6
>>> result = mcdonald_omega(x)
>>> bool(0.8 < result.omega < 0.9 and result.ci_low < result.omega < result.ci_high)
True
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from data_schema.errors import EstimationError, EstimationWarning
from surveys.reliability.factor import OneFactorFit, one_factor_ml
from surveys.reliability.moments import ItemMoments, Missing, as_item_array, item_moments
from surveys.reliability.tidy import interval_table, json_safe

__all__ = ["OmegaResult", "mcdonald_omega", "omega_from_fit", "omega_from_moments"]


def omega_from_fit(fit: OneFactorFit) -> tuple[float, np.ndarray]:
    """Omega total of a one-factor fit and its gradient in ``(loadings, uniquenesses)``."""
    total, resid = fit.loadings.sum(), fit.uniquenesses.sum()
    denom = total**2 + resid
    k = fit.loadings.size
    grad = np.concatenate([np.full(k, 2 * total * resid / denom**2), np.full(k, -(total**2) / denom**2)])
    return float(total**2 / denom), grad


def _wald_se(fit: OneFactorFit, grad: np.ndarray) -> float:
    free = np.ones(grad.size, dtype=bool)
    free[[fit.loadings.size + i for i in fit.heywood]] = False
    info = fit.information[np.ix_(free, free)]
    try:
        cov = np.linalg.inv(info)
    except np.linalg.LinAlgError:
        return np.nan
    return float(np.sqrt(grad[free] @ cov @ grad[free]))


@dataclass(frozen=True)
class OmegaResult:
    """McDonald's omega total and its intervals.

    Attributes
    ----------
    omega
        The coefficient.
    std_error
        Delta-method standard error from the expected information.
    ci_low, ci_high
        Wald interval :math:`\\hat\\omega \\pm z\\,SE`.
    boot_ci_low, boot_ci_high, boot_std_error
        Percentile bootstrap interval and replicate SD (NaN when ``n_boot=0``).
    ci_level
        Confidence level.
    loadings, uniquenesses
        The one-factor solution, item order.
    chi_square, df, p_value
        Test of the one-factor model (NaN p-value when ``df`` is 0: three items fit exactly).
    n, n_dropped, k
        Respondents used and left out, items.
    converged, heywood
        Convergence check and items with a zero residual variance (a Heywood case).
    """

    omega: float
    std_error: float
    ci_low: float
    ci_high: float
    boot_ci_low: float
    boot_ci_high: float
    boot_std_error: float
    ci_level: float
    loadings: tuple[float, ...]
    uniquenesses: tuple[float, ...]
    chi_square: float
    df: int
    p_value: float
    n: int
    n_dropped: int
    k: int
    converged: bool
    heywood: tuple[str, ...]

    def tidy(self) -> pd.DataFrame:
        """Rows ``wald`` and ``bootstrap`` with the house columns."""
        return interval_table("omega_total", self.omega, [
            ("wald", self.std_error, self.ci_low, self.ci_high),
            ("bootstrap", self.boot_std_error, self.boot_ci_low, self.boot_ci_high)],
            ci_level=self.ci_level, n_obs=self.n, n_items=self.k)

    def to_dict(self) -> dict:
        """JSON-safe fields (NaN as None)."""
        return json_safe(self.__dict__)


def _bootstrap(values: np.ndarray, missing: Missing, n_boot: int, seed: int | None) -> np.ndarray:
    rng = np.random.default_rng(seed)
    out = np.full(n_boot, np.nan)
    for b in range(n_boot):
        sample = values[rng.integers(0, len(values), len(values))]
        try:
            m = item_moments(sample, missing=missing)
            out[b] = omega_from_fit(one_factor_ml(m.cov, n=m.n))[0]
        except EstimationError:
            continue
    return out[~np.isnan(out)]


def mcdonald_omega(
    items: pd.DataFrame | np.ndarray,
    *,
    missing: Missing = "pairwise",
    ci_level: float = 0.95,
    n_boot: int = 0,
    seed: int | None = None,
) -> OmegaResult:
    """McDonald's omega total of a respondents x items table (items already reverse-coded).

    Parameters
    ----------
    items
        One row a respondent, one column an item (at least 3); NaN for an unanswered item.
    missing
        ``"pairwise"`` or ``"listwise"`` covariances (see :func:`~surveys.reliability.cronbach_alpha`).
    ci_level
        Confidence level.
    n_boot
        Bootstrap replicates (each refits the factor model); 0 (default) gives the Wald interval only.
    seed
        Seed of the bootstrap.

    Returns
    -------
    OmegaResult

    Warns
    -----
    EstimationWarning
        When the fit did not converge or has a Heywood case.
    """
    values, names = as_item_array(items, min_items=3)
    return omega_from_moments(values, item_moments(values, missing=missing), names, missing=missing,
                              ci_level=ci_level, n_boot=n_boot, seed=seed, stacklevel=3)


def omega_from_moments(values: np.ndarray, m: ItemMoments, names: list[str], *, missing: Missing,
                       ci_level: float, n_boot: int, seed: int | None, stacklevel: int = 2) -> OmegaResult:
    """:func:`mcdonald_omega` from item moments already computed from ``values`` (no second covariance)."""
    fit = one_factor_ml(m.cov, n=m.n)
    omega, grad = omega_from_fit(fit)
    se = _wald_se(fit, grad)
    z = stats.norm.ppf((1 + ci_level) / 2)
    heywood = tuple(names[i] for i in fit.heywood)
    if not fit.converged or heywood:
        what = "did not converge" if not fit.converged else f"has a Heywood case (zero residual variance: {heywood})"
        warnings.warn(f"the one-factor model behind omega {what}; read omega with care", EstimationWarning,
                      stacklevel=stacklevel)
    boot_low = boot_high = boot_se = np.nan
    if n_boot > 0:
        reps = _bootstrap(values[m.rows], missing, n_boot, seed)
        boot_low, boot_high = (float(q) for q in np.quantile(reps, [(1 - ci_level) / 2, (1 + ci_level) / 2]))
        boot_se = float(reps.std(ddof=1))
    p_value = float(stats.chi2.sf(fit.chi_square, fit.df)) if fit.df > 0 else np.nan
    return OmegaResult(omega, se, omega - z * se, omega + z * se, boot_low, boot_high, boot_se, ci_level,
                       tuple(float(x) for x in fit.loadings), tuple(float(x) for x in fit.uniquenesses),
                       fit.chi_square, fit.df, p_value, m.n, m.n_dropped, values.shape[1],
                       fit.converged, heywood)
