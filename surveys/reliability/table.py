"""Reliability of every scale and subscale, by any grouping (program, cohort, wave): one tidy table.

Examples
--------
>>> import numpy as np, pandas as pd
>>> from data_schema.codebook import builtin_codebooks
>>> book = builtin_codebooks()["global_market_awareness"]
>>> rng = np.random.default_rng(3)
>>> theta = rng.standard_normal(300)
>>> answers = np.clip(np.rint(3 + theta[:, None] + rng.standard_normal((300, 8)) * 0.8), 1, 5)
>>> answers[:, [2, 5, 7]] = 6 - answers[:, [2, 5, 7]]  # recorded as reverse-worded items
>>> long = pd.DataFrame({"student_id": np.repeat([f"s{i}" for i in range(300)], 8), "instrument": book.id,
...                      "wave": 0, "item": np.tile(book.item_ids, 300), "response": answers.ravel()})
>>> result = reliability_table(long, book, by=["wave"], n_boot=0)
>>> result.scales.loc[0, ["instrument", "scale", "wave", "n", "k"]].to_dict()
{'instrument': 'global_market_awareness', 'scale': 'total', 'wave': 0, 'n': 300, 'k': 8}
>>> bool(result.scales.loc[0, "alpha"] > 0.8)
True
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from data_schema.arguments import check_columns
from data_schema.codebook import Codebook
from data_schema.errors import ColumnError, EstimationError, EstimationWarning
from surveys.items import item_matrix
from surveys.reliability.alpha import alpha_from_moments
from surveys.reliability.item_analysis import item_table
from surveys.reliability.moments import Missing, item_moments
from surveys.reliability.omega import omega_from_moments
from surveys.scoring import TOTAL

__all__ = ["ReliabilityTable", "reliability_table"]

MIN_RESPONDENTS = 10
"""Fewest respondents in a group for a reliability estimate; smaller groups get a note instead."""


@dataclass(frozen=True)
class ReliabilityTable:
    """Reliability by instrument, scale and group.

    Attributes
    ----------
    scales
        One row an instrument x scale (``total`` or a subscale) x group: ``n``, ``n_dropped``, ``k``,
        ``alpha`` with its Feldt (``alpha_ci_low``, ``alpha_ci_high``) and bootstrap
        (``alpha_boot_ci_low``, ``alpha_boot_ci_high``) intervals, ``omega`` with its Wald interval
        (``omega_ci_low``, ``omega_ci_high``), ``omega_converged``, ``ci_level`` and ``note``
        (why a coefficient is missing, empty otherwise).
    items
        Item analysis (:func:`~surveys.reliability.item_analysis`) for the same rows, long.
    """

    scales: pd.DataFrame
    items: pd.DataFrame


def _groups(matrix: pd.DataFrame, students: pd.DataFrame | None, by: Sequence[str], student: str) -> pd.DataFrame:
    keys = matrix.index.to_frame(index=False)
    missing = [c for c in by if c not in keys.columns]
    if missing:
        if students is None:
            raise ColumnError(f"grouping columns {missing} are not in the responses; pass students= to join them")
        check_columns(students, [student, *missing], what="students")
        keys = keys.merge(students[[student, *missing]].drop_duplicates(student), on=student, how="left")
    return keys[list(by)]


def _one(values: pd.DataFrame, book: Codebook, ci_level: float, n_boot: int, seed: int | None,
         missing: Missing) -> tuple[dict, pd.DataFrame | None]:
    row: dict = {"n": int((values.notna().sum(axis=1) >= 2).sum()), "k": values.shape[1], "note": ""}
    if values.shape[1] < 2:
        row["note"] = "a single item has no internal-consistency reliability"
        return row, None
    if row["n"] < MIN_RESPONDENTS:
        row["note"] = f"fewer than {MIN_RESPONDENTS} respondents"
        return row, None
    array, names = values.to_numpy(), [str(c) for c in values.columns]
    try:
        m = item_moments(array, missing=missing)
    except EstimationError as err:
        row["note"] = str(err)
        return row, None
    a = alpha_from_moments(array, m, names, missing=missing, ci_level=ci_level, n_boot=n_boot, seed=seed)
    row |= {"n": a.n, "n_dropped": a.n_dropped, "alpha": a.alpha, "alpha_ci_low": a.ci_low,
            "alpha_ci_high": a.ci_high, "alpha_boot_ci_low": a.boot_ci_low, "alpha_boot_ci_high": a.boot_ci_high}
    if values.shape[1] >= 3:
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", EstimationWarning)
                o = omega_from_moments(array, m, names, missing=missing, ci_level=ci_level, n_boot=0, seed=None)
            row |= {"omega": o.omega, "omega_ci_low": o.ci_low, "omega_ci_high": o.ci_high,
                    "omega_converged": o.converged}
            if caught:
                row["note"] = str(caught[0].message)
        except EstimationError as err:
            row["note"] = str(err)
    else:
        row["note"] = "omega needs at least 3 items"
    items = item_table(array, m.cov, names, book.scale.min, book.scale.max)
    return row, items


def reliability_table(
    responses: pd.DataFrame,
    codebooks: Codebook | Mapping[str, Codebook],
    *,
    students: pd.DataFrame | None = None,
    by: Sequence[str] = ("wave",),
    subscales: bool = True,
    student: str = "student_id",
    missing: Missing = "pairwise",
    ci_level: float = 0.95,
    n_boot: int = 1000,
    seed: int | None = None,
) -> ReliabilityTable:
    """Alpha, omega and item analysis for every instrument and subscale, by group.

    Parameters
    ----------
    responses
        Long, validated survey responses.
    codebooks
        One codebook or a mapping of them.
    students
        The students table, to group by its columns (``program``, ``cohort``, ``institution_id``, ...).
    by
        Grouping columns, from the responses (``wave``) or ``students``; empty for one overall row.
    subscales
        Also analyse each subscale.
    student, missing, ci_level, n_boot, seed
        Key column; see :func:`~surveys.reliability.cronbach_alpha`.

    Returns
    -------
    ReliabilityTable
    """
    books = {codebooks.id: codebooks} if isinstance(codebooks, Codebook) else dict(codebooks)
    rows, item_tables = [], []
    for book in books.values():
        matrix = item_matrix(responses, book, student=student)
        groups = _groups(matrix, students, by, student)
        scales = [(TOTAL, list(book.item_ids))]
        if subscales:
            scales += [(s.id, [i.id for i in book.items if i.subscale == s.id]) for s in book.subscales]
        keyed = groups.groupby(list(by), sort=True, dropna=False).indices if by else {(): np.arange(len(matrix))}
        for key, idx in keyed.items():
            labels = dict(zip(by, key if isinstance(key, tuple) else (key,), strict=True))
            for scale, cols in scales:
                row, items = _one(matrix.iloc[idx][cols], book, ci_level, n_boot, seed, missing)
                rows.append({"instrument": book.id, "scale": scale, **labels, **row})
                if items is not None:
                    item_tables.append(items.assign(instrument=book.id, scale=scale, **labels))
    scales_table = pd.DataFrame(rows)
    columns = ["instrument", "scale", *by, "n", "n_dropped", "k", "alpha", "alpha_ci_low", "alpha_ci_high",
               "alpha_boot_ci_low", "alpha_boot_ci_high", "omega", "omega_ci_low", "omega_ci_high",
               "omega_converged", "note"]
    scales_table = scales_table.reindex(columns=columns).assign(ci_level=ci_level)
    items_table = pd.concat(item_tables, ignore_index=True) if item_tables else pd.DataFrame()
    if len(items_table):
        lead = ["instrument", "scale", *by]
        items_table = items_table[lead + [c for c in items_table.columns if c not in lead]]
    return ReliabilityTable(scales_table, items_table)
