"""Bootstrap p-values and confidence intervals by inverting the bootstrap test.

Notes
-----
*p-values.* With the CR1 statistic :math:`t` and bootstrap statistics :math:`t^*_b`:

- symmetric (two-sided): :math:`p = \\frac1B\\#\\{b : |t^*_b| \\ge |t|\\}` (boottest's ``symmetric``,
  fwildclusterboot's ``two-tailed``);
- equal-tailed: :math:`p = \\min(1, 2\\min(p_-, p_+))` with :math:`p_- = \\frac1B\\#\\{t^*_b \\le t\\}`
  and :math:`p_+ = \\frac1B\\#\\{t^*_b \\ge t\\}`.

Ties count as at least as extreme: a draw ties when :math:`|t^*_b|` and :math:`|t|` differ by less than
:data:`TIE_TOLERANCE` :math:`\\times |t|`, which absorbs rounding in the two computations.  Ties are not
rare: with the null imposed, the draw :math:`v = (1, \\dots, 1)` rebuilds the original sample and
:math:`v = (-1, \\dots, -1)` its mirror, so an enumerated Rademacher bootstrap always holds two draws with
:math:`|t^*| = |t|`, and the smallest attainable p-value is :math:`2/2^G` (Webb 2023 calls p-values
that such ties leave ambiguous "not point identified").  Counting ties makes the enumerated test exact in
the randomization sense and never anti-conservative; R's fwildclusterboot and Python's wildboottest count
only strict exceedances, so their p-values are lower by (number of ties)/B.  Draws whose bootstrap
statistic is undefined (0/0) are left out of both counts.

*Confidence interval.* The level-:math:`1-\\alpha` interval is :math:`\\{r : p(r) > \\alpha\\}` where
:math:`p(r)` is the bootstrap p-value of :math:`H_0: \\beta_j = r`, with the same draws for every
:math:`r` (Roodman et al. 2019).  Each bound is found by starting from the CR1 interval
:math:`\\hat\\beta_j \\pm t_{G-1,1-\\alpha/2}\\,\\mathrm{se}`, doubling its half-width until the
p-value is at most :math:`\\alpha` (at most :data:`MAX_DOUBLINGS` times; beyond that the bound is
infinite, which happens, e.g., with one treated cluster) and then bisecting until the bracket is shorter
than :data:`BOUND_TOLERANCE` :math:`\\times` se.  :math:`p(r)` is a step function; the bound is the
midpoint of the final bracket around the step where it falls to :math:`\\alpha`, so it is exact to
within :math:`\\pm` ``BOUND_TOLERANCE``/2 standard errors (the tie rule moves each step outward by at
most a relative ``TIE_TOLERANCE`` of :math:`|t|`, i.e. about :math:`10^{-9}|t|` standard errors).  If
:math:`p(r)` is not monotone on a side (rare), the step found is one inside the first bracket, i.e. the
set may be slightly larger than reported.

References
----------
Roodman, D., Nielsen, M. Ø., MacKinnon, J. G., & Webb, M. D. (2019). Fast and wild: Bootstrap
inference in Stata using boottest. *The Stata Journal*, 19(1), 4-60.

Webb, M. D. (2023). Reworking wild bootstrap-based inference for clustered errors. *Canadian
Journal of Economics*, 56(3), 839-858.

Examples
--------
>>> bootstrap_p_value(2.0, np.array([-3.0, -1.0, 0.5, 2.0, 2.5]), "symmetric")
0.6
>>> bootstrap_p_value(2.0, np.array([-3.0, -1.0, 0.5, 2.0, 2.5]), "equal-tailed")
0.8
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Literal

import numpy as np
from scipy import stats

from analyses.did.wild_bootstrap.fast import BootstrapMoments

__all__ = ["PValueType", "P_VALUE_TYPES", "TIE_TOLERANCE", "BOUND_TOLERANCE", "MAX_DOUBLINGS",
           "bootstrap_p_value", "invert_interval"]

PValueType = Literal["symmetric", "equal-tailed"]
P_VALUE_TYPES: tuple[str, ...] = ("symmetric", "equal-tailed")
TIE_TOLERANCE = 1e-9
"""Relative difference below which a bootstrap statistic ties with the sample statistic."""
BOUND_TOLERANCE = 1e-10
"""Width of the final bisection bracket of an interval bound, in CR1 standard errors."""
MAX_DOUBLINGS = 60
"""Doublings of the CR1 half-width tried before a bound is declared infinite (2^60 half-widths)."""


def bootstrap_p_value(t: float, t_boot: np.ndarray, kind: str = "symmetric") -> float:
    """Share of bootstrap statistics at least as extreme as ``t`` (ties included, undefined draws left out)."""
    tb = t_boot[~np.isnan(t_boot)]
    if tb.size == 0:
        return math.nan
    tol = TIE_TOLERANCE * abs(t)
    if kind == "symmetric":
        return float(np.count_nonzero(np.abs(tb) >= abs(t) - tol) / tb.size)
    upper = np.count_nonzero(tb >= t - tol) / tb.size
    lower = np.count_nonzero(tb <= t + tol) / tb.size
    return float(min(1.0, 2.0 * min(upper, lower)))


def _bound(p_of: Callable[[float], float], start: float, step: float, alpha: float, se: float) -> float:
    """The point beyond ``start`` (in the direction of ``step``) where ``p_of`` falls to ``alpha``."""
    inner, width = start, step
    for _ in range(MAX_DOUBLINGS):
        outer = start + width
        if p_of(outer) <= alpha:
            break
        inner, width = outer, 2.0 * width
    else:
        return math.copysign(math.inf, step)
    while abs(outer - inner) > BOUND_TOLERANCE * se:
        mid = 0.5 * (inner + outer)
        if mid in (inner, outer):
            break
        if p_of(mid) > alpha:
            inner = mid
        else:
            outer = mid
    return 0.5 * (inner + outer)


def invert_interval(moments: BootstrapMoments, *, level: float, kind: str, n_clusters: int) -> tuple[float, float]:
    """Confidence interval :math:`\\{r : p(r) > 1 - \\mathrm{level}\\}` by test inversion (see module notes).

    Returns ``(nan, nan)`` when even the estimate itself is rejected (possible only for the equal-tailed
    p-value of a very lopsided bootstrap distribution).
    """
    parts = moments.parts
    alpha = 1.0 - level

    def p_of(null: float) -> float:
        return bootstrap_p_value(parts.t_stat(null), moments.t_boot(null), kind)

    if not p_of(parts.estimate) > alpha:
        return math.nan, math.nan
    half = float(stats.t.ppf(1.0 - alpha / 2.0, max(n_clusters - 1, 1))) * parts.std_error
    low = _bound(p_of, parts.estimate, -half, alpha, parts.std_error)
    high = _bound(p_of, parts.estimate, half, alpha, parts.std_error)
    return low, high
