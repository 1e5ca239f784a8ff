"""One-factor maximum-likelihood factor analysis of a covariance matrix, with its expected information.

Notes
-----
The model is :math:`\\Sigma = \\lambda\\lambda' + \\Psi` with :math:`\\Psi` diagonal.
The estimates minimise the ML discrepancy

.. math::

    F(\\lambda, \\psi) = \\log|\\Sigma| + \\operatorname{tr}(S\\Sigma^{-1}) - \\log|S| - k,

whose gradient is :math:`\\partial F/\\partial\\lambda = 2D\\lambda` and
:math:`\\partial F/\\partial\\psi = \\operatorname{diag} D` with
:math:`D = \\Sigma^{-1}(\\Sigma - S)\\Sigma^{-1}`.  The search starts from the
first principal axis and takes Fisher-scoring steps
:math:`\\Delta = -(2\\mathcal J)^{-1}\\nabla F`, :math:`\\mathcal J` the expected
information of one observation, halving a step until :math:`F` decreases; a
uniqueness that reaches its lower bound (about zero) with the gradient pushing
it further is held there, a Heywood case, and reported.  (Pure numpy: a
quasi-Newton search through scipy was 15 times slower on two cores, its BLAS
threads contending with numpy's.)
:math:`S` uses the divisor :math:`n` (the ML estimate, as lavaan's default
``likelihood = "normal"``); the expected information of :math:`n` observations is
:math:`\\mathcal I_{ab} = \\tfrac n2 \\operatorname{tr}(\\Sigma^{-1}\\Sigma_a\\Sigma^{-1}\\Sigma_b)`.

References
----------
Jöreskog, K. G. (1967). Some contributions to maximum likelihood factor analysis.
*Psychometrika*, 32(4), 443-482.

Examples
--------
>>> import numpy as np
>>> lam = np.array([0.8, 0.7, 0.6, 0.5])
>>> sigma = np.outer(lam, lam) + np.diag(1 - lam**2)
>>> fit = one_factor_ml(sigma * 500 / 499, n=500)  # a sample covariance has divisor n - 1
>>> np.round(fit.loadings, 6).tolist(), fit.converged
([0.8, 0.7, 0.6, 0.5], True)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from data_schema.errors import EstimationError

__all__ = ["OneFactorFit", "one_factor_ml"]


@dataclass(frozen=True)
class OneFactorFit:
    """A fitted one-factor model.

    Attributes
    ----------
    loadings
        :math:`\\lambda`, signed so that their sum is positive.
    uniquenesses
        :math:`\\psi`, the residual variances.
    information
        Expected information of :math:`(\\lambda, \\psi)` for ``n`` observations, shape ``(2k, 2k)``.
    chi_square, df
        Likelihood-ratio test of the one-factor model against the saturated model: :math:`nF`, :math:`k(k-3)/2`.
    converged
        Fisher scoring stopped on a zero gradient and the largest absolute gradient entry of
        the free parameters is below 1e-5.
    heywood
        Indices of items whose uniqueness ended on its lower bound (about zero).
    max_gradient
        Largest absolute gradient entry at the optimum.
    """

    loadings: np.ndarray
    uniquenesses: np.ndarray
    information: np.ndarray
    chi_square: float
    df: int
    converged: bool
    heywood: tuple[int, ...]
    max_gradient: float


def _objective(theta: np.ndarray, s: np.ndarray, logdet_s: float) -> tuple[float, np.ndarray]:
    k = s.shape[0]
    lam, psi = theta[:k], theta[k:]
    sigma = np.outer(lam, lam) + np.diag(psi)
    sign, logdet = np.linalg.slogdet(sigma)
    if sign <= 0:
        return np.inf, np.zeros_like(theta)
    inv = np.linalg.inv(sigma)
    d = inv @ (sigma - s) @ inv
    value = logdet + np.trace(s @ inv) - logdet_s - k
    return float(value), np.concatenate([2 * d @ lam, np.diag(d)])


def _information(lam: np.ndarray, psi: np.ndarray, n: int) -> np.ndarray:
    k = lam.size
    inv = np.linalg.inv(np.outer(lam, lam) + np.diag(psi))
    derivs = np.zeros((2 * k, k, k))
    for i in range(k):
        derivs[i, i, :] += lam
        derivs[i, :, i] += lam
        derivs[k + i, i, i] = 1.0
    left = np.einsum("ab,pbc->pac", inv, derivs)
    return 0.5 * n * np.einsum("pab,qba->pq", left, left)


def _scoring_step(theta: np.ndarray, grad: np.ndarray, held: np.ndarray) -> np.ndarray:
    k = theta.size // 2
    info = _information(theta[:k], theta[k:], 1)
    free = ~held
    step = np.zeros_like(theta)
    step[free] = -0.5 * np.linalg.solve(info[np.ix_(free, free)], grad[free])
    return step


def _fisher_scoring(s: np.ndarray, logdet_s: float, theta: np.ndarray,
                    floor: np.ndarray) -> tuple[np.ndarray, float, np.ndarray, np.ndarray, bool]:
    """Minimise F from ``theta``.

    Returns the optimum, F and its gradient there, the held (Heywood) mask and whether it converged.
    """
    k = s.shape[0]
    value, grad = _objective(theta, s, logdet_s)
    held = np.zeros(2 * k, dtype=bool)
    for _ in range(500):
        held[k:] = (theta[k:] <= floor) & (grad[k:] > 0)
        if np.abs(grad[~held]).max() < 1e-10:
            return theta, value, grad, held, True
        step = _scoring_step(theta, grad, held)
        for _ in range(60):
            trial = theta + step
            trial[k:] = np.maximum(trial[k:], floor)
            new_value, new_grad = _objective(trial, s, logdet_s)
            if new_value <= value + 1e-15:
                break
            step = step / 2
        else:
            return theta, value, grad, held, False
        if value - new_value < 1e-16 and np.abs(new_grad[~held]).max() < 1e-7:
            return trial, new_value, new_grad, held, True
        theta, value, grad = trial, new_value, new_grad
    return theta, value, grad, held, False


def one_factor_ml(cov: np.ndarray, *, n: int) -> OneFactorFit:
    """Fit :math:`\\Sigma = \\lambda\\lambda' + \\Psi` to a covariance matrix by maximum likelihood.

    Parameters
    ----------
    cov
        Item covariance matrix with divisor ``n - 1``, ``k x k`` with ``k >= 3``; rescaled to divisor ``n``.
    n
        Number of respondents behind ``cov``.

    Returns
    -------
    OneFactorFit
    """
    s = np.asarray(cov, dtype=float) * (n - 1) / n
    k = s.shape[0]
    if k < 3:
        raise EstimationError(f"a one-factor model needs at least 3 items; got {k}")
    sign, logdet_s = np.linalg.slogdet(s)
    if sign <= 0:
        raise EstimationError("the item covariance matrix is not positive definite (an item is constant "
                              "or a linear combination of others); omega cannot be estimated")
    values, vectors = np.linalg.eigh(s)
    lam0 = vectors[:, -1] * np.sqrt(values[-1])
    psi0 = np.clip(np.diag(s) - lam0**2, 0.1 * np.diag(s), None)
    floor = 1e-8 * np.diag(s)
    theta, value, grad, held, converged = _fisher_scoring(s, logdet_s, np.concatenate([lam0, psi0]), floor)
    lam, psi = theta[:k], theta[k:]
    if lam.sum() < 0:
        lam = -lam
    max_grad = float(np.abs(grad[~held]).max())
    heywood = tuple(int(i) for i in np.flatnonzero(held[k:]))
    return OneFactorFit(lam, psi, _information(lam, psi, n), float(n * value), k * (k - 3) // 2,
                        converged and max_grad < 1e-5, heywood, max_grad)
