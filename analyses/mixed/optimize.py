"""Minimise the profiled deviance over theta with several optimizers, keep the best, and check the optimum.

Theta has few elements (one per variance, one per covariance), so derivative-free and quasi-Newton
methods with central finite-difference gradients are cheap next to a deviance evaluation.  Each
optimizer starts from lme4's default (identity relative factors); the run with the lowest deviance
wins.  The optimum is then checked as lme4's ``checkConv`` does: the gradient scaled by the Cholesky
factor of the Hessian must be small (``max |H^-1/2 g| < 0.002``), the Hessian of the free parameters
must be positive definite, and parameters at their bound are reported as a boundary (singular) fit.

Examples
--------
>>> layout_lower = np.array([0.0])
>>> runs = minimize_all(lambda t: float((t[0] - 2.0) ** 2 + 1.0), np.array([1.0]), layout_lower,
...                     ("lbfgsb", "nelder_mead"))
>>> [r.optimizer for r in runs], round(best_run(runs).theta[0], 5)
(['lbfgsb', 'nelder_mead'], 2.0)
>>> check = check_optimum(lambda t: float((t[0] - 2.0) ** 2), np.array([2.0]), layout_lower, ("a",))
>>> check.converged, round(check.hessian_eigenvalues[0], 3)
(True, 2.0)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from scipy import optimize

from analyses.mixed.covariance import SINGULAR_TOL

__all__ = ["OPTIMIZERS", "Optimizer", "OptimizerRun", "OptimumCheck", "Convergence", "minimize_all", "best_run",
           "escape_boundary", "check_optimum", "newton_polish", "fd_gradient", "fd_hessian", "POLISH_STEPS"]

Optimizer = Literal["lbfgsb", "nelder_mead", "powell"]
OPTIMIZERS: tuple[Optimizer, ...] = ("lbfgsb", "nelder_mead", "powell")
"""Optimizers :func:`minimize_all` knows (scipy's L-BFGS-B, bounded Nelder-Mead and bounded Powell)."""

GRAD_TOL = 2e-3
"""lme4's ``check.conv.grad`` tolerance on the scaled gradient."""

FD_STEP = 1e-4
"""Finite-difference step on theta (lme4's ``deriv12`` uses 1e-4)."""

Objective = Callable[[np.ndarray], float]
Gradient = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class OptimizerRun:
    """One optimizer's attempt.

    Attributes
    ----------
    optimizer
        Its name (one of :data:`OPTIMIZERS`, or ``"statsmodels"`` for the fallback).
    start, theta
        Starting and final theta.
    criterion
        Profiled deviance (REML criterion or ML deviance) at ``theta``.
    evaluations
        Deviance evaluations used.
    success
        What the optimizer itself reported.
    message
        The optimizer's message.
    """

    optimizer: str
    start: tuple[float, ...]
    theta: tuple[float, ...]
    criterion: float
    evaluations: int
    success: bool
    message: str


@dataclass(frozen=True)
class OptimumCheck:
    """The checks at the chosen optimum.

    Attributes
    ----------
    gradient
        Finite-difference gradient of the deviance (one-sided at a bound).
    scaled_gradient
        lme4's convergence statistic: ``max |g|`` elementwise minimum of ``|H^-1/2 g|`` and ``|g|`` over
        the free parameters.
    hessian_eigenvalues
        Eigenvalues of the finite-difference Hessian over the free parameters (those not at a bound).
    at_bound
        Names of the parameters at their bound (a variance at zero or a correlation at +-1).
    converged
        Gradient small and Hessian positive definite.
    messages
        What failed, in words (empty when nothing did).
    """

    gradient: tuple[float, ...]
    scaled_gradient: float
    hessian_eigenvalues: tuple[float, ...]
    at_bound: tuple[str, ...]
    converged: bool
    messages: tuple[str, ...] = field(default_factory=tuple)


def _bounds(lower: np.ndarray) -> list[tuple[float | None, None]]:
    return [(None if not np.isfinite(lo) else float(lo), None) for lo in lower]


def fd_gradient(fun: Objective, x: np.ndarray, lower: np.ndarray, h: float = FD_STEP) -> np.ndarray:
    """Central differences, forward where a central step would cross the lower bound."""
    f0, g = None, np.empty(x.size)
    for k in range(x.size):
        e = np.zeros(x.size)
        e[k] = h
        if x[k] - h < lower[k]:
            f0 = fun(x) if f0 is None else f0
            g[k] = (fun(x + e) - f0) / h
        else:
            g[k] = (fun(x + e) - fun(x - e)) / (2 * h)
    return g


def fd_hessian(fun: Objective, x: np.ndarray, h: float = FD_STEP) -> np.ndarray:
    """Central second differences (four-point off the diagonal)."""
    k = x.size
    f0, hess = fun(x), np.empty((k, k))
    eye = np.eye(k) * h
    for i in range(k):
        hess[i, i] = (fun(x + eye[i]) - 2 * f0 + fun(x - eye[i])) / h ** 2
        for j in range(i):
            v = (fun(x + eye[i] + eye[j]) - fun(x + eye[i] - eye[j]) - fun(x - eye[i] + eye[j])
                 + fun(x - eye[i] - eye[j])) / (4 * h ** 2)
            hess[i, j] = hess[j, i] = v
    return hess


class _Counted:
    def __init__(self, fun: Objective, lower: np.ndarray, gradient: Gradient | None) -> None:
        self.fun, self.lower, self.gradient, self.calls = fun, lower, gradient, 0

    def __call__(self, x: np.ndarray) -> float:
        self.calls += 1
        return float(self.fun(np.maximum(x, self.lower)))

    def grad(self, x: np.ndarray) -> np.ndarray:
        x = np.maximum(x, self.lower)
        if self.gradient is not None:
            return self.gradient(x)
        return fd_gradient(self, x, self.lower, h=1e-6 * max(1.0, float(np.abs(x).max())))


def _run(name: Optimizer, fun: Objective, start: np.ndarray, lower: np.ndarray,
         gradient: Gradient | None) -> OptimizerRun:
    counted = _Counted(fun, lower, gradient)
    bounds = _bounds(lower)
    f0 = abs(counted(start))
    if name == "lbfgsb":
        res = optimize.minimize(counted, start, jac=counted.grad, method="L-BFGS-B", bounds=bounds,
                                options={"ftol": 1e-15, "gtol": 1e-7, "maxiter": 1000})
    elif name == "nelder_mead":
        res = optimize.minimize(counted, start, method="Nelder-Mead", bounds=bounds,
                                options={"xatol": 1e-7, "fatol": 1e-13 * f0 + 1e-10, "maxfev": 2000 * start.size,
                                         "adaptive": start.size > 3})
    else:
        res = optimize.minimize(counted, start, method="Powell", bounds=bounds,
                                options={"xtol": 1e-7, "ftol": 1e-14, "maxfev": 2000 * start.size})
    theta = np.maximum(np.asarray(res.x, dtype=float), lower)
    crit = float(fun(theta))
    return OptimizerRun(name, tuple(map(float, start)), tuple(map(float, theta)), crit, counted.calls,
                        bool(res.success), str(res.message))


def minimize_all(fun: Objective, start: np.ndarray, lower: np.ndarray, optimizers: Sequence[Optimizer],
                 gradient: Gradient | None = None) -> list[OptimizerRun]:
    """Run each optimizer from ``start`` within ``theta >= lower``; a deviance that fails to evaluate is infinite.

    ``gradient`` (analytic, optional) is used by L-BFGS-B; without it L-BFGS-B uses central differences.
    """

    def safe(x: np.ndarray) -> float:
        try:
            v = float(fun(x))
        except (np.linalg.LinAlgError, FloatingPointError, ValueError):
            return np.inf
        return v if np.isfinite(v) else np.inf

    return [_run(name, safe, np.asarray(start, dtype=float), lower, gradient) for name in optimizers]


def best_run(runs: Sequence[OptimizerRun]) -> OptimizerRun:
    """The run with the lowest criterion (the first of ties)."""
    return min(runs, key=lambda r: r.criterion)


ESCAPE_STEPS = (1e-3, 1e-2, 1e-1, 1.0)
"""Distances from a bound at which :func:`escape_boundary` probes the deviance."""


def escape_boundary(fun: Objective, theta: np.ndarray, lower: np.ndarray) -> np.ndarray | None:
    """A point off the bound with a lower deviance, when an optimizer stopped on a bound it should leave.

    A diagonal element of a relative factor enters the deviance only through its square, so its
    derivative is exactly zero on the bound: an optimizer that reaches the bound (a singular fit) can
    stay there although the deviance decreases inside.  Each parameter at its bound is moved to
    ``lower + step`` for the steps in :data:`ESCAPE_STEPS`; the best probe is returned when it lowers the
    deviance by more than rounding (``1e-9`` relative), otherwise ``None``.
    """
    theta = np.asarray(theta, dtype=float)
    f0 = float(fun(theta))
    best, best_f = None, f0 - 1e-9 * max(1.0, abs(f0))
    for k in np.flatnonzero(~_free(theta, lower)):
        for step in ESCAPE_STEPS:
            probe = theta.copy()
            probe[k] = lower[k] + step
            value = float(fun(probe))
            if value < best_f:
                best, best_f = probe, value
    return best


def _free(theta: np.ndarray, lower: np.ndarray) -> np.ndarray:
    return ~((theta - lower < SINGULAR_TOL) & np.isfinite(lower))


POLISH_STEPS = 4
"""Most Newton steps :func:`newton_polish` takes with an analytic gradient (one without)."""


def newton_polish(fun: Objective, theta: np.ndarray, lower: np.ndarray,
                  gradient: Gradient | None = None) -> tuple[np.ndarray, bool]:
    """Newton steps on the parameters off their bounds, kept while they improve the optimum.

    Optimizers stop when the deviance stops changing in its last digits, but the deviance is flat to
    rounding within about ``sqrt(eps)`` of the optimum, so where it stopped depends on rounding.  Without
    an analytic gradient one Newton step (finite-difference gradient and Hessian) is kept only if it lowers
    the deviance.  With one, up to :data:`POLISH_STEPS` steps are taken, each kept if it lowers the
    deviance or, within a few units of rounding of the deviance, lowers the largest free gradient
    element: the gradient, not the deviance, then locates the optimum, to about ``1e-12``, whichever
    path (optimizer, order of summation) led near it.
    """
    theta = np.asarray(theta, dtype=float)
    polished = False
    for _ in range(POLISH_STEPS if gradient is not None else 1):
        new = _newton_step(fun, theta, lower, gradient)
        if new is None:
            break
        theta, polished = new, True
    return theta, polished


def _newton_step(fun: Objective, theta: np.ndarray, lower: np.ndarray,
                 gradient: Gradient | None) -> np.ndarray | None:
    """One Newton step from ``theta`` on its free parameters, or ``None`` where it does not improve."""
    idx = np.flatnonzero(_free(theta, lower))
    if idx.size == 0:
        return None
    grad = gradient(theta) if gradient is not None else fd_gradient(fun, theta, lower)
    hess = fd_hessian(lambda v: fun(_embed(theta, idx, v)), theta[idx])
    try:
        np.linalg.cholesky(hess)
        step = np.linalg.solve(hess, grad[idx])
    except np.linalg.LinAlgError:
        return None
    new = np.maximum(_embed(theta, idx, theta[idx] - step), lower)
    f_old, f_new = fun(theta), fun(new)
    if f_new < f_old:
        return new
    if gradient is not None and f_new <= f_old + 8 * np.finfo(float).eps * max(1.0, abs(f_old)) \
            and float(np.abs(gradient(new)[idx]).max()) < float(np.abs(grad[idx]).max()):
        return new
    return None


def check_optimum(fun: Objective, theta: np.ndarray, lower: np.ndarray, names: Sequence[str],
                  gradient: Gradient | None = None, tol: float = GRAD_TOL) -> OptimumCheck:
    """lme4-style convergence checks of ``theta`` (see the module notes); ``gradient`` if analytic."""
    theta = np.asarray(theta, dtype=float)
    grad = fd_gradient(fun, theta, lower)
    if gradient is not None:
        free_grad = gradient(theta)
        grad = np.where(_free(theta, lower), free_grad, grad)
    free = _free(theta, lower)
    at_bound = ~free
    messages: list[str] = []
    outward = at_bound & (grad < -tol)
    if outward.any():
        messages.append("the deviance still decreases away from the bound for "
                        + ", ".join(n for n, o in zip(names, outward, strict=True) if o))
    eig = np.zeros(0)
    scaled = 0.0
    if free.any():
        idx = np.flatnonzero(free)
        sub = lambda v: fun(_embed(theta, idx, v))  # noqa: E731
        hess = fd_hessian(sub, theta[idx])
        eig = np.linalg.eigvalsh(hess)
        g = grad[idx]
        try:
            scaled_g = np.linalg.solve(np.linalg.cholesky(hess), g)
            scaled = float(np.max(np.minimum(np.abs(scaled_g), np.abs(g))))
        except np.linalg.LinAlgError:
            scaled = float(np.max(np.abs(g)))
        if eig.min() <= 1e-8 * max(abs(float(eig.max())), 1.0):
            messages.append(f"the Hessian of the deviance is not positive definite (smallest eigenvalue "
                            f"{eig.min():.3g}): the optimum is not a clear minimum")
        if scaled >= tol:
            messages.append(f"the scaled gradient at the optimum is {scaled:.3g} (tolerance {tol}): "
                            "the optimizer may have stopped early")
    bound_names = tuple(n for n, b in zip(names, at_bound, strict=True) if b)
    return OptimumCheck(tuple(map(float, grad)), scaled, tuple(map(float, eig)), bound_names, not messages,
                        tuple(messages))


def _embed(theta: np.ndarray, idx: np.ndarray, values: np.ndarray) -> np.ndarray:
    out = theta.copy()
    out[idx] = values
    return out


@dataclass(frozen=True)
class Convergence:
    """How the optimum was found and how it was checked.

    Attributes
    ----------
    engine
        ``"nested"`` (the fast engine) or ``"statsmodels"`` (the fallback, checked with the dense engine).
    runs
        Every optimizer run, in the order run.
    chosen
        The optimizer whose optimum was kept (the lowest deviance).
    polished
        Whether a final Newton step improved the chosen optimum.
    check
        Gradient, Hessian and boundary checks at the final theta.
    singular
        A variance at zero or a correlation at +-1 (lme4's ``isSingular``).
    converged
        The checks passed (a singular fit can be converged: its free parameters are checked).
    messages
        Every warning about the fit, in words.
    """

    engine: str
    runs: tuple[OptimizerRun, ...]
    chosen: str
    polished: bool
    check: OptimumCheck
    singular: bool
    converged: bool
    messages: tuple[str, ...]

    @property
    def spread(self) -> float:
        """Largest minus smallest criterion over the runs (how far the worst optimizer stopped)."""
        values = [r.criterion for r in self.runs if np.isfinite(r.criterion)]
        return float(max(values) - min(values)) if values else float("nan")
