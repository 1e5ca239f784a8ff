"""Validate one chunk of rows with the intake's own functions and append it to the database.

Everything that depends on one row only runs here, per chunk, through the same functions
:func:`~data_schema.intake.read_table` calls on a whole file: header matching, coercion (with its repairs
and failures), pseudonymisation, the field-count check and the pandera rules.  What depends on the whole
table (duplicate keys, which failure of a cell is reported, cross-table rules) is left to
:mod:`data_schema.warehouse.whole_table`, which runs in SQL over the rows appended here.

For each table three things are appended:

``"<table>"``
    every row read, typed (``row`` = the file's row number, then the canonical columns); the rows that
    end up quarantined are deleted at the end, so what remains are the valid rows;
``"_stage_text_<table>"``
    the values as read, as text (what a quarantined row shows), of the rows whose text cannot be told
    from their typed values: rows that failed a rule here, and rows with a repaired value; without
    ``student_id``, which a quarantined row shows pseudonymised (a raw student number is never written);
``"_stage_failures"``
    one row a failing cell, with its ``stage`` (0 = coercion and field count, 1 = rules, 2 = keys,
    3 = cross-table) and ``seq`` (its place within the stage), which settle which failure of a cell is
    reported, as the intake settles it.

Examples
--------
>>> import pandas as pd
>>> from data_schema.readers import RawTable
>>> frame = pd.DataFrame({"student_id": ["S1", "S2", "S3"], "months_after_graduation": ["6", "x", "12"],
...                       "status": ["seeking", "seeking", "Seeking"]}, index=pd.Index([2, 3, 4], name="row"))
>>> chunk = validate_chunk(RawTable(frame, "e.csv", "csv", "line"), "employment", key=b"k" * 32)
>>> chunk.failures[["row", "rule", "stage"]].values.tolist()  # the second is shadowed by the first later
[[3, 'not_integer', 0], [3, 'missing_required', 1]]
>>> chunk.text.index.tolist(), chunk.fixes[0]["fix"]
([3, 4], 'case_normalised')
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa

from data_schema.coerce import FAILURE_COLUMNS, to_text
from data_schema.columns import ColumnMatch, match_columns

# the intake's own per-file steps, applied to each chunk so both paths coerce and report alike
from data_schema.intake import _coerce, _field_count_failures, table_spec
from data_schema.pseudonym import pseudonymise
from data_schema.readers import RawTable
from data_schema.report import FIX_COLUMNS
from data_schema.rules import check_rules

__all__ = ["ValidatedChunk", "validate_chunk", "create_failures", "create_stage", "append_chunk", "drop_stage",
           "drop_table_stage", "FixTally", "SQL_TYPES", "STAGE_PREFIX", "FAILURES", "quote", "text_table", "typed_text"]

STAGE_PREFIX = "_stage_"
"""Prefix of the working tables, dropped before the database is finished."""

FAILURES = f'"{STAGE_PREFIX}failures"'
"""The working table of failing cells (all tables)."""

SQL_TYPES = {"text": "VARCHAR", "code": "VARCHAR", "integer": "BIGINT", "number": "DOUBLE",
             "date": "TIMESTAMP", "boolean": "BOOLEAN"}
"""DuckDB type of each column kind (see :mod:`data_schema.schemas.fields`)."""

_STAGE_FAILURE_COLUMNS = ["tbl", *FAILURE_COLUMNS, "stage", "seq"]


def quote(name: str) -> str:
    """A SQL identifier in double quotes.

    Examples
    --------
    >>> quote("row")
    '"row"'
    """
    return '"' + name.replace('"', '""') + '"'


def text_table(table: str) -> str:
    """The working table of rows of ``table`` kept as text.

    Examples
    --------
    >>> text_table("students")
    '"_stage_text_students"'
    """
    return quote(f"{STAGE_PREFIX}text_{table}")


def typed_text(typed: pd.DataFrame, column: str, *, empty_is_blank: bool) -> pd.Series:
    """A typed column as the text a file holding it would show; missing values as ``""`` when ``empty_is_blank``.

    CSV files hold no missing values, only empty text, so a missing typed value of a CSV row was read
    as ``""`` (anything else would have been repaired or quarantined).

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"n": pd.array([3, None], dtype="Int64")})
    >>> typed_text(frame, "n", empty_is_blank=True).tolist()
    ['3', '']
    """
    text = to_text(typed[column])
    return text.fillna("") if empty_is_blank else text


class ValidatedChunk(NamedTuple):
    """One chunk after the row-level steps.

    Attributes
    ----------
    match
        The header match (the same for every chunk of a file).
    typed
        Typed canonical columns, ``student_id`` pseudonymised, index = the file's row numbers.
    text
        The values as read, as text, of the rows that failed a rule here or had a value repaired
        (without ``student_id``); other rows show as :func:`typed_text` of their typed values.
    failures
        Failing cells: ``row, column, value, rule, message, stage, seq``; ``None`` when there are none.
    fixes
        Repairs made: ``{"table", "column", "fix", "count"}`` records.
    """

    match: ColumnMatch
    typed: pd.DataFrame
    text: pd.DataFrame
    failures: pd.DataFrame | None
    fixes: list[dict]


def _numbered(parts: list[pd.DataFrame], stage: int) -> pd.DataFrame | None:
    parts = [p for p in parts if not p.empty]
    if not parts:
        return None
    frame = pd.concat(parts, ignore_index=True)[FAILURE_COLUMNS]
    return frame.assign(stage=np.int8(stage), seq=np.arange(len(frame), dtype="int64"))


def _text_rows(raw: RawTable, match: ColumnMatch, typed: pd.DataFrame, failures: pd.DataFrame | None) -> pd.DataFrame:
    """The rows whose text differs from their typed values' text, or that failed a rule, as text."""
    columns = [c for c in match.frame.columns if c != "student_id"]
    text = pd.DataFrame({c: to_text(match.frame[c]) for c in columns}, index=match.frame.index)
    keep = np.zeros(len(text), dtype=bool)
    if failures is not None:
        keep |= text.index.isin(failures["row"])
    for c in columns:
        # coercion maps each distinct value read to one typed value, so compare distinct values only
        codes, uniques = pd.factorize(text[c], use_na_sentinel=False)
        first = np.unique(codes, return_index=True)[1]
        expected = typed_text(typed.iloc[first], c, empty_is_blank=raw.format == "csv").reset_index(drop=True)
        shown = pd.Series(np.asarray(uniques, dtype=object), dtype="str")
        same = (shown == expected).fillna(False).to_numpy(dtype=bool) | (shown.isna() & expected.isna()).to_numpy()
        keep |= ~same[codes]
    return text[keep]


