"""Cross-table rules, checked when a whole study is loaded.

=====================  =====================================================
rule                   meaning
=====================  =====================================================
unknown_student        the student id is not in the students file
student_quarantined    the student's own row in the students file was quarantined
unknown_instrument     no codebook for the instrument
unknown_item           the item is not in the instrument's codebook
response_outside_scale the answer lies outside the instrument's scale
unknown_wave           the wave is not labelled in the study config
=====================  =====================================================

They run on the rows that passed the single-table rules.

Examples
--------
>>> import pandas as pd
>>> rows = pd.DataFrame({"student_id": ["a", "z"]}, index=pd.Index([2, 3], name="row"))
>>> check_students(rows, known={"a"}, quarantined=set())[["row", "rule"]].values.tolist()
[[3, 'unknown_student']]
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from data_schema.codebook import Codebook
from data_schema.coerce import failure_frame

__all__ = ["check_students", "check_responses"]


def _pick(frame: pd.DataFrame, mask: np.ndarray, column: str, rule: str, message: str) -> pd.DataFrame:
    return failure_frame(frame.index[mask], column, frame.loc[mask, column].astype("str"), rule, message)


def check_students(frame: pd.DataFrame, *, known: set[str], quarantined: set[str]) -> pd.DataFrame:
    """Rows whose student is absent from, or quarantined in, the students file."""
    ids = frame["student_id"]
    missing = ~ids.isin(known).to_numpy()
    held = missing & ids.isin(quarantined).to_numpy()
    orphan = missing & ~held
    return pd.concat(
        [
            _pick(frame, orphan, "student_id", "unknown_student", "student id not found in the students file"),
            _pick(frame, held, "student_id", "student_quarantined",
                  "the student's row in the students file was quarantined"),
        ],
        ignore_index=True,
    )


def check_responses(frame: pd.DataFrame, codebooks: Mapping[str, Codebook], waves: Mapping[int, str]) -> pd.DataFrame:
    """Instrument, item, scale and wave rules for survey responses."""
    parts = []
    instrument = frame["instrument"]
    known = instrument.isin(list(codebooks)).to_numpy()
    parts.append(_pick(frame, ~known, "instrument", "unknown_instrument",
                       "no codebook for this instrument (known: " + ", ".join(sorted(codebooks)) + ")"))
    pairs = pd.MultiIndex.from_tuples([(b.id, i) for b in codebooks.values() for i in b.item_ids])
    item_ok = pd.MultiIndex.from_arrays([instrument, frame["item"]]).isin(pairs)
    parts.append(_pick(frame, known & ~item_ok, "item", "unknown_item", "item not in the instrument's codebook"))
    codes, names = pd.factorize(instrument)
    books = [codebooks.get(n) for n in names]
    low = np.array([b.scale.min if b else np.nan for b in books] + [np.nan])[codes]
    high = np.array([b.scale.max if b else np.nan for b in books] + [np.nan])[codes]
    response = frame["response"].to_numpy(dtype="float64", na_value=np.nan)
    outside = known & ((response < low) | (response > high))
    for name in pd.unique(instrument[outside]):
        book = codebooks[name]
        mask = outside & (instrument == name).to_numpy()
        parts.append(_pick(frame, mask, "response", "response_outside_scale",
                           f"outside the {book.scale.min}-{book.scale.max} scale of {name}"))
    wave_ok = frame["wave"].isin(list(waves)).to_numpy()
    labels = ", ".join(f"{k} = {v}" for k, v in sorted(waves.items()))
    parts.append(_pick(frame, ~wave_ok, "wave", "unknown_wave", f"wave not labelled in the study config ({labels})"))
    return pd.concat(parts, ignore_index=True)
