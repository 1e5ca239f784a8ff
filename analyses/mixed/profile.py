"""The profiled (RE)ML deviance of a linear mixed model, as a function of the relative covariance parameters.

An engine evaluates, at any theta, the pieces of lme4's penalized least-squares solution
(Bates et al. 2015, section 3.4): ``log|L_theta|^2``, ``R_X'R_X = X'V^-1X``, the fixed effects and the
penalized residual sum of squares.  From them follow the profiled criteria that are optimised, the
deviance at any ``(theta, sigma)`` that lmerTest differentiates for Satterthwaite's degrees of freedom,
and the fixed-effect covariance.

Examples
--------
>>> terms = DevianceTerms(logdet_l=2.0, logdet_rx=1.0, pwrss=10.0, beta=np.array([1.0]),
...                       xtvx=np.array([[4.0]]), n_obs=11)
>>> bool(np.isclose(terms.criterion(reml=False), 2.0 + 11 * (1 + np.log(2 * np.pi * 10.0 / 11))))
True
>>> terms.sigma(reml=True)
1.0
>>> terms.deviance(1.0, reml=True) == terms.criterion(reml=True)
True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from data_schema.errors import EstimationError

__all__ = ["DevianceTerms", "ProfiledDeviance", "orthogonal_fixed", "solve_fixed"]


@dataclass(frozen=True)
class DevianceTerms:
    """The penalized least-squares solution at one theta.

    Attributes
    ----------
    logdet_l
        ``log|L_theta|^2 = log|Lambda'Z'Z Lambda + I| = log|V|``, with ``V = I + Z Lambda Lambda' Z'``
        the marginal covariance of ``y`` in units of ``sigma^2``.
    logdet_rx
        ``log|R_X|^2 = log|X'V^-1X|``.
    pwrss
        Penalized weighted residual sum of squares ``r^2(theta) = (y - X b)'V^-1(y - X b)``.
    beta
        The conditional fixed-effect estimates ``(X'V^-1X)^-1 X'V^-1 y``.
    xtvx
        ``X'V^-1X`` (unscaled fixed-effect precision).
    n_obs
        Number of observations.
    """

    logdet_l: float
    logdet_rx: float
    pwrss: float
    beta: np.ndarray
    xtvx: np.ndarray
    n_obs: int

    @property
    def n_fixed(self) -> int:
        """Number of fixed effects ``p``."""
        return int(self.beta.size)

    def _df(self, reml: bool) -> int:
        return self.n_obs - self.n_fixed if reml else self.n_obs

    def criterion(self, *, reml: bool) -> float:
        """Profiled deviance: ML ``log|L|^2 + n(1 + log(2 pi r^2 / n))``; REML adds ``log|R_X|^2``, uses n - p."""
        df = self._df(reml)
        out = self.logdet_l + df * (1.0 + np.log(2.0 * np.pi * self.pwrss / df))
        return float(out + self.logdet_rx) if reml else float(out)

    def sigma(self, *, reml: bool) -> float:
        """Profiled residual SD: ``sqrt(r^2 / n)`` (ML) or ``sqrt(r^2 / (n - p))`` (REML)."""
        return float(np.sqrt(self.pwrss / self._df(reml)))

    def deviance(self, sigma: float, *, reml: bool) -> float:
        """Deviance at ``(theta, sigma)`` without profiling sigma out (lmerTest's ``devfun_vp``).

        ``log|L|^2 [+ log|R_X|^2] + df log(2 pi sigma^2) + r^2 / sigma^2`` with ``df`` = n (ML) or n - p (REML).
        """
        s2 = float(sigma) ** 2
        out = self.logdet_l + self._df(reml) * np.log(2.0 * np.pi * s2) + self.pwrss / s2
        return float(out + self.logdet_rx) if reml else float(out)

    def vcov(self, sigma: float) -> np.ndarray:
        """Fixed-effect covariance ``sigma^2 (X'V^-1X)^-1``."""
        return float(sigma) ** 2 * np.linalg.inv(self.xtvx)


class ProfiledDeviance(Protocol):
    """What an engine offers: the deviance terms at any theta, and the data sizes."""

    n_obs: int
    n_fixed: int

    def terms(self, theta: np.ndarray) -> DevianceTerms:
        """The penalized least-squares solution at ``theta``."""
        ...


def orthogonal_fixed(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``[Q, y - Q Q'y]`` with ``X = QR``, and ``R``, ``Q'y``: the engines' well-conditioned working columns.

    Replacing ``X`` by ``Q`` and ``y`` by its OLS residual changes neither ``V`` nor the residual, so the
    deviance is the same, but the Schur complements are formed with far less cancellation.

    Raises
    ------
    EstimationError
        When the columns of ``x`` are linearly dependent.
    """
    q, r = np.linalg.qr(np.asarray(x, dtype=float))
    diag = np.abs(np.diag(r))
    if diag.size and diag.min() <= 1e-10 * diag.max():
        raise EstimationError("the fixed-effect columns are linearly dependent; drop or recode the redundant "
                              "terms of the formula")
    c = q.T @ y
    return np.column_stack([q, y - q @ c]), r, c


def solve_fixed(ww: np.ndarray, logdet: float, r: np.ndarray, c: np.ndarray, n_obs: int) -> DevianceTerms:
    """The :class:`DevianceTerms` from ``[Q, e]'V^-1[Q, e]`` (see :func:`orthogonal_fixed`) and ``log|L|^2``."""
    p = r.shape[0]
    qvq, qvy, yvy = ww[:p, :p], ww[:p, p], ww[p, p]
    try:
        low = np.linalg.cholesky(qvq)
    except np.linalg.LinAlgError:
        raise EstimationError("the fixed-effect columns are linearly dependent given the random effects; "
                              "drop or recode the redundant terms of the formula") from None
    gamma = np.linalg.solve(low.T, np.linalg.solve(low, qvy))
    pwrss = max(float(yvy - qvy @ gamma), 1e-300)
    beta = np.linalg.solve(r, c + gamma)
    logdet_rx = 2.0 * float(np.log(np.diag(low)).sum() + np.log(np.abs(np.diag(r))).sum())
    return DevianceTerms(float(logdet), logdet_rx, pwrss, beta, r.T @ qvq @ r, int(n_obs))
