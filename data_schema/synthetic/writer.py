"""Byte-reproducible writers for the synthetic study: CSV, XLSX, YAML, JSON and the key file.

Tables are first turned into export text (:func:`as_text`: integers without a
decimal point, booleans as ``true``/``false``, missing values empty), so the
clean and the messy study share one representation.  Workbooks are written
with openpyxl and then re-zipped with fixed timestamps, because openpyxl stamps
the save time into ``docProps/core.xml`` and into the zip entries.

Examples
--------
>>> import pandas as pd
>>> as_text(pd.DataFrame({"x": [1.0, None], "ok": pd.array([True, None], dtype="boolean")})).to_dict("list")
{'x': ['1', ''], 'ok': ['true', '']}
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from data_schema.atomic import atomic_write_bytes, atomic_write_text

__all__ = ["as_text", "write_csv", "write_xlsx", "write_yaml", "write_json", "write_key", "jsonable",
           "FIXED_TIME"]

FIXED_TIME = (2026, 9, 30, 0, 0, 0)
"""Timestamp stamped into workbook metadata and zip entries (the synthetic export date)."""

NUMERIC_COLUMNS = {"score", "max_score", "level", "monthly_salary", "cohort", "graduation_year", "birth_year",
                   "entrance_score", "prior_hsk_level", "wave", "response", "months_after_graduation",
                   "employer_satisfaction"}
BOOLEAN_COLUMNS = {"passed", "field_match"}


def _text_column(col: pd.Series) -> pd.Series:
    n = len(col)
    out = np.full(n, "", dtype=object)
    if pd.api.types.is_bool_dtype(col.dtype):
        values = col.astype("boolean")
        ok = values.notna().to_numpy()
        truth = values.to_numpy(dtype=bool, na_value=False)
        out[ok & truth] = "true"
        out[ok & ~truth] = "false"
    elif pd.api.types.is_numeric_dtype(col.dtype):
        values = col.astype("Float64")
        ok = values.notna().to_numpy()
        nums = values.to_numpy(dtype=float, na_value=np.nan)[ok]
        if np.all(nums == np.round(nums)):
            out[ok] = nums.astype(np.int64).astype(str).astype(object)
        else:
            out[ok] = [str(int(v)) if float(v).is_integer() else repr(float(v)) for v in nums]
    else:
        arr = col.to_numpy(dtype=object)
        ok = ~pd.isna(arr)
        out[ok] = arr[ok]
    return pd.Series(out, index=col.index, dtype=object)


def as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Every value as the text an export would hold (missing = empty string)."""
    return pd.DataFrame({c: _text_column(frame[c]) for c in frame.columns}, index=frame.index).reset_index(drop=True)


def write_csv(frame: pd.DataFrame, path: Path, *, encoding: str = "utf-8") -> None:
    """Write a text frame as CSV in ``utf-8``, ``utf-8-sig`` (BOM) or ``gb18030``."""
    data = frame.to_csv(index=False, lineterminator="\n")
    atomic_write_bytes(path, data.encode(encoding))


def _cell_value(column: str, text: str) -> object:
    if text == "":
        return None
    if column in BOOLEAN_COLUMNS and text in ("true", "false"):
        return text == "true"
    if column in NUMERIC_COLUMNS:
        try:
            number = float(text)
        except ValueError:
            return text
        return int(number) if number.is_integer() else number
    return text


def _fixed_zip(raw: bytes) -> bytes:
    year, month, day, hour, minute, second = FIXED_TIME
    stamp = f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}Z"
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in sorted(src.infolist(), key=lambda i: i.filename):
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", stamp.encode(), data)
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            dst.writestr(entry, data)
    return out.getvalue()


def write_xlsx(frame: pd.DataFrame, path: Path, *, sheet: str, text_cells: dict[tuple[int, str], str] | None = None
               ) -> None:
    """Write a text frame as a one-sheet workbook; numbers and booleans become typed cells.

    ``text_cells`` maps ``(row position, column)`` to a value stored as a text cell even when it
    starts with ``=`` (a formula typed into an export, kept as its text).
    """
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet)
    ws.append(list(frame.columns))
    special = text_cells or {}
    columns = list(frame.columns)
    for pos, row in enumerate(frame.itertuples(index=False, name=None)):
        values: list[object] = [_cell_value(c, v) for c, v in zip(columns, row, strict=False)]
        for (r, c), text in special.items():
            if r == pos:
                cell = WriteOnlyCell(ws, value=text)
                cell.data_type = "s"
                values[columns.index(c)] = cell
        ws.append(values)
    buffer = io.BytesIO()
    wb.save(buffer)
    atomic_write_bytes(path, _fixed_zip(buffer.getvalue()))


def jsonable(value: object) -> object:
    """Plain JSON types with string keys (numpy scalars and int keys converted)."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def write_json(data: dict, path: Path) -> None:
    """Write sorted, indented UTF-8 JSON."""
    atomic_write_text(path, json.dumps(jsonable(data), sort_keys=True, indent=2, ensure_ascii=False) + "\n")


def write_yaml(data: dict, path: Path) -> None:
    """Write sorted UTF-8 YAML."""
    atomic_write_text(path, yaml.safe_dump(data, sort_keys=True, allow_unicode=True, default_flow_style=False))


def write_key(seed: int, path: Path) -> str:
    """Write the synthetic study's pseudonymisation key (64 hex characters derived from the seed)."""
    key = hashlib.sha256(f"progeval synthetic study key, seed {seed}".encode()).hexdigest()
    atomic_write_text(path, key + "\n", encoding="ascii")
    return key
