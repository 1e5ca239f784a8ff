"""Build a DuckDB database file so that a failure never leaves a half-written one.

The database is built in a hidden file beside the target (``.<name>.<token>.part``), with a folder
DuckDB may spill to (``.<name>.<token>.tmp``).  When the block succeeds the database is checkpointed,
closed, flushed to disk and renamed over the target (``os.replace`` is atomic within one file system).
Whatever happens the temporary files are removed, and on failure the target is untouched.

Examples
--------
>>> import tempfile, pathlib
>>> target = pathlib.Path(tempfile.mkdtemp()) / "study.duckdb"
>>> with building_database(target) as con:
...     _ = con.execute("CREATE TABLE t AS SELECT 1 AS x")
>>> sorted(p.name for p in target.parent.iterdir())
['study.duckdb']
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from data_schema.errors import ArgumentError

__all__ = ["building_database", "connect_limited", "DEFAULT_MEMORY_LIMIT"]

DEFAULT_MEMORY_LIMIT = "512MB"
"""DuckDB's memory limit during a load; beyond it, DuckDB spills to disk."""


def connect_limited(path: Path | str, memory_limit: str, spill: Path) -> Any:
    """A DuckDB connection to ``path`` (``":memory:"``: none) using at most ``memory_limit``, spilling to ``spill``.

    An unusable size is an :class:`~data_schema.errors.ArgumentError`.
    """
    try:
        return duckdb.connect(str(path), config={"memory_limit": memory_limit, "temp_directory": str(spill)})
    except (duckdb.ParserException, duckdb.InvalidInputException) as exc:
        raise ArgumentError(f"memory_limit={memory_limit!r} is not a DuckDB memory size ({exc}); "
                            "give a number and a unit, e.g. '1GB' or '512MB'") from None


def _fsync(path: Path) -> None:
    with open(path, "rb+") as stream:
        os.fsync(stream.fileno())


@contextmanager
def building_database(target: str | Path, *, memory_limit: str = DEFAULT_MEMORY_LIMIT) -> Iterator[Any]:
    """Yield a DuckDB connection to a new database that replaces ``target`` only if the block succeeds.

    Parameters
    ----------
    target
        The database file to write (its folder is created when missing).
    memory_limit
        DuckDB's memory limit, e.g. ``"512MB"`` or ``"2GB"``.

    Yields
    ------
    duckdb.DuckDBPyConnection
        Connected to the new database.

    Raises
    ------
    ArgumentError
        ``memory_limit`` is not a memory size DuckDB understands.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    stem = f".{target.name}.{secrets.token_hex(6)}"
    part, spill = target.with_name(stem + ".part"), target.with_name(stem + ".tmp")
    con = connect_limited(part, memory_limit, spill)
    try:
        yield con
        con.execute("CHECKPOINT")
        con.close()
        _fsync(part)
        Path(f"{target}.wal").unlink(missing_ok=True)  # a stale log must never be replayed onto the new file
        os.replace(part, target)
    finally:
        con.close()
        part.unlink(missing_ok=True)
        Path(f"{part}.wal").unlink(missing_ok=True)
        shutil.rmtree(spill, ignore_errors=True)
