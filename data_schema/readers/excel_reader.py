"""Read one worksheet of an XLSX workbook into a :class:`RawTable`.

Formulas are never evaluated: a formula cell is read as its text (``=HYPERLINK(...)``),
which the validation then rejects as formula-like.  Merged cells are refused,
because a merged header hides column names and a merged data cell holds its value
only in its first row.

Examples
--------
>>> import tempfile, pathlib, openpyxl
>>> p = pathlib.Path(tempfile.mkdtemp()) / "t.xlsx"
>>> wb = openpyxl.Workbook(); ws = wb.active; ws.append(["a", "b"]); ws.append([1, "=1+1"]); wb.save(p)
>>> read_xlsx(p).frame.loc[2, "b"]
'=1+1'
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
from openpyxl.worksheet.formula import ArrayFormula

from data_schema.errors import InputFileError
from data_schema.readers.raw import RawTable

__all__ = ["read_xlsx"]


def _open(path: Path) -> openpyxl.Workbook:
    try:
        return openpyxl.load_workbook(path, data_only=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise InputFileError(path, f"not a readable XLSX workbook ({type(exc).__name__}: {exc})",
                             hint="open it in Excel and save it again as .xlsx") from None


def _sheet(book: openpyxl.Workbook, sheet: str | int | None, path: Path):
    if sheet is None:
        return book.worksheets[0]
    if isinstance(sheet, int):
        if not 0 <= sheet < len(book.worksheets):
            raise InputFileError(path, f"sheet number {sheet} does not exist ({len(book.worksheets)} sheets)")
        return book.worksheets[sheet]
    if sheet not in book.sheetnames:
        raise InputFileError(path, f"no sheet named {sheet!r}; the workbook has {book.sheetnames}")
    return book[sheet]


def _cell_value(value: object) -> object:
    if isinstance(value, ArrayFormula):
        return value.text
    return value


def read_xlsx(path: str | Path, *, sheet: str | int | None = None) -> RawTable:
    """Read a worksheet: the first non-empty row is the header.

    Raises
    ------
    InputFileError
        Not a workbook, missing sheet, merged cells, empty sheet or header only.
    """
    path = Path(path)
    book = _open(path)
    ws = _sheet(book, sheet, path)
    merged = [str(r) for r in ws.merged_cells.ranges]
    if merged:
        raise InputFileError(path, f"sheet {ws.title!r} has merged cells ({', '.join(merged[:5])})",
                             hint="unmerge them so every column has its own header and every row its own value")
    rows = []
    numbers = []
    header: list[str] | None = None
    blank = 0
    for row in ws.iter_rows():
        values = [_cell_value(c.value) for c in row]
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            if header is not None:
                blank += 1
            continue
        if header is None:
            header = ["" if v is None else str(v) for v in values]
            continue
        rows.append(values)
        numbers.append(row[0].row)
    if header is None:
        raise InputFileError(path, f"sheet {ws.title!r} is empty")
    while header and not header[-1].strip() and all(len(r) >= len(header) and r[len(header) - 1] is None for r in rows):
        header.pop()
    names = [h if h.strip() else f"(column {i + 1})" for i, h in enumerate(header)]
    if not rows:
        raise InputFileError(path, f"sheet {ws.title!r} has a header row but no data rows")
    width = len(names)
    frame = pd.DataFrame([(r + [None] * width)[:width] for r in rows], columns=names, dtype=object)
    frame.index = pd.Index(numbers, name="row", dtype="int64")
    return RawTable(frame, str(path), "xlsx", "sheet row", sheet=ws.title, blank_rows=blank)
