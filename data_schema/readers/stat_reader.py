"""Read SPSS ``.sav``, Stata ``.dta`` and Parquet files into a :class:`RawTable`.

SPSS and Stata value labels are applied, so a program coded ``1 = integrated``
arrives as ``integrated``.  Rows are numbered as the software numbers cases, from 1.

Examples
--------
>>> import tempfile, pathlib, pandas as pd
>>> p = pathlib.Path(tempfile.mkdtemp()) / "t.parquet"
>>> pd.DataFrame({"a": [1, 2]}).to_parquet(p)
>>> read_parquet(p).frame.index.tolist()
[1, 2]
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow
import pyreadstat

from data_schema.errors import InputFileError
from data_schema.readers.raw import RawTable

__all__ = ["read_sav", "read_dta", "read_parquet"]


def _numbered(frame: pd.DataFrame, path: Path, fmt: str, kind: str) -> RawTable:
    if frame.shape[1] == 0:
        raise InputFileError(path, "the file holds no variables")
    if frame.empty:
        raise InputFileError(path, "the file defines variables but holds no cases")
    frame = frame.copy()
    frame.index = pd.Index(np.arange(1, len(frame) + 1, dtype="int64"), name="row")
    return RawTable(frame, str(path), fmt, kind)


def _read_readstat(path: str | Path, reader: str, label: str, fmt: str) -> RawTable:
    path = Path(path)
    try:
        frame, _ = getattr(pyreadstat, reader)(str(path), apply_value_formats=True)
    except pyreadstat.ReadstatError as exc:
        raise InputFileError(path, f"not a readable {label} file ({exc})") from None
    return _numbered(frame, path, fmt, "case")


def read_sav(path: str | Path) -> RawTable:
    """Read an SPSS system file with value labels applied."""
    return _read_readstat(path, "read_sav", "SPSS .sav", "sav")


def read_dta(path: str | Path) -> RawTable:
    """Read a Stata data file with value labels applied."""
    return _read_readstat(path, "read_dta", "Stata .dta", "dta")


def read_parquet(path: str | Path) -> RawTable:
    """Read a Parquet file."""
    path = Path(path)
    try:
        frame = pd.read_parquet(path)
    except (pyarrow.ArrowException, OSError) as exc:
        raise InputFileError(path, f"not a readable Parquet file ({exc})") from None
    return _numbered(frame, path, "parquet", "row")
