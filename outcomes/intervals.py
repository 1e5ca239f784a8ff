"""Confidence intervals for the outcome indicator tables: proportions, means, medians and bounds.

Every function works on many groups at once: inputs are numpy arrays (or
scalars) that broadcast together, and the results have the broadcast shape.
A group where an interval is undefined (no students, or fewer than two for a
t interval, or too few for a distribution-free median interval at the asked
level) gets NaN, never an exception; an exception means an impossible input
(a negative count, more successes than students, a level outside (0, 1)).

Notes
-----
*Wilson score interval* (Wilson 1927; method 3 of Newcombe 1998), for
:math:`x` successes out of :math:`n` with :math:`\\hat p = x/n` and
:math:`z = \\Phi^{-1}((1+\\gamma)/2)`:

.. math::

    \\frac{\\hat p + z^2/(2n) \\pm z\\sqrt{\\hat p(1-\\hat p)/n + z^2/(4n^2)}}{1 + z^2/n}.

*t interval*: :math:`\\bar x \\pm t_{n-1,(1+\\gamma)/2}\\, s/\\sqrt n`.

*Percentile bootstrap* of a mean: the :math:`(1\\mp\\gamma)/2` quantiles
(numpy's default linear interpolation) of the means of ``n_boot`` resamples
drawn with replacement within each group.

*Distribution-free interval for the median* (Conover 1999, section 3.2):
with :math:`B \\sim \\mathrm{Binomial}(n, 1/2)` and :math:`a = (1-\\gamma)/2`,
the lower rank :math:`l` is the largest integer with :math:`P(B \\le l-1) \\le a`
and the upper rank is :math:`u = n+1-l`; the interval
:math:`[x_{(l)}, x_{(u)}]` between order statistics covers the population
median with probability :math:`1 - 2P(B \\le l-1) \\ge \\gamma` for any
continuous distribution (and at least that with ties).  When even
:math:`l = 1` fails (:math:`2^{1-n} > 1-\\gamma`, e.g. :math:`n \\le 5` at 95%)
no such interval exists and the bounds are NaN.

*Imbens-Manski interval* for a parameter known only to lie in
:math:`[\\theta_l, \\theta_u]` (Imbens & Manski 2004):
:math:`[\\hat\\theta_l - c\\,\\mathrm{se}_l,\\ \\hat\\theta_u + c\\,\\mathrm{se}_u]` with
:math:`c` solving
:math:`\\Phi(c + \\hat\\Delta/\\max(\\mathrm{se}_l, \\mathrm{se}_u)) - \\Phi(-c) = \\gamma`,
:math:`\\hat\\Delta = \\hat\\theta_u - \\hat\\theta_l`.  It covers the *parameter*
(not the whole identified set) with probability :math:`\\gamma`; :math:`c` runs
from :math:`\\Phi^{-1}((1+\\gamma)/2)` (point identified, 1.96 at 95%) down to
:math:`\\Phi^{-1}(\\gamma)` (a wide set, 1.645 at 95%).

*Worst-case (Manski) bounds* for a proportion when non-respondents' outcomes
are unknown: with :math:`N` = respondents + non-respondents, the proportion
among all units lies in :math:`[x/N, (x + m)/N]`, :math:`m` the non-respondents.

References
----------
Wilson, E. B. (1927). Probable inference, the law of succession, and statistical
inference. *Journal of the American Statistical Association*, 22(158), 209-212.

Newcombe, R. G. (1998). Two-sided confidence intervals for the single proportion:
comparison of seven methods. *Statistics in Medicine*, 17(8), 857-872.

Efron, B., & Tibshirani, R. J. (1993). *An Introduction to the Bootstrap*.
Chapman & Hall, chapter 13 (percentile intervals).

Conover, W. J. (1999). *Practical Nonparametric Statistics* (3rd ed.). Wiley,
section 3.2 (confidence interval for a quantile).

Manski, C. F. (1989). Anatomy of the selection problem. *Journal of Human
Resources*, 24(3), 343-360.

Horowitz, J. L., & Manski, C. F. (1998). Censoring of outcomes and regressors due
to survey nonresponse: identification and estimation using weights and
imputations. *Journal of Econometrics*, 84(1), 37-58.

Imbens, G. W., & Manski, C. F. (2004). Confidence intervals for partially
identified parameters. *Econometrica*, 72(6), 1845-1857.

Stoye, J. (2009). More on confidence intervals for partially identified
parameters. *Econometrica*, 77(4), 1299-1315.

Examples
--------
>>> low, high = wilson_interval(np.array([81, 0]), np.array([263, 20]))
>>> np.round(low, 4).tolist(), np.round(high, 4).tolist()
([0.2553, 0.0], [0.3662, 0.1611])
>>> b = manski_bounds(40, respondents=50, nonrespondents=10)
>>> float(b.lower), float(b.upper)
(0.6666666666666666, 0.8333333333333334)
>>> low, high = imbens_manski_interval(b.lower, b.upper, b.se_lower, b.se_upper)
>>> round(float(low), 4), round(float(high), 4)
(0.5666, 0.9125)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import special, stats

from data_schema.errors import ArgumentError

__all__ = [
    "ManskiBounds",
    "bootstrap_mean_interval",
    "bootstrap_mean_intervals",
    "imbens_manski_critical_value",
    "imbens_manski_interval",
    "manski_bounds",
    "median_interval",
    "median_interval_ranks",
    "median_intervals",
    "t_interval",
    "wilson_interval",
]

_MAX_DRAWS = 4_000_000
"""Largest number of bootstrap draws held in memory at once."""

_TIE = 1e-12
"""Relative slack when a binomial tail probability equals the allowed error exactly."""


# ----------------------------------------------------------------------------- checks


def _check_level(level: float) -> float:
    if isinstance(level, bool) or not isinstance(level, int | float | np.floating) or not 0 < level < 1:
        raise ArgumentError(f"level={level!r} must be a number strictly between 0 and 1, e.g. 0.95")
    return float(level)


def _first_bad(bad: np.ndarray, **arrays: np.ndarray) -> str:
    """Describe the first element flagged by ``bad``: ``name=value`` for each array, at its index."""
    index = tuple(int(i) for i in np.argwhere(bad)[0])
    where = f" at index {index}" if index else ""
    values = ", ".join(f"{name}={arr[index]:g}" for name, arr in arrays.items())
    return f"{values}{where}"


def _as_float(name: str, value: ArrayLike) -> np.ndarray:
    arr = np.asarray(value, dtype=float)
    if np.isinf(arr).any():
        raise ArgumentError(f"{name} has an infinite value; pass finite numbers (NaN for unknown)")
    return arr


def _sample(name: str, values: ArrayLike) -> np.ndarray:
    arr = np.asarray(values, dtype=float)
    if arr.ndim != 1:
        raise ArgumentError(f"{name} must be one-dimensional; received shape {arr.shape}")
    missing = int(np.isnan(arr).sum())
    if missing or np.isinf(arr).any():
        raise ArgumentError(f"{name} has {missing} missing and {int(np.isinf(arr).sum())} infinite values; "
                            "drop them before computing the interval")
    return arr


def _codes(codes: ArrayLike, n_groups: int, size: int) -> np.ndarray:
    if isinstance(n_groups, bool) or not isinstance(n_groups, int | np.integer) or n_groups < 0:
        raise ArgumentError(f"n_groups={n_groups!r} must be a non-negative integer")
    arr = np.asarray(codes)
    if arr.shape != (size,):
        raise ArgumentError(f"codes has shape {arr.shape}; expected one code per value, shape ({size},)")
    if size and (not np.issubdtype(arr.dtype, np.integer) or arr.min() < 0 or arr.max() >= n_groups):
        raise ArgumentError(f"codes must be integers from 0 to n_groups - 1 = {n_groups - 1}; "
                            f"received dtype {arr.dtype} with values from {arr.min()} to {arr.max()}")
    return arr.astype(np.intp, copy=False)


# ----------------------------------------------------------------------------- proportions and means


def wilson_interval(successes: ArrayLike, n: ArrayLike, *, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson (1927) score interval for a proportion, without continuity correction.

    Parameters
    ----------
    successes
        Number of successes in each group.
    n
        Number of trials (students) in each group; broadcasts with ``successes``.
    level
        Confidence level.

    Returns
    -------
    tuple of numpy.ndarray
        Lower and upper bounds, of the broadcast shape; NaN where ``n`` is 0 or
        either input is NaN.

    Raises
    ------
    ArgumentError
        If a count is negative or ``successes`` exceeds ``n``.

    Notes
    -----
    The formula is in the module notes.  It is the interval that
    ``statsmodels.stats.proportion.proportion_confint(method="wilson")`` gives.

    References
    ----------
    Wilson, E. B. (1927). *JASA*, 22, 209-212.  Newcombe, R. G. (1998).
    *Statistics in Medicine*, 17, 857-872 (method 3).

    Examples
    --------
    Newcombe (1998), Table I, 15 out of 148 and 1 out of 29:

    >>> low, high = wilson_interval([15, 1], [148, 29])
    >>> np.round(low, 4).tolist(), np.round(high, 4).tolist()
    ([0.0624, 0.0061], [0.1605, 0.1718])
    >>> [float(v) for v in wilson_interval(0, 0)]
    [nan, nan]
    """
    z = float(special.ndtri((1 + _check_level(level)) / 2))
    x, m = np.broadcast_arrays(_as_float("successes", successes), _as_float("n", n))
    bad = (x < 0) | (m < 0) | (x > m)
    if bad.any():
        raise ArgumentError(f"successes and n must satisfy 0 <= successes <= n; received "
                            f"{_first_bad(bad, successes=x, n=m)}")
    ok = m > 0
    m_safe = np.where(ok, m, 1.0)
    p = x / m_safe
    z2n = z * z / m_safe
    center = (p + z2n / 2) / (1 + z2n)
    half = z * np.sqrt(p * (1 - p) / m_safe + z2n / (4 * m_safe)) / (1 + z2n)
    low = np.where(ok, np.clip(center - half, 0.0, 1.0), np.nan)
    high = np.where(ok, np.clip(center + half, 0.0, 1.0), np.nan)
    return low, high


