"""Readers: any supported file in, a :class:`RawTable` with the file's own row numbers out.

Examples
--------
>>> sorted(FORMATS)
['.csv', '.dta', '.parquet', '.sav', '.tsv', '.txt', '.xlsx']
"""

from __future__ import annotations

from pathlib import Path

from data_schema.errors import InputFileError
from data_schema.readers.csv_reader import read_csv
from data_schema.readers.excel_reader import read_xlsx
from data_schema.readers.raw import RawTable
from data_schema.readers.stat_reader import read_dta, read_parquet, read_sav

__all__ = ["RawTable", "read_raw", "read_csv", "read_xlsx", "read_sav", "read_dta", "read_parquet", "FORMATS"]

FORMATS = {
    ".csv": "csv", ".txt": "csv", ".tsv": "csv",
    ".xlsx": "xlsx", ".sav": "sav", ".dta": "dta", ".parquet": "parquet",
}


def read_raw(path: str | Path, *, sheet: str | int | None = None, encoding: str | None = None) -> RawTable:
    """Read any supported file, chosen by its extension.

    Raises
    ------
    InputFileError
        The path does not exist, is a folder, has an unsupported extension, or
        the reader cannot use its content.
    """
    path = Path(path)
    if not path.exists():
        raise InputFileError(path, "no such file", hint="check the path in the study config")
    if path.is_dir():
        raise InputFileError(path, "this is a folder, not a data file")
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        hint = "save it as .xlsx" if path.suffix.lower() == ".xls" else "use CSV, XLSX, SAV, DTA or Parquet"
        raise InputFileError(path, f"unsupported file type {path.suffix or '(no extension)'!r}", hint=hint)
    if fmt == "csv":
        return read_csv(path, encoding=encoding)
    if fmt == "xlsx":
        return read_xlsx(path, sheet=sheet)
    return {"sav": read_sav, "dta": read_dta, "parquet": read_parquet}[fmt](path)
