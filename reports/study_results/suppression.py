"""Small-cell suppression of every published table, through :func:`outcomes.protect`.

A table with counts of students goes through the disclosure rules of :mod:`outcomes.disclosure` before it is
published: a row counting fewer than the study's ``privacy.min_cell_size`` students is hidden (primary
suppression) and, where the table has margin rows (``"All"``), further rows are hidden so that no hidden
value can be worked out from the totals (complementary suppression, audited by linear programming).  A
hidden row is kept, with its values NaN, ``suppressed`` True and ``suppression`` giving the reason.

Examples
--------
>>> t = pd.DataFrame({"program": ["integrated", "traditional", "All"], "n": [4, 30, 34],
...                   "estimate": [0.5, 0.6, 0.59]})
>>> out = suppress(t, count="n", by=["program"], min_cell=10)
>>> out["n"].tolist(), out["suppressed"].tolist()
([nan, nan, 34.0], [True, True, False])
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from outcomes import protect
from reports.study_results.catalogue import TOTAL

__all__ = ["suppress", "unsuppressed"]


def suppress(table: pd.DataFrame, *, count: str, by: Sequence[str], min_cell: int, hide: Sequence[str] | None = None,
             additive: Sequence[str] = (), separate: Sequence[str] = ()) -> pd.DataFrame:
    """Hide small cells of ``table`` (and the cells that would reveal them); hidden values become NaN.

    Parameters
    ----------
    table
        One row a published cell.
    count
        Column with the number of students in the cell.
    by
        Columns that identify a cell within a ``separate`` block; margin rows hold ``"All"`` there.
    min_cell
        Smallest number of students in a published cell (``privacy.min_cell_size``).
    hide
        Value columns blanked in hidden rows; default ``count``, ``additive`` and the estimate columns.
    additive
        Other columns that add up over margins (numerators).
    separate
        Columns that split the table into independent tables.

    Returns
    -------
    pandas.DataFrame
        ``table`` in its row order with the hidden columns as float64 (NaN where hidden) and the columns
        ``suppressed`` and ``suppression``.
    """
    if table.empty:
        return table.assign(suppressed=pd.Series(dtype=bool), suppression=pd.Series(dtype=str))
    frame = table.reset_index(drop=True)
    result = protect(frame, count=count, by=list(by), additive=list(additive),
                     hide=None if hide is None else list(hide), min_cell=int(min_cell), total=TOTAL,
                     separate=list(separate))
    out = result.table
    hidden = [count, *additive, *(c for c in ("estimate", "std_error", "ci_low", "ci_high") if c in out.columns)] \
        if hide is None else list(hide)
    for col in hidden:
        out[col] = pd.to_numeric(out[col]).astype("Float64").astype("float64")
    out["suppressed"] = out["suppressed"].astype(bool)
    out["suppression"] = out["suppression"].astype(str)
    return out


def unsuppressed(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with the suppression columns of a table that holds no count of students.

    Examples
    --------
    >>> unsuppressed(pd.DataFrame({"x": [1.0]}))[["suppressed", "suppression"]].values.tolist()
    [[False, '']]
    """
    return table.assign(suppressed=np.zeros(len(table), dtype=bool), suppression="")
