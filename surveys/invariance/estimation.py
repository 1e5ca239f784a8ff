"""Maximum likelihood estimation of a multi-group CFA from sample moments.

The fit function minimised is lavaan's ``likelihood = "normal"`` ML discrepancy,

.. math::

    F(\\theta) = \\sum_g \\frac{N_g}{N} F_{ML,g}, \\qquad
    F_{ML,g} = \\log|\\Sigma_g| + \\operatorname{tr}(S_g\\Sigma_g^{-1}) - \\log|S_g| - p
               + (m_g - \\mu_g)'\\Sigma_g^{-1}(m_g - \\mu_g),

so that the likelihood-ratio statistic is :math:`T = N F(\\hat\\theta) = \\sum_g N_g F_{ML,g}`.
The minimiser is Fisher scoring (far from the optimum) and Newton's method
with the exact analytic Hessian (near it), with a backtracking (Armijo) line
search; scipy's L-BFGS-B takes over if they stall.  Standard errors come from the inverse expected information
(lavaan's default for ML).

Examples
--------
>>> import numpy as np
>>> from surveys.invariance.model import MeasurementModel, build_parameter_table
>>> from surveys.invariance.moments import SampleMoments
>>> cov = np.array([[1.0, 0.48, 0.42], [0.48, 1.0, 0.56], [0.42, 0.56, 1.0]])
>>> mom = SampleMoments(("a", "b", "c"), (None,), (200,), (np.zeros(3),), (cov,))
>>> table = build_parameter_table(MeasurementModel.from_mapping({"f": ["a", "b", "c"]}), meanstructure=False)
>>> est = fit_ml(table, mom)
>>> est.converged, round(float(est.fmin.sum()), 12)
(True, 0.0)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import linalg, optimize

from .model import ParameterTable
from .moments import SampleMoments

__all__ = ["MLEstimate", "fit_ml", "start_values", "discrepancy", "evaluate"]

GRADIENT_TOL = 1e-8
"""Convergence: largest absolute gradient of :math:`F` accepted at the optimum."""


@dataclass(frozen=True, eq=False)
class MLEstimate:
    """Outcome of :func:`fit_ml`.

    Attributes
    ----------
    theta
        Estimated free parameters :math:`\\hat\\theta`.
    fmin
        :math:`F_{ML,g}(\\hat\\theta)` per group.
    information
        Expected information of :math:`\\theta` per observation,
        :math:`\\sum_g (N_g/N)\\, \\mathcal{I}_g`; the covariance matrix of
        :math:`\\hat\\theta` is ``inv(N * information)``.
    converged
        Whether the largest absolute gradient fell below :data:`GRADIENT_TOL`.
    iterations
        Scoring iterations used (plus L-BFGS-B iterations if it was needed).
    max_gradient
        Largest absolute gradient of :math:`F` at :math:`\\hat\\theta`.
    """

    theta: np.ndarray
    fmin: np.ndarray
    information: np.ndarray
    converged: bool
    iterations: int
    max_gradient: float


def discrepancy(cov: np.ndarray, mean: np.ndarray, sigma: np.ndarray, mu: np.ndarray, meanstructure: bool) -> float:
    """ML discrepancy :math:`F_{ML,g}`; ``inf`` when :math:`\\Sigma` is not positive definite.

    Examples
    --------
    >>> import numpy as np
    >>> discrepancy(np.eye(2), np.zeros(2), np.eye(2), np.zeros(2), True)
    0.0
    """
    try:
        chol = linalg.cho_factor(sigma, lower=True)
    except linalg.LinAlgError:
        return float("inf")
    logdet = 2.0 * np.log(np.diag(chol[0])).sum()
    _, logdet_s = np.linalg.slogdet(cov)
    value = logdet + np.trace(linalg.cho_solve(chol, cov)) - logdet_s - cov.shape[0]
    if meanstructure:
        d = mean - mu
        value += d @ linalg.cho_solve(chol, d)
    return float(value)


def _objective(theta: np.ndarray, table: ParameterTable, mom: SampleMoments) -> float:
    """Weighted fit function :math:`F(\\theta)`."""
    total = 0.0
    for g in range(mom.n_groups):
        sigma, mu = table.implied(g, theta)
        total += mom.n_obs[g] / mom.n_total * discrepancy(
            mom.covariances[g], mom.means[g], sigma, mu, table.meanstructure
        )
    return total


def _jacobian(table: ParameterTable, g: int, theta: np.ndarray, free: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Derivatives of :math:`\\Sigma_g` (``(k, p, p)``) and :math:`\\mu_g` (``(k, p)``) w.r.t. ``theta[free]``."""
    gm, spec = table.groups[g], table.model
    lam, phi, _, _, alpha = table.matrices(g, theta)
    p, pos = spec.n_items, {int(k): j for j, k in enumerate(free)}
    d_sigma = np.zeros((len(free), p, p))
    d_mu = np.zeros((len(free), p))
    a = lam @ phi
    items = np.flatnonzero(gm.loading_index >= 0)
    cols = np.array([pos[k] for k in gm.loading_index[items]], dtype=int)
    fac = np.asarray(spec.item_factor)[items]
    np.add.at(d_sigma, (cols, items), a[:, fac].T)
    d_sigma[cols, :, items] += a[:, fac].T
    np.add.at(d_mu, (cols, items), alpha[fac])
    f_idx, h_idx = np.nonzero(np.triu(gm.phi_index >= 0))
    if len(f_idx):
        cols = np.array([pos[k] for k in gm.phi_index[f_idx, h_idx]], dtype=int)
        outer = np.einsum("sp,sq->spq", lam[:, f_idx].T, lam[:, h_idx].T)
        outer = outer + outer.transpose(0, 2, 1)
        outer[f_idx == h_idx] /= 2.0
        np.add.at(d_sigma, cols, outer)
    cols = np.array([pos[k] for k in gm.residual_index], dtype=int)
    np.add.at(d_sigma, (cols, np.arange(p), np.arange(p)), 1.0)
    if table.meanstructure:
        cols = np.array([pos[k] for k in gm.intercept_index], dtype=int)
        np.add.at(d_mu, (cols, np.arange(p)), 1.0)
        factors = np.flatnonzero(gm.mean_index >= 0)
        for f in factors:
            d_mu[pos[int(gm.mean_index[f])]] += lam[:, f]
    return d_sigma, d_mu


