"""Cronbach's alpha with the Feldt interval, the normal-theory standard error and a bootstrap interval.

Notes
-----
For :math:`k` items with covariance matrix :math:`C` and total score variance
:math:`1'C1`,

.. math::

    \\alpha = \\frac{k}{k-1}\\Bigl(1 - \\frac{\\operatorname{tr} C}{1'C1}\\Bigr).

*Feldt interval* (Feldt, Woodruff & Salih 1987): :math:`(1-\\hat\\alpha)/(1-\\alpha)`
follows an F distribution with :math:`n-1` and :math:`(n-1)(k-1)` degrees of
freedom, so the bounds are :math:`1 - (1-\\hat\\alpha) F_{1-a/2}` and
:math:`1 - (1-\\hat\\alpha) F_{a/2}`.

*Standard error* (van Zyl, Neudecker & Nel 2000, normal items):

.. math::

    \\operatorname{Var}(\\hat\\alpha) = \\frac{2k^2}{n (k-1)^2 (1'C1)^3}
    \\bigl[1'C1\\,(\\operatorname{tr} C^2 + (\\operatorname{tr} C)^2) - 2 \\operatorname{tr} C\\; 1'C^2 1\\bigr].

*Bootstrap interval*: the percentile interval over ``n_boot`` resamples of
respondents, drawn as resampling counts so that a block of replicates is one
matrix product.  With complete data alpha needs only the item sums and sums of
squares and the total's sum and sum of squares, so every replicate costs
:math:`O(nk)`, not :math:`O(nk^2)`; with pairwise-missing data it needs, for
each item pair, the count, sums and cross-product over the rows answering both.

References
----------
Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests.
*Psychometrika*, 16(3), 297-334.

Feldt, L. S., Woodruff, D. J., & Salih, F. A. (1987). Statistical inference for
coefficient alpha. *Applied Psychological Measurement*, 11(1), 93-103.

van Zyl, J. M., Neudecker, H., & Nel, D. G. (2000). On the distribution of the
maximum likelihood estimator of Cronbach's alpha. *Psychometrika*, 65(3), 271-280.

Examples
--------
>>> from surveys.examples import realstats_items
>>> result = cronbach_alpha(realstats_items(), n_boot=200, seed=1)
>>> round(result.alpha, 3), round(result.ci_low, 3), round(result.ci_high, 3)
(0.592, 0.195, 0.84)
>>> result.tidy()[["term", "method", "estimate"]].shape
(2, 3)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from surveys.reliability.moments import ItemMoments, Missing, as_item_array, item_moments
from surveys.reliability.tidy import interval_table, json_safe

__all__ = ["AlphaResult", "cronbach_alpha", "alpha_from_cov", "alpha_from_moments", "feldt_interval"]

_CHUNK = 64


def alpha_from_cov(cov: np.ndarray) -> float:
    """Cronbach's alpha of an item covariance matrix."""
    k = cov.shape[0]
    return float(k / (k - 1) * (1 - np.trace(cov) / cov.sum()))


def feldt_interval(alpha: float, n: int, k: int, ci_level: float = 0.95) -> tuple[float, float]:
    """Feldt, Woodruff & Salih (1987) interval for alpha from ``n`` respondents and ``k`` items."""
    a = 1 - ci_level
    df1, df2 = n - 1, (n - 1) * (k - 1)
    return (float(1 - (1 - alpha) * stats.f.ppf(1 - a / 2, df1, df2)),
            float(1 - (1 - alpha) * stats.f.ppf(a / 2, df1, df2)))


def _alpha_se(cov: np.ndarray, n: int) -> float:
    k = cov.shape[0]
    one = np.ones(k)
    total, tr = one @ cov @ one, np.trace(cov)
    inner = total * (np.trace(cov @ cov) + tr**2) - 2 * tr * (one @ cov @ cov @ one)
    return float(np.sqrt(2 * k**2 / ((k - 1) ** 2 * total**3) * inner / n))


def _counts(n: int, b: int, rng: np.random.Generator) -> np.ndarray:
    """How often each respondent is drawn in ``b`` resamples of ``n``: shape ``(b, n)``."""
    return np.stack([np.bincount(rng.integers(0, n, n), minlength=n) for _ in range(b)]).astype(float)


