"""Auxiliary draws of the wild cluster bootstrap: Rademacher, Webb, Mammen and normal weights, and enumeration.

Every bootstrap sample multiplies the residuals of cluster :math:`g` by one draw :math:`v_g`
with mean 0 and variance 1.  The distributions offered are

===============  ======================================================================================
``rademacher``   :math:`\\pm 1` with probability 1/2 each
``webb``         :math:`\\pm\\sqrt{1/2}, \\pm 1, \\pm\\sqrt{3/2}` with probability 1/6 each (Webb 2023)
``mammen``       :math:`-(\\sqrt5-1)/2` w.p. :math:`(\\sqrt5+1)/(2\\sqrt5)`, :math:`(\\sqrt5+1)/2` otherwise
``normal``       standard normal
===============  ======================================================================================

With Rademacher weights and :math:`G` clusters there are only :math:`2^G` distinct bootstrap
samples; when :math:`2^G \\le B` all of them are enumerated (each once), which removes the
Monte-Carlo error of the p-value (Roodman et al. 2019).

References
----------
Roodman, D., Nielsen, M. Ø., MacKinnon, J. G., & Webb, M. D. (2019). Fast and wild: Bootstrap
inference in Stata using boottest. *The Stata Journal*, 19(1), 4-60.

Webb, M. D. (2023). Reworking wild bootstrap-based inference for clustered errors. *Canadian
Journal of Economics*, 56(3), 839-858.

Mammen, E. (1993). Bootstrap and wild bootstrap for high dimensional linear models. *The Annals of
Statistics*, 21(1), 255-285.

Examples
--------
>>> v = draw_block(np.random.default_rng(0), "webb", n_clusters=3, n_draws=4)
>>> v.shape, bool(np.all(np.isin(np.round(v ** 2, 12), [0.5, 1.0, 1.5])))
((3, 4), True)
>>> enumerate_signs(2)
array([[-1.,  1., -1.,  1.],
       [-1., -1.,  1.,  1.]])
"""

from __future__ import annotations

from typing import Literal

import numpy as np

__all__ = ["WeightType", "WEIGHT_TYPES", "draw_block", "enumerate_signs", "chunk_size"]

WeightType = Literal["rademacher", "webb", "mammen", "normal"]
WEIGHT_TYPES: tuple[str, ...] = ("rademacher", "webb", "mammen", "normal")
"""The auxiliary distributions :func:`draw_block` knows."""

_WEBB = np.array([-np.sqrt(1.5), -1.0, -np.sqrt(0.5), np.sqrt(0.5), 1.0, np.sqrt(1.5)])
_SQRT5 = np.sqrt(5.0)
_MAMMEN_LOW, _MAMMEN_HIGH = -(_SQRT5 - 1) / 2, (_SQRT5 + 1) / 2
_MAMMEN_P_LOW = (_SQRT5 + 1) / (2 * _SQRT5)
_BLOCK_ELEMENTS = 1 << 22


def chunk_size(n_clusters: int) -> int:
    """Draws handled together: about four million weights (32 MB) at a time, whatever ``n_clusters`` is."""
    return max(1, _BLOCK_ELEMENTS // max(n_clusters, 1))


def draw_block(rng: np.random.Generator, weight_type: str, *, n_clusters: int, n_draws: int) -> np.ndarray:
    """``n_draws`` independent draws of ``n_clusters`` weights, as a ``(n_clusters, n_draws)`` float array.

    Column ``b`` holds the weights of bootstrap sample ``b``.  The caller splits the draws into blocks of
    :func:`chunk_size` draws, which depends only on ``n_clusters``, so a seed, ``G`` and ``B`` fix the draws.
    """
    shape = (n_draws, n_clusters)
    if weight_type == "rademacher":
        out = rng.integers(0, 2, size=shape, dtype=np.int8).astype(float) * 2.0 - 1.0
    elif weight_type == "webb":
        out = _WEBB[rng.integers(0, 6, size=shape, dtype=np.int8)]
    elif weight_type == "mammen":
        out = np.where(rng.random(shape) < _MAMMEN_P_LOW, _MAMMEN_LOW, _MAMMEN_HIGH)
    else:
        out = rng.standard_normal(shape)
    return np.ascontiguousarray(out.T)


def enumerate_signs(n_clusters: int, start: int = 0, stop: int | None = None) -> np.ndarray:
    """Rademacher sign vectors ``start..stop-1`` of all :math:`2^G`, as a ``(G, stop - start)`` float array.

    Column ``b`` is the binary expansion of ``b`` (bit ``g`` set means :math:`v_g = +1`), so the last
    vector is all ones and the first all minus ones.  ``stop`` defaults to :math:`2^G`.
    """
    stop = (1 << n_clusters) if stop is None else stop
    codes = np.arange(start, stop, dtype=np.int64)
    bits = (codes[None, :] >> np.arange(n_clusters, dtype=np.int64)[:, None]) & 1
    return bits.astype(float) * 2.0 - 1.0
