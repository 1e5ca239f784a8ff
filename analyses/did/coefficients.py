"""Coefficient tables and Wald tests from a cluster-robust fit, with t(G-1) reference distributions.

Examples
--------
>>> c = coefficient("treated", 0.5, 0.2, df=11, level=0.95)
>>> round(c.statistic, 2), round(c.p_value, 4), round(c.ci_low, 4)
(2.5, 0.0295, 0.0598)
>>> test = wald_test(np.array([1.0, -1.0]), np.eye(2) * 0.25, terms=("a", "b"), df_denominator=11)
>>> round(test.statistic, 6), test.df_numerator, round(test.p_value, 4)
(4.0, 2, 0.0495)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

__all__ = ["Coefficient", "WaldTest", "coefficient", "wald_test"]


@dataclass(frozen=True)
class Coefficient:
    """One estimated coefficient with its t test and interval.

    Attributes
    ----------
    term
        Regressor name.
    estimate, std_error
        Coefficient and its cluster-robust (CR1) standard error.
    statistic
        ``estimate / std_error``.
    df
        Degrees of freedom of the t reference distribution (``G - 1``).
    p_value
        Two-sided p-value of ``estimate = 0`` against t(df).
    ci_low, ci_high, ci_level
        The t interval.
    """

    term: str
    estimate: float
    std_error: float
    statistic: float
    df: float
    p_value: float
    ci_low: float
    ci_high: float
    ci_level: float

    def row(self) -> dict[str, object]:
        """The coefficient as a tidy row."""
        return {"term": self.term, "estimate": self.estimate, "std_error": self.std_error,
                "statistic": self.statistic, "df": self.df, "p_value": self.p_value, "ci_low": self.ci_low,
                "ci_high": self.ci_high, "ci_level": self.ci_level}


def coefficient(term: str, estimate: float, std_error: float, *, df: float, level: float) -> Coefficient:
    """A :class:`Coefficient` with t(df) test and interval (NaN statistic when the SE is zero)."""
    se = float(std_error)
    t = float(estimate) / se if se > 0 else float("nan")
    p = float(2 * stats.t.sf(abs(t), df)) if se > 0 else float("nan")
    half = float(stats.t.ppf(0.5 + level / 2, df)) * se
    return Coefficient(term, float(estimate), se, t, float(df), p, float(estimate) - half, float(estimate) + half,
                       float(level))


@dataclass(frozen=True)
class WaldTest:
    """A joint Wald test of ``q`` coefficients equal to zero, as an F test.

    Attributes
    ----------
    terms
        The coefficients tested.
    statistic
        :math:`F = \\hat\\beta' V^{-1} \\hat\\beta / q`.
    df_numerator, df_denominator
        ``q`` and ``G - 1``.
    p_value
        :math:`P(F_{q, G-1} > F)`.
    null
        The null hypothesis in words.
    distribution
        ``"F"``.
    """

    terms: tuple[str, ...]
    statistic: float
    df_numerator: int
    df_denominator: float
    p_value: float
    null: str
    distribution: str = "F"


def wald_test(beta: np.ndarray, vcov: np.ndarray, *, terms: tuple[str, ...], df_denominator: float,
              null: str | None = None) -> WaldTest:
    """F test of ``beta = 0`` with covariance ``vcov``: ``F = b' V^-1 b / q`` on ``(q, df_denominator)`` df.

    This is the test fixest's ``wald()`` reports for clustered covariances (denominator df ``G - 1``).
    A singular ``vcov`` (more restrictions than clusters can identify) uses the pseudo-inverse and
    counts its rank as ``q``.
    """
    q = int(np.linalg.matrix_rank(vcov))
    w = float(beta @ np.linalg.pinv(vcov) @ beta)
    f = w / q if q else float("nan")
    p = float(stats.f.sf(f, q, df_denominator)) if q else float("nan")
    return WaldTest(tuple(terms), f, q, float(df_denominator), p,
                    null or f"all of {', '.join(terms)} are zero")
