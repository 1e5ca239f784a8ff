"""Certification indicators: HSK level attained and gained, HSK target reached, e-commerce certificate, both.

The CBEC-ICE programs set a "dual certification" goal: a Chinese-language
certificate (HSK at a target level) and a cross-border e-commerce certificate.
:func:`certification_indicators` turns the assessment rows into one row a
student with these measures.

Definitions
-----------
- ``hsk_level``: the highest ``level`` over the student's rows of the HSK assessment (several sittings
  count as attempts; the best one is the level attained).  Rows without a level are ignored.
- ``hsk_gain``: ``hsk_level - prior_hsk_level`` (students table; 0 = no prior HSK); NaN when the prior level
  is not recorded.
- ``hsk_target_rate``: 1 when ``hsk_level >= target``.
- ``certificate_pass_rate``: 1 when any certificate row has ``passed`` true, 0 when every row with a
  recorded result is false; NaN when no row records ``passed`` (a score alone does not say whether the
  student passed: pass marks differ by certificate and year).
- ``dual_certification_rate``: over students with both an HSK level and a certificate result, 1 when the HSK
  target is reached and the certificate passed.

Examples
--------
>>> import pandas as pd
>>> students = pd.DataFrame({"student_id": ["a", "b", "c"], "program": "integrated", "prior_hsk_level": [2, 3, 0]})
>>> assessments = pd.DataFrame({"student_id": ["a", "a", "b", "b", "c"],
...     "assessment": ["hsk", "cbec_certificate", "hsk", "hsk", "cbec_certificate"],
...     "level": pd.array([4, None, 3, 5, None], dtype="Int64"),
...     "passed": pd.array([None, True, None, None, False], dtype="boolean")})
>>> f = certification_indicators(students, assessments, hsk_target=4)
>>> f[["student_id", "hsk_level", "hsk_gain", "hsk_target_rate"]]
  student_id  hsk_level  hsk_gain  hsk_target_rate
0          a        4.0       2.0              1.0
1          b        5.0       2.0              1.0
2          c        NaN       NaN              NaN
>>> f[["certificate_pass_rate", "dual_certification_rate"]].to_numpy().tolist()
[[1.0, 1.0], [nan, nan], [0.0, nan]]
"""

from __future__ import annotations

from typing import TYPE_CHECKING, overload

import numpy as np
import pandas as pd

from data_schema.arguments import check_columns
from data_schema.engine import is_engine_table
from data_schema.errors import ArgumentError

if TYPE_CHECKING:
    from ibis.expr.types import Table

__all__ = ["certification_indicators", "CERTIFICATION_COLUMNS"]

CERTIFICATION_COLUMNS = ("hsk_level", "hsk_gain", "hsk_target_rate", "certificate_pass_rate",
                         "dual_certification_rate")
"""The indicator columns :func:`certification_indicators` adds."""


def _best_level(assessments: pd.DataFrame, hsk: str) -> pd.Series:
    rows = assessments[assessments["assessment"] == hsk]
    level = rows["level"].astype("Float64")
    return level.groupby(rows["student_id"]).max().astype(float)


def _passed(assessments: pd.DataFrame, certificate: str) -> pd.Series:
    rows = assessments[assessments["assessment"] == certificate]
    passed = rows["passed"].astype("boolean")
    known = rows[passed.notna()]
    return known["passed"].astype(bool).groupby(known["student_id"]).any().astype(float)


