"""Match a file's header to a table's canonical columns.

Names are compared after trimming, lower-casing and turning inner spaces and
hyphens into underscores, so ``" Student ID"`` matches ``student_id``.  Direct
identifiers (``name``, ``national_id``, ``passport_no``, ``phone``, ``email``, and
their usual Chinese headers) are dropped here and never reach a frame.

Examples
--------
>>> normalise_name(" Student-ID ")
'student_id'
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from data_schema.errors import InputFileError
from data_schema.readers import RawTable
from data_schema.schemas import IDENTIFIER_COLUMNS, TableSpec

__all__ = ["ColumnMatch", "match_columns", "normalise_name", "IDENTIFIER_ALIASES"]

IDENTIFIER_ALIASES: frozenset[str] = frozenset(
    IDENTIFIER_COLUMNS
    + ("姓名", "身份证号", "身份证号码", "护照号", "护照号码", "手机", "手机号", "电话", "邮箱", "电子邮箱")
)


def normalise_name(name: object) -> str:
    """Canonical form of a header cell."""
    text = str(name).replace("\ufeff", "").strip().lower()
    return re.sub(r"[\s\-]+", "_", text)


@dataclass(frozen=True)
class ColumnMatch:
    """The canonical columns found in a file.

    Attributes
    ----------
    frame
        Raw values of the recognised columns, named canonically, contract order.
    renamed
        Header cells that differed from the canonical name: file name -> canonical.
    dropped
        Direct-identifier columns removed (as named in the file).
    unknown
        Extra columns kept out of the analysis.
    absent_optional
        Optional canonical columns the file does not have.
    """

    frame: pd.DataFrame
    renamed: dict[str, str]
    dropped: tuple[str, ...]
    unknown: tuple[str, ...]
    absent_optional: tuple[str, ...]


def match_columns(raw: RawTable, spec: TableSpec) -> ColumnMatch:
    """Pick and rename the canonical columns of ``spec`` from ``raw``.

    Raises
    ------
    InputFileError
        A required column is missing, or two header cells mean the same column.
    """
    canonical = list(spec.columns)
    seen: dict[str, str] = {}
    renamed: dict[str, str] = {}
    dropped: list[str] = []
    unknown: list[str] = []
    for original in raw.frame.columns:
        key = normalise_name(original)
        if key in IDENTIFIER_ALIASES or str(original).strip() in IDENTIFIER_ALIASES:
            dropped.append(str(original))
            continue
        if key not in canonical:
            unknown.append(str(original))
            continue
        if key in seen:
            raise InputFileError(
                raw.path, f"columns {seen[key]!r} and {original!r} both mean {key!r}",
                hint="delete or rename one of them",
            )
        seen[key] = str(original)
        if str(original) != key:
            renamed[str(original)] = key
    missing = [c for c in spec.required_columns if c not in seen]
    if missing:
        found = ", ".join(map(repr, raw.frame.columns[:12]))
        raise InputFileError(
            raw.path,
            f"missing required column{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
            f"for the {spec.name} table (found: {found})",
            hint="rename the header cells to the names in the data contract",
        )
    present = [c for c in canonical if c in seen]
    frame = raw.frame.loc[:, [seen[c] for c in present]]
    frame.columns = present
    absent = tuple(c for c in canonical if c not in seen)
    return ColumnMatch(frame, renamed, tuple(dropped), tuple(unknown), absent)