def _boot_complete(x: np.ndarray, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    n, k = x.shape
    total = x.sum(axis=1)
    moments = np.column_stack([x, x**2, total, total**2])
    out = np.empty(n_boot)
    for start in range(0, n_boot, _CHUNK):
        b = min(_CHUNK, n_boot - start)
        s = _counts(n, b, rng) @ moments / n
        var_items = (s[:, k:2 * k] - s[:, :k] ** 2).sum(axis=1)
        var_total = s[:, -1] - s[:, -2] ** 2
        out[start:start + b] = k / (k - 1) * (1 - var_items / var_total)
    return out


def _boot_pairwise(x: np.ndarray, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """Bootstrap of alpha from pairwise-complete covariances, all replicates from pair moments.

    For every item pair (i <= j) the replicate needs, over rows answering both, the count and the
    sums of x_i, x_j and x_i x_j; these are weighted sums of four columns per pair, so a chunk of
    replicates is one matrix product.
    """
    n, k = x.shape
    i, j = np.triu_indices(k)
    seen = ~np.isnan(x)
    z = np.nan_to_num(x)
    both = (seen[:, i] & seen[:, j]).astype(float)
    cols = np.hstack([both, z[:, i] * both, z[:, j] * both, z[:, i] * z[:, j] * both])
    p = i.size
    out = np.empty(n_boot)
    for start in range(0, n_boot, _CHUNK):
        b = min(_CHUNK, n_boot - start)
        s = _counts(n, b, rng) @ cols
        cnt, si, sj, sij = s[:, :p], s[:, p:2 * p], s[:, 2 * p:3 * p], s[:, 3 * p:]
        cov = (sij - si * sj / cnt) / (cnt - 1)
        diag = i == j
        total = cov[:, diag].sum(axis=1) + 2 * cov[:, ~diag].sum(axis=1)
        out[start:start + b] = k / (k - 1) * (1 - cov[:, diag].sum(axis=1) / total)
    return out


@dataclass(frozen=True)
class AlphaResult:
    """Cronbach's alpha and its intervals.

    Attributes
    ----------
    alpha
        The coefficient.
    std_error
        Normal-theory standard error (van Zyl, Neudecker & Nel 2000).
    ci_low, ci_high
        Feldt interval.
    boot_ci_low, boot_ci_high
        Percentile bootstrap interval (NaN when ``n_boot=0``).
    boot_std_error
        Standard deviation of the bootstrap replicates (NaN when ``n_boot=0``).
    ci_level
        Confidence level of both intervals.
    n, n_dropped, k
        Respondents used, respondents left out by the missing-data rule, items.
    missing
        ``"pairwise"`` or ``"listwise"``.
    n_boot
        Bootstrap replicates drawn.
    """

    alpha: float
    std_error: float
    ci_low: float
    ci_high: float
    boot_ci_low: float
    boot_ci_high: float
    boot_std_error: float
    ci_level: float
    n: int
    n_dropped: int
    k: int
    missing: str
    n_boot: int
    items: tuple[str, ...] = field(default=())

    def tidy(self) -> pd.DataFrame:
        """One row a kind of interval: ``feldt`` (with the normal-theory SE) and ``bootstrap``."""
        return interval_table("alpha", self.alpha, [
            ("feldt", self.std_error, self.ci_low, self.ci_high),
            ("bootstrap", self.boot_std_error, self.boot_ci_low, self.boot_ci_high)],
            ci_level=self.ci_level, n_obs=self.n, n_items=self.k)

    def to_dict(self) -> dict:
        """JSON-safe fields (NaN as None)."""
        return json_safe(self.__dict__)


def cronbach_alpha(
    items: pd.DataFrame | np.ndarray,
    *,
    missing: Missing = "pairwise",
    ci_level: float = 0.95,
    n_boot: int = 1000,
    seed: int | None = None,
) -> AlphaResult:
    """Cronbach's alpha of a respondents x items table (items already reverse-coded).

    Parameters
    ----------
    items
        One row a respondent, one column an item; NaN for an unanswered item.
    missing
        ``"pairwise"`` (pairwise-complete covariances, as R ``psych::alpha`` and pingouin
        do; respondents with fewer than two answers are left out) or ``"listwise"``.
    ci_level
        Confidence level of the Feldt and bootstrap intervals.
    n_boot
        Bootstrap replicates; 0 skips the bootstrap.
    seed
        Seed of the bootstrap.

    Returns
    -------
    AlphaResult
    """
    values, names = as_item_array(items)
    return alpha_from_moments(values, item_moments(values, missing=missing), names, missing=missing,
                              ci_level=ci_level, n_boot=n_boot, seed=seed)


def alpha_from_moments(values: np.ndarray, m: ItemMoments, names: list[str], *, missing: Missing,
                       ci_level: float, n_boot: int, seed: int | None) -> AlphaResult:
    """:func:`cronbach_alpha` from item moments already computed from ``values`` (no second covariance)."""
    alpha = alpha_from_cov(m.cov)
    low, high = feldt_interval(alpha, m.n, m.cov.shape[0], ci_level)
    boot_low = boot_high = boot_se = np.nan
    if n_boot > 0:
        rng = np.random.default_rng(seed)
        used = values[m.rows]
        reps = _boot_complete(used, n_boot, rng) if m.complete else _boot_pairwise(used, n_boot, rng)
        boot_low, boot_high = (float(q) for q in np.quantile(reps, [(1 - ci_level) / 2, (1 + ci_level) / 2]))
        boot_se = float(reps.std(ddof=1))
    return AlphaResult(alpha, _alpha_se(m.cov, m.n), low, high, boot_low, boot_high, boot_se, ci_level,
                       m.n, m.n_dropped, m.cov.shape[0], missing, n_boot, tuple(names))
