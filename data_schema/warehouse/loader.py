"""Validate a study's exports of any size and load them into a DuckDB database, out of core.

:func:`load_study_into_duckdb` does what :func:`~data_schema.load_study` does, with the same rules,
repairs, pseudonyms, quarantine and failure table, but never holds a whole file in memory: each file is
read a chunk of rows at a time (CSV streamed through pyarrow, Parquet a batch of rows at a time),
every chunk goes through the intake's own row-level steps, and the rows go to DuckDB.  The rules that
need the whole table (duplicate keys across chunks, a student's existence, a response within its
instrument's scale) then run in SQL inside DuckDB.  Memory is bounded by the chunk size and DuckDB's
memory limit, not by the size of the files.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from numbers import Integral
from pathlib import Path
from typing import Any

import pyarrow as pa

from data_schema.codebook import load_codebooks
from data_schema.columns import ColumnMatch
from data_schema.config import StudyConfig, load_config
from data_schema.errors import ArgumentError, ConfigError
from data_schema.pseudonym import study_key
from data_schema.readers import RawTable
from data_schema.study_report import StudyReport
from data_schema.warehouse.assemble import (
    StagedFile,
    table_report,
    write_failures,
    write_load_report,
    write_tables,
)
from data_schema.warehouse.atomic_db import DEFAULT_MEMORY_LIMIT, building_database
from data_schema.warehouse.csv_chunks import IrregularCsv
from data_schema.warehouse.parallel import DEFAULT_WORKERS, ChunkValidator
from data_schema.warehouse.parquet_export import export_tables
from data_schema.warehouse.sources import ChunkedFile, open_chunked
from data_schema.warehouse.staging import (
    FixTally,
    ValidatedChunk,
    append_chunk,
    create_failures,
    create_stage,
    drop_stage,
    drop_table_stage,
)
from data_schema.warehouse.whole_table import (
    drop_shadowed,
    held_rows,
    key_failures,
    response_failures,
    student_failures,
)

__all__ = ["load_study_into_duckdb", "DEFAULT_CHUNK_ROWS", "study_database"]

DEFAULT_CHUNK_ROWS = 250_000
"""Rows validated at a time: about 175 MB a chunk for a survey file (some 700 bytes a row); two chunks are
in memory at once, one being validated while the other is appended."""

COMMIT_ROWS = 200_000
"""Rows appended between commits."""

Progress = Callable[[str], None]


def study_database(cfg: StudyConfig, database: str | Path | None = None) -> Path:
    """The database file of a study: ``database`` if given, else the one its ``backend`` section names.

    Raises
    ------
    ConfigError
        No ``database`` given and the config names none (its backend is pandas).
    """
    if database is not None:
        return Path(database)
    if cfg.backend.database is None:
        raise ConfigError(
            f"{cfg.root / 'study.yaml'}: the study config names no DuckDB database (backend engine is "
            f"{cfg.backend.engine!r}); add `backend: {{engine: duckdb, database: study.duckdb}}` or pass database="
        )
    return cfg.database_path


def _append(con: Any, table: str, chunk: ValidatedChunk, commit: bool) -> None:
    append_chunk(con, table, chunk)
    if commit:
        con.execute("COMMIT")
        con.execute("BEGIN TRANSACTION")


def _stage_chunks(con: Any, table: str, chunks: Iterator[RawTable], key: bytes, step: Progress,
                  validator: ChunkValidator) -> tuple[ColumnMatch, FixTally, int]:
    """Validate every chunk and append it to the database, committing every ``COMMIT_ROWS`` rows.

    DuckDB appends a chunk in a worker thread (it releases the GIL) while the next chunks are read and
    validated (in worker processes for a large file, see :mod:`data_schema.warehouse.parallel`), one append
    in flight at most.  Commits are spaced because one commit a chunk is slow for small chunks and one
    transaction for a whole file holds memory in DuckDB until it ends.
    """
    header, tally, read, pending = None, None, 0, 0
    con.execute("BEGIN TRANSACTION")
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="duckdb-append") as worker:
        appending: Future | None = None
        for rows, chunk in validator.validated(chunks, table, key):
            if appending is not None:
                appending.result()
            if header is None:
                header = chunk.match
                create_stage(con, table, header)
                tally = FixTally(list(header.frame.columns))
            tally.add(chunk.fixes)
            read, pending = read + rows, pending + rows
            appending = worker.submit(_append, con, table, chunk, pending >= COMMIT_ROWS)
            pending = 0 if pending >= COMMIT_ROWS else pending
            step(f"reading {table}: {read:,} rows")
        if appending is not None:
            appending.result()
    con.execute("COMMIT")
    return header, tally, read


def _stage_file(con: Any, cfg: StudyConfig, table: str, key: bytes, chunk_rows: int, step: Progress,
                validator: ChunkValidator) -> StagedFile:
    entry = getattr(cfg.data, table)
    step(f"reading {table}")
    source: ChunkedFile = open_chunked(cfg.table_path(table), sheet=entry.sheet, encoding=entry.encoding)
    try:
        header, tally, read = _stage_chunks(con, table, source.chunks(chunk_rows), key, step, validator)
    except IrregularCsv:  # not a regular file after all: forget what was kept and read it line by line
        con.execute("ROLLBACK")
        drop_table_stage(con, table)
        header, tally, read = _stage_chunks(con, table, source.chunks(chunk_rows, linewise=True), key, step,
                                            validator)
    pa.default_memory_pool().release_unused()  # hand the chunks' memory back before DuckDB's turn
    empty = replace(header, frame=header.frame.iloc[:0])  # the header facts, without the first chunk's rows
    return StagedFile(table, source.facts, tuple(header.frame.columns), empty, tally.frame(), read, source.blank_rows)


def _check_chunk_rows(chunk_rows: int) -> int:
    if isinstance(chunk_rows, bool) or not isinstance(chunk_rows, Integral) or chunk_rows < 1:
        raise ArgumentError(f"chunk_rows={chunk_rows!r}; give a whole number of rows >= 1, e.g. "
                            f"{DEFAULT_CHUNK_ROWS:,}")
    return int(chunk_rows)


def load_study_into_duckdb(
    config: str | Path | StudyConfig,
    database: str | Path | None = None,
    *,
    key: bytes | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    memory_limit: str = DEFAULT_MEMORY_LIMIT,
    progress: Progress | None = None,
    workers: int = DEFAULT_WORKERS,
) -> StudyReport:
    """Validate every table a study config names and load it into a DuckDB database file, out of core.

    Parameters
    ----------
    config
        Path of ``study.yaml`` (or its folder), or a loaded :class:`~data_schema.config.StudyConfig`.
    database
        The database file to write (replaced if it exists); default: the config's ``backend.database``.
    key
        Pseudonymisation key; by default read from the source the config names.
    chunk_rows
        Rows validated at a time; working memory grows with it (some 700 bytes a row for a survey
        file), and so does speed, up to a point.
    memory_limit
        DuckDB's memory limit (``"512MB"``); beyond it DuckDB spills to a folder beside the database.
    progress
        Called with a short description before each step and after each chunk.
    workers
        Processes that validate the chunks of a large file (from its millionth row on) at the same time;
        the database is the same whatever the number.  Default: 2 on a machine with two cores or more.

    Returns
    -------
    StudyReport
        The same counts, failures and repairs as ``load_study(config).report``.

    Raises
    ------
    ConfigError, PseudonymKeyError, CodebookError, InputFileError
        As :func:`~data_schema.load_study`; nothing is written then.
    ArgumentError
        ``chunk_rows``, ``memory_limit`` or ``workers`` is not usable.

    Notes
    -----
    The database holds one table of valid rows per input table (``row`` = the file's row number, then
    the typed canonical columns), ``quarantined_<table>``, ``failures`` and ``load_report``; see
    :mod:`data_schema.warehouse.assemble`.  It is built in a temporary file beside ``database`` and
    renamed when complete, so a failure leaves no database behind.  When the config says ``engine: spark``
    and ``database`` is its own, the valid rows are then also written as Parquet into its
    ``backend.spark.tables`` folder (:func:`~data_schema.warehouse.export_tables`) for Spark to read.

    Each chunk is validated by the intake's own functions (coercion, pseudonyms, pandera rules), so
    single-row rules cannot drift apart; the duplicate-key and cross-table rules run in SQL
    (:mod:`data_schema.warehouse.whole_table`) and are tested against the pandas path.

    Peak memory is about 0.6 GB (the interpreter and its libraries, and allocator slack) plus two chunks
    (some 700 bytes a row each) plus ``memory_limit``, whatever the size of the files; the returned
    report holds the failure table in memory, one row a failing cell.

    References
    ----------
    .. [1] Raasveldt, M. and Mühleisen, H. (2019). DuckDB: an embeddable analytical database.
       *Proceedings of the 2019 International Conference on Management of Data (SIGMOD)*, 1981-1984.

    Examples
    --------
    >>> import tempfile
    >>> from data_schema import load_study
    >>> from data_schema.synthetic import generate_study
    >>> synthetic = generate_study(tempfile.mkdtemp(), seed=3, n_institutions=4, students_per_class=5,
    ...                            classes_per_cohort=1, n_cohorts=4, first_cohort=2020, messy=True)
    >>> report = load_study_into_duckdb(synthetic.config_path, synthetic.root / "study.duckdb", chunk_rows=700)
    >>> pandas_report = load_study(synthetic.config_path).report
    >>> report.counts().equals(pandas_report.counts())
    True
    >>> report.failure_counts().equals(pandas_report.failure_counts())
    True
    """
    cfg = config if isinstance(config, StudyConfig) else load_config(config)
    target = study_database(cfg, database)
    chunk_rows = _check_chunk_rows(chunk_rows)
    validator = ChunkValidator(workers)
    step = progress or (lambda _: None)
    if key is None:
        key = study_key(cfg)
    step("loading codebooks")
    codebooks = load_codebooks(cfg.instruments_dir, cfg.instruments.ids)
    with building_database(target, memory_limit=memory_limit) as con:
        create_failures(con)
        with validator:
            staged = [_stage_file(con, cfg, table, key, chunk_rows, step, validator) for table in cfg.tables()]
        for s in staged:
            step(f"checking keys of {s.table}")
            key_failures(con, s.table, list(s.columns))
            drop_shadowed(con, s.table)
        step("cross-checking tables")
        held_rows(con)
        student_failures(con, [s.table for s in staged])
        if "survey_responses" in cfg.tables():
            response_failures(con, codebooks, cfg.waves)
        step("writing the database")
        quarantined = {s.table: write_tables(con, s, batch_rows=chunk_rows) for s in staged}
        write_failures(con, staged)
        report = StudyReport({s.table: table_report(con, s, quarantined[s.table]) for s in staged})
        write_load_report(con, report)
        drop_stage(con)
    if cfg.backend.engine == "spark" and target == cfg.database_path:
        step("writing the Parquet tables for Spark")
        export_tables(cfg, database=target)
    return report