def t_interval(mean: ArrayLike, sd: ArrayLike, n: ArrayLike, *, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Student t interval for a mean from its summary statistics.

    Parameters
    ----------
    mean
        Sample mean of each group.
    sd
        Sample standard deviation (divisor :math:`n-1`).
    n
        Number of observations.  All three broadcast together.
    level
        Confidence level.

    Returns
    -------
    tuple of numpy.ndarray
        Lower and upper bounds :math:`\\bar x \\mp t_{n-1,(1+\\gamma)/2}\\, s/\\sqrt n`,
        NaN where ``n < 2`` or an input is NaN.

    Raises
    ------
    ArgumentError
        If a standard deviation or ``n`` is negative.

    Examples
    --------
    The paired differences of Student's sleep data (R ``t.test(extra ~ group, data = sleep,
    paired = TRUE)``: mean -1.58, 95% interval -2.4598858 to -0.7001142):

    >>> d = np.array([-1.2, -2.4, -1.3, -1.3, 0.0, -1.0, -1.8, -0.8, -4.6, -1.4])
    >>> low, high = t_interval(d.mean(), d.std(ddof=1), d.size)
    >>> round(float(low), 7), round(float(high), 7)
    (-2.4598858, -0.7001142)
    >>> [float(v) for v in t_interval(3.0, 0.0, 1)]
    [nan, nan]
    """
    gamma = _check_level(level)
    mu, s, m = np.broadcast_arrays(_as_float("mean", mean), _as_float("sd", sd), _as_float("n", n))
    bad = (s < 0) | (m < 0)
    if bad.any():
        raise ArgumentError(f"sd and n must not be negative; received {_first_bad(bad, sd=s, n=m)}")
    ok = m >= 2
    m_safe = np.where(ok, m, 2.0)
    half = stats.t.ppf((1 + gamma) / 2, m_safe - 1) * s / np.sqrt(m_safe)
    return np.where(ok, mu - half, np.nan), np.where(ok, mu + half, np.nan)


def bootstrap_mean_intervals(values: ArrayLike, codes: ArrayLike, n_groups: int, *, level: float = 0.95,
                             n_boot: int = 2000, seed: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Percentile bootstrap intervals for the mean of every group, in one vectorised pass.

    Parameters
    ----------
    values
        One-dimensional array of observations, no NaN.
    codes
        Group of each observation, integers ``0 .. n_groups - 1``.
    n_groups
        Number of groups (groups without observations get NaN).
    level
        Confidence level.
    n_boot
        Number of resamples (at least 1).
    seed
        Seed of ``numpy.random.default_rng``; the same seed and data give the same intervals.

    Returns
    -------
    tuple of numpy.ndarray
        Lower and upper bounds, shape ``(n_groups,)``.

    Notes
    -----
    Observations are sorted by group once; each resample draws, for every
    observation's slot, a uniformly chosen observation of the same group
    (``rng.integers`` with the group's size as the upper bound), and the group
    sums of a block of resamples are one ``numpy.add.reduceat``.  Draws are made
    in blocks of at most four million, so memory stays bounded.  A group of one
    observation gets a zero-width interval at that value.

    Examples
    --------
    >>> x = np.array([1.0, 2.0, 3.0, 4.0, 10.0, 11.0, 12.0])
    >>> low, high = bootstrap_mean_intervals(x, [0, 0, 0, 0, 1, 1, 1], 3, n_boot=500, seed=1)
    >>> bool(1 <= low[0] < 2.5 < high[0] <= 4), bool(10 <= low[1] < 11 < high[1] <= 12), bool(np.isnan(low[2]))
    (True, True, True)
    """
    gamma = _check_level(level)
    x = _sample("values", values)
    group = _codes(codes, n_groups, x.size)
    if isinstance(n_boot, bool) or not isinstance(n_boot, int | np.integer) or n_boot < 1:
        raise ArgumentError(f"n_boot={n_boot!r} must be a positive integer, e.g. 2000")
    rng = np.random.default_rng(seed)
    order = np.lexsort((x, group))
    x, group = x[order], group[order]
    sizes = np.bincount(group, minlength=n_groups)
    starts = (np.cumsum(sizes) - sizes).astype(np.intp)
    present = np.flatnonzero(sizes)
    low = np.full(n_groups, np.nan)
    high = np.full(n_groups, np.nan)
    if present.size == 0:
        return low, high
    slot_start, slot_size = starts[group], sizes[group]
    block = max(1, _MAX_DRAWS // x.size)
    means = np.empty((n_boot, present.size))
    for first in range(0, n_boot, block):
        b = min(block, n_boot - first)
        draws = slot_start + rng.integers(0, slot_size, size=(b, x.size))
        means[first:first + b] = np.add.reduceat(x[draws], starts[present], axis=1) / sizes[present]
    low[present], high[present] = np.quantile(means, [(1 - gamma) / 2, (1 + gamma) / 2], axis=0)
    return low, high


def bootstrap_mean_interval(values: ArrayLike, *, level: float = 0.95, n_boot: int = 2000,
                            seed: int | None) -> tuple[float, float]:
    """Percentile bootstrap interval for the mean of one sample.

    Parameters
    ----------
    values
        One-dimensional array of observations, no NaN.
    level
        Confidence level.
    n_boot
        Number of resamples.
    seed
        Seed of ``numpy.random.default_rng``.

    Returns
    -------
    tuple of float
        Lower and upper bounds; NaN for an empty sample.  The same as
        :func:`bootstrap_mean_intervals` with every observation in group 0.

    References
    ----------
    Efron, B., & Tibshirani, R. J. (1993). *An Introduction to the Bootstrap*, chapter 13.

    Examples
    --------
    >>> x = np.arange(1.0, 21.0)
    >>> low, high = bootstrap_mean_interval(x, n_boot=1000, seed=7)
    >>> bool(7.5 < low < 10.5 < high < 13.5), (low, high) == bootstrap_mean_interval(x, n_boot=1000, seed=7)
    (True, True)
    """
    x = _sample("values", values)
    low, high = bootstrap_mean_intervals(x, np.zeros(x.size, dtype=np.intp), 1, level=level, n_boot=n_boot,
                                         seed=seed)
    return float(low[0]), float(high[0])


# ----------------------------------------------------------------------------- medians


def median_interval_ranks(n: ArrayLike, *, level: float = 0.95) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Order-statistic ranks of the distribution-free median interval and its achieved coverage.

    Parameters
    ----------
    n
        Sample sizes (non-negative integers).
    level
        Confidence level.

    Returns
    -------
    tuple of numpy.ndarray
        ``(l, u, coverage)``: the 1-based ranks, :math:`l` the largest integer with
        :math:`P(B \\le l-1) \\le (1-\\gamma)/2` for :math:`B \\sim \\mathrm{Bin}(n, 1/2)`
        and :math:`u = n+1-l`, and the exact coverage :math:`1 - 2P(B \\le l-1) \\ge \\gamma`.
        All three are NaN (float arrays) where no interval reaches the level.

    Notes
    -----
    This is the shortest interval symmetric in ranks whose coverage is at least
    the level.  ``scipy.stats.quantile_test(x, q, p=0.5).confidence_interval()``
    takes the same upper rank and the same lower rank except when
    :math:`(1-\\gamma)/2` equals a binomial tail probability exactly (levels
    :math:`1 - j/2^{n-1}`); there scipy widens the lower end by one rank.

    Examples
    --------
    Ranks and coverage for 9, 20 and 5 students at 95% (5 is too few):

    >>> lo, up, cover = median_interval_ranks([9, 20, 5])
    >>> lo.tolist(), up.tolist(), np.round(cover, 3).tolist()
    ([2.0, 6.0, nan], [8.0, 15.0, nan], [0.961, 0.959, nan])
    """
    gamma = _check_level(level)
    m = _as_float("n", n)
    bad = (m < 0) | (m != np.round(m))
    if bad.any():
        raise ArgumentError(f"n must hold non-negative integers; received {_first_bad(bad, n=m)}")
    tail = (1 - gamma) / 2
    known = ~np.isnan(m)
    m_safe = np.where(known, m, 0.0)
    k = stats.binom.ppf(tail, m_safe, 0.5)  # smallest k with P(B <= k) >= tail
    k = np.where(np.isnan(k), 0.0, k)
    lower = k + (stats.binom.cdf(k, m_safe, 0.5) <= tail * (1 + _TIE))
    lower = np.where(stats.binom.cdf(lower - 1, m_safe, 0.5) <= tail * (1 + _TIE), lower, lower - 1)
    ok = known & (lower >= 1)
    coverage = 1 - 2 * stats.binom.cdf(lower - 1, m_safe, 0.5)
    return (np.where(ok, lower, np.nan), np.where(ok, m_safe + 1 - lower, np.nan), np.where(ok, coverage, np.nan))


def median_intervals(values: ArrayLike, codes: ArrayLike, n_groups: int, *,
                     level: float = 0.95) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Median and distribution-free interval of every group, from one sort.

    Parameters
    ----------
    values
        One-dimensional array of observations, no NaN.
    codes
        Group of each observation, integers ``0 .. n_groups - 1``.
    n_groups
        Number of groups.
    level
        Confidence level.

    Returns
    -------
    tuple of numpy.ndarray
        ``(median, low, high)``, each of shape ``(n_groups,)``: the sample median
        (mean of the two middle values for an even count), and the order
        statistics :math:`x_{(l)}, x_{(u)}` with the ranks of
        :func:`median_interval_ranks`.  The median is NaN only for an empty group;
        the bounds are NaN also where the group is too small for the level
        (5 or fewer observations at 95%).

    Notes
    -----
    The observations are sorted once by ``(code, value)``; each group's order
    statistics are then read at its offset, so the cost is one sort whatever
    the number of groups.

    References
    ----------
    Conover, W. J. (1999). *Practical Nonparametric Statistics* (3rd ed.), section 3.2.

    Examples
    --------
    >>> x = np.array([5.0, 1, 4, 2, 3, 9, 8, 7, 6, 10, 11, 40])
    >>> med, low, high = median_intervals(x, [0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1], 2)
    >>> med.tolist(), low.tolist(), high.tolist()
    ([3.0, 9.0], [nan, 6.0], [nan, 40.0])
    """
    x = _sample("values", values)
    group = _codes(codes, n_groups, x.size)
    order = np.lexsort((x, group))
    x = x[order]
    sizes = np.bincount(group, minlength=n_groups)
    starts = (np.cumsum(sizes) - sizes).astype(np.intp)
    present = sizes > 0
    last = np.maximum(x.size - 1, 0)

    def at(rank: np.ndarray) -> np.ndarray:
        """The order statistic of 1-based ``rank`` in every group (NaN rank -> NaN)."""
        ok = present & ~np.isnan(rank)
        index = np.clip(starts + np.where(ok, rank, 1).astype(np.intp) - 1, 0, last)
        return np.where(ok, x[index] if x.size else np.nan, np.nan)

    median = (at(np.where(present, (sizes + 1) // 2, np.nan)) + at(np.where(present, sizes // 2 + 1, np.nan))) / 2
    lower_rank, upper_rank, _ = median_interval_ranks(sizes, level=level)
    return median, at(lower_rank), at(upper_rank)


def median_interval(values: ArrayLike, *, level: float = 0.95) -> tuple[float, float, float]:
    """Median of one sample and its distribution-free (sign-test) confidence interval.

    Parameters
    ----------
    values
        One-dimensional array of observations, no NaN.
    level
        Confidence level.

    Returns
    -------
    tuple of float
        ``(median, low, high)`` with ``low`` and ``high`` the order statistics of
        ranks :math:`l` and :math:`n+1-l` (see :func:`median_interval_ranks`);
        bounds NaN when the sample is too small for the level.

    References
    ----------
    Conover, W. J. (1999). *Practical Nonparametric Statistics* (3rd ed.), section 3.2.

    Examples
    --------
    The 19 scores of the ``ci.median`` example in R package statpsych (its limits 10.8 and 30.9):

    >>> y = [30.2, 20.4, 15.1, 10.2, 10.5, 60.8, 20.8, 25.0, 20.7, 30.9, 10.8, 5.1,
    ...      50.9, 40.0, 20.9, 10.8, 0, 20.5, 50.8]
    >>> median_interval(y)
    (20.7, 10.8, 30.9)
    """
    x = _sample("values", values)
    med, low, high = median_intervals(x, np.zeros(x.size, dtype=np.intp), 1, level=level)
    return float(med[0]), float(low[0]), float(high[0])


# ----------------------------------------------------------------------------- partial identification


def imbens_manski_critical_value(spread: ArrayLike, *, level: float = 0.95) -> np.ndarray:
    """Critical value :math:`c` of the Imbens-Manski interval.

    Parameters
    ----------
    spread
        :math:`\\hat\\Delta / \\max(\\mathrm{se}_l, \\mathrm{se}_u)`, non-negative
        (``inf`` allowed).
    level
        Confidence level :math:`\\gamma`.

    Returns
    -------
    numpy.ndarray
        The root of :math:`\\Phi(c + \\text{spread}) - \\Phi(-c) = \\gamma`, between
        :math:`\\Phi^{-1}(\\gamma)` and :math:`\\Phi^{-1}((1+\\gamma)/2)`; NaN where
        ``spread`` is NaN.

    Notes
    -----
    The left side is increasing and concave in :math:`c \\ge 0`, so Newton's
    method started at :math:`\\Phi^{-1}(\\gamma)` (where it is not above the
    level) climbs monotonically to the root; all groups are solved at once.

    Examples
    --------
    >>> np.round(imbens_manski_critical_value([0.0, 1.0, np.inf]), 4).tolist()
    [1.96, 1.6815, 1.6449]
    """
    gamma = _check_level(level)
    r = np.asarray(spread, dtype=float)
    if (r < 0).any():
        raise ArgumentError(f"spread must not be negative; received {_first_bad(r < 0, spread=r)}")
    r_fin = np.where(np.isfinite(r), r, 0.0)
    c = np.full(r.shape, float(special.ndtri(gamma)))
    for _ in range(100):
        gap = special.ndtr(c + r_fin) - special.ndtr(-c) - gamma
        slope = np.exp(-0.5 * (c + r_fin) ** 2) / np.sqrt(2 * np.pi) + np.exp(-0.5 * c**2) / np.sqrt(2 * np.pi)
        step = np.where(np.isfinite(r), -gap / slope, 0.0)
        c = c + step
        if np.all(np.abs(step) <= 1e-15 * np.abs(c)):
            break
    return np.where(np.isnan(r), np.nan, c)


def imbens_manski_interval(lower: ArrayLike, upper: ArrayLike, se_lower: ArrayLike, se_upper: ArrayLike, *,
                           level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Imbens & Manski (2004) confidence interval for a partially identified parameter.

    Parameters
    ----------
    lower, upper
        Estimated lower and upper bounds of the identified set.
    se_lower, se_upper
        Their standard errors.  All four broadcast together.
    level
        Confidence level; the interval covers the true parameter (not the
        whole set) with at least this probability, asymptotically.

    Returns
    -------
    tuple of numpy.ndarray
        :math:`[\\text{lower} - c\\,\\mathrm{se}_l,\\ \\text{upper} + c\\,\\mathrm{se}_u]` with
        :math:`c` from :func:`imbens_manski_critical_value`; NaN where an input is NaN.

    Raises
    ------
    ArgumentError
        If an upper bound is below its lower bound or a standard error is negative.

    Notes
    -----
    With both standard errors zero the interval is the estimated set itself.
    Stoye (2009) points out that the interval's uniform validity rests on the
    estimated width :math:`\\hat\\Delta` being superefficient at :math:`\\Delta = 0`.
    That holds for :func:`manski_bounds`, whose width is the share of
    non-respondents, exactly 0 when everybody responds; for bounds whose width is
    estimated with noise, Stoye's modified interval is the safer choice.

    Examples
    --------
    Point identification gives the usual two-sided interval, a wide set the one-sided critical value:

    >>> low, high = imbens_manski_interval([0.5, 0.2], [0.5, 0.8], 0.1, 0.1)
    >>> np.round(low, 4).tolist(), np.round(high, 4).tolist()
    ([0.304, 0.0355], [0.696, 0.9645])
    """
    gamma = _check_level(level)
    lo, up, se_l, se_u = np.broadcast_arrays(_as_float("lower", lower), _as_float("upper", upper),
                                             _as_float("se_lower", se_lower), _as_float("se_upper", se_upper))
    bad = (up < lo) | (se_l < 0) | (se_u < 0)
    if bad.any():
        raise ArgumentError("need lower <= upper and non-negative standard errors; received "
                            f"{_first_bad(bad, lower=lo, upper=up, se_lower=se_l, se_upper=se_u)}")
    width = up - lo
    scale = np.maximum(se_l, se_u)
    with np.errstate(divide="ignore", invalid="ignore"):
        spread = np.where(scale > 0, width / np.where(scale > 0, scale, 1.0), np.where(width > 0, np.inf, 0.0))
    spread = np.where(np.isnan(width) | np.isnan(scale), np.nan, spread)
    c = imbens_manski_critical_value(spread, level=gamma)
    return lo - c * se_l, up + c * se_u


@dataclass(frozen=True)
class ManskiBounds:
    """Worst-case bounds for a proportion among all units, with their standard errors.

    Attributes
    ----------
    lower
        ``successes / N``: every non-respondent a failure.
    upper
        ``(successes + nonrespondents) / N``: every non-respondent a success.
    se_lower, se_upper
        :math:`\\sqrt{p(1-p)/N}` for each bound :math:`p`, the standard error of a
        sample proportion over all :math:`N` units.
    n
        :math:`N` = respondents + non-respondents.  Everything is NaN where it is 0.
    """

    lower: np.ndarray
    upper: np.ndarray
    se_lower: np.ndarray
    se_upper: np.ndarray
    n: np.ndarray

    def to_dict(self) -> dict:
        """Fields as (nested) lists, NaN as ``None``."""
        return {k: np.where(np.isnan(v), None, v).tolist() for k, v in self.__dict__.items()}


def manski_bounds(successes: ArrayLike, respondents: ArrayLike, nonrespondents: ArrayLike) -> ManskiBounds:
    """Worst-case (Manski) bounds on a proportion when non-respondents' outcomes are unknown.

    Parameters
    ----------
    successes
        Respondents with the outcome (e.g. employed).
    respondents
        Units whose outcome is known.
    nonrespondents
        Units whose outcome is unknown.  All three broadcast together.

    Returns
    -------
    ManskiBounds
        Arrays of the broadcast shape; pass them to :func:`imbens_manski_interval`.

    Raises
    ------
    ArgumentError
        If a count is negative or ``successes`` exceeds ``respondents``.

    References
    ----------
    Manski, C. F. (1989). *Journal of Human Resources*, 24, 343-360.  Horowitz, J. L., &
    Manski, C. F. (1998). *Journal of Econometrics*, 84, 37-58.

    Examples
    --------
    >>> b = manski_bounds([30, 0], [40, 0], [10, 0])
    >>> b.lower.tolist(), b.upper.tolist(), np.round(b.se_lower, 4).tolist()
    ([0.6, nan], [0.8, nan], [0.0693, nan])
    """
    x, r, m = np.broadcast_arrays(_as_float("successes", successes), _as_float("respondents", respondents),
                                  _as_float("nonrespondents", nonrespondents))
    bad = (x < 0) | (r < 0) | (m < 0) | (x > r)
    if bad.any():
        raise ArgumentError("counts must be non-negative with successes <= respondents; received "
                            f"{_first_bad(bad, successes=x, respondents=r, nonrespondents=m)}")
    total = r + m
    ok = total > 0
    n_safe = np.where(ok, total, 1.0)
    low = np.where(ok, x / n_safe, np.nan)
    high = np.where(ok, (x + m) / n_safe, np.nan)
    return ManskiBounds(low, high, np.sqrt(low * (1 - low) / n_safe), np.sqrt(high * (1 - high) / n_safe), total)