@dataclass(frozen=True, eq=False)
class Evaluation:
    """:math:`F(\\theta)` and its derivatives at one point (see :func:`evaluate`).

    Attributes
    ----------
    value
        :math:`F(\\theta) = \\sum_g (N_g/N) F_{ML,g}`.
    grad
        Gradient of :math:`F`.
    info
        Expected information per observation (:math:`\\tfrac12` of the expected Hessian of :math:`F`).
    hessian
        Exact Hessian of :math:`F`.
    fmin
        :math:`F_{ML,g}` per group.
    """

    value: float
    grad: np.ndarray
    info: np.ndarray
    hessian: np.ndarray
    fmin: np.ndarray


def _second_order(table: ParameterTable, g: int, theta: np.ndarray, free: np.ndarray, weight, inv_d) -> np.ndarray:
    """Hessian part with second derivatives of the implied moments.

    That is :math:`\\operatorname{tr}(W\\ddot\\Sigma_{kl}) - 2 d'\\Sigma^{-1}\\ddot\\mu_{kl}`, non-zero only for
    pairs of loadings on the same or correlated factors, a loading with a factor (co)variance of its factor,
    and a loading with its factor's mean.
    """
    gm, spec = table.groups[g], table.model
    lam, phi, _, _, _ = table.matrices(g, theta)
    pos = {int(k): j for j, k in enumerate(free)}
    out = np.zeros((len(free), len(free)))
    items = np.flatnonzero(gm.loading_index >= 0)
    if not len(items):
        return out
    cl = np.array([pos[k] for k in gm.loading_index[items]], dtype=int)
    fl = np.asarray(spec.item_factor)[items]
    out[np.ix_(cl, cl)] += 2.0 * phi[np.ix_(fl, fl)] * weight[np.ix_(items, items)]
    a_idx, b_idx = np.nonzero(np.triu(gm.phi_index >= 0))
    if len(a_idx):
        cp = np.array([pos[k] for k in gm.phi_index[a_idx, b_idx]], dtype=int)
        wl = (weight @ lam)[items]
        block = 2.0 * wl[:, b_idx] * (fl[:, None] == a_idx[None, :])
        block += 2.0 * wl[:, a_idx] * ((fl[:, None] == b_idx[None, :]) & (a_idx != b_idx)[None, :])
        out[np.ix_(cl, cp)] += block
        out[np.ix_(cp, cl)] += block.T
    for f in np.flatnonzero(gm.mean_index >= 0):
        rows = cl[fl == f]
        col = pos[int(gm.mean_index[f])]
        out[rows, col] -= 2.0 * inv_d[items[fl == f]]
        out[col, rows] -= 2.0 * inv_d[items[fl == f]]
    return out