def _engine_indicators(students: Table, assessments: Table, *, hsk_target: int, hsk: str,
                       certificate: str) -> Table:
    """The definitions of :func:`_best_level`, :func:`_passed` and below, as one engine query (lazy)."""
    import ibis

    rows = assessments.filter(assessments["assessment"] == hsk)
    best = rows.group_by("student_id").aggregate(_best_level=rows["level"].cast("float64").max())
    rows = assessments.filter((assessments["assessment"] == certificate) & assessments["passed"].notnull())
    passed = rows.group_by("student_id").aggregate(_any_passed=rows["passed"].cast("boolean").any())
    joined = students.left_join(best, "student_id").left_join(passed, "student_id")
    joined = joined.select(*students.columns, "_best_level", "_any_passed")
    level, passed_ = joined["_best_level"], joined["_any_passed"].cast("float64")
    prior = (joined["prior_hsk_level"].cast("float64") if "prior_hsk_level" in students.columns
             else ibis.null("float64"))
    missing = ibis.null("float64")
    target = ibis.ifelse(level.isnull(), missing, (level >= hsk_target).cast("float64"))
    dual = ibis.ifelse(target.isnull() | passed_.isnull(), missing,
                       ((target == 1) & (passed_ == 1)).cast("float64"))
    values = (level, level - prior, target, passed_, dual)
    out = joined.mutate(**{n: v.cast("float64") for n, v in zip(CERTIFICATION_COLUMNS, values, strict=True)})
    return out.drop("_best_level", "_any_passed")


@overload
def certification_indicators(students: pd.DataFrame, assessments: pd.DataFrame, *, hsk_target: int = ...,
                             hsk: str = ..., certificate: str = ...) -> pd.DataFrame: ...
@overload
def certification_indicators(students: Table, assessments: Table, *, hsk_target: int = ..., hsk: str = ...,
                             certificate: str = ...) -> Table: ...
def certification_indicators(
    students: pd.DataFrame | Table,
    assessments: pd.DataFrame | Table,
    *,
    hsk_target: int = 4,
    hsk: str = "hsk",
    certificate: str = "cbec_certificate",
) -> pd.DataFrame | Table:
    """One row a student with the certification indicators (definitions in the module notes).

    Parameters
    ----------
    students
        The students table; ``student_id`` and, for the gain, ``prior_hsk_level``.  Every column is kept.
        A pandas DataFrame or a table in a query engine (an Ibis table; then ``assessments`` too).
    assessments
        The assessments table (``student_id``, ``assessment``, ``level``, ``passed``), of the same kind.
    hsk_target
        HSK level that counts as reaching the target (1-9; the study config's ``outcomes.hsk_target_level``).
    hsk, certificate
        Names of the HSK and e-commerce certificate assessments.

    Returns
    -------
    pandas.DataFrame or ibis.expr.types.Table
        The students' columns plus :data:`CERTIFICATION_COLUMNS` as floats (NaN outside each indicator's
        population), in the students' order; for engine tables a lazy engine table with the same columns
        (NULL for NaN, no row order) that :func:`outcomes.summarise` reduces inside the engine.

    Notes
    -----
    The engine version (:func:`_engine_indicators`) states the same definitions as Ibis expressions beside
    the pandas ones; tests/test_outcomes_engine.py checks that both give the same values.
    """
    check_columns(students, ["student_id"], what="students")
    check_columns(assessments, ["student_id", "assessment", "level", "passed"], what="assessments")
    if not 1 <= int(hsk_target) <= 9:
        raise ArgumentError(f"hsk_target={hsk_target!r} is not an HSK level; use 1-9")
    engine = is_engine_table(students), is_engine_table(assessments)
    if any(engine):
        if not all(engine):
            raise ArgumentError("students and assessments must both be pandas DataFrames or both tables of one "
                                f"query engine; received {type(students).__name__} and "
                                f"{type(assessments).__name__}")
        return _engine_indicators(students, assessments, hsk_target=hsk_target, hsk=hsk, certificate=certificate)
    ids = students["student_id"]
    level = ids.map(_best_level(assessments, hsk)).to_numpy(dtype=float)
    passed = ids.map(_passed(assessments, certificate)).to_numpy(dtype=float)
    prior = (students["prior_hsk_level"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
             if "prior_hsk_level" in students.columns else np.full(len(students), np.nan))
    target = np.where(np.isnan(level), np.nan, level >= hsk_target)
    dual = np.where(np.isnan(target) | np.isnan(passed), np.nan, (target == 1) & (passed == 1))
    out = students.reset_index(drop=True).copy()
    for name, values in zip(CERTIFICATION_COLUMNS, (level, level - prior, target, passed, dual), strict=True):
        out[name] = values.astype(float)
    return out
