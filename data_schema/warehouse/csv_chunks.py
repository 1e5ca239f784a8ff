"""Read a CSV export in chunks of rows, numbered by the line each row starts on, as :func:`read_csv` numbers them.

Two parsers, chosen as :func:`~data_schema.readers.read_csv` chooses them:

* a regular file (one record a line, no blank lines) is streamed through pyarrow's CSV reader, and row
  ``i`` is line ``i + 2``;
* a file whose record count differs from its line count (blank lines, line breaks inside quoted values,
  rows with the wrong number of fields) is read with Python's ``csv`` module, which tracks the line each
  record starts on; blank lines are skipped and counted, ragged rows padded and marked for quarantine.

Which one applies is known for sure only at the end of the file (a ragged row or a line break inside a
value may come last), so :func:`stream_rows` raises :class:`IrregularCsv` when the regular parser turns
out not to apply; the caller then discards what it kept and reads the file again with
:func:`linewise_rows`.

Examples
--------
>>> import tempfile, pathlib
>>> from data_schema.warehouse.text_scan import scan_csv
>>> p = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
>>> _ = p.write_text("a,b\\n1,x\\n\\n2,y\\n3\\n")
>>> counter = LineCounter()
>>> [(c.index.tolist(), bad) for c, bad in linewise_rows(scan_csv(p), ["a", "b"], ",", 2, counter)]
[([2, 4], {}), ([5], {5: 'has 1 fields, the header has 2'})]
>>> counter.blank_rows
1
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

# the header rules are read_csv's own, so both paths name and split columns alike
from data_schema.readers.csv_reader import _header_names, _name_blank_headers, _sniff_delimiter, csv_records
from data_schema.warehouse.text_scan import CsvScan

__all__ = ["IrregularCsv", "LineCounter", "stream_rows", "linewise_rows", "header_names"]

_BLOCK = 1 << 22


class IrregularCsv(Exception):
    """The regular parser does not apply to this file; read it with :func:`linewise_rows`."""


@dataclass
class LineCounter:
    """Blank lines skipped by :func:`linewise_rows` (known when the file has been read)."""

    blank_rows: int = 0


def header_names(header: str) -> tuple[list[str], str]:
    """Column names (blank ones named by position) and the delimiter, found as :func:`read_csv` finds them.

    Examples
    --------
    >>> header_names("a;b;;c")
    (['a', 'b', '(column 3)', 'c'], ';')
    """
    delimiter = _sniff_delimiter(header)
    return _name_blank_headers(_header_names(header, delimiter)), delimiter


def _frame(table: pa.Table, names: list[str], first_line: int) -> pd.DataFrame:
    frame = table.to_pandas(self_destruct=True)
    frame.columns = names
    frame.index = pd.Index(np.arange(first_line, first_line + len(frame), dtype="int64"), name="row")
    return frame


def stream_rows(scan: CsvScan, names: list[str], delimiter: str, chunk_rows: int) -> Iterator[pd.DataFrame]:
    """Chunks of at most ``chunk_rows`` rows of a regular file, every value as text, index = line number.

    Raises
    ------
    IrregularCsv
        A row has the wrong number of fields, or the file has more lines than records.
    """
    columns = [f"c{i}" for i in range(len(names))]
    options = {
        "read_options": pacsv.ReadOptions(column_names=columns, block_size=_BLOCK,
                                          encoding="gb18030" if scan.encoding == "gb18030" else "utf8"),
        "parse_options": pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
        "convert_options": pacsv.ConvertOptions(column_types=dict.fromkeys(columns, pa.string()),
                                                strings_can_be_null=False, quoted_strings_can_be_null=False),
    }
    line, pending, held = 2, [], 0
    with open(scan.path, "rb") as stream:
        stream.seek(scan.body_offset)
        try:
            for batch in pacsv.open_csv(stream, **options):
                pending.append(batch)
                held += batch.num_rows
                while held >= chunk_rows:
                    table = pa.Table.from_batches(pending)
                    yield _frame(table.slice(0, chunk_rows), names, line)
                    line, held = line + chunk_rows, held - chunk_rows
                    pending = table.slice(chunk_rows).to_batches()
        except pa.ArrowInvalid as exc:
            raise IrregularCsv(str(exc)) from None
    if held:
        yield _frame(pa.Table.from_batches(pending), names, line)
    if line + held - 2 != scan.n_lines:
        raise IrregularCsv(f"{line + held - 2} records on {scan.n_lines} lines")


def linewise_rows(scan: CsvScan, names: list[str], delimiter: str, chunk_rows: int,
                  counter: LineCounter) -> Iterator[tuple[pd.DataFrame, dict[int, str]]]:
    """Chunks of rows read with Python's ``csv`` module, with the rows that have the wrong number of fields.

    Yields
    ------
    tuple
        ``(frame, invalid_rows)``: text values indexed by the line each record starts on, and
        ``{line: reason}`` for ragged rows (padded or cut to the header's width).
    """
    with open(scan.path, encoding=scan.encoding, newline="\n") as text:
        reader = csv.reader(text, delimiter=delimiter)
        next(reader)  # the header, already read
        rows: list[list[str]] = []
        lines: list[int] = []
        invalid: dict[int, str] = {}
        for start, record, problem in csv_records(reader, len(names)):
            if record is None:
                counter.blank_rows += 1
                continue
            if problem:
                invalid[start] = problem
            rows.append(record)
            lines.append(start)
            if len(rows) == chunk_rows:
                yield _text_frame(rows, lines, names), invalid
                rows, lines, invalid = [], [], {}
        if rows:
            yield _text_frame(rows, lines, names), invalid


def _text_frame(rows: list[list[str]], lines: list[int], names: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=names, dtype="str")
    frame.index = pd.Index(lines, name="row", dtype="int64")
    return frame