def _group_terms(table: ParameterTable, mom: SampleMoments, g: int, theta: np.ndarray):
    """:math:`F_{ML,g}`, gradient, expected information and Hessian of one group (local columns)."""
    sigma, mu = table.implied(g, theta)
    cov = mom.covariances[g]
    fmin = discrepancy(cov, mom.means[g], sigma, mu, table.meanstructure)
    free = table.groups[g].free
    d_sigma, d_mu = _jacobian(table, g, theta, free)
    inv = np.linalg.inv(sigma)
    d = mom.means[g] - mu if table.meanstructure else np.zeros(len(mu))
    inv_d = inv @ d
    weight = inv @ (sigma - cov - np.outer(d, d)) @ inv
    grad = np.einsum("kab,ab->k", d_sigma, weight) - 2.0 * d_mu @ inv_d
    scaled = inv @ d_sigma @ inv
    trace = np.einsum("kab,lab->kl", scaled, d_sigma)
    mean_part = d_mu @ inv @ d_mu.T
    info = 0.5 * trace + mean_part
    cq = (cov + np.outer(d, d)) @ (inv @ d_sigma)
    cross = (scaled @ d) @ d_mu.T
    hessian = -trace + 2.0 * np.einsum("lab,kba->kl", scaled, cq) + 2.0 * mean_part + 2.0 * (cross + cross.T)
    hessian += _second_order(table, g, theta, free, weight, inv_d)
    return fmin, free, grad, info, 0.5 * (hessian + hessian.T)


def evaluate(theta: np.ndarray, table: ParameterTable, mom: SampleMoments) -> Evaluation:
    """Evaluate :math:`F`, its gradient, the expected information and the exact Hessian at ``theta``.

    Notes
    -----
    With :math:`C_g = S_g + d_g d_g'`, :math:`M_k = \\Sigma^{-1}\\dot\\Sigma_k\\Sigma^{-1}`, the Hessian of
    :math:`F_{ML,g}` is
    :math:`-\\operatorname{tr}(M_k\\dot\\Sigma_l) + 2\\operatorname{tr}(M_l C_g \\Sigma^{-1}\\dot\\Sigma_k)
    + 2\\dot\\mu_k'\\Sigma^{-1}\\dot\\mu_l + 2 d'(M_k\\dot\\mu_l + M_l\\dot\\mu_k)
    + \\operatorname{tr}(W\\ddot\\Sigma_{kl}) - 2 d'\\Sigma^{-1}\\ddot\\mu_{kl}`, which equals twice the
    expected information when the model fits exactly.
    """
    k = table.n_free
    value, grad, info, hess = 0.0, np.zeros(k), np.zeros((k, k)), np.zeros((k, k))
    fmin = np.zeros(mom.n_groups)
    for g in range(mom.n_groups):
        w = mom.n_obs[g] / mom.n_total
        fmin[g], free, grad_g, info_g, hess_g = _group_terms(table, mom, g, theta)
        value += w * fmin[g]
        grad[free] += w * grad_g
        info[np.ix_(free, free)] += w * info_g
        hess[np.ix_(free, free)] += w * hess_g
    return Evaluation(float(value), grad, info, hess, fmin)


