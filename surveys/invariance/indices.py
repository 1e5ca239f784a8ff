"""Global fit indices of an ML-fitted CFA, defined as lavaan 0.6 computes them.

Every function here is a plain formula on numbers or moments, so it can be
checked by hand.  :func:`fit_indices` assembles them into a :class:`FitIndices`.

Examples
--------
>>> round(rmsea(85.306, 24, 301), 3)
0.092
>>> round(cfi(85.306, 24, 918.852, 36), 3), round(tli(85.306, 24, 918.852, 36), 3)
(0.931, 0.896)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
from scipy import optimize, stats

from .moments import SampleMoments

__all__ = [
    "FitIndices",
    "baseline_chisq",
    "cfi",
    "tli",
    "rmsea",
    "rmsea_interval",
    "srmr",
    "loglik_h1",
    "fit_indices",
]


@dataclass(frozen=True)
class FitIndices:
    """Global fit of one model.

    Attributes
    ----------
    chisq, df, p_value
        Likelihood-ratio test of the model against the saturated model:
        :math:`T = \\sum_g N_g F_{ML,g}`, its degrees of freedom and
        :math:`P(\\chi^2_{df} > T)`; ``p_value`` is NaN when :math:`df = 0` (a
        just-identified model reproduces the moments and has nothing to test).
    baseline_chisq, baseline_df
        Same test for the baseline (independence) model.
    cfi, tli
        Comparative fit index and Tucker-Lewis index.
    rmsea, rmsea_ci_low, rmsea_ci_high, rmsea_ci_level
        Root mean square error of approximation and its confidence interval.
    srmr
        Standardized root mean square residual (Bentler's; mean residuals
        included when the model has a mean structure).
    loglik, loglik_h1
        Log-likelihood of the model and of the saturated (unrestricted) model.
    aic, bic
        :math:`-2\\ell + 2q` and :math:`-2\\ell + q\\log N`.
    n_parameters
        Number of free parameters :math:`q` (after equality constraints).
    n_obs
        Total sample size :math:`N`.
    """

    chisq: float
    df: int
    p_value: float
    baseline_chisq: float
    baseline_df: int
    cfi: float
    tli: float
    rmsea: float
    rmsea_ci_low: float
    rmsea_ci_high: float
    rmsea_ci_level: float
    srmr: float
    loglik: float
    loglik_h1: float
    aic: float
    bic: float
    n_parameters: int
    n_obs: int

    def to_dict(self) -> dict[str, float | int | None]:
        """JSON-safe dict (non-finite numbers become ``None``)."""
        return {k: (v if isinstance(v, int) or math.isfinite(v) else None) for k, v in asdict(self).items()}


def baseline_chisq(mom: SampleMoments) -> tuple[float, int]:
    """Test statistic and df of lavaan's baseline model (independent items, free means per group).

    Notes
    -----
    The baseline model has free item variances and means in every group and no
    covariances and no equality constraints, so
    :math:`T_0 = \\sum_g N_g\\,(\\sum_j \\log s_{g,jj} - \\log|S_g|)` with
    :math:`df_0 = G\\,p(p-1)/2`.

    Examples
    --------
    >>> import numpy as np
    >>> from surveys.invariance.moments import SampleMoments
    >>> mom = SampleMoments(("a", "b"), (None,), (100,), (np.zeros(2),), (np.array([[1, .5], [.5, 1]]),))
    >>> tuple(round(v, 4) for v in baseline_chisq(mom))
    (28.7682, 1)
    """
    stat = 0.0
    for n, cov in zip(mom.n_obs, mom.covariances, strict=True):
        stat += n * (np.log(np.diag(cov)).sum() - np.linalg.slogdet(cov)[1])
    p = len(mom.items)
    return float(stat), mom.n_groups * p * (p - 1) // 2


def cfi(chisq: float, df: int, base_chisq: float, base_df: int) -> float:
    """Comparative fit index (Bentler, 1990).

    Notes
    -----
    :math:`CFI = 1 - \\max(T - df, 0) / \\max(T - df, T_0 - df_0, 0)`, and 1 when
    both are zero.
    """
    t1 = max(chisq - df, 0.0)
    t2 = max(chisq - df, base_chisq - base_df, 0.0)
    return 1.0 if t2 == 0.0 else 1.0 - t1 / t2


def tli(chisq: float, df: int, base_chisq: float, base_df: int) -> float:
    """Tucker-Lewis index (non-normed fit index), lavaan's form since 0.5-21.

    Notes
    -----
    :math:`TLI = 1 - \\frac{(T - df)\\, df_0}{(T_0 - df_0)\\, df}`; not truncated,
    so it can exceed 1; 1 when :math:`df = 0`.
    """
    t1 = (chisq - df) * base_df
    t2 = (base_chisq - base_df) * df
    return 1.0 - t1 / t2 if df > 0 and t2 != 0 else 1.0


def rmsea(chisq: float, df: int, n: int, n_groups: int = 1) -> float:
    """Root mean square error of approximation (Steiger & Lind, 1980).

    Notes
    -----
    :math:`RMSEA = \\sqrt{\\max(T/(N\\,df) - 1/N,\\ 0)}\\;\\sqrt{G}`, with the total
    sample size :math:`N` (not :math:`N-1`; lavaan under ``likelihood = "normal"``)
    and the multiple-group factor :math:`\\sqrt{G}` (Steiger, 1998); 0 when
    :math:`df = 0`.
    """
    if df <= 0:
        return 0.0
    return math.sqrt(max(chisq / (n * df) - 1.0 / n, 0.0)) * math.sqrt(n_groups)


def _cdf(x: float, df: int, ncp: float) -> float:
    """Non-central chi-square cdf, central when ``ncp == 0``."""
    return float(stats.chi2.cdf(x, df)) if ncp <= 0 else float(stats.ncx2.cdf(x, df, ncp))


def rmsea_interval(chisq: float, df: int, n: int, n_groups: int = 1, level: float = 0.90) -> tuple[float, float]:
    """Confidence interval of the RMSEA by inverting the non-central chi-square (Browne & Cudeck, 1993).

    Notes
    -----
    The bounds are :math:`\\sqrt{\\lambda/(N\\,df)}\\sqrt{G}` where :math:`\\lambda`
    solves :math:`P(\\chi^2_{df}(\\lambda) \\le T) = (1 \\pm level)/2`; a bound is 0
    when no non-negative :math:`\\lambda` solves it.  The search range for the
    upper root is :math:`[0, \\max(N, 4T)]`, as in lavaan's ``lav_fit_rmsea_ci``.

    Examples
    --------
    >>> tuple(round(v, 3) for v in rmsea_interval(85.306, 24, 301))
    (0.071, 0.114)
    """
    if df < 1 or not math.isfinite(chisq):
        return 0.0, 0.0
    hi_p, lo_p = 1.0 - (1.0 - level) / 2.0, (1.0 - level) / 2.0
    scale = math.sqrt(n_groups / (n * df))
    lower = 0.0
    if _cdf(chisq, df, 0.0) - hi_p >= 0:
        lam = optimize.brentq(lambda x: _cdf(chisq, df, x) - hi_p, 0.0, max(chisq, 1.0), xtol=1e-12)
        lower = math.sqrt(lam) * scale
    upper, top = 0.0, max(n, 4.0 * chisq)
    if not (_cdf(chisq, df, top) - lo_p > 0 or _cdf(chisq, df, 0.0) - lo_p < 0):
        lam = optimize.brentq(lambda x: _cdf(chisq, df, x) - lo_p, 0.0, top, xtol=1e-12)
        upper = math.sqrt(lam) * scale
    return lower, upper


def srmr(
    mom: SampleMoments,
    implied_cov: Sequence[np.ndarray],
    implied_mean: Sequence[np.ndarray],
    meanstructure: bool,
) -> float:
    """Standardized root mean square residual, lavaan's default (``srmr_bentler``).

    Notes
    -----
    Residuals are scaled by the observed standard deviations
    :math:`s_j = \\sqrt{s_{g,jj}}` (Bentler's EQS definition):
    :math:`r_{jk} = (s_{g,jk} - \\hat\\sigma_{g,jk})/(s_j s_k)` for
    :math:`j \\le k` (diagonal included) and, with a mean structure,
    :math:`r_j = (m_{g,j} - \\hat\\mu_{g,j})/s_j`.  Per group
    :math:`SRMR_g = \\sqrt{\\sum r^2 / e}` with :math:`e = p(p+1)/2` (:math:`+p`
    with means), and :math:`SRMR = \\sum_g (N_g/N)\\, SRMR_g`.
    """
    total = 0.0
    p = len(mom.items)
    rows, cols = np.triu_indices(p)
    for g in range(mom.n_groups):
        sd = np.sqrt(np.diag(mom.covariances[g]))
        resid = (mom.covariances[g] - implied_cov[g]) / np.outer(sd, sd)
        parts = [resid[rows, cols]]
        if meanstructure:
            parts.append((mom.means[g] - implied_mean[g]) / sd)
        values = np.concatenate(parts)
        total += mom.n_obs[g] / mom.n_total * math.sqrt(np.mean(values**2))
    return float(total)


def loglik_h1(mom: SampleMoments) -> float:
    """Log-likelihood of the saturated model, :math:`-\\tfrac12\\sum_g N_g(p\\log 2\\pi + \\log|S_g| + p)`."""
    p = len(mom.items)
    return float(
        sum(-0.5 * n * (p * math.log(2 * math.pi) + np.linalg.slogdet(cov)[1] + p) for n, cov in zip(
            mom.n_obs, mom.covariances, strict=True))
    )


def fit_indices(
    mom: SampleMoments,
    *,
    fmin: Sequence[float],
    n_parameters: int,
    meanstructure: bool,
    implied_cov: Sequence[np.ndarray],
    implied_mean: Sequence[np.ndarray],
    ci_level: float = 0.90,
) -> FitIndices:
    """Assemble all global fit indices of a fitted model.

    Parameters
    ----------
    mom
        Sample moments the model was fitted to.
    fmin
        :math:`F_{ML,g}` at the estimate, per group.
    n_parameters
        Free parameters :math:`q`.
    meanstructure
        Whether means were modelled (then :math:`G(p + p(p+1)/2)` moments, else
        :math:`G\\,p(p+1)/2`).
    implied_cov, implied_mean
        Model-implied moments per group.
    ci_level
        Level of the RMSEA interval (lavaan: 0.90).

    Returns
    -------
    FitIndices

    Notes
    -----
    :math:`\\ell = \\ell_1 - T/2`, where :math:`\\ell_1` is the saturated
    log-likelihood; without a mean structure the sample means are the mean
    estimates and are not counted in :math:`q` (as lavaan does).
    """
    p, n, groups = len(mom.items), mom.n_total, mom.n_groups
    moments = groups * (p * (p + 1) // 2 + (p if meanstructure else 0))
    df = moments - n_parameters
    chisq = float(np.dot(mom.n_obs, fmin))
    base, base_df = baseline_chisq(mom)
    low, high = rmsea_interval(chisq, df, n, groups, ci_level)
    ll1 = loglik_h1(mom)
    ll = ll1 - chisq / 2.0
    return FitIndices(
        chisq=chisq,
        df=int(df),
        p_value=float(stats.chi2.sf(chisq, df)) if df > 0 else float("nan"),
        baseline_chisq=base,
        baseline_df=int(base_df),
        cfi=cfi(chisq, df, base, base_df),
        tli=tli(chisq, df, base, base_df),
        rmsea=rmsea(chisq, df, n, groups),
        rmsea_ci_low=low,
        rmsea_ci_high=high,
        rmsea_ci_level=float(ci_level),
        srmr=srmr(mom, implied_cov, implied_mean, meanstructure),
        loglik=ll,
        loglik_h1=ll1,
        aic=-2.0 * ll + 2.0 * n_parameters,
        bic=-2.0 * ll + n_parameters * math.log(n),
        n_parameters=int(n_parameters),
        n_obs=int(n),
    )
