"""Input checks and display labels shared by the figure functions.

Every figure takes a tidy table; these helpers refuse a table that is not a DataFrame, lacks a column,
is empty, holds text where numbers belong or has an interval whose ends are swapped, with a message
that says what was received and how to fix it.

Examples
--------
>>> import pandas as pd
>>> check_table(pd.DataFrame({"estimate": []}), ["estimate"], what="effects")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
data_schema.errors.ArgumentError: effects is empty; expected at least one row with columns 'estimate'. Fix: ...
>>> numeric_column(pd.DataFrame({"estimate": [0.1, "high"]}), "estimate", what="effects")
Traceback (most recent call last):
...
data_schema.errors.ArgumentError: effects column 'estimate' must hold numbers; row 1 holds 'high'
>>> display_label("integrated", {"integrated": "一体化"}), display_label("cbec_sector_share", None)
('一体化', 'CBEC sector share')
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from data_schema.arguments import check_columns
from data_schema.errors import ArgumentError

_ACRONYMS = {"hsk": "HSK", "cbec": "CBEC", "ice": "ICE", "id": "ID", "sd": "SD", "gpa": "GPA"}

__all__ = ["check_interval", "check_name", "check_table", "display_label", "label_column", "numeric_column"]

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


def check_name(name: str) -> str:
    """Return ``name`` if it can be a figure's file stem (lower-case letters, digits, ``_``, ``-``)."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise ArgumentError(f"figure name {name!r} must be lower-case letters, digits, '_' or '-' (it becomes a "
                            "file name), e.g. 'event_study'")
    return name


def check_table(table: object, columns: Sequence[str], *, what: str) -> pd.DataFrame:
    """Return ``table`` with a fresh index after checking its type, its ``columns`` and that it has rows.

    Raises
    ------
    ArgumentError
        ``table`` is not a DataFrame or has no row.
    data_schema.errors.ColumnError
        A column is missing (the message lists the columns it has).
    """
    if not isinstance(table, pd.DataFrame):
        raise ArgumentError(f"{what} must be a pandas DataFrame; received {type(table).__name__}")
    check_columns(table, columns, what=what)
    if table.empty:
        cols = f" with columns {', '.join(repr(c) for c in columns)}" if columns else ""
        raise ArgumentError(f"{what} is empty; expected at least one row{cols}. Fix: draw the figure "
                            "only for an analysis that ran (the results list the analyses that could not run, "
                            "with their reasons)")
    return table.reset_index(drop=True)


def numeric_column(table: pd.DataFrame, column: str, *, what: str) -> np.ndarray:
    """``table[column]`` as float64 with NaN for missing values; text that is not a number is an error."""
    series = table[column]
    if pd.api.types.is_bool_dtype(series):
        return series.astype(float).to_numpy()
    values = pd.to_numeric(series, errors="coerce")
    bad = values.isna() & series.notna()
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise ArgumentError(f"{what} column {column!r} must hold numbers; row {row} holds {series.iloc[row]!r}")
    return values.astype("Float64").to_numpy(dtype=float, na_value=np.nan)


def check_interval(low: np.ndarray, high: np.ndarray, *, what: str, names: tuple[str, str] = ("ci_low", "ci_high")
                   ) -> None:
    """Raise when an interval's lower end lies above its upper end (columns swapped or mislabelled)."""
    swapped = np.flatnonzero(np.nan_to_num(low, nan=-np.inf) > np.nan_to_num(high, nan=np.inf))
    if swapped.size:
        i = int(swapped[0])
        raise ArgumentError(f"{what} row {i} has {names[0]}={float(low[i])!r} above {names[1]}={float(high[i])!r}; "
                            f"expected {names[0]} <= {names[1]}. Fix: check that the interval columns are not swapped")


def display_label(value: object, labels: Mapping[str, str] | None, default: str | None = None) -> str:
    """The display name of an id: ``labels[value]``, else ``default``, else the id in words."""
    key = str(value)
    if labels and key in labels:
        return str(labels[key])
    if default:
        return default
    words = " ".join(_ACRONYMS.get(w, w) for w in key.replace("_", " ").split())
    return words[:1].upper() + words[1:]


def label_column(table: pd.DataFrame, column: str, labels: Mapping[str, str] | None) -> pd.Series:
    """Display names of ``table[column]``: ``labels``, else a ``<column>_label`` column, else the ids in words."""
    given = table[f"{column}_label"] if f"{column}_label" in table.columns else None
    out = [display_label(v, labels, None if given is None or pd.isna(given.iloc[i]) else str(given.iloc[i]))
           for i, v in enumerate(table[column])]
    return pd.Series(out, index=table.index, dtype=object)
