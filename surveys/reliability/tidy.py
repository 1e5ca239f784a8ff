"""The tidy table and JSON form shared by the reliability results (one row per kind of interval).

Examples
--------
>>> interval_table("alpha", 0.8, [("feldt", 0.02, 0.76, 0.84)], ci_level=0.95, n_obs=100, n_items=5)["method"].tolist()
['feldt']
>>> json_safe({"a": float("nan"), "b": (1.0, float("nan"))})
{'a': None, 'b': [1.0, None]}
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from data_schema.json_safe import json_safe

__all__ = ["interval_table", "json_safe"]


def interval_table(term: str, estimate: float, rows: Sequence[tuple[str, float, float, float]], *,
                   ci_level: float, n_obs: int, n_items: int) -> pd.DataFrame:
    """House tidy columns, one row per ``(method, std_error, ci_low, ci_high)``."""
    return pd.DataFrame({
        "term": term, "estimate": estimate, "std_error": [r[1] for r in rows],
        "statistic": np.nan, "df": np.nan, "p_value": np.nan,
        "ci_low": [r[2] for r in rows], "ci_high": [r[3] for r in rows], "ci_level": ci_level,
        "n_obs": n_obs, "n_items": n_items, "method": [r[0] for r in rows]})
