"""Turn the staged and checked rows into the study database and its validation report.

The database a load leaves behind holds, besides DuckDB's own catalogue:

=========================  =================================================================
table                      rows
=========================  =================================================================
``<table>``                valid rows, typed: ``row`` (the file's row number) and the
                           canonical columns the file has
``quarantined_<table>``    quarantined rows as text (``student_id`` pseudonymised), with
                           ``quarantine_rules``, as :attr:`Study.quarantined` holds them
``failures``               one row a failing cell of any table:
                           ``file, table, row, column, value, rule, message``
``load_report``            one row a table: ``position, table, report`` (the JSON of
                           :meth:`TableReport.to_dict`)
=========================  =================================================================

Examples
--------
>>> quarantine_table("survey_responses")
'quarantined_survey_responses'
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pandas as pd

from data_schema.coerce import to_text
from data_schema.columns import ColumnMatch
from data_schema.intake import table_spec
from data_schema.json_safe import json_safe
from data_schema.report import FIX_COLUMNS, REPORT_FAILURE_COLUMNS, TableReport
from data_schema.study_report import StudyReport
from data_schema.warehouse.sources import SourceFacts
from data_schema.warehouse.staging import FAILURES, quote, text_table

__all__ = ["StagedFile", "write_tables", "write_failures", "table_report", "write_load_report",
           "read_load_report_from", "quarantine_table"]

_ROW = quote("row")


@dataclass(frozen=True)
class StagedFile:
    """A file read into the staging tables.

    Attributes
    ----------
    table
        Contract table name.
    facts
        Path, format, row kind, encoding and sheet of the file.
    columns
        Canonical columns the file has, in contract order.
    header
        The header match (renamed, dropped, unknown and absent columns), without its rows.
    fixes
        Repairs counted over all chunks (``table, column, fix, count``).
    n_read
        Data rows read.
    blank_rows
        Empty rows skipped.
    """

    table: str
    facts: SourceFacts
    columns: tuple[str, ...]
    header: ColumnMatch
    fixes: pd.DataFrame
    n_read: int
    blank_rows: int


def quarantine_table(table: str) -> str:
    """Name of the table holding the quarantined rows of ``table``.

    Examples
    --------
    >>> quarantine_table("employment")
    'quarantined_employment'
    """
    return f"quarantined_{table}"


def _rules() -> str:
    """Per failing row of ``$table``: its rules (sorted, ``;``-separated) and whether a cross-table rule failed."""
    return (f"(SELECT {_ROW}, string_agg(DISTINCT rule, ';' ORDER BY rule) AS rules, max(stage) = 3 AS crossed "
            f"FROM {FAILURES} WHERE tbl = $table GROUP BY {_ROW})")


def _insert_frame(con: Any, target: str, frame: pd.DataFrame) -> None:
    con.register("_rows", frame)
    try:
        con.execute(f"INSERT INTO {target} SELECT * FROM _rows")
    finally:
        con.unregister("_rows")


_PANDAS_DTYPES = {"text": "str", "code": "str", "integer": "Int64", "number": "float64", "date": "datetime64[ns]",
                  "boolean": "boolean"}
"""The dtype the intake gives each column kind; values read back from DuckDB get it again before
:func:`~data_schema.coerce.to_text`, whose output depends on the dtype (a ``boolean`` column shows
``True``, an object column of Python booleans ``true``)."""


def _as_typed(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    spec = table_spec(table)
    return frame.astype({c: _PANDAS_DTYPES[spec.kind(c)] for c in frame.columns if c in spec.columns})


def _as_shown(batch: pd.DataFrame, staged: StagedFile) -> pd.DataFrame:
    """Quarantined rows as the pandas path shows them: as read, or typed values as text.

    A row quarantined by a cross-table rule passed every single-table rule, and the pandas path shows its
    typed values as text (:func:`~data_schema.coerce.to_text`).  Any other row shows the values as read:
    kept as text when they failed a rule or were repaired (``as_read``), else equal to the typed values as
    text (missing values as ``""`` in a CSV file, which holds empty text rather than missing values).
    """
    typed = _as_typed(batch, staged.table)
    crossed = typed["crossed"].to_numpy(dtype=bool)
    as_read = typed["as_read"].to_numpy(dtype=bool) & ~crossed
    blank = staged.facts.format == "csv"
    shown = {"row": typed["row"]}
    for c in staged.columns:
        text = to_text(typed[c])
        if c != "student_id":
            text = text.where(crossed, text.fillna("")) if blank else text
            text = text.where(~as_read, typed[f"_read_{c}"].astype("str"))
        shown[c] = text
    return pd.DataFrame({**shown, "quarantine_rules": typed["rules"]})


def write_tables(con: Any, staged: StagedFile, *, batch_rows: int) -> int:
    """Write ``quarantined_<table>``, delete those rows from ``<table>``; return how many were quarantined.

    The quarantined rows (``student_id`` pseudonymised; ``quarantine_rules`` lists the rules each broke,
    sorted, ``;``-separated) are read from the database in file order and turned into text a batch of
    ``batch_rows`` at a time, so memory stays bounded however many rows fail.
    """
    table = staged.table
    target = quote(quarantine_table(table))
    definition = ", ".join([f"{_ROW} BIGINT", *(f"{quote(c)} VARCHAR" for c in staged.columns),
                            "quarantine_rules VARCHAR"])
    con.execute(f"CREATE TABLE {target} ({definition})")
    read = ", ".join(f"x.{quote(c)} AS {quote('_read_' + c)}" for c in staged.columns if c != "student_id")
    reader = con.cursor()
    try:
        batches = reader.execute(
            f"""
            SELECT m.*, q.rules, q.crossed, x.{_ROW} IS NOT NULL AS as_read{', ' + read if read else ''}
            FROM {quote(table)} m
            JOIN {_rules()} q ON q.{_ROW} = m.{_ROW}
            LEFT JOIN {text_table(table)} x ON x.{_ROW} = m.{_ROW}
            ORDER BY m.{_ROW}
            """,
            {"table": table},
        ).to_arrow_reader(batch_rows)
        for batch in batches:
            _insert_frame(con, target, _as_shown(batch.to_pandas(), staged))
    finally:
        reader.close()
    con.execute(f"DELETE FROM {quote(table)} WHERE {_ROW} IN (SELECT {_ROW} FROM {FAILURES} WHERE tbl = $table)",
                {"table": table})
    return con.execute(f"SELECT count(*) FROM {target}").fetchone()[0]


def write_failures(con: Any, staged: list[StagedFile]) -> None:
    """Write the ``failures`` table: every table's failing cells, sorted as the pandas report sorts them."""
    files = pd.DataFrame({"tbl": [s.table for s in staged], "file": [s.facts.path for s in staged],
                          "position": range(len(staged))}).astype({"tbl": "str", "file": "str"})
    con.register("_files", files)
    try:
        con.execute(
            f"""
            CREATE TABLE failures AS
            SELECT f.file, s.tbl AS {quote('table')}, s.{_ROW}, s.{quote('column')}, s.value, s.rule, s.message
            FROM {FAILURES} s JOIN _files f ON f.tbl = s.tbl
            ORDER BY f.position, s.{_ROW}, s.{quote('column')}, s.rule, s.stage, s.seq
            """
        )
    finally:
        con.unregister("_files")


