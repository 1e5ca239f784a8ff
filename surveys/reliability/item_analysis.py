"""Item analysis: item means, spread, floor and ceiling shares, corrected item-total correlation, alpha if deleted.

Notes
-----
With item covariance matrix :math:`C` (pairwise or listwise, as for alpha) and
:math:`c_i = \\sum_j C_{ij}`, the corrected item-total correlation of item
:math:`i` (its correlation with the sum of the *other* items) is

.. math::

    r_{i,T-i} = \\frac{c_i - C_{ii}}{\\sqrt{C_{ii}\\,(1'C1 - 2c_i + C_{ii})}},

and alpha if item :math:`i` is deleted is alpha of :math:`C` without row and
column :math:`i`.  Both come from :math:`C` in :math:`O(k^2)`, so the analysis
costs one covariance matrix.  Floor and ceiling shares are the shares of
answers at the scale's minimum and maximum, on the scored (reverse-coded) item.

References
----------
Nunnally, J. C., & Bernstein, I. H. (1994). *Psychometric Theory* (3rd ed.), ch. 8. McGraw-Hill.

Examples
--------
>>> from surveys.examples import realstats_items
>>> table = item_analysis(realstats_items(), scale_min=0, scale_max=10)
>>> list(table.columns)[:5]
['item', 'n', 'mean', 'sd', 'missing_share']
>>> len(table)
10
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from surveys.reliability.moments import Missing, as_item_array, item_moments

__all__ = ["item_analysis", "item_table"]


def _alpha_if_deleted(cov: np.ndarray) -> np.ndarray:
    k = cov.shape[0]
    row = cov.sum(axis=1)
    diag = np.diag(cov)
    total_wo = cov.sum() - 2 * row + diag
    trace_wo = np.trace(cov) - diag
    return (k - 1) / (k - 2) * (1 - trace_wo / total_wo) if k > 2 else np.full(k, np.nan)


def item_analysis(
    items: pd.DataFrame | np.ndarray,
    *,
    scale_min: float | None = None,
    scale_max: float | None = None,
    missing: Missing = "pairwise",
) -> pd.DataFrame:
    """One row an item: descriptive statistics and its contribution to the scale.

    Parameters
    ----------
    items
        Respondents x items, already reverse-coded; NaN for unanswered.
    scale_min, scale_max
        Ends of the response scale, for the floor and ceiling shares (NaN when not given).
    missing
        Covariances for the item-total correlation and alpha if deleted: ``"pairwise"`` or ``"listwise"``.

    Returns
    -------
    pandas.DataFrame
        Columns ``item, n, mean, sd, missing_share, floor_share, ceiling_share, item_total_r,
        alpha_if_deleted``; ``n``, ``mean``, ``sd`` and the shares use every answer to the item.
    """
    values, names = as_item_array(items)
    return item_table(values, item_moments(values, missing=missing).cov, names, scale_min, scale_max)


def item_table(values: np.ndarray, cov: np.ndarray, names: list[str], scale_min: float | None,
               scale_max: float | None) -> pd.DataFrame:
    """:func:`item_analysis` from an item covariance matrix already computed from ``values``."""
    n = (~np.isnan(values)).sum(axis=0)
    row = cov.sum(axis=1)
    diag = np.diag(cov)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (row - diag) / np.sqrt(diag * (cov.sum() - 2 * row + diag))
        floor = (values == scale_min).sum(axis=0) / n if scale_min is not None else np.full(len(n), np.nan)
        ceiling = (values == scale_max).sum(axis=0) / n if scale_max is not None else np.full(len(n), np.nan)
    return pd.DataFrame({
        "item": names,
        "n": n,
        "mean": np.nanmean(values, axis=0),
        "sd": np.nanstd(values, axis=0, ddof=1),
        "missing_share": 1 - n / values.shape[0],
        "floor_share": floor,
        "ceiling_share": ceiling,
        "item_total_r": r,
        "alpha_if_deleted": _alpha_if_deleted(cov),
    })
