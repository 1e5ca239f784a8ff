"""Input checks shared by the agreement coefficients: long tables to matrices, with clear refusals.

Every public function of :mod:`surveys.agreement` takes a long table (one row a
rating) and turns it into a targets x raters matrix here.  Problems that make a
coefficient meaningless (a rating given twice, ids missing, non-numeric scores)
are refused with :class:`~data_schema.errors.EstimationError`, naming what was
found and how to fix it.

Examples
--------
>>> import pandas as pd
>>> long = pd.DataFrame({"t": ["a", "a", "b"], "r": ["x", "y", "x"], "v": [1.0, 2.0, 3.0]})
>>> grid = long_to_grid(long, row="t", col="r", row_name="target", col_name="rater")
>>> grid.shape, list(grid.row_labels), list(grid.col_labels)
((2, 2), ['a', 'b'], ['x', 'y'])
>>> grid.place(numeric_values(long["v"], column="v")).tolist()
[[1.0, 2.0], [3.0, nan]]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from data_schema.errors import ArgumentError, EstimationError
from data_schema.json_safe import json_safe

__all__ = [
    "Grid", "factorize", "long_to_grid", "numeric_values", "plain", "check_ci_level", "check_n_boot", "json_safe",
    "describe_labels",
]


@dataclass(frozen=True)
class Grid:
    """Where each row of a long table goes in a rows x columns matrix.

    Attributes
    ----------
    rows, cols
        Row and column position of every long-table row.
    row_labels, col_labels
        Sorted distinct ids of the rows (targets, subjects, units) and the columns (raters).
    """

    rows: np.ndarray
    cols: np.ndarray
    row_labels: pd.Index
    col_labels: pd.Index

    @property
    def shape(self) -> tuple[int, int]:
        """``(number of row ids, number of column ids)``."""
        return len(self.row_labels), len(self.col_labels)

    def place(self, values: np.ndarray) -> np.ndarray:
        """Float matrix holding ``values`` at their cells and NaN where the long table has no row."""
        out = np.full(self.shape, np.nan)
        out[self.rows, self.cols] = values
        return out

    def place_codes(self, codes: np.ndarray) -> np.ndarray:
        """Integer matrix holding category ``codes`` at their cells and -1 where the long table has no row."""
        out = np.full(self.shape, -1, dtype=np.int64)
        out[self.rows, self.cols] = codes
        return out


def describe_labels(labels: object, limit: int = 3) -> str:
    """Comma-separated ``repr`` of the first ``limit`` labels, with an ellipsis when there are more."""
    items = list(labels)  # type: ignore[call-overload]
    text = ", ".join(repr(plain(x)) for x in items[:limit])
    return text + (", ..." if len(items) > limit else "")


def plain(value: object) -> object:
    """A numpy scalar as the Python scalar it holds (for readable messages); anything else unchanged."""
    return value.item() if isinstance(value, np.generic) else value


def factorize(column: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Integer codes (-1 where missing) and the distinct labels, sorted when they can be."""
    try:
        codes, labels = pd.factorize(column, sort=True)
    except TypeError:  # ids of mixed types cannot be sorted: keep the order of appearance
        codes, labels = pd.factorize(column, sort=False)
    return codes, pd.Index(labels)


def long_to_grid(data: pd.DataFrame, *, row: str, col: str, row_name: str, col_name: str) -> Grid:
    """Map a long table with one row per (``row``, ``col``) pair onto a matrix.

    Raises
    ------
    EstimationError
        When an id is missing or a (``row``, ``col``) pair appears more than once.
    """
    rows, row_labels = factorize(data[row])
    cols, col_labels = factorize(data[col])
    no_id = (rows < 0) | (cols < 0)
    if no_id.any():
        raise EstimationError(
            f"{int(no_id.sum())} of {no_id.size} rows have no {row_name} id (column {row!r}) or no {col_name} id "
            f"(column {col!r}); every rating needs both. Fix: fill in or drop those rows."
        )
    n_cols = len(col_labels)
    flat = rows.astype(np.int64) * n_cols + cols
    counts = np.bincount(flat, minlength=len(row_labels) * n_cols)
    if (counts > 1).any():
        dup = np.flatnonzero(counts > 1)
        examples = ", ".join(
            f"({plain(row_labels[i // n_cols])!r}, {plain(col_labels[i % n_cols])!r})" for i in dup[:3]
        )
        raise EstimationError(
            f"{dup.size} ({row_name}, {col_name}) pairs appear more than once, e.g. {examples}; "
            f"each {col_name} may rate each {row_name} once. Fix: remove the duplicated rows or average them first."
        )
    return Grid(rows, cols, row_labels, col_labels)


def numeric_values(series: pd.Series, *, column: str) -> np.ndarray:
    """Float values of the numeric ``series`` named ``column`` (missing as NaN); refuse text, booleans, dates."""
    name = column
    if pd.api.types.is_bool_dtype(series.dtype) or not pd.api.types.is_numeric_dtype(series.dtype):
        raise EstimationError(
            f"column {name!r} must hold numbers, got dtype {series.dtype}. "
            f"Fix: convert the ratings to numbers (e.g. with pandas.to_numeric) before calling."
        )
    return series.to_numpy(dtype=float, na_value=np.nan)


def check_ci_level(ci_level: float) -> float:
    """Return ``ci_level`` as a float if it lies strictly between 0 and 1."""
    level = float(ci_level)
    if not 0 < level < 1:
        raise ArgumentError(f"ci_level={ci_level!r} must lie strictly between 0 and 1, e.g. 0.95")
    return level


def check_n_boot(n_boot: int) -> int:
    """Return ``n_boot`` if it is 0 (no bootstrap) or at least 100."""
    if isinstance(n_boot, bool) or not isinstance(n_boot, int | np.integer) or (0 < n_boot < 100) or n_boot < 0:
        raise ArgumentError(f"n_boot={n_boot!r} must be 0 (no bootstrap interval) or an integer of at least 100")
    return int(n_boot)
