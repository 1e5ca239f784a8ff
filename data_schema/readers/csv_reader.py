"""Read a CSV export into a :class:`RawTable` with exact line numbers.

Regular files (one record a line, no blank lines) are parsed by pyarrow's
multithreaded CSV reader, so row ``i`` is line ``i + 2``.  A file whose record
count does not match its line count (blank lines, line breaks inside quoted
values, rows with the wrong number of fields) is parsed again with Python's
``csv`` module, which tracks the line each record starts on; ragged rows are kept
and quarantined rather than aborting the read.

Examples
--------
>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
>>> _ = p.write_bytes("a,b\\n1,x\\n\\n2,y\\n".encode())
>>> raw = read_csv(p)
>>> raw.frame.index.tolist(), raw.blank_rows
([2, 4], 1)
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from data_schema.errors import InputFileError
from data_schema.readers.encoding import detect_encoding
from data_schema.readers.raw import RawTable

__all__ = ["read_csv", "csv_records"]

_DELIMITERS = (",", ";", "\t", "|")


def _header_names(line: str, delimiter: str) -> list[str]:
    return next(csv.reader([line], delimiter=delimiter))


def _sniff_delimiter(line: str) -> str:
    counts = {d: line.count(d) for d in _DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def _name_blank_headers(names: list[str]) -> list[str]:
    return [n if n.strip() else f"(column {i + 1})" for i, n in enumerate(names)]


def _fast_parse(body: pa.Buffer, names: list[str], delimiter: str) -> pd.DataFrame | None:
    try:
        table = pacsv.read_csv(
            pa.BufferReader(body),
            read_options=pacsv.ReadOptions(column_names=[f"c{i}" for i in range(len(names))]),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types={f"c{i}": pa.string() for i in range(len(names))},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid:
        return None
    frame = table.to_pandas(self_destruct=True)
    del table
    frame.columns = names
    return frame


def csv_records(reader: Any, width: int) -> Iterator[tuple[int, list[str] | None, str | None]]:
    """Each record a ``csv.reader`` (positioned after the header) gives, as the intake reads it.

    Yields ``(line, fields, problem)``: the line the record starts on (a quoted field may span lines);
    the fields padded or cut to ``width``, or ``None`` for a blank line; and why a ragged record is
    invalid, or ``None``.  Shared by :func:`read_csv` and the warehouse's chunked reader, so both number
    lines and judge ragged rows alike.
    """
    previous_end = reader.line_num
    for record in reader:
        start, previous_end = previous_end + 1, reader.line_num
        if not record or all(not v.strip() for v in record):
            yield start, None, None
        elif len(record) != width:
            yield start, (record + [""] * width)[:width], f"has {len(record)} fields, the header has {width}"
        else:
            yield start, record, None


def _slow_parse(text: str, names: list[str], delimiter: str) -> tuple[pd.DataFrame, int, dict[int, str]]:
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    next(reader)  # header, already read
    rows: list[list[str]] = []
    lines: list[int] = []
    invalid: dict[int, str] = {}
    blank = 0
    for start, record, problem in csv_records(reader, len(names)):
        if record is None:
            blank += 1
            continue
        if problem:
            invalid[start] = problem
        rows.append(record)
        lines.append(start)
    frame = pd.DataFrame(rows, columns=names, dtype="str") if rows else pd.DataFrame(columns=names, dtype="str")
    frame.index = pd.Index(lines, name="row", dtype="int64")
    return frame, blank, invalid


def read_csv(path: str | Path, *, encoding: str | None = None) -> RawTable:
    """Read a delimited text file (comma, semicolon, tab or bar).

    Parameters
    ----------
    path
        The file.
    encoding
        Force an encoding; by default UTF-8 (with or without BOM) or GB18030 is
        detected (see :func:`~data_schema.readers.encoding.detect_encoding`).

    Raises
    ------
    InputFileError
        Empty file, binary content, undecodable bytes, duplicate header names or
        a header with no data rows.
    """
    path = Path(path)
    data = path.read_bytes()
    if not data.strip():
        raise InputFileError(path, "the file is empty", hint="export the table again with its header row")
    if b"\x00" in data[:65536]:
        raise InputFileError(path, "this is a binary file, not a CSV table",
                             hint="export the table as CSV, XLSX, SAV, DTA or Parquet")
    enc = detect_encoding(data, str(path), forced=encoding)
    if enc != "utf-8":
        data = data.decode(enc).encode("utf-8")
    first_break = data.find(b"\n")
    header_line = (data if first_break < 0 else data[:first_break]).decode("utf-8").rstrip("\r")
    if not header_line.strip():
        raise InputFileError(path, "line 1 is blank; the first line must be the header row")
    delimiter = _sniff_delimiter(header_line)
    names = _name_blank_headers(_header_names(header_line, delimiter))
    start = len(data) if first_break < 0 else first_break + 1
    n_lines = data.count(b"\n", start) + (0 if data.endswith(b"\n") or start == len(data) else 1)
    frame = _fast_parse(pa.py_buffer(data)[start:], names, delimiter) if start < len(data) else None
    if frame is not None and len(frame) == n_lines:
        frame.index = pd.Index(np.arange(2, n_lines + 2, dtype="int64"), name="row")
        blank, invalid = 0, {}
    else:
        frame, blank, invalid = _slow_parse(data.decode("utf-8"), names, delimiter)
    if frame.empty:
        raise InputFileError(path, "the file has a header row but no data rows",
                             hint="check that the export selected any records")
    return RawTable(frame, str(path), "csv", "line", encoding=enc, blank_rows=blank, invalid_rows=invalid)
