"""Likert answers from a latent trait: a graded (ordinal probit) response model.

For item ``m`` with loading :math:`\\lambda_m`, difficulty :math:`b_m` and the
common thresholds :math:`\\kappa_1 < \\dots < \\kappa_4`, a respondent with
latent :math:`\\theta` answers

.. math::

    r_m = 1 + \\sum_j [\\lambda_m \\theta + b_m + \\sqrt{1 - \\lambda_m^2}\\,\\varepsilon > \\kappa_j],
    \\qquad \\varepsilon \\sim N(0, 1),

on a 1-5 scale; a reverse-coded item records ``min + max - r_m``.  The expected
scored item is therefore :math:`1 + \\sum_j \\Phi((\\lambda_m\\theta + b_m - \\kappa_j)/\\sqrt{1-\\lambda_m^2})`,
which :func:`expected_score` averages over items; it turns effects on the latent
into exact effects on the scale score (mean of items after reverse coding).

Examples
--------
>>> import numpy as np
>>> from data_schema.codebook import builtin_codebooks
>>> p = item_parameters(builtin_codebooks()["global_market_awareness"], np.random.default_rng(0))
>>> answers = likert(np.zeros(3), p, np.random.default_rng(1))
>>> answers.shape, int(answers.min()) >= 1, int(answers.max()) <= 5
((3, 8), True, True)
>>> bool(expected_score(np.array([1.0]), p)[0] > expected_score(np.array([0.0]), p)[0])
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from data_schema.codebook import Codebook

__all__ = ["ItemParameters", "THRESHOLDS", "item_parameters", "likert", "expected_score", "population_alpha"]

THRESHOLDS = np.array([-1.8, -0.9, 0.0, 1.1])
"""kappa_j on the 1-5 scale (a 5-point scale has four thresholds)."""

_erf = np.frompyfunc(math.erf, 1, 1)


@dataclass(frozen=True)
class ItemParameters:
    """Response-model parameters of one instrument's items (codebook order)."""

    instrument: str
    items: tuple[str, ...]
    loadings: np.ndarray
    difficulties: np.ndarray
    reverse: np.ndarray
    scale_min: int
    scale_max: int

    def to_dict(self) -> dict:
        """JSON-safe parameters for ``truth.json``."""
        return {
            "items": list(self.items),
            "loadings": [round(float(x), 6) for x in self.loadings],
            "difficulties": [round(float(x), 6) for x in self.difficulties],
            "reverse": [bool(x) for x in self.reverse],
            "thresholds": [float(x) for x in THRESHOLDS],
        }


def item_parameters(book: Codebook, rng: np.random.Generator) -> ItemParameters:
    """Draw loadings U(0.6, 0.85) and difficulties N(0, 0.25^2) for a 1-5 instrument."""
    m = len(book.items)
    return ItemParameters(
        instrument=book.id,
        items=book.item_ids,
        loadings=np.round(rng.uniform(0.6, 0.85, m), 6),
        difficulties=np.round(rng.normal(0.0, 0.25, m), 6),
        reverse=np.array([item.reverse for item in book.items]),
        scale_min=book.scale.min,
        scale_max=book.scale.max,
    )


def likert(theta: np.ndarray, params: ItemParameters, rng: np.random.Generator,
           offset: np.ndarray | None = None) -> np.ndarray:
    """Recorded answers (reverse items flipped), shape ``(len(theta), n_items)``.

    ``offset`` (same shape) is added to the items' latent responses: an intercept shift that makes an
    item non-invariant for some respondents; it draws no random numbers.
    """
    lam = params.loadings
    ystar = (theta[:, None] * lam + params.difficulties
             + np.sqrt(1 - lam**2) * rng.standard_normal((theta.size, lam.size)))
    if offset is not None:
        ystar = ystar + offset
    r = params.scale_min + (ystar[:, :, None] > THRESHOLDS).sum(axis=2)
    return np.where(params.reverse, params.scale_min + params.scale_max - r, r).astype(np.int64)


def _exceed(theta: np.ndarray, params: ItemParameters, offset: np.ndarray | None) -> np.ndarray:
    """P(latent response > kappa_j | theta), shape ``(len(theta), n_items, n_thresholds)``."""
    lam = params.loadings[None, :, None]
    shift = 0.0 if offset is None else offset[:, :, None]
    z = (theta[:, None, None] * lam + params.difficulties[None, :, None] + shift - THRESHOLDS) / np.sqrt(1 - lam**2)
    return 0.5 * (1 + _erf(z / math.sqrt(2)).astype(float))


def expected_score(theta: np.ndarray, params: ItemParameters, offset: np.ndarray | None = None) -> np.ndarray:
    """Expected scale score (mean of items after reverse coding) given the latent."""
    return params.scale_min + _exceed(theta, params, offset).sum(axis=2).mean(axis=1)


def population_alpha(theta: np.ndarray, params: ItemParameters, offset: np.ndarray | None = None) -> float:
    """Cronbach's alpha the response model implies for respondents with these latents.

    The scored item is :math:`r_m = \\min + \\sum_j I_{mj}` with nested indicators
    :math:`I_{mj} = [y^*_m > \\kappa_j]`, :math:`p_{mj} = P(I_{mj} = 1 \\mid \\theta)`, so
    :math:`\\operatorname{Var}(r_m \\mid \\theta) = \\sum_j p_{mj} + 2\\sum_{j<l} p_{ml} - (\\sum_j p_{mj})^2`.
    Items are independent given :math:`\\theta`; the item covariance matrix is the covariance over
    respondents of :math:`E[r \\mid \\theta]` plus the mean conditional variances on its diagonal.
    """
    p = _exceed(theta, params, offset)
    mean = p.sum(axis=2)
    n_thr = p.shape[2]
    later = sum(p[:, :, b] for a in range(n_thr) for b in range(a + 1, n_thr))  # sum over j < l of p_l
    cond_var = mean + 2 * later - mean**2
    cov = np.cov(mean, rowvar=False, ddof=0) + np.diag(cond_var.mean(axis=0))
    k = cov.shape[0]
    return float(k / (k - 1) * (1 - np.trace(cov) / cov.sum()))