def validate_chunk(raw: RawTable, table: str, *, key: bytes) -> ValidatedChunk:
    """Match, coerce, pseudonymise and check one chunk as :func:`~data_schema.intake.read_table` does a file."""
    spec = table_spec(table)
    match = match_columns(raw, spec)
    typed, coercion, fixes = _coerce(match.frame, spec, table)
    if "student_id" in typed:
        typed["student_id"] = pseudonymise(typed["student_id"], key)
    coercion.extend(_field_count_failures(raw))
    parts = [p for p in (_numbered(coercion, 0), _numbered([check_rules(typed, spec)], 1)) if p is not None]
    failures = pd.concat(parts, ignore_index=True) if parts else None
    return ValidatedChunk(match, typed, _text_rows(raw, match, typed, failures), failures, fixes)


def _columns_sql(columns: list[tuple[str, str]]) -> str:
    return ", ".join(f"{quote(name)} {kind}" for name, kind in [("row", "BIGINT"), *columns])


def create_failures(con: Any) -> None:
    """Create the working table of failing cells, shared by all tables."""
    con.execute(f"CREATE TABLE {FAILURES} (tbl VARCHAR, {quote('row')} BIGINT, {quote('column')} VARCHAR, "
                "value VARCHAR, rule VARCHAR, message VARCHAR, stage TINYINT, seq BIGINT)")


