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
first principal axis and runs L-BFGS-B with the uniquenesses kept positive; a
uniqueness that ends on its lower bound is a Heywood case and is reported.
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
from scipy import optimize

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
        The largest absolute gradient entry (free parameters) is below 1e-5 at the optimum.
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
    bounds = [(None, None)] * k + [(f, None) for f in floor]
    res = optimize.minimize(_objective, np.concatenate([lam0, psi0]), args=(s, logdet_s), jac=True,
                            method="L-BFGS-B", bounds=bounds,
                            options={"maxiter": 5000, "ftol": 1e-15, "gtol": 1e-10})
    lam, psi = res.x[:k], res.x[k:]
    if lam.sum() < 0:
        lam = -lam
    grad = _objective(res.x, s, logdet_s)[1]
    heywood = tuple(int(i) for i in np.flatnonzero(psi <= floor * 1.0001))
    free = np.ones(2 * k, dtype=bool)
    free[[k + i for i in heywood]] = False
    max_grad = float(np.abs(grad[free]).max())
    return OneFactorFit(lam, psi, _information(lam, psi, n), float(n * res.fun), k * (k - 3) // 2,
                        max_grad < 1e-5, heywood, max_grad)