def _failures_of(con: Any, table: str) -> pd.DataFrame:
    frame = con.execute(f"SELECT * FROM failures WHERE {quote('table')} = ? ORDER BY rowid", [table]).to_arrow_table()
    frame = frame.to_pandas()
    text = [c for c in REPORT_FAILURE_COLUMNS if c != "row"]
    return frame.astype({**dict.fromkeys(text, "str"), "row": "int64"})[REPORT_FAILURE_COLUMNS]


def table_report(con: Any, staged: StagedFile, n_quarantined: int) -> TableReport:
    """The :class:`TableReport` of a loaded table, its failures read back from the database."""
    facts, match = staged.facts, staged.header
    return TableReport(
        table=staged.table, file=facts.path, format=facts.format, row_kind=facts.row_kind,
        n_read=staged.n_read, n_valid=staged.n_read - n_quarantined, n_quarantined=n_quarantined,
        failures=_failures_of(con, staged.table), fixes=staged.fixes,
        encoding=facts.encoding, sheet=facts.sheet, blank_rows=staged.blank_rows,
        renamed_columns=dict(match.renamed), dropped_columns=match.dropped, unknown_columns=match.unknown,
        absent_optional_columns=match.absent_optional,
    )


def write_load_report(con: Any, report: StudyReport) -> None:
    """Keep the report in the database (``load_report``), so it can be read back with the tables."""
    rows = pd.DataFrame({
        "position": range(len(report.tables)),
        "table": list(report.tables),
        "report": [json.dumps(json_safe(r.to_dict()), ensure_ascii=False, sort_keys=True)
                   for r in report.tables.values()],
    }).astype({"table": "str", "report": "str"})
    con.register("_report", rows)
    try:
        con.execute("CREATE TABLE load_report AS SELECT * FROM _report ORDER BY position")
    finally:
        con.unregister("_report")


def read_load_report_from(con: Any) -> StudyReport:
    """The :class:`StudyReport` kept in a study database by :func:`write_load_report`."""
    reports = {}
    for table, text in con.execute(f"SELECT {quote('table')}, report FROM load_report ORDER BY position").fetchall():
        d = json.loads(text)
        reports[table] = TableReport(
            table=d["table"], file=d["file"], format=d["format"], row_kind=d["row_kind"], n_read=d["n_read"],
            n_valid=d["n_valid"], n_quarantined=d["n_quarantined"], failures=_failures_of(con, table),
            fixes=pd.DataFrame(d["fixes"], columns=FIX_COLUMNS), encoding=d["encoding"], sheet=d["sheet"],
            blank_rows=d["blank_rows"], renamed_columns=d["renamed_columns"],
            dropped_columns=tuple(d["dropped_columns"]), unknown_columns=tuple(d["unknown_columns"]),
            absent_optional_columns=tuple(d["absent_optional_columns"]),
        )
    return StudyReport(reports)
