"""Numerical derivatives with Richardson extrapolation (the method of R's numDeriv, which lmerTest uses).

Central differences have an error expansion in even powers of the step ``h``; halving the step
``r`` times and eliminating the ``h^2, h^4, ...`` terms (Richardson extrapolation) gives
derivatives accurate to many more digits than one central difference.

Examples
--------
>>> f = lambda x: np.array([np.sin(x[0]) * x[1] ** 2])
>>> jac = jacobian(f, np.array([0.5, 2.0]))
>>> bool(np.allclose(jac, [[4 * np.cos(0.5), 4 * np.sin(0.5)]], atol=1e-9))
True
>>> hess = hessian(lambda x: float(x[0] ** 2 * x[1] + x[1] ** 3), np.array([1.0, 2.0]))
>>> bool(np.allclose(hess, [[4.0, 2.0], [2.0, 12.0]], atol=1e-7))
True
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["richardson", "jacobian", "hessian", "default_steps"]

REL_STEP = 1e-3
"""Initial step relative to ``max(|x|, 1)``."""
N_HALVINGS = 4
"""Number of step halvings (numDeriv's ``r``)."""


def default_steps(x: np.ndarray) -> np.ndarray:
    """Initial steps ``1e-3 max(|x|, 1)``.

    numDeriv's steps (``1e-4 |x|``) are tiny for a small parameter (a relative covariance factor near
    zero), where round-off in the deviance then dominates the extrapolated second differences; a step
    floored at ``1e-3`` keeps the Richardson table accurate (the truncation error is removed to
    ``O(h^8)``) and the round-off negligible.
    """
    x = np.asarray(x, dtype=float)
    return REL_STEP * np.maximum(np.abs(x), 1.0)


def richardson(estimate: Callable[[float], np.ndarray], r: int = N_HALVINGS) -> np.ndarray:
    """Extrapolate ``estimate(s)`` (error in even powers of ``s``) to ``s = 0`` from ``s = 1, 1/2, ..., 2^-(r-1)``."""
    table = [np.asarray(estimate(0.5 ** k), dtype=float) for k in range(r)]
    for m in range(1, r):
        factor = 4.0 ** m
        table = [(factor * table[k + 1] - table[k]) / (factor - 1.0) for k in range(len(table) - 1)]
    return table[0]


def jacobian(fun: Callable[[np.ndarray], np.ndarray], x: np.ndarray, steps: np.ndarray | None = None,
             r: int = N_HALVINGS) -> np.ndarray:
    """Jacobian ``d fun / d x`` (rows: outputs, flattened; columns: ``x``) by extrapolated central differences."""
    x = np.asarray(x, dtype=float)
    h = default_steps(x) if steps is None else np.asarray(steps, dtype=float)
    cols = []
    for k in range(x.size):
        e = np.zeros(x.size)
        e[k] = h[k]

        def central(s: float, e: np.ndarray = e, hk: float = h[k]) -> np.ndarray:
            up = np.ravel(fun(x + s * e))
            down = np.ravel(fun(x - s * e))
            return (up - down) / (2.0 * s * hk)

        cols.append(richardson(central, r))
    return np.column_stack(cols)


def hessian(fun: Callable[[np.ndarray], float], x: np.ndarray, steps: np.ndarray | None = None,
            r: int = N_HALVINGS) -> np.ndarray:
    """Hessian of a scalar ``fun`` by extrapolated central second differences (four points off the diagonal)."""
    x = np.asarray(x, dtype=float)
    h = default_steps(x) if steps is None else np.asarray(steps, dtype=float)
    k = x.size
    f0 = float(fun(x))
    out = np.empty((k, k))
    eye = np.diag(h)
    for i in range(k):
        def second(s: float, i: int = i) -> np.ndarray:
            ei = s * eye[i]
            return np.array((fun(x + ei) - 2.0 * f0 + fun(x - ei)) / (s * h[i]) ** 2)

        out[i, i] = float(richardson(second, r))
        for j in range(i):
            def mixed(s: float, i: int = i, j: int = j) -> np.ndarray:
                ei, ej = s * eye[i], s * eye[j]
                num = fun(x + ei + ej) - fun(x + ei - ej) - fun(x - ei + ej) + fun(x - ei - ej)
                return np.array(num / (4.0 * s * s * h[i] * h[j]))

            out[i, j] = out[j, i] = float(richardson(mixed, r))
    return out
