"""Item matrices: long survey responses turned into one row a respondent x wave, items reverse-coded.

Every measure in :mod:`surveys` starts here.  The long ``survey_responses``
table (``DATA_CONTRACT.md``) holds one row a student x instrument x wave x item;
:func:`item_matrix` keeps one instrument, checks the rows against its codebook
(an unknown item, an answer outside the scale or a repeated answer is an
:class:`~data_schema.errors.EstimationError`, because validated data cannot
contain one), and returns the items as columns in codebook order, with
reverse-coded items scored as ``min + max - answer`` and unanswered items as NaN.

Examples
--------
>>> import pandas as pd
>>> from data_schema.codebook import builtin_codebooks
>>> book = builtin_codebooks()["global_market_awareness"]
>>> long = pd.DataFrame({"student_id": ["s1"] * 3, "instrument": book.id, "wave": 0,
...                      "item": list(book.item_ids[:3]), "response": [5, 4, 2]})
>>> m = item_matrix(long, book)
>>> m.index.names, m.shape
(FrozenList(['student_id', 'wave']), (1, 8))
>>> m.iloc[0, :3].tolist()  # the third item is reverse-coded: 1 + 5 - 2
[5.0, 4.0, 4.0]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from data_schema.arguments import check_columns
from data_schema.codebook import Codebook
from data_schema.errors import EstimationError

__all__ = ["item_matrix", "scored_values"]


def _examples(frame: pd.DataFrame, mask: np.ndarray, cols: list[str]) -> str:
    head = frame.loc[mask, cols].head(3)
    return "; ".join(", ".join(f"{c}={v!r}" for c, v in zip(cols, row, strict=True)) for row in head.itertuples(False))


def _checked(rows: pd.DataFrame, book: Codebook, keys: list[str], item: str,
             response: str) -> tuple[np.ndarray, np.ndarray]:
    """Column position and numeric answer of each row, after checking items, answers and repeats."""
    pos = pd.Index(book.item_ids).get_indexer(rows[item].astype(str))
    unknown = pos < 0
    if unknown.any():
        raise EstimationError(
            f"{int(unknown.sum())} answers name items that codebook {book.id!r} does not have "
            f"({_examples(rows, unknown, [*keys, item])}); validate the responses first (progeval validate)"
        )
    values = pd.to_numeric(rows[response], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    outside = ~np.isnan(values) & ((values < book.scale.min) | (values > book.scale.max) | (values % 1 != 0))
    if outside.any():
        raise EstimationError(
            f"{int(outside.sum())} answers lie outside the {book.scale.min}-{book.scale.max} scale of "
            f"{book.id!r} ({_examples(rows, outside, [*keys, item, response])}); validate the responses first"
        )
    repeated = rows.duplicated([*keys, item], keep=False).to_numpy()
    if repeated.any():
        raise EstimationError(
            f"{int(repeated.sum())} rows repeat a (respondent, wave, item) of {book.id!r} "
            f"({_examples(rows, repeated, [*keys, item])}); each item is answered once a wave"
        )
    return pos, values


def scored_values(values: np.ndarray, book: Codebook) -> np.ndarray:
    """Reverse-code the columns of a respondents x items array (codebook order)."""
    rev = np.array([it.reverse for it in book.items])
    return np.where(rev, book.scale.min + book.scale.max - values, values)


def item_matrix(
    responses: pd.DataFrame,
    codebook: Codebook,
    *,
    student: str = "student_id",
    wave: str | None = "wave",
    instrument: str = "instrument",
    item: str = "item",
    response: str = "response",
    reverse: bool = True,
) -> pd.DataFrame:
    """One instrument's answers as a respondents x items matrix.

    Parameters
    ----------
    responses
        Long survey responses; rows of other instruments are ignored.
    codebook
        The instrument's codebook.
    student, wave, instrument, item, response
        Column names.  ``wave=None`` when the table has no waves.
    reverse
        Score reverse-coded items as ``min + max - answer`` (default).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``(student, wave)`` (or ``student``), one float column per item in
        codebook order, NaN where an item was not answered; sorted by the index.
    """
    keys = [student] if wave is None else [student, wave]
    check_columns(responses, [*keys, instrument, item, response], what="survey responses")
    rows = responses.loc[responses[instrument].astype(str) == codebook.id, [*keys, item, response]]
    pos, answers = _checked(rows, codebook, keys, item, response)
    if len(keys) == 1:
        index = pd.Index(rows[student].astype(str)).unique().sort_values()
        code = index.get_indexer(rows[student].astype(str))
    else:
        pairs = pd.MultiIndex.from_arrays([rows[student].astype(str), rows[wave]])
        index = pairs.unique().sort_values()
        code = index.get_indexer(pairs)
    values = np.full((len(index), len(codebook.items)), np.nan)
    values[code, pos] = answers
    if reverse:
        values = scored_values(values, codebook)
    index = index.set_names(keys) if isinstance(index, pd.MultiIndex) else index.rename(student)
    return pd.DataFrame(values, index=index, columns=pd.Index(codebook.item_ids, name="item"))