def create_stage(con: Any, table: str, match: ColumnMatch) -> None:
    """Create ``table`` and its text working table for the columns the file has."""
    spec = table_spec(table)
    typed = [(c, SQL_TYPES[spec.kind(c)]) for c in match.frame.columns]
    text = [(c, "VARCHAR") for c in match.frame.columns if c != "student_id"]
    con.execute(f"CREATE TABLE {quote(table)} ({_columns_sql(typed)})")
    con.execute(f"CREATE TABLE {text_table(table)} ({_columns_sql(text)})")


def drop_table_stage(con: Any, table: str) -> None:
    """Forget what was appended for ``table`` (before its file is read again with another parser)."""
    con.execute(f"DROP TABLE IF EXISTS {quote(table)}")
    con.execute(f"DROP TABLE IF EXISTS {text_table(table)}")
    con.execute(f"DELETE FROM {FAILURES} WHERE tbl = ?", [table])


def drop_stage(con: Any) -> None:
    """Drop every working table."""
    names = con.execute("SELECT table_name FROM duckdb_tables() WHERE starts_with(table_name, ?)",
                        [STAGE_PREFIX]).fetchall()
    for (name,) in names:
        con.execute(f"DROP TABLE {quote(name)}")


def _insert(con: Any, target: str, frame: pd.DataFrame) -> None:
    if frame.empty:
        return
    arrow = pa.Table.from_pandas(frame, preserve_index=False)
    con.register("_chunk", arrow)
    try:
        names = ", ".join(quote(str(c)) for c in frame.columns)
        con.execute(f"INSERT INTO {target} ({names}) SELECT {names} FROM _chunk")
    finally:
        con.unregister("_chunk")


def append_chunk(con: Any, table: str, chunk: ValidatedChunk) -> None:
    """Append a validated chunk to ``table`` and its working tables."""
    _insert(con, quote(table), chunk.typed.reset_index())
    _insert(con, text_table(table), chunk.text.reset_index())
    if chunk.failures is not None:
        _insert(con, FAILURES, chunk.failures.assign(tbl=table)[_STAGE_FAILURE_COLUMNS])


class FixTally:
    """Repairs counted over the chunks of one file, in the order :func:`~data_schema.intake.read_table` lists them.

    The intake lists a file's repairs column by column, and within a column trimming first (coercion
    trims before it lower-cases or rewrites a date); a chunk may meet them in another order, so the
    tally sorts them back.

    Examples
    --------
    >>> tally = FixTally(["a", "b"])
    >>> tally.add([{"table": "t", "column": "b", "fix": "case_normalised", "count": 2}])
    >>> tally.add([{"table": "t", "column": "b", "fix": "whitespace_trimmed", "count": 1},
    ...            {"table": "t", "column": "a", "fix": "date_normalised", "count": 3}])
    >>> tally.frame().values.tolist()
    [['t', 'a', 'date_normalised', 3], ['t', 'b', 'whitespace_trimmed', 1], ['t', 'b', 'case_normalised', 2]]
    """

    def __init__(self, columns: list[str]) -> None:
        self.columns = list(columns)
        self.counts: dict[tuple[str, str, str], int] = {}

    def add(self, fixes: list[dict]) -> None:
        """Add one chunk's repair records."""
        for fix in fixes:
            slot = (fix["table"], fix["column"], fix["fix"])
            self.counts[slot] = self.counts.get(slot, 0) + int(fix["count"])

    def frame(self) -> pd.DataFrame:
        """``table, column, fix, count``, one row a repair."""
        order = sorted(self.counts, key=lambda s: (self.columns.index(s[1]), s[2] != "whitespace_trimmed"))
        rows = [{"table": t, "column": c, "fix": f, "count": self.counts[(t, c, f)]} for t, c, f in order]
        return pd.DataFrame(rows, columns=FIX_COLUMNS)
