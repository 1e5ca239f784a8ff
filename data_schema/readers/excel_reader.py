"""Read one worksheet of an XLSX workbook into a :class:`RawTable`.

Values are read with calamine (a Rust reader, about fifteen times faster than
openpyxl here).  Formulas are never evaluated: a formula cell is read as its
text (``=HYPERLINK(...)``), found in the sheet's XML, which the validation then
rejects as formula-like.  Merged cells are refused, because a merged header
hides column names and a merged data cell holds its value only in its first row.

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

import pandas as pd
import python_calamine

from data_schema.errors import InputFileError
from data_schema.readers.raw import RawTable
from data_schema.readers.xlsx_formulas import formula_cells

__all__ = ["read_xlsx"]


def _sheet_index(book: python_calamine.CalamineWorkbook, sheet: str | int | None, path: Path) -> int:
    names = list(book.sheet_names)
    if sheet is None:
        return 0
    if isinstance(sheet, int):
        if not 0 <= sheet < len(names):
            raise InputFileError(path, f"sheet number {sheet} does not exist ({len(names)} sheets)")
        return sheet
    if sheet not in names:
        raise InputFileError(path, f"no sheet named {sheet!r}; the workbook has {names}")
    return names.index(sheet)


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _grid(path: Path, sheet: str | int | None) -> tuple[list[list[object]], str, int]:
    try:
        book = python_calamine.CalamineWorkbook.from_path(str(path))
    except (python_calamine.CalamineError, python_calamine.ZipError, python_calamine.XmlError,
            zipfile.BadZipFile, OSError, ValueError) as exc:
        raise InputFileError(path, f"not a readable XLSX workbook ({type(exc).__name__}: {exc})",
                             hint="open it in Excel and save it again as .xlsx") from None
    index = _sheet_index(book, sheet, path)
    ws = book.get_sheet_by_index(index)
    merged = ws.merged_cell_ranges or []
    if merged:
        shown = ", ".join(f"row {a[0] + 1} col {a[1] + 1} to row {b[0] + 1} col {b[1] + 1}" for a, b in merged[:3])
        raise InputFileError(path, f"sheet {ws.name!r} has merged cells ({shown})",
                             hint="unmerge them so every column has its own header and every row its own value")
    grid = ws.to_python(skip_empty_area=False)
    for (row, column), text in formula_cells(str(path), index).items():
        while len(grid) < row:
            grid.append([])
        line = grid[row - 1]
        line.extend([""] * (column - len(line)))
        line[column - 1] = text
    return grid, ws.name, index


def read_xlsx(path: str | Path, *, sheet: str | int | None = None) -> RawTable:
    """Read a worksheet: the first non-empty row is the header.

    Raises
    ------
    InputFileError
        Not a workbook, missing sheet, merged cells, empty sheet or header only.
    """
    path = Path(path)
    grid, title, _ = _grid(path, sheet)
    rows: list[list[object]] = []
    numbers: list[int] = []
    header: list[str] | None = None
    blank = 0
    for number, values in enumerate(grid, start=1):
        if all(_blank(v) for v in values):
            blank += header is not None
            continue
        if header is None:
            header = ["" if v is None else str(v) for v in values]
            continue
        rows.append([None if v == "" else v for v in values])
        numbers.append(number)
    if header is None:
        raise InputFileError(path, f"sheet {title!r} is empty")
    while header and not header[-1].strip() and all(r[len(header) - 1] is None for r in rows):
        header.pop()
    if not rows:
        raise InputFileError(path, f"sheet {title!r} has a header row but no data rows")
    names = [h if h.strip() else f"(column {i + 1})" for i, h in enumerate(header)]
    width = len(names)
    frame = pd.DataFrame([(r + [None] * width)[:width] for r in rows], columns=names, dtype=object)
    frame.index = pd.Index(numbers, name="row", dtype="int64")
    return RawTable(frame, str(path), "xlsx", "sheet row", sheet=title, blank_rows=blank)
