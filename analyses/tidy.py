"""The one table layout every analysis result returns from ``tidy()``.

Examples
--------
>>> frame = tidy_frame([{"term": "treated", "estimate": 0.5, "std_error": 0.1, "method": "OLS, CR1"}])
>>> list(frame.columns) == list(TIDY_COLUMNS)
True
>>> frame.loc[0, "estimate"], bool(np.isnan(frame.loc[0, "p_value"]))
(np.float64(0.5), True)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["TIDY_COLUMNS", "tidy_frame"]

TIDY_COLUMNS = ("term", "estimate", "std_error", "statistic", "df", "p_value", "ci_low", "ci_high", "ci_level",
                "n_obs", "n_clusters", "method")
"""The fixed first columns of every analysis ``tidy()`` table, in this order."""

_TEXT = ("term", "method")


def tidy_frame(rows: list[dict[str, object]]) -> pd.DataFrame:
    """One row a term: :data:`TIDY_COLUMNS` first (missing numbers as NaN), extra columns after in first-seen order.

    Parameters
    ----------
    rows
        One dictionary a term.  Keys outside :data:`TIDY_COLUMNS` become extra columns.

    Returns
    -------
    pandas.DataFrame
        Numeric tidy columns are float64 (``n_obs`` and ``n_clusters`` too, so a missing count is NaN,
        not a changed dtype); ``term`` and ``method`` are strings.
    """
    extra: list[str] = []
    for row in rows:
        extra.extend(k for k in row if k not in TIDY_COLUMNS and k not in extra)
    data: dict[str, object] = {}
    for col in TIDY_COLUMNS:
        values = [row.get(col) for row in rows]
        if col in _TEXT:
            data[col] = pd.Series(["" if v is None else str(v) for v in values], dtype=object)
        else:
            data[col] = pd.Series([np.nan if v is None else float(v) for v in values], dtype="float64")
    for col in extra:
        data[col] = pd.Series([row.get(col) for row in rows])
    return pd.DataFrame(data)
