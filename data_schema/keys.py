"""Unique-key checks: exact duplicate rows and conflicting records of one key.

An exact duplicate (every canonical column equal after cleaning) is a repeated
export: the first copy is kept and later copies fail ``duplicate_row``.  Rows that
share a key but differ elsewhere are a conflict progeval cannot settle: every copy
fails ``duplicate_key`` and names the other lines.

Examples
--------
>>> import pandas as pd
>>> f = pd.DataFrame({"student_id": ["a", "a", "b", "b"], "x": [1, 1, 1, 2]},
...                  index=pd.Index([2, 3, 4, 5], name="row"))
>>> check_keys(f, ("student_id",))[["row", "rule", "message"]].values.tolist()[0]
[3, 'duplicate_row', 'exact duplicate of row 2; the first copy is kept']
"""

from __future__ import annotations

import pandas as pd

from data_schema.coerce import failure_frame

__all__ = ["check_keys"]


def _first_and_size(frame: pd.DataFrame, columns: list[str]) -> tuple[pd.Series, pd.Series]:
    """For each row: the first row number of its group over ``columns``, and the group size."""
    rows = frame.index.to_series()
    grouped = rows.groupby([frame[c] for c in columns], dropna=False, sort=False)
    return grouped.transform("min"), grouped.transform("size")


def check_keys(frame: pd.DataFrame, key: tuple[str, ...] | None) -> pd.DataFrame:
    """Failures for duplicate rows and conflicting keys; ``key=None`` checks exact duplicates only."""
    columns = list(frame.columns)
    subset = list(key) if key else columns
    keys = frame[subset]
    keys = keys[keys.notna().all(axis=1)]
    shared = keys.duplicated(keep=False)
    if not shared.any():
        return failure_frame([], "", [], "", "")
    group = frame.loc[keys.index[shared.to_numpy()]]  # only rows sharing a key are copied whole
    first_copy, _ = _first_and_size(group, columns)
    repeat = first_copy != group.index.to_series()
    parts = []
    if repeat.any():
        later = first_copy[repeat]
        found = failure_frame(later.index, "(row)", [""] * len(later), "duplicate_row", "")
        found["message"] = "exact duplicate of row " + later.astype("str").to_numpy() + "; the first copy is kept"
        parts.append(found)
    remaining = group.loc[~repeat.to_numpy()]
    conflict = remaining.duplicated(subset=subset, keep=False)
    if conflict.any():
        clash = remaining.loc[conflict]
        first, size = _first_and_size(clash, subset)
        values = clash[subset].astype("str").agg(" | ".join, axis=1) if len(subset) > 1 else clash[subset[0]]
        found = failure_frame(clash.index, subset[0], values, "duplicate_key", "")
        found["message"] = (
            f"{' + '.join(subset)} is shared by " + size.astype("str").to_numpy()
            + " rows with different values (first on row " + first.astype("str").to_numpy() + "); all are quarantined"
        )
        parts.append(found)
    return pd.concat(parts, ignore_index=True)
