"""Rules that need the whole table, in SQL inside DuckDB, with the pandas path's rule names and messages.

======================================  =========================================  ======================
rule                                    pandas path                                here
======================================  =========================================  ======================
duplicate_row, duplicate_key            :func:`data_schema.keys.check_keys`        :func:`key_failures`
one failure per cell                    ``data_schema.intake._merge_failures``     :func:`drop_shadowed`
unknown_student, student_quarantined    :func:`data_schema.crosscheck.check_students`   :func:`student_failures`
unknown_instrument, unknown_item,       :func:`data_schema.crosscheck.check_responses`  :func:`response_failures`
response_outside_scale, unknown_wave
======================================  =========================================  ======================

They read the staged tables (see :mod:`data_schema.warehouse.staging`) and add their failures to
``_stage_failures``: keys with ``stage = 2``, cross-table rules with ``stage = 3``.  As in the pandas path,
the key rules look at every row read (a row already failing another rule still has its key), and the
cross-table rules only at rows that passed every single-table rule.

Examples
--------
>>> import duckdb, pandas as pd
>>> con = duckdb.connect()
>>> from data_schema.warehouse.staging import create_failures
>>> create_failures(con)
>>> _ = con.execute("CREATE TABLE employment AS SELECT * FROM (VALUES (2, 'a', 6), (3, 'a', 6), (4, 'a', 6)) "
...                 "t(\\"row\\", student_id, months_after_graduation)")
>>> key_failures(con, "employment", ["student_id", "months_after_graduation"])
>>> con.execute("SELECT \\"row\\", rule, message FROM _stage_failures ORDER BY \\"row\\"").fetchall()[0]
(3, 'duplicate_row', 'exact duplicate of row 2; the first copy is kept')
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from data_schema.codebook import Codebook
from data_schema.errors import ProgevalError
from data_schema.intake import table_spec
from data_schema.warehouse.staging import FAILURES, STAGE_PREFIX, quote

__all__ = ["key_failures", "drop_shadowed", "held_rows", "student_failures", "response_failures"]

_KEY_KINDS = ("text", "code", "integer")
"""Kinds whose SQL text equals pandas' ``astype(str)`` (the value of a ``duplicate_key`` failure)."""

_ROW = quote("row")
_HELD = quote(f"{STAGE_PREFIX}held")
_KNOWN = quote(f"{STAGE_PREFIX}known")
_HELD_STUDENTS = quote(f"{STAGE_PREFIX}held_students")


def _key_columns(table: str, columns: list[str]) -> list[str]:
    spec = table_spec(table)
    if spec.key is None:
        return list(columns)
    odd = [c for c in spec.key if spec.kind(c) not in _KEY_KINDS]
    if odd:
        raise ProgevalError(f"key column(s) {odd} of {table} are not text or integer; the SQL key check "
                            "formats key values as text and integers only")
    return list(spec.key)


