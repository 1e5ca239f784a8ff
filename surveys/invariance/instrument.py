"""Measurement invariance of a codebook instrument, straight from the long survey responses.

Builds the item matrix of one instrument (:func:`surveys.items.item_matrix`, items
reverse-coded), attaches the grouping column (from the responses, e.g. ``wave``, or
from the students table, e.g. ``program``), and runs the invariance ladder
(:func:`~surveys.invariance.invariance`) with the instrument's factor structure:
one factor for all items, or one factor a subscale.

Notes
-----
Groups are treated as independent samples.  That is exact for programs or cohorts;
across waves of the same students (a panel) it ignores that one student answers
at several waves, so the chi-square tests are approximate there and the
longitudinal model with correlated wave factors is the exact test.

Examples
--------
>>> import tempfile
>>> from data_schema import load_study
>>> from data_schema.codebook import builtin_codebooks
>>> from data_schema.synthetic import generate_study
>>> syn = generate_study(tempfile.mkdtemp(), n_institutions=4, n_cohorts=4, first_cohort=2020)
>>> study = load_study(syn.config_path)
>>> book = builtin_codebooks()["global_market_awareness"]
>>> result = instrument_invariance(study.survey_responses, book, group="program", students=study.students, wave=0)
>>> result.tidy()["verdict"].tolist()
['baseline', 'holds', 'holds']
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Literal

import pandas as pd

from data_schema.arguments import check_choice, check_columns
from data_schema.codebook import Codebook
from data_schema.errors import ColumnError, EstimationError
from surveys.invariance.comparison import ChenCutoffs
from surveys.invariance.ladder import InvarianceResult, Level, invariance
from surveys.items import item_matrix

__all__ = ["instrument_invariance", "instrument_factors"]

Structure = Literal["one_factor", "subscales"]


def instrument_factors(codebook: Codebook, structure: Structure = "one_factor") -> dict[str, list[str]]:
    """The factor structure of an instrument: ``{instrument: items}`` or ``{subscale: items}``."""
    check_choice("structure", structure, ("one_factor", "subscales"))
    if structure == "one_factor":
        return {codebook.id: list(codebook.item_ids)}
    loose = [i.id for i in codebook.items if i.subscale is None]
    if not codebook.subscales or loose:
        raise EstimationError(f"codebook {codebook.id!r} cannot be modelled by subscales: "
                              + ("it has none" if not codebook.subscales else f"items {loose} have no subscale"))
    return {s.id: [i.id for i in codebook.items if i.subscale == s.id] for s in codebook.subscales}


def instrument_invariance(
    responses: pd.DataFrame,
    codebook: Codebook,
    *,
    group: str,
    students: pd.DataFrame | None = None,
    wave: int | None = None,
    structure: Structure = "one_factor",
    levels: Sequence[Level] = ("configural", "metric", "scalar"),
    group_order: Sequence[Hashable] | None = None,
    cutoffs: ChenCutoffs | None = None,
    student: str = "student_id",
) -> InvarianceResult:
    """Invariance ladder of one instrument across the groups of ``group``.

    Parameters
    ----------
    responses
        Long, validated survey responses.
    codebook
        The instrument.
    group
        ``"wave"`` or a column of ``students`` (``program``, ``cohort``, ...).
    students
        The students table, when ``group`` is one of its columns.
    wave
        Keep one wave (recommended when comparing programs); ``None`` keeps all.
    structure
        ``"one_factor"`` (all items on one factor) or ``"subscales"`` (one factor a subscale).
    levels, group_order, cutoffs
        See :func:`~surveys.invariance.invariance`; groups are sorted by default.
    student
        Student id column.

    Returns
    -------
    InvarianceResult
    """
    factors = instrument_factors(codebook, structure)
    data = item_matrix(responses, codebook, student=student).reset_index()
    if wave is not None:
        data = data[data["wave"] == wave]
        if data.empty:
            raise EstimationError(f"no responses to {codebook.id!r} at wave {wave}")
    if group not in data.columns:
        if students is None:
            raise ColumnError(f"{group!r} is not a column of the responses; pass students= to take it from there")
        check_columns(students, [student, group], what="students")
        data = data.merge(students[[student, group]].drop_duplicates(student), on=student, how="inner")
    order = sorted(data[group].dropna().unique()) if group_order is None else group_order
    return invariance(data, factors=factors, group=group, levels=levels, group_order=order, cutoffs=cutoffs)
