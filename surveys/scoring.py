"""Scale scores: one row a student x wave with the scale and subscale scores of each instrument.

Notes
-----
For a scale (or subscale) of :math:`k` items of which a respondent answered the
set :math:`A`, after reverse coding (``min + max - answer``):

* ``mean`` scoring: :math:`\\bar x_A = \\frac{1}{|A|}\\sum_{m \\in A} x_m`;
* ``sum`` scoring: the prorated sum :math:`k\\,\\bar x_A`, so a missing item
  does not pull the sum towards zero (the "half-scale" rule of Ware et al. for
  the SF-36, with the codebook's share instead of one half).

The score counts only when :math:`|A| \\ge \\lceil s\\,k \\rceil`, where :math:`s`
is the codebook's ``scoring.min_answered``; otherwise it is missing and the case
is counted in :attr:`ScoreResult.incomplete`, never dropped silently.

References
----------
Ware, J. E., Snow, K. K., Kosinski, M., & Gandek, B. (1993). *SF-36 Health Survey:
Manual and Interpretation Guide*. The Health Institute. (Scoring with missing items.)

Examples
--------
>>> import pandas as pd
>>> from data_schema.codebook import builtin_codebooks
>>> book = builtin_codebooks()["global_market_awareness"]
>>> long = pd.DataFrame({"student_id": "s1", "instrument": book.id, "wave": 0,
...                      "item": list(book.item_ids), "response": [4, 4, 2, 4, 4, 2, 4, 2]})
>>> result = score(long, book)
>>> float(result.scores.loc[0, "global_market_awareness"])
4.0
>>> result.incomplete.loc[0, ["scale", "n_respondents", "n_scored", "n_below_min_answered"]].to_dict()
{'scale': 'total', 'n_respondents': 1, 'n_scored': 1, 'n_below_min_answered': 0}
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from data_schema.codebook import Codebook
from data_schema.errors import ArgumentError
from surveys.items import item_matrix

__all__ = ["ScoreResult", "score", "TOTAL", "score_column"]

TOTAL = "total"
"""The ``scale`` label of an instrument's whole-scale score in the long tables."""


def score_column(instrument: str, scale: str = TOTAL) -> str:
    """Column name of a score in :attr:`ScoreResult.scores`: ``instrument`` or ``instrument__subscale``."""
    return instrument if scale == TOTAL else f"{instrument}__{scale}"


@dataclass(frozen=True)
class ScoreResult:
    """Scale scores and the count of scores withheld by the minimum-answered rule.

    Attributes
    ----------
    scores
        One row a respondent x wave: the key columns, then for each instrument its scale
        score (column ``instrument``) and its subscale scores (``instrument__subscale``).
        NaN where the respondent did not take the instrument that wave or answered too few items.
    long
        The same scores, tidy: key columns, ``instrument``, ``scale`` (``"total"`` or the
        subscale id), ``score``, ``n_items``, ``n_answered``, ``scored`` (bool).
    incomplete
        Per instrument x scale x wave: ``n_items``, ``min_answered`` (items needed),
        ``n_respondents``, ``n_scored`` and ``n_below_min_answered`` (score withheld).
    """

    scores: pd.DataFrame
    long: pd.DataFrame
    incomplete: pd.DataFrame

    @property
    def n_withheld(self) -> int:
        """Scores withheld because too few items were answered, over all scales and waves."""
        return int(self.incomplete["n_below_min_answered"].sum())

    def summary(self) -> str:
        """One line a scale: how many scores were formed and how many withheld."""
        lines = []
        for r in self.incomplete.itertuples(index=False):
            where = "" if "wave" not in self.incomplete else f" wave {r.wave}"
            lines.append(f"{score_column(r.instrument, r.scale)}{where}: {r.n_scored} scored, "
                         f"{r.n_below_min_answered} withheld (fewer than {r.min_answered} of {r.n_items} items)")
        return "\n".join(lines)


def _scales(book: Codebook) -> list[tuple[str, np.ndarray]]:
    ids = np.array([it.subscale for it in book.items], dtype=object)
    scales = [(TOTAL, np.ones(len(book.items), dtype=bool))]
    return scales + [(sub.id, ids == sub.id) for sub in book.subscales]


def _score_one(matrix: pd.DataFrame, book: Codebook, share: float) -> pd.DataFrame:
    """Long scores of one instrument's scales; ``min_answered`` holds the items needed."""
    values = matrix.to_numpy()
    keys = matrix.index.to_frame(index=False)
    parts = []
    for name, cols in _scales(book):
        sub = values[:, cols]
        k = int(cols.sum())
        need = max(1, math.ceil(share * k - 1e-9))
        answered = (~np.isnan(sub)).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.nansum(sub, axis=1) / answered
        ok = answered >= need
        value = np.where(ok, mean * (k if book.scoring.method == "sum" else 1), np.nan)
        parts.append(keys.assign(instrument=book.id, scale=name, score=value, n_items=k, n_answered=answered,
                                 scored=ok, min_answered=need))
    return pd.concat(parts, ignore_index=True)


def _incomplete(long: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    by = ["instrument", "scale", *keys[1:], "n_items", "min_answered"]
    table = (long.groupby(by, sort=False)["scored"]
             .agg(n_respondents="size", n_scored="sum").reset_index())
    table["n_below_min_answered"] = table["n_respondents"] - table["n_scored"]
    return table.sort_values(["instrument", *keys[1:]], kind="stable", ignore_index=True)


def score(
    responses: pd.DataFrame,
    codebooks: Codebook | Mapping[str, Codebook],
    *,
    student: str = "student_id",
    wave: str | None = "wave",
    min_answered: float | None = None,
) -> ScoreResult:
    """Score one or more instruments: scale and subscale scores a respondent x wave.

    Parameters
    ----------
    responses
        Long survey responses (``student_id, instrument, wave, item, response``), validated.
    codebooks
        One codebook, or a mapping of codebooks by id; each is scored from its own rows.
    student, wave
        Key column names; ``wave=None`` when the table has no waves.
    min_answered
        Share of a scale's items that must be answered for a score, overriding the
        codebooks' ``scoring.min_answered``; between 0 (exclusive) and 1.

    Returns
    -------
    ScoreResult
        Wide and long scores and the table of scores withheld by the minimum-answered rule.

    Raises
    ------
    EstimationError
        When responses name unknown items, lie outside the scale or repeat an item.
    """
    books = {codebooks.id: codebooks} if isinstance(codebooks, Codebook) else dict(codebooks)
    if min_answered is not None and not 0 < min_answered <= 1:
        raise ArgumentError(f"min_answered={min_answered!r} must be a share in (0, 1], e.g. 0.8")
    keys = [student] if wave is None else [student, wave]
    longs = []
    for book in books.values():
        matrix = item_matrix(responses, book, student=student, wave=wave)
        share = book.scoring.min_answered if min_answered is None else min_answered
        longs.append(_score_one(matrix, book, share))
    long = pd.concat(longs, ignore_index=True)
    incomplete = _incomplete(long, keys)
    long = long.drop(columns="min_answered")
    order = [score_column(b.id, s) for b in books.values() for s, _ in _scales(b)]
    wide = (long.assign(column=[score_column(i, s) for i, s in zip(long["instrument"], long["scale"], strict=True)])
            .pivot(index=keys, columns="column", values="score")
            .reindex(columns=order).reset_index())
    wide.columns.name = None
    return ScoreResult(scores=wide, long=long, incomplete=incomplete)
