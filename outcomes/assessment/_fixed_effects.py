"""Least squares with absorbed target effects and unit (role or rater) dummies, on integer codes.

The model is :math:`y_i = \\theta_{t(i)} + \\delta_{u(i)} + e_i` with one target effect per
target :math:`t` (a student x component) and one effect per unit :math:`u` (a rater role, or a
rater).  The target effects are absorbed (within-target demeaning, Frisch-Waugh-Lovell), the
unit effects come from the sparse normal equations with one unit fixed at 0, and linear
contrasts :math:`c'\\delta` with :math:`\\sum c = 0` get classical or cluster-robust (CR1)
variances.  Everything is exact: the numbers equal an OLS fit with target and unit dummies.

Examples
--------
>>> import numpy as np
>>> fit = fit_unit_effects(np.array([1.0, 3.0, 2.0, 5.0]), target=np.array([0, 0, 1, 1]),
...                        unit=np.array([0, 1, 0, 1]), cluster=np.array([0, 0, 1, 1]), fixed_unit=0)
>>> fit.effects.tolist()  # unit 1 scores 2.5 above unit 0 on the same targets
[0.0, 2.5]
>>> fit.n_params, fit.df_resid
(3, 1)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components
from scipy.sparse.linalg import splu

from data_schema.errors import EstimationError

__all__ = ["UnitFit", "contrast_variances", "fit_unit_effects", "unit_components"]

_CHUNK = 256


@dataclass(frozen=True)
class UnitFit:
    """A fitted target + unit fixed-effects model (see the module docstring).

    Attributes
    ----------
    effects
        Unit effects :math:`\\delta_u`, with the fixed unit at 0.
    target_effects
        Target effects :math:`\\theta_t = \\text{mean}_{i \\in t}(y_i - \\delta_{u(i)})`.
    residuals
        :math:`e_i`; they sum to 0 within every target.
    n_obs, n_params, df_resid
        Observations, parameters of the equivalent dummy regression (targets + units - 1) and their difference.
    """

    effects: np.ndarray
    target_effects: np.ndarray
    residuals: np.ndarray
    n_obs: int
    n_params: int
    df_resid: int
    _keep: np.ndarray
    _lu: object
    _scores: sp.csr_matrix
    _n_clusters: int


def _onehot(codes: np.ndarray, n: int) -> sp.csr_matrix:
    return sp.csr_matrix((np.ones(codes.size), (np.arange(codes.size), codes)), shape=(codes.size, n))


def unit_components(target: np.ndarray, unit: np.ndarray, n_units: int) -> np.ndarray:
    """Label of the connected set of every unit in the bipartite graph of targets and units that rated them."""
    n_targets = int(target.max()) + 1 if target.size else 0
    edges = sp.coo_matrix((np.ones(target.size), (target, n_targets + unit)), shape=(n_targets + n_units,) * 2)
    _, labels = connected_components(edges, directed=False)
    return labels[n_targets:]


def fit_unit_effects(
    y: np.ndarray, *, target: np.ndarray, unit: np.ndarray, cluster: np.ndarray, fixed_unit: int
) -> UnitFit:
    """Fit the model on one connected set; ``fixed_unit`` is the unit whose effect is set to 0."""
    n_obs, n_targets, n_units = y.size, int(target.max()) + 1, int(unit.max()) + 1
    size = np.bincount(target, minlength=n_targets).astype(float)
    x = _onehot(unit, n_units)
    xd = (x.T @ _onehot(target, n_targets)).tocsr()  # J x T: ratings of unit u on target t
    gram = sp.diags(np.asarray(x.sum(axis=0)).ravel()) - xd @ sp.diags(1.0 / size) @ xd.T
    rhs = x.T @ y - xd @ (np.bincount(target, weights=y, minlength=n_targets) / size)
    keep = np.flatnonzero(np.arange(n_units) != fixed_unit)
    try:
        lu = splu(sp.csc_matrix(gram[keep][:, keep]), permc_spec="MMD_AT_PLUS_A")  # symmetric: least fill-in
        solution = lu.solve(rhs[keep])
    except RuntimeError as err:  # "Factor is exactly singular"
        raise EstimationError(
            "the unit effects are not identified: the rating design is not connected. "
            "Fix: keep only raters who share rated students with the reference role."
        ) from err
    effects = np.zeros(n_units)
    effects[keep] = solution
    rest = y - effects[unit]
    theta = np.bincount(target, weights=rest, minlength=n_targets) / size
    resid = rest - theta[target]
    n_params = n_targets + n_units - 1
    n_clusters = int(cluster.max()) + 1
    scores = (_onehot(cluster, n_clusters).T @ sp.diags(resid) @ x[:, keep]).tocsr()  # G x (J-1)
    return UnitFit(effects, theta, resid, n_obs, n_params, n_obs - n_params, keep, lu, scores, n_clusters)


def contrast_variances(fit: UnitFit, contrasts: np.ndarray, *, clustered: bool) -> tuple[np.ndarray, float]:
    """Variances of the contrasts ``contrasts @ effects`` (rows summing to 0) and the df of their t reference.

    ``clustered=True`` gives the CR1 sandwich
    :math:`\\frac{G}{G-1}\\frac{N-1}{N-K} A^{-1}\\big(\\sum_g s_g s_g'\\big)A^{-1}` with
    :math:`s_g = \\sum_{i \\in g} x_i e_i` and :math:`G - 1` df (as statsmodels
    ``cov_type="cluster"`` with ``use_t=True``); otherwise :math:`\\hat\\sigma^2 A^{-1}` with
    :math:`\\hat\\sigma^2 = e'e/(N-K)` and :math:`N - K` df.
    """
    reduced = np.asarray(contrasts, dtype=float)[:, fit._keep]
    out = np.empty(reduced.shape[0])
    n, k, g = fit.n_obs, fit.n_params, fit._n_clusters
    if clustered:
        factor = g / (g - 1) * (n - 1) / (n - k) if g > 1 and n > k else np.nan
        df = float(g - 1)
    else:
        factor = float(fit.residuals @ fit.residuals) / (n - k) if n > k else np.nan
        df = float(n - k)
    for start in range(0, reduced.shape[0], _CHUNK):
        block = reduced[start : start + _CHUNK]
        u = fit._lu.solve(np.ascontiguousarray(block.T))  # (J-1) x m
        if u.ndim == 1:
            u = u[:, None]
        if clustered:
            out[start : start + _CHUNK] = ((fit._scores @ u) ** 2).sum(axis=0)
        else:
            out[start : start + _CHUNK] = (block.T * u).sum(axis=0)
    return factor * out, df
