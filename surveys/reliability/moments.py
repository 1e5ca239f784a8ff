"""Item covariance matrices under listwise or pairwise deletion, the input of every reliability coefficient.

Examples
--------
>>> import numpy as np
>>> x = np.array([[1.0, 2.0], [2.0, np.nan], [3.0, 5.0], [4.0, 4.0]])
>>> m = item_moments(x, missing="pairwise")
>>> m.n, m.n_dropped, round(float(m.cov[0, 0]), 4)
(3, 1, 2.3333)
>>> item_moments(x, missing="listwise").n
3
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from data_schema.arguments import check_choice
from data_schema.errors import EstimationError

__all__ = ["ItemMoments", "item_moments", "Missing", "as_item_array"]

Missing = Literal["pairwise", "listwise"]


@dataclass(frozen=True)
class ItemMoments:
    """Sample moments of a respondents x items array.

    Attributes
    ----------
    cov
        Item covariance matrix (divisor n - 1; pairwise-complete under ``pairwise``).
    mean
        Item means over the rows used.
    n
        Respondents used: complete rows (listwise) or rows with at least two answers (pairwise).
    n_dropped
        Respondents left out (rows with any missing item under listwise; fewer than two answers under pairwise).
    complete
        Whether the rows used have no missing value (the fast bootstrap relies on it).
    rows
        Which rows of the input were used (a boolean mask), for resampling them.
    """

    cov: np.ndarray
    mean: np.ndarray
    n: int
    n_dropped: int
    complete: bool
    rows: np.ndarray


def as_item_array(items: pd.DataFrame | np.ndarray, *, min_items: int = 2) -> tuple[np.ndarray, list[str]]:
    """Float array and item names of a respondents x items table; refuses too few items or non-numbers."""
    if isinstance(items, pd.DataFrame):
        names = [str(c) for c in items.columns]
        try:
            values = items.to_numpy(dtype=float, na_value=np.nan)
        except (TypeError, ValueError) as err:
            raise EstimationError(f"item answers must be numbers; {err}") from None
    else:
        values = np.asarray(items, dtype=float)
        names = [f"item{i + 1}" for i in range(values.shape[1] if values.ndim == 2 else 0)]
    if values.ndim != 2 or values.shape[1] < min_items:
        raise EstimationError(f"need a respondents x items table with at least {min_items} items; "
                              f"got shape {values.shape}")
    return values, names


def item_moments(values: np.ndarray, *, missing: Missing = "pairwise") -> ItemMoments:
    """Covariances and means of the items, with the respondents used and dropped counted."""
    check_choice("missing", missing, ("pairwise", "listwise"))
    observed = ~np.isnan(values)
    if missing == "listwise" or observed.all():
        keep = observed.all(axis=1)
        x = values if keep.all() else values[keep]
        n = len(x)
        if n < 3:
            raise EstimationError(f"only {n} respondents answered every item; need at least 3")
        mean = x.mean(axis=0)
        centred = x - mean
        return ItemMoments(centred.T @ centred / (n - 1), mean, n, len(values) - n, True, keep)
    keep = observed.sum(axis=1) >= 2
    frame = pd.DataFrame(values[keep])
    counts = observed[keep].astype(float).T @ observed[keep].astype(float)
    if counts.min() < 3:
        raise EstimationError("some pair of items was answered together by fewer than 3 respondents; "
                              "a pairwise covariance cannot be formed")
    cov = frame.cov().to_numpy()
    return ItemMoments(cov, np.nanmean(values[keep], axis=0), int(keep.sum()), int((~keep).sum()), False, keep)
