"""Read one table file: match columns, coerce, validate, pseudonymise, quarantine.

Examples
--------
>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "employment.csv"
>>> _ = p.write_text("student_id,months_after_graduation,status,sector\\n"
...                  "S1,6,employed,cbec\\nS2,6,employed,\\nS3,12,Seeking,\\n")
>>> valid, quarantined, report = read_table(p, "employment", key=b"k" * 32)
>>> len(valid), len(quarantined), report.reconciles
(2, 1, True)
>>> quarantined.index.tolist(), quarantined["quarantine_rules"].tolist()
([3], ['sector_when_working'])
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import NamedTuple

import pandas as pd

from data_schema.coerce import FAILURE_COLUMNS, coerce_column, failure_frame, to_text
from data_schema.columns import match_columns
from data_schema.errors import DataQualityWarning, ProgevalError
from data_schema.keys import check_keys
from data_schema.pseudonym import pseudonymise
from data_schema.readers import RawTable, read_raw
from data_schema.report import FIX_COLUMNS, REPORT_FAILURE_COLUMNS, TableReport
from data_schema.rules import check_rules
from data_schema.schemas import TABLE_SPECS, TableSpec

__all__ = ["TableRead", "as_quarantined", "read_table", "read_table_quietly", "table_spec"]


class TableRead(NamedTuple):
    """What :func:`read_table` returns; unpacks as ``valid, quarantined, report``.

    Attributes
    ----------
    valid
        Typed canonical columns of the rows that passed every rule, indexed by
        the file's own row numbers (index name ``row``); ``student_id`` pseudonymised.
    quarantined
        The other rows as read (text), ``student_id`` pseudonymised, with a
        ``quarantine_rules`` column listing the rules each broke.
    report
        The :class:`~data_schema.report.TableReport`.
    """

    valid: pd.DataFrame
    quarantined: pd.DataFrame
    report: TableReport


class UnknownTableError(ProgevalError, ValueError):
    """A table name that is not one of the four contract tables."""


def table_spec(table: str) -> TableSpec:
    """The :class:`TableSpec` of a contract table, or a clear error listing the valid names."""
    try:
        return TABLE_SPECS[table]
    except KeyError:
        raise UnknownTableError(f"unknown table {table!r}; expected one of {', '.join(TABLE_SPECS)}") from None


def _coerce(frame: pd.DataFrame, spec: TableSpec, name: str) -> tuple[pd.DataFrame, list[pd.DataFrame], list[dict]]:
    typed = {}
    failures = []
    fixes = []
    for column in frame.columns:
        result = coerce_column(frame[column], spec.kind(column), column)
        typed[column] = result.values
        if not result.failures.empty:
            failures.append(result.failures)
        fixes.extend({"table": name, "column": column, "fix": f, "count": n} for f, n in result.fixes.items())
    return pd.DataFrame(typed, index=frame.index), failures, fixes


def _field_count_failures(raw: RawTable) -> list[pd.DataFrame]:
    if not raw.invalid_rows:
        return []
    rows = list(raw.invalid_rows)
    frame = failure_frame(rows, "(row)", [""] * len(rows), "field_count", "")
    frame["message"] = [raw.invalid_rows[r] for r in rows]
    return [frame]


def _merge_failures(coercion: list[pd.DataFrame], checks: list[pd.DataFrame]) -> pd.DataFrame:
    """All failures; a cell that failed coercion is empty afterwards, so checks on it are not repeated."""
    first = [p for p in coercion if not p.empty]
    later = [p for p in checks if not p.empty]
    if not first and not later:
        return failure_frame([], "", [], "", "")
    merged = pd.concat(first + later, ignore_index=True)[FAILURE_COLUMNS]
    if first:
        n_first = sum(len(p) for p in first)
        repeated = merged.duplicated(subset=["row", "column"], keep="first").to_numpy().copy()
        repeated[:n_first] = False
        merged = merged[~repeated]
    return merged.sort_values(["row", "column", "rule"], kind="stable", ignore_index=True)


def _quarantine(raw_frame: pd.DataFrame, typed: pd.DataFrame, failures: pd.DataFrame) -> pd.DataFrame:
    rows = pd.unique(failures["row"])
    text = as_quarantined(raw_frame.loc[rows], failures)
    if "student_id" in typed:
        text["student_id"] = typed.loc[text.index, "student_id"]
    return text


def as_quarantined(rows: pd.DataFrame, failures: pd.DataFrame) -> pd.DataFrame:
    """``rows`` as text, sorted by row, with ``quarantine_rules`` listing the rules each broke."""
    text = pd.DataFrame({c: to_text(rows[c]) for c in rows.columns}, index=rows.index)
    text.index.name = "row"
    rules = failures.groupby("row")["rule"].agg(lambda r: ";".join(sorted(set(r))))
    text["quarantine_rules"] = rules.reindex(text.index).to_numpy()
    return text.sort_index()


def read_table(
    path: str | Path,
    table: str,
    *,
    key: bytes,
    sheet: str | int | None = None,
    encoding: str | None = None,
) -> TableRead:
    """Read, validate and pseudonymise one input file.

    Parameters
    ----------
    path
        CSV (UTF-8, UTF-8 with BOM or GB18030, detected), XLSX, SAV, DTA or Parquet.
    table
        ``students``, ``survey_responses``, ``assessments`` or ``employment``.
    key
        Secret key for the HMAC-SHA256 pseudonyms (see
        :func:`~data_schema.pseudonym.load_key`); required, never defaulted.
    sheet
        Worksheet name or 0-based number (XLSX); default the first sheet.
    encoding
        Force a text encoding for CSV instead of detecting it.

    Returns
    -------
    TableRead
        ``valid, quarantined, report`` with ``report.n_read == len(valid) + len(quarantined)``.

    Raises
    ------
    InputFileError
        The file cannot be used at all: missing, empty, header only, not a
        table, undecodable, merged header cells, a missing required column.

    Notes
    -----
    Rules are checked cell by cell and every failure is kept (lazy
    validation); a row with any failure is quarantined whole.  Cross-table
    rules (student exists, response within the instrument's scale) need the
    whole study: see :func:`data_schema.load_study`.
    """
    result = read_table_quietly(path, table, key=key, sheet=sheet, encoding=encoding)
    report = result.report
    if report.n_quarantined:
        warnings.warn(f"{report.file}: {report.n_quarantined:,} of {report.n_read:,} rows quarantined; see the report",
                      DataQualityWarning, stacklevel=2)
    return result


def read_table_quietly(
    path: str | Path,
    table: str,
    *,
    key: bytes,
    sheet: str | int | None = None,
    encoding: str | None = None,
) -> TableRead:
    """:func:`read_table` without the :class:`DataQualityWarning`, for callers that report counts themselves."""
    spec = table_spec(table)
    raw = read_raw(path, sheet=sheet, encoding=encoding)
    match = match_columns(raw, spec)
    typed, failures, fixes = _coerce(match.frame, spec, table)
    if "student_id" in typed:
        typed["student_id"] = pseudonymise(typed["student_id"], key)
    failures.extend(_field_count_failures(raw))
    merged = _merge_failures(failures, [check_rules(typed, spec), check_keys(typed, spec.key)])
    quarantined = _quarantine(match.frame, typed, merged)
    merged.insert(0, "table", table)
    merged.insert(0, "file", str(raw.path))
    report = TableReport(
        table=table, file=str(raw.path), format=raw.format, row_kind=raw.row_kind,
        n_read=raw.n_rows, n_valid=raw.n_rows - len(quarantined), n_quarantined=len(quarantined),
        failures=merged[REPORT_FAILURE_COLUMNS], fixes=pd.DataFrame(fixes, columns=FIX_COLUMNS),
        encoding=raw.encoding, sheet=raw.sheet, blank_rows=raw.blank_rows,
        renamed_columns=match.renamed, dropped_columns=match.dropped, unknown_columns=match.unknown,
        absent_optional_columns=match.absent_optional,
    )
    del raw, match  # release the raw text before the valid rows are copied out
    valid = typed.drop(index=quarantined.index) if len(quarantined) else typed
    return TableRead(valid, quarantined, report)
