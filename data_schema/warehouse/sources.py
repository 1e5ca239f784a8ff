"""Any supported input file as a sequence of raw chunks: the rows :func:`read_raw` returns, a chunk at a time.

CSV files are streamed (see :mod:`data_schema.warehouse.csv_chunks`) and Parquet files read a batch of
rows at a time, so neither is ever held whole in memory.  Workbooks and SPSS/Stata files are small by
nature (a worksheet holds at most about a million rows) and their readers need the whole file, so they
are read by :func:`~data_schema.readers.read_raw` and cut into chunks afterwards.  Each chunk is a
:class:`~data_schema.readers.RawTable` whose index holds the file's own row numbers, so every later step
works on a chunk exactly as it works on a whole file.

Examples
--------
>>> import tempfile, pathlib, pandas as pd
>>> p = pathlib.Path(tempfile.mkdtemp()) / "t.parquet"
>>> pd.DataFrame({"a": range(5)}).to_parquet(p)
>>> [chunk.frame.index.tolist() for chunk in open_chunked(p).chunks(2)]
[[1, 2], [3, 4], [5]]
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from data_schema.errors import InputFileError
from data_schema.readers import FORMATS, RawTable, read_raw
from data_schema.warehouse.csv_chunks import LineCounter, header_names, linewise_rows, stream_rows
from data_schema.warehouse.text_scan import scan_csv

__all__ = ["ChunkedFile", "SourceFacts", "open_chunked"]


@dataclass(frozen=True)
class SourceFacts:
    """What the validation report says about a file besides its rows (as :class:`RawTable` holds it)."""

    path: str
    format: str
    row_kind: str
    encoding: str | None = None
    sheet: str | None = None


class ChunkedFile(ABC):
    """An input file read a chunk of rows at a time; see :func:`open_chunked`."""

    facts: SourceFacts

    @property
    def blank_rows(self) -> int:
        """Entirely empty rows skipped (known once every chunk has been read)."""
        return 0

    @abstractmethod
    def chunks(self, chunk_rows: int, *, linewise: bool = False) -> Iterator[RawTable]:
        """The file's rows, at most ``chunk_rows`` at a time, in file order.

        ``linewise=True`` reads a CSV file with the line-by-line parser (after
        :class:`~data_schema.warehouse.csv_chunks.IrregularCsv`); other formats ignore it.
        """


class _CsvFile(ChunkedFile):
    def __init__(self, path: Path, encoding: str | None) -> None:
        self.scan = scan_csv(path, encoding=encoding)
        self.names, self.delimiter = header_names(self.scan.header)
        self.counter = LineCounter()
        self.facts = SourceFacts(str(path), "csv", "line", encoding=self.scan.encoding)

    @property
    def blank_rows(self) -> int:
        return self.counter.blank_rows

    def _raw(self, frame: pd.DataFrame, invalid: dict[int, str] | None = None) -> RawTable:
        f = self.facts
        return RawTable(frame, f.path, f.format, f.row_kind, encoding=f.encoding, invalid_rows=invalid or {})

    def chunks(self, chunk_rows: int, *, linewise: bool = False) -> Iterator[RawTable]:
        if not linewise and self.scan.n_lines > 0 and not self.scan.blank_line:
            for frame in stream_rows(self.scan, self.names, self.delimiter, chunk_rows):
                yield self._raw(frame)
            return
        self.counter = LineCounter()
        read = 0
        for frame, invalid in linewise_rows(self.scan, self.names, self.delimiter, chunk_rows, self.counter):
            read += len(frame)
            yield self._raw(frame, invalid)
        if not read:
            raise InputFileError(self.facts.path, "the file has a header row but no data rows",
                                 hint="check that the export selected any records")


class _ParquetFile(ChunkedFile):
    def __init__(self, path: Path) -> None:
        try:
            self.file = pq.ParquetFile(path)
        except (pa.ArrowException, OSError) as exc:
            raise InputFileError(path, f"not a readable Parquet file ({exc})") from None
        schema = self.file.schema_arrow
        index = {c for c in (schema.pandas_metadata or {}).get("index_columns", []) if isinstance(c, str)}
        if not [n for n in schema.names if n not in index]:
            raise InputFileError(path, "the file holds no variables")
        if self.file.metadata.num_rows == 0:
            raise InputFileError(path, "the file defines variables but holds no cases")
        self.facts = SourceFacts(str(path), "parquet", "row")

    def chunks(self, chunk_rows: int, *, linewise: bool = False) -> Iterator[RawTable]:
        first = 1
        batches = self.file.iter_batches(batch_size=chunk_rows)
        while True:
            try:
                batch = next(batches)
            except StopIteration:
                return
            except (pa.ArrowException, OSError) as exc:
                raise InputFileError(self.facts.path, f"not a readable Parquet file ({exc})") from None
            # through a Table, so the pandas metadata restores dtypes as pandas.read_parquet does
            frame = pa.Table.from_batches([batch]).to_pandas()
            frame.index = pd.Index(np.arange(first, first + len(frame), dtype="int64"), name="row")
            first += len(frame)
            yield RawTable(frame, self.facts.path, "parquet", "row")


class _WholeFile(ChunkedFile):
    def __init__(self, path: Path, sheet: str | int | None) -> None:
        self.raw = read_raw(path, sheet=sheet)
        self.facts = SourceFacts(self.raw.path, self.raw.format, self.raw.row_kind, self.raw.encoding, self.raw.sheet)

    @property
    def blank_rows(self) -> int:
        return self.raw.blank_rows

    def chunks(self, chunk_rows: int, *, linewise: bool = False) -> Iterator[RawTable]:
        frame = self.raw.frame
        for start in range(0, len(frame), chunk_rows):
            yield replace(self.raw, frame=frame.iloc[start:start + chunk_rows], blank_rows=0)


def open_chunked(path: str | Path, *, sheet: str | int | None = None, encoding: str | None = None) -> ChunkedFile:
    """Open any supported file for reading in chunks; the format is chosen by the extension.

    Parameters
    ----------
    path
        CSV (``.csv``, ``.txt``, ``.tsv``), Parquet, XLSX, SAV or DTA.
    sheet
        Worksheet name or 0-based number (XLSX).
    encoding
        Force a text encoding for CSV instead of detecting it.

    Returns
    -------
    ChunkedFile

    Raises
    ------
    InputFileError
        As :func:`~data_schema.readers.read_raw`: missing file, a folder, an unsupported extension, or
        content the reader cannot use (for CSV and Parquet found from a scan, before any row is read).
    """
    path = Path(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None or not path.is_file():
        read_raw(path, sheet=sheet, encoding=encoding)  # raises read_raw's own message for this path
    if fmt == "csv":
        return _CsvFile(path, encoding)
    if fmt == "parquet":
        return _ParquetFile(path)
    return _WholeFile(path, sheet)
