"""Write a results table as CSV and Parquet, byte for byte the same on every run.

CSV is for people and spreadsheets (UTF-8 with a byte-order mark so Excel shows Chinese names, shortest
round-trip floats, empty cells for missing values); Parquet keeps the types for scripts.  Neither holds
a date or a path, so the same frame always gives the same bytes.

Examples
--------
>>> import tempfile, pathlib, pandas as pd
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> paths = write_table(pd.DataFrame({"program": ["integrated"], "n": [12]}), folder, "profile")
>>> [p.name for p in paths]
['profile.csv', 'profile.parquet']
>>> read_table(folder, "profile").equals(pd.DataFrame({"program": ["integrated"], "n": [12]}))
True
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from data_schema.errors import ArgumentError

__all__ = ["write_table", "read_table", "TABLE_NAME"]

TABLE_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
"""Table names: lower-case letters, digits and underscores (they become file names)."""


def write_table(frame: pd.DataFrame, folder: str | Path, name: str) -> tuple[Path, Path]:
    """Write ``frame`` as ``folder/name.csv`` and ``folder/name.parquet``; return both paths.

    Parameters
    ----------
    frame
        A tidy table: plain columns, the index is not written.
    folder
        Where to write (created when missing).
    name
        The table's name, matching :data:`TABLE_NAME`.

    Returns
    -------
    tuple of Path
        The CSV and the Parquet file.

    Raises
    ------
    ArgumentError
        The name is not a plain file name, or a column name is not text.
    """
    if not TABLE_NAME.match(name):
        raise ArgumentError(f"table name {name!r} must be lower-case letters, digits and underscores")
    if not all(isinstance(c, str) for c in frame.columns):
        raise ArgumentError(f"table {name!r} has non-text column names {list(frame.columns)}; name every column")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    plain = frame.reset_index(drop=True)
    csv, parquet = folder / f"{name}.csv", folder / f"{name}.parquet"
    csv.write_bytes(plain.to_csv(index=False, lineterminator="\n").encode("utf-8-sig"))
    table = pa.Table.from_pandas(plain, preserve_index=False).replace_schema_metadata(None)
    pq.write_table(table, parquet, compression="zstd", write_statistics=False)
    return csv, parquet


def read_table(folder: str | Path, name: str) -> pd.DataFrame:
    """Read a table written by :func:`write_table` back from its Parquet file (types kept)."""
    return pq.read_table(Path(folder) / f"{name}.parquet").to_pandas()