def key_failures(con: Any, table: str, columns: list[str]) -> None:
    """Add ``duplicate_row`` and ``duplicate_key`` failures of ``table`` (the rules of :func:`check_keys`).

    Rows whose key columns are all present and shared with another row are compared on every column: the
    later exact copies fail ``duplicate_row`` (naming the first copy), and first copies that still share
    a key with another fail ``duplicate_key``.  Keys are first hashed, so the exact comparison runs only
    on the few rows whose hash occurs twice.
    """
    subset = _key_columns(table, columns)
    keys = ", ".join(quote(c) for c in subset)
    every = ", ".join(quote(c) for c in columns)
    complete = " AND ".join(f"{quote(c)} IS NOT NULL" for c in subset)
    value = " || ' | ' || ".join(f"CAST({quote(c)} AS VARCHAR)" for c in subset)
    con.execute(
        f"""
        INSERT INTO {FAILURES}
        WITH candidates AS (
            SELECT hash({keys}) AS h FROM {quote(table)} WHERE {complete} GROUP BY h HAVING count(*) > 1
        ), shared AS (
            SELECT * FROM (
                SELECT {_ROW}, {every}, count(*) OVER (PARTITION BY {keys}) AS n_key
                FROM {quote(table)} WHERE {complete} AND hash({keys}) IN (SELECT h FROM candidates)
            ) WHERE n_key > 1
        ), copies AS (
            SELECT *, min({_ROW}) OVER (PARTITION BY {every}) AS first_copy FROM shared
        ), clash AS (
            SELECT {_ROW}, {value} AS value, count(*) OVER (PARTITION BY {keys}) AS size,
                   min({_ROW}) OVER (PARTITION BY {keys}) AS first_row
            FROM copies WHERE {_ROW} = first_copy
        )
        SELECT $table, {_ROW}, '(row)', '', 'duplicate_row',
               'exact duplicate of row ' || CAST(first_copy AS VARCHAR) || '; the first copy is kept', 2, 0
        FROM copies WHERE {_ROW} <> first_copy
        UNION ALL
        SELECT $table, {_ROW}, $column, value, 'duplicate_key',
               $shared || CAST(size AS VARCHAR) || ' rows with different values (first on row '
               || CAST(first_row AS VARCHAR) || '); all are quarantined', 2, 1
        FROM clash WHERE size > 1
        """,
        {"table": table, "column": subset[0], "shared": f"{' + '.join(subset)} is shared by "},
    )


def drop_shadowed(con: Any, table: str) -> None:
    """Keep one failure per cell as the pandas path does, once the key failures are in.

    A cell that failed coercion is empty afterwards, so a later rule failing on the same row and column
    is not reported.  The pandas path (``_merge_failures``) drops every failure after the first of its
    row and column, in the order coercion, rules, keys, and does so only when the file has any coercion
    failure at all; so does this.
    """
    con.execute(
        f"""
        DELETE FROM {FAILURES} WHERE rowid IN (
            SELECT rowid FROM (
                SELECT rowid, stage,
                       row_number() OVER (PARTITION BY {_ROW}, {quote('column')} ORDER BY stage, seq) AS k
                FROM {FAILURES} WHERE tbl = $table
            ) WHERE k > 1 AND stage > 0
        ) AND EXISTS (SELECT 1 FROM {FAILURES} WHERE tbl = $table AND stage = 0)
        """,
        {"table": table},
    )


def held_rows(con: Any) -> None:
    """Record the rows of every table that failed a single-table rule (``_stage_held``), before cross-checks."""
    con.execute(f"CREATE OR REPLACE TABLE {_HELD} AS SELECT DISTINCT tbl, {_ROW} FROM {FAILURES}")


def _valid(table: str, columns: str) -> str:
    """The rows of ``table`` that passed every single-table rule (an anti-join on the few held rows)."""
    return (f"(SELECT {columns} FROM {quote(table)} t ANTI JOIN (SELECT {_ROW} FROM {_HELD} WHERE tbl = '{table}') h "
            f"ON h.{_ROW} = t.{_ROW})")


def student_failures(con: Any, tables: list[str]) -> None:
    """Add ``unknown_student`` and ``student_quarantined`` failures to each of ``tables`` but students."""
    con.execute(f"CREATE OR REPLACE TABLE {_KNOWN} AS SELECT DISTINCT student_id FROM "
                f"{_valid('students', 'student_id')}")
    con.execute(
        f"""CREATE OR REPLACE TABLE {_HELD_STUDENTS} AS
        SELECT DISTINCT student_id FROM students s SEMI JOIN (SELECT {_ROW} FROM {_HELD} WHERE tbl = 'students') h
        ON h.{_ROW} = s.{_ROW}
        WHERE student_id IS NOT NULL AND student_id NOT IN (SELECT student_id FROM {_KNOWN})"""
    )
    for table in tables:
        if table == "students":
            continue
        con.execute(
            f"""
            INSERT INTO {FAILURES}
            SELECT $table, v.{_ROW}, 'student_id', v.student_id,
                   CASE WHEN q.student_id IS NULL THEN 'unknown_student' ELSE 'student_quarantined' END,
                   CASE WHEN q.student_id IS NULL THEN 'student id not found in the students file'
                        ELSE 'the student''s row in the students file was quarantined' END, 3, 0
            FROM {_valid(table, f'{_ROW}, student_id')} v
            LEFT JOIN {_HELD_STUDENTS} q ON q.student_id = v.student_id
            WHERE v.student_id NOT IN (SELECT student_id FROM {_KNOWN})
            """,
            {"table": table},
        )


