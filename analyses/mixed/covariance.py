"""Relative covariance factors: how the parameter vector theta maps to the random-effect covariances.

Each random-effect level ``l`` with ``q_l`` effects per group has a lower-triangular relative covariance
factor ``T_l`` (lme4's Lambda block), and its covariance is ``sigma^2 T_l T_l'``.  Theta stacks the
lower triangles column by column, level after level, as lme4 does (Bates et al. 2015, section 3.1).

Examples
--------
>>> layout = ThetaLayout((RandomLevel("Subject", ("Intercept", "Days")),))
>>> layout.names
('Subject:Intercept', 'Subject:Days.Intercept', 'Subject:Days')
>>> layout.lower.tolist(), layout.start.tolist()
([0.0, -inf, 0.0], [1.0, 0.0, 1.0])
>>> layout.factors(np.array([2.0, 0.5, 1.0]))[0]
array([[2. , 0. ],
       [0.5, 1. ]])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["RandomLevel", "ThetaLayout", "lower_factor", "SINGULAR_TOL"]

SINGULAR_TOL = 1e-4
"""A diagonal element of a relative factor below this is at the boundary (lme4's ``isSingular`` default)."""


@dataclass(frozen=True)
class RandomLevel:
    """One grouping level of random effects.

    Attributes
    ----------
    name
        The level's name in output (the grouping column, or the ``vc`` key).
    terms
        Names of the random effects per group (``("Intercept", "wave")``); one for a variance component.
    """

    name: str
    terms: tuple[str, ...]

    @property
    def q(self) -> int:
        """Random effects per group."""
        return len(self.terms)


@dataclass(frozen=True)
class ThetaLayout:
    """The levels, in output order (the ``groups`` level first, then the nested components).

    Attributes
    ----------
    levels
        The random-effect levels.
    """

    levels: tuple[RandomLevel, ...]

    def _index(self, q: int) -> tuple[np.ndarray, np.ndarray]:
        cols, rows = np.triu_indices(q)  # column-wise lower triangle: (row, col) = (cols, rows) swapped
        return rows, cols

    @property
    def size(self) -> int:
        """Length of theta."""
        return sum(lev.q * (lev.q + 1) // 2 for lev in self.levels)

    @property
    def names(self) -> tuple[str, ...]:
        """``level:term`` for a diagonal element, ``level:row_term.col_term`` below the diagonal."""
        out = []
        for lev in self.levels:
            rows, cols = self._index(lev.q)
            for i, j in zip(rows, cols, strict=True):
                t = lev.terms
                out.append(f"{lev.name}:{t[i]}" if i == j else f"{lev.name}:{t[i]}.{t[j]}")
        return tuple(out)

    @property
    def diagonal(self) -> np.ndarray:
        """Whether each theta element is on a diagonal (bounded below by zero)."""
        out = []
        for lev in self.levels:
            rows, cols = self._index(lev.q)
            out.extend(rows == cols)
        return np.array(out, dtype=bool)

    @property
    def lower(self) -> np.ndarray:
        """Lower bounds: 0 on diagonals, -inf elsewhere."""
        return np.where(self.diagonal, 0.0, -np.inf)

    @property
    def start(self) -> np.ndarray:
        """lme4's default start: identity factors (1 on diagonals, 0 elsewhere)."""
        return self.diagonal.astype(float)

    def factors(self, theta: np.ndarray) -> list[np.ndarray]:
        """The lower-triangular ``T_l`` of each level, in output order."""
        theta = np.asarray(theta, dtype=float)
        out, k = [], 0
        for lev in self.levels:
            rows, cols = self._index(lev.q)
            t = np.zeros((lev.q, lev.q))
            t[rows, cols] = theta[k:k + rows.size]
            k += rows.size
            out.append(t)
        return out

    def theta_from_factors(self, factors: list[np.ndarray]) -> np.ndarray:
        """Inverse of :meth:`factors`."""
        parts = []
        for lev, t in zip(self.levels, factors, strict=True):
            rows, cols = self._index(lev.q)
            parts.append(np.asarray(t, dtype=float)[rows, cols])
        return np.concatenate(parts) if parts else np.zeros(0)

    def covariances(self, theta: np.ndarray, sigma: float) -> list[np.ndarray]:
        """``sigma^2 T_l T_l'`` for each level."""
        return [sigma ** 2 * t @ t.T for t in self.factors(theta)]

    def boundary(self, theta: np.ndarray, tol: float = SINGULAR_TOL) -> tuple[str, ...]:
        """Names of the diagonal theta elements at (or within ``tol`` of) zero: lme4's singular-fit test."""
        theta = np.asarray(theta, dtype=float)
        return tuple(n for n, d, v in zip(self.names, self.diagonal, theta, strict=True) if d and abs(v) < tol)


def lower_factor(cov: np.ndarray) -> np.ndarray:
    """A lower-triangular ``T`` with ``T T' = cov`` for a positive semi-definite ``cov`` (zero pivots allowed).

    Examples
    --------
    >>> lower_factor(np.array([[4.0, 2.0], [2.0, 1.0]]))
    array([[2., 0.],
           [1., 0.]])
    """
    cov = np.asarray(cov, dtype=float)
    q = cov.shape[0]
    t = np.zeros_like(cov)
    scale = max(float(np.max(np.abs(np.diag(cov)))) if q else 0.0, 1e-300)
    for j in range(q):
        d = cov[j, j] - t[j, :j] @ t[j, :j]
        if d <= 1e-12 * scale:
            continue
        t[j, j] = np.sqrt(d)
        t[j + 1:, j] = (cov[j + 1:, j] - t[j + 1:, :j] @ t[j, :j]) / t[j, j]
    return t
