"""Programme and cohort profile: students by institution, program and entry cohort, and program x cohort totals.

The counts are protected as one three-way table with every margin, so that a hidden institution's count
cannot be worked out from the published program x cohort totals; only the interior cells and the
program x cohort totals are returned.

Examples
--------
>>> students = pd.DataFrame({"institution_id": ["A"] * 12 + ["B"] * 15, "program": "traditional",
...                          "cohort": [2020] * 27})
>>> cells, totals = profile_tables(students, min_cell=10)
>>> cells[["institution_id", "n"]].values.tolist(), totals["n"].tolist()
([['A', 12.0], ['B', 15.0]], [27.0])
"""

from __future__ import annotations

import itertools

import pandas as pd

from reports.study_results.catalogue import TOTAL
from reports.study_results.suppression import suppress

__all__ = ["profile_tables"]

_DIMS = ["institution_id", "program", "cohort"]


def _with_margins(counts: pd.DataFrame) -> pd.DataFrame:
    parts = []
    for r in range(len(_DIMS) + 1):
        for keep in itertools.combinations(_DIMS, r):
            if keep:
                part = counts.groupby(list(keep), sort=True)["n"].sum().reset_index()
            else:
                part = pd.DataFrame({"n": [int(counts["n"].sum())]})
            parts.append(part.assign(**{d: TOTAL for d in _DIMS if d not in keep}))
    out = pd.concat([p.astype({d: str for d in _DIMS}) for p in parts], ignore_index=True)
    return out[[*_DIMS, "n"]]


def profile_tables(students: pd.DataFrame, *, min_cell: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Students by institution x program x cohort, and program x cohort totals, both small-cell protected.

    Parameters
    ----------
    students
        The valid students (``institution_id``, ``program``, ``cohort``).
    min_cell
        Smallest published count.

    Returns
    -------
    tuple of pandas.DataFrame
        ``institution_id, program, cohort, n, suppressed, suppression`` and ``program, cohort, n, suppressed,
        suppression``; ``cohort`` is an integer.
    """
    s = students.dropna(subset=_DIMS)
    counts = (s.groupby(_DIMS, sort=True).size().rename("n").reset_index()
              .astype({"cohort": "int64"}))
    protected = suppress(_with_margins(counts), count="n", by=_DIMS, min_cell=min_cell)
    interior = (protected[_DIMS] != TOTAL).all(axis=1)
    cells = protected[interior].copy()
    totals = protected[(protected["institution_id"] == TOTAL) & (protected["program"] != TOTAL)
                       & (protected["cohort"] != TOTAL)].drop(columns="institution_id")
    for frame in (cells, totals):
        frame["cohort"] = frame["cohort"].astype("int64")
    return cells.reset_index(drop=True), totals.reset_index(drop=True)
