"""Validate the chunks of a large file in worker processes, in file order.

Validating a chunk (coercion, pseudonyms, the row rules) is pure Python and numpy work that holds the GIL,
so threads do not share it out; worker processes do.  :class:`ChunkValidator` hands chunks to a pool of
``workers`` processes once a file has shown itself large (``parallel_from`` rows read), keeps a few chunks
in flight and gives the results back in file order, so the database is written exactly as by one
process.  Small files never pay for starting the pool.

Examples
--------
>>> validator = ChunkValidator(workers=1)
>>> validator.workers
1
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from numbers import Integral

from data_schema.errors import ArgumentError
from data_schema.readers import RawTable
from data_schema.warehouse.staging import ValidatedChunk, validate_chunk

__all__ = ["ChunkValidator", "DEFAULT_WORKERS", "PARALLEL_FROM_ROWS"]

DEFAULT_WORKERS = min(2, os.cpu_count() or 1)
"""Worker processes for large files: two where the machine has two cores or more."""

PARALLEL_FROM_ROWS = 1_000_000
"""Rows of a file read before the pool starts (starting it costs a few seconds of imports)."""


class ChunkValidator:
    """Validates chunks in this process or, for large files, in a pool of worker processes.

    Parameters
    ----------
    workers
        Worker processes (1: validate in this process only).
    parallel_from
        Rows of a file to read before handing its chunks to the pool (default :data:`PARALLEL_FROM_ROWS`).
    """

    def __init__(self, workers: int = DEFAULT_WORKERS, parallel_from: int | None = None) -> None:
        if isinstance(workers, bool) or not isinstance(workers, Integral) or workers < 1:
            raise ArgumentError(f"workers={workers!r}; give a whole number of processes >= 1, e.g. 2")
        self.workers = int(workers)
        self.parallel_from = PARALLEL_FROM_ROWS if parallel_from is None else parallel_from
        self._pool: ProcessPoolExecutor | None = None

    def _start(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # spawn, not fork: the parent holds DuckDB's and Arrow's threads, which a fork would copy mid-flight
            self._pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"))
        return self._pool

    def validated(self, chunks: Iterator[RawTable], table: str, key: bytes) -> Iterator[tuple[int, ValidatedChunk]]:
        """``(rows read, validated chunk)`` for each chunk of ``chunks``, in file order."""
        pending: deque[tuple[int, Future]] = deque()
        read = 0
        for raw in chunks:
            rows = len(raw.frame)
            read += rows
            if self.workers == 1 or (read <= self.parallel_from and not pending):
                yield rows, validate_chunk(raw, table, key=key)
                continue
            pending.append((rows, self._start().submit(validate_chunk, raw, table, key=key)))
            del raw
            if len(pending) > self.workers:
                done_rows, future = pending.popleft()
                yield done_rows, future.result()
        while pending:
            done_rows, future = pending.popleft()
            yield done_rows, future.result()

    def close(self) -> None:
        """Stop the worker processes (waiting for none: every result has been taken)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> ChunkValidator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
