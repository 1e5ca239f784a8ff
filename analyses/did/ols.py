"""Weighted least squares on a swept design with the CR1 cluster-robust covariance.

Examples
--------
>>> import pandas as pd
>>> from analyses.did.design import two_way_design
>>> rng = np.random.default_rng(1)
>>> data = pd.DataFrame({"unit": np.repeat(np.arange(6), 4), "t": np.tile(np.arange(4), 6)})
>>> data["d"] = ((data["unit"] < 3) & (data["t"] >= 2)).astype(float)
>>> data["y"] = 0.5 * data["d"] + rng.normal(size=len(data))
>>> fit = cluster_robust_fit(two_way_design(data, outcome="y", regressors=["d"], unit="unit", time="t",
...                                         cluster="unit"))
>>> fit.beta.shape, fit.vcov.shape
((4,), (4, 4))
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg

from analyses.did.design import TwfeDesign, cluster_sums
from data_schema.errors import EstimationError

__all__ = ["ClusterRobustFit", "cluster_robust_fit"]


@dataclass(frozen=True)
class ClusterRobustFit:
    """Coefficients, the CR1 covariance and the cluster scores of a swept design.

    Attributes
    ----------
    beta
        ``(k,)`` coefficients in the order of ``design.names``.
    vcov
        ``(k, k)`` CR1 covariance :math:`c\\,(X'WX)^{-1} \\sum_g s_g s_g' (X'WX)^{-1}` with
        :math:`s_g = X_g' W_g \\hat u_g` and ``c = design.cr1_factor``.
    residuals
        ``(m,)`` residuals of the swept rows (cell means minus fit when rows are cells).
    scores
        ``(G, k)`` cluster scores :math:`s_g`.
    bread
        ``(k, k)`` :math:`(X'WX)^{-1}`.
    """

    beta: np.ndarray
    vcov: np.ndarray
    residuals: np.ndarray
    scores: np.ndarray
    bread: np.ndarray


def cluster_robust_fit(design: TwfeDesign) -> ClusterRobustFit:
    """Fit ``y ~ X`` by weighted least squares and return the CR1 covariance.

    Parameters
    ----------
    design
        From :func:`analyses.did.design.two_way_design`.

    Returns
    -------
    ClusterRobustFit

    Raises
    ------
    EstimationError
        When ``X'WX`` is singular (collinear regressors), naming the columns involved.

    References
    ----------
    Cameron, A. C., & Miller, D. L. (2015). A practitioner's guide to cluster-robust inference.
    *Journal of Human Resources*, 50(2), 317-372.
    """
    X, w = design.X, design.weights
    Xw = X * w[:, None]
    xtx = Xw.T @ X
    try:
        chol = scipy.linalg.cho_factor(xtx)
        bread = scipy.linalg.cho_solve(chol, np.eye(xtx.shape[0]))
    except np.linalg.LinAlgError:
        raise EstimationError(_collinear_message(xtx, design.names)) from None
    if np.linalg.cond(xtx) > 1e12:
        raise EstimationError(_collinear_message(xtx, design.names))
    beta = bread @ (Xw.T @ design.y)
    resid = design.y - X @ beta
    scores = cluster_sums(design.cluster, Xw * resid[:, None], design.n_clusters)
    meat = scores.T @ scores
    vcov = design.cr1_factor * bread @ meat @ bread
    return ClusterRobustFit(beta, (vcov + vcov.T) / 2, resid, scores, bread)


def _collinear_message(xtx: np.ndarray, names: tuple[str, ...]) -> str:
    vals, vecs = np.linalg.eigh(xtx)
    null = vecs[:, 0]
    involved = [names[j] for j in np.flatnonzero(np.abs(null) > 1e-6 * np.abs(null).max())]
    return ("the regressors are collinear once the fixed effects are removed, so the coefficients are not all "
            f"identified; the columns involved are: {', '.join(map(repr, involved))}. Drop one of them.")
