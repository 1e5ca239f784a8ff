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

__all__ = ["ItemParameters", "THRESHOLDS", "item_parameters", "likert", "expected_score"]

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


def likert(theta: np.ndarray, params: ItemParameters, rng: np.random.Generator) -> np.ndarray:
    """Recorded answers (reverse items flipped), shape ``(len(theta), n_items)``."""
    lam = params.loadings
    ystar = (theta[:, None] * lam + params.difficulties
             + np.sqrt(1 - lam**2) * rng.standard_normal((theta.size, lam.size)))
    r = params.scale_min + (ystar[:, :, None] > THRESHOLDS).sum(axis=2)
    return np.where(params.reverse, params.scale_min + params.scale_max - r, r).astype(np.int64)


def expected_score(theta: np.ndarray, params: ItemParameters) -> np.ndarray:
    """Expected scale score (mean of items after reverse coding) given the latent."""
    lam = params.loadings[None, :, None]
    z = (theta[:, None, None] * lam + params.difficulties[None, :, None] - THRESHOLDS) / np.sqrt(1 - lam**2)
    phi = 0.5 * (1 + _erf(z / math.sqrt(2)).astype(float))
    return params.scale_min + phi.sum(axis=2).mean(axis=1)