def _direction(ev: Evaluation) -> np.ndarray:
    """Newton step with the exact Hessian near the optimum when it is positive definite, else a scoring step."""
    if np.max(np.abs(ev.grad)) < 1e-2:
        try:
            return linalg.cho_solve(linalg.cho_factor(ev.hessian), ev.grad)
        except linalg.LinAlgError:
            pass
    try:
        return np.linalg.solve(2.0 * ev.info, ev.grad)
    except np.linalg.LinAlgError:
        return np.linalg.lstsq(2.0 * ev.info, ev.grad, rcond=None)[0]


def _newton(theta: np.ndarray, table: ParameterTable, mom: SampleMoments, max_iter: int):
    """Fisher scoring far from the optimum, Newton near it; Armijo backtracking on :math:`F`.

    A full step whose objective is equal within rounding is still accepted when
    it shrinks the gradient, so that convergence is judged on the gradient and
    not on the last digits of :math:`F`.
    """
    ev = evaluate(theta, table, mom)
    for it in range(max_iter):
        gmax = np.max(np.abs(ev.grad))
        if gmax < 1e-12:
            return theta, ev, it
        step = _direction(ev)
        slope, t, accepted = float(ev.grad @ step), 1.0, None
        while t > 1e-12 and accepted is None:
            candidate = theta - t * step
            new_value = _objective(candidate, table, mom)
            if new_value <= ev.value - 1e-4 * t * max(slope, 0.0):
                accepted = candidate
            elif t == 1.0 and new_value <= ev.value + 1e-12 * (1.0 + abs(ev.value)):
                trial = evaluate(candidate, table, mom)
                accepted = candidate if np.max(np.abs(trial.grad)) < gmax else None
            t /= 2.0
        if accepted is None:
            return theta, ev, it
        theta = accepted
        ev = evaluate(theta, table, mom)
    return theta, ev, max_iter


def _polish(theta: np.ndarray, table: ParameterTable, mom: SampleMoments) -> tuple[np.ndarray, int]:
    """L-BFGS-B from ``theta``, used only if Fisher scoring stalled."""

    def fun(x: np.ndarray) -> tuple[float, np.ndarray]:
        ev = evaluate(x, table, mom)
        if not np.isfinite(ev.value):
            return 1e10, np.zeros_like(x)
        return ev.value, ev.grad

    res = optimize.minimize(fun, theta, jac=True, method="L-BFGS-B", options={"maxiter": 5000, "gtol": 1e-12})
    return res.x, int(res.nit)