def _codebook_frames(codebooks: Mapping[str, Codebook]) -> tuple[pd.DataFrame, pd.DataFrame]:
    scales = pd.DataFrame(
        [(name, float(b.scale.min), float(b.scale.max), f"outside the {b.scale.min}-{b.scale.max} scale of {name}")
         for name, b in codebooks.items()],
        columns=["instrument", "low", "high", "message"],
    )
    items = pd.DataFrame([(b.id, i) for b in codebooks.values() for i in b.item_ids], columns=["instrument", "item"])
    return scales.astype({"instrument": "str", "message": "str"}), items.drop_duplicates().astype("str")


def response_failures(con: Any, codebooks: Mapping[str, Codebook], waves: Mapping[int, str]) -> None:
    """Add the instrument, item, scale and wave failures of survey responses (:func:`check_responses`)."""
    scales, items = _codebook_frames(codebooks)
    con.register("_scales", scales)
    con.register("_items", items)
    con.register("_waves", pd.DataFrame({"wave": pd.array(list(waves), dtype="int64")}))
    labels = ", ".join(f"{k} = {v}" for k, v in sorted(waves.items()))
    valid = _valid("survey_responses", f"{_ROW}, instrument, item, response, wave")
    try:
        con.execute(
            f"""
            INSERT INTO {FAILURES}
            WITH flagged AS MATERIALIZED (
                SELECT v.{_ROW}, v.instrument, v.item, v.response, v.wave, s.message AS scale_message,
                       s.instrument IS NULL AS no_book,
                       s.instrument IS NOT NULL AND i.item IS NULL AS no_item,
                       coalesce(v.response < s.low OR v.response > s.high, false) AS outside,
                       w.wave IS NULL AS no_wave
                FROM {valid} v
                LEFT JOIN _scales s ON s.instrument = v.instrument
                LEFT JOIN _items i ON i.instrument = v.instrument AND i.item = v.item
                LEFT JOIN _waves w ON w.wave = v.wave
                WHERE s.instrument IS NULL OR i.item IS NULL OR v.response < s.low OR v.response > s.high
                   OR w.wave IS NULL
            )
            SELECT 'survey_responses', {_ROW}, 'instrument', instrument, 'unknown_instrument', $instrument, 3, 0
            FROM flagged WHERE no_book
            UNION ALL
            SELECT 'survey_responses', {_ROW}, 'item', item, 'unknown_item', $item, 3, 1 FROM flagged WHERE no_item
            UNION ALL
            SELECT 'survey_responses', {_ROW}, 'response', CAST(response AS VARCHAR), 'response_outside_scale',
                   scale_message, 3, 2
            FROM flagged WHERE outside
            UNION ALL
            SELECT 'survey_responses', {_ROW}, 'wave', CAST(wave AS VARCHAR), 'unknown_wave', $wave, 3, 3
            FROM flagged WHERE no_wave
            """,
            {"instrument": "no codebook for this instrument (known: " + ", ".join(sorted(codebooks)) + ")",
             "item": "item not in the instrument's codebook",
             "wave": f"wave not labelled in the study config ({labels})"},
        )
    finally:
        for name in ("_scales", "_items", "_waves"):
            con.unregister(name)