def _factor_starts(cov: np.ndarray, table: ParameterTable) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-factor principal-axis start values: loadings, factor variances, residual variances."""
    spec = table.model
    lam, phi, resid = np.ones(spec.n_items), np.ones(spec.n_factors), 0.5 * np.diag(cov)
    owner = np.asarray(spec.item_factor)
    for f in range(spec.n_factors):
        idx = np.flatnonzero(owner == f)
        values, vectors = np.linalg.eigh(cov[np.ix_(idx, idx)])
        vec = vectors[:, -1] * np.sqrt(max(values[-1] - values[:-1].mean(), 1e-3 * values[-1]))
        vec = vec if vec.sum() >= 0 else -vec
        if table.identification == "marker" and abs(vec[0]) > 1e-3 * np.abs(vec).max():
            lam[idx], phi[f] = vec / vec[0], vec[0] ** 2
        elif table.identification == "variance":
            lam[idx] = vec
        resid[idx] = np.maximum(np.diag(cov)[idx] - lam[idx] ** 2 * phi[f], 0.1 * np.diag(cov)[idx])
    return lam, phi, resid


def start_values(table: ParameterTable, mom: SampleMoments) -> np.ndarray:
    """Starting values: principal-axis loadings per factor, leftover residual variances, sample means.

    Loadings and factor variances come from the first principal axis of each
    factor's item block; residual variances are what the factor leaves of each
    item's variance (at least 10 %); factor covariances and means start at 0 and
    intercepts at the sample means.  Parameters shared by several groups start
    at the size-weighted mean of the groups' values.
    """
    total, weight = np.zeros(table.n_free), np.zeros(table.n_free)
    for g, gm in enumerate(table.groups):
        lam, phi, resid = _factor_starts(mom.covariances[g], table)
        values = [(gm.loading_index, lam), (gm.residual_index, resid), (np.diag(gm.phi_index), phi)]
        if table.meanstructure:
            values.append((gm.intercept_index, mom.means[g]))
        for index, vals in values:
            ok = index >= 0
            np.add.at(total, index[ok], mom.n_obs[g] * vals[ok])
            np.add.at(weight, index[ok], mom.n_obs[g])
    return np.divide(total, weight, out=np.zeros(table.n_free), where=weight > 0)


def fit_ml(table: ParameterTable, mom: SampleMoments, *, max_iter: int = 500) -> MLEstimate:
    """Minimise :math:`F(\\theta)` and return estimates, information and convergence facts.

    Parameters
    ----------
    table
        Parameter layout (from :func:`~surveys.invariance.model.build_parameter_table`).
    mom
        Per-group sample moments.
    max_iter
        Maximum Fisher-scoring iterations.

    Returns
    -------
    MLEstimate

    Notes
    -----
    Gradient (Magnus & Neudecker calculus): with
    :math:`W_g = \\Sigma_g^{-1}(\\Sigma_g - S_g - d_g d_g')\\Sigma_g^{-1}` and
    :math:`d_g = m_g - \\mu_g`,
    :math:`\\partial F_{ML,g}/\\partial\\theta_k = \\operatorname{tr}(W_g\\,\\partial\\Sigma_g/\\partial\\theta_k)
    - 2 d_g'\\Sigma_g^{-1}\\partial\\mu_g/\\partial\\theta_k`.
    Expected information per observation:
    :math:`\\mathcal{I}_{g,kl} = \\tfrac12\\operatorname{tr}(\\Sigma_g^{-1}\\dot\\Sigma_k\\Sigma_g^{-1}\\dot\\Sigma_l)
    + \\dot\\mu_k'\\Sigma_g^{-1}\\dot\\mu_l`.  Far from the optimum the step is Fisher scoring,
    :math:`\\theta \\leftarrow \\theta - t\\,(2\\mathcal{I})^{-1}\\nabla F`; once the largest gradient is
    below 0.01 and the exact Hessian :math:`H` (see :func:`evaluate`) is positive definite it is Newton's,
    :math:`\\theta \\leftarrow \\theta - t\\,H^{-1}\\nabla F`, which converges quadratically.

    References
    ----------
    Jöreskog, K. G. (1971). Simultaneous factor analysis in several populations.
    *Psychometrika*, 36(4), 409-426.
    """
    theta = start_values(table, mom)
    theta, ev, iterations = _newton(theta, table, mom, max_iter)
    if not (np.isfinite(ev.value) and np.max(np.abs(ev.grad)) < GRADIENT_TOL):
        theta, extra = _polish(theta, table, mom)
        iterations += extra
        ev = evaluate(theta, table, mom)
    max_grad = float(np.max(np.abs(ev.grad)))
    converged = bool(np.isfinite(ev.value) and max_grad < GRADIENT_TOL)
    return MLEstimate(theta, ev.fmin, ev.info, converged, iterations, max_grad)
