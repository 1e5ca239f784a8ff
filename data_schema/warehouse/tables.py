"""Open a study's DuckDB database for analysis: the valid tables as Ibis tables, and the stored report.

The analyses that reduce to group-level sums accept an Ibis table wherever they accept a DataFrame
(see :mod:`data_schema.engine`), so ``open_tables(config)["employment"]`` can be passed to them and the
heavy work runs inside DuckDB.

Each call attaches the database file read-only to a new in-memory DuckDB connection.  (Connecting to the
file itself would reuse a database DuckDB already holds open in this process, which after the study is
loaded again would still show the old file.)

Examples
--------
>>> sorted(DATABASE_TABLES)
['failures', 'load_report']
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import duckdb

from data_schema.arguments import check_choice
from data_schema.config import StudyConfig, load_config
from data_schema.errors import ConfigError
from data_schema.study_report import StudyReport
from data_schema.warehouse.assemble import quarantine_table, read_load_report_from
from data_schema.warehouse.atomic_db import connect_limited
from data_schema.warehouse.loader import study_database

if TYPE_CHECKING:
    import ibis.expr.types as ir

__all__ = ["open_tables", "open_quarantined", "read_load_report", "attach_database", "DATABASE_TABLES"]

DATABASE_TABLES = ("failures", "load_report")
"""Tables every study database holds besides the valid and quarantined rows of each input table."""


ANALYSIS_MEMORY_LIMIT = "2GB"
"""DuckDB's memory limit on the connection :func:`open_tables` opens; beyond it, DuckDB spills to disk."""


def _attach(path: Path, memory_limit: str | None = None) -> Any:
    """A new in-memory DuckDB connection with ``path`` attached read-only as ``study`` and in use."""
    con = duckdb.connect() if memory_limit is None else connect_limited(
        ":memory:", memory_limit, Path(tempfile.gettempdir()) / "progeval-duckdb")
    try:
        con.execute(f"ATTACH '{str(path).replace(chr(39), chr(39) * 2)}' AS study (READ_ONLY)")
        con.execute("USE study")
    except duckdb.Error as exc:
        con.close()
        raise ConfigError(f"{path}: not a readable DuckDB database ({exc})") from None
    return con


def _database(config: str | Path | StudyConfig, database: str | Path | None) -> tuple[StudyConfig, Path]:
    cfg = config if isinstance(config, StudyConfig) else load_config(config)
    path = study_database(cfg, database)
    if not path.is_file():
        raise ConfigError(f"{path}: no such database; build it with "
                          "data_schema.warehouse.load_study_into_duckdb(config) first")
    return cfg, path


def attach_database(config: str | Path | StudyConfig, database: str | Path | None = None) -> Any:
    """A new DuckDB connection with a study's database attached read-only and in use.

    Raises
    ------
    ConfigError
        The config names no database, or the file does not exist or is not a DuckDB database.
    """
    return _attach(_database(config, database)[1])


def _open(config: str | Path | StudyConfig, database: str | Path | None,
          name: Callable[[str], str], memory_limit: str | None = None) -> dict[str, ir.Table]:
    import ibis

    cfg, path = _database(config, database)
    con = ibis.duckdb.from_connection(_attach(path, memory_limit))
    present = set(con.list_tables())
    missing = [name(t) for t in cfg.tables() if name(t) not in present]
    if missing:
        raise ConfigError(f"{path}: the database has no table {', '.join(missing)} that the study config names; "
                          "load the study into it again with load_study_into_duckdb")
    return {t: con.table(name(t)) for t in cfg.tables()}


def open_tables(config: str | Path | StudyConfig, *, database: str | Path | None = None,
                engine: Literal["duckdb", "spark"] | None = None, session: Any = None,
                memory_limit: str = ANALYSIS_MEMORY_LIMIT) -> dict[str, ir.Table]:
    """The valid rows of each table of a study, as Ibis tables on its DuckDB database or in Spark (read-only).

    Parameters
    ----------
    config
        Path of ``study.yaml`` (or its folder), or a loaded :class:`~data_schema.config.StudyConfig`.
    database
        The database file; default: the config's ``backend.database``.
    engine
        ``"duckdb"`` opens the database file; ``"spark"`` opens the Parquet export of the config's
        ``backend.spark.tables`` folder in a Spark session.  Default: ``"spark"`` when the config says
        ``engine: spark``, else ``"duckdb"``.
    session
        With the Spark engine, the ``pyspark.sql.SparkSession`` to use; default: the one
        :func:`~data_schema.warehouse.spark_session` starts from the config's ``backend.spark``.
    memory_limit
        With DuckDB, its memory limit for the queries the analyses send (``"2GB"``); beyond it DuckDB spills
        to a folder in the system's temporary directory.  (DuckDB's own default is 80% of the machine.)

    Returns
    -------
    dict
        Table name -> Ibis table (``row``, the file's row number, then the typed canonical columns),
        for the tables the config names.

    Raises
    ------
    ConfigError
        The config names no database, the file does not exist or is not a DuckDB database, or it lacks a
        table the config names; with Spark, the config has no spark section or its folder lacks a table.
    ImportError
        The Spark engine is asked for and ``pyspark`` is not installed (``pip install 'progeval[spark]'``).

    Examples
    --------
    >>> import tempfile
    >>> from data_schema.engine import execute, group_sums
    >>> from data_schema.synthetic import generate_study
    >>> from data_schema.warehouse import load_study_into_duckdb
    >>> synthetic = generate_study(tempfile.mkdtemp(), seed=3, n_institutions=4, students_per_class=5,
    ...                            classes_per_cohort=1, n_cohorts=4, first_cohort=2020)
    >>> database = synthetic.root / "study.duckdb"
    >>> report = load_study_into_duckdb(synthetic.config_path, database)
    >>> tables = open_tables(synthetic.config_path, database=database)
    >>> sorted(tables)
    ['assessments', 'employment', 'students', 'survey_responses']
    >>> group_sums(tables["students"], ["program"])
           program   n
    0   integrated  25
    1  traditional  55
    >>> read_load_report(database).counts().equals(report.counts())
    True
    """
    cfg = config if isinstance(config, StudyConfig) else load_config(config)
    chosen = engine or ("spark" if cfg.backend.engine == "spark" else "duckdb")
    check_choice("engine", chosen, ("duckdb", "spark"))
    if chosen == "spark":
        from data_schema.warehouse.spark import open_spark_tables

        return open_spark_tables(cfg, session=session)
    return _open(cfg, database, lambda table: table, memory_limit)


def open_quarantined(config: str | Path | StudyConfig, *,
                     database: str | Path | None = None) -> dict[str, ir.Table]:
    """The quarantined rows of each table (text, with ``quarantine_rules``), as Ibis tables (read-only).

    Parameters
    ----------
    config
        Path of ``study.yaml`` (or its folder), or a loaded :class:`~data_schema.config.StudyConfig`.
    database
        The database file; default: the config's ``backend.database``.

    Returns
    -------
    dict
        Table name -> Ibis table of its quarantined rows, as :attr:`data_schema.Study.quarantined`
        holds them, with the file's row number in ``row``.

    Raises
    ------
    ConfigError
        As :func:`open_tables`.
    """
    return _open(config, database, quarantine_table)


def read_load_report(database: str | Path) -> StudyReport:
    """The validation report stored in a study database by :func:`load_study_into_duckdb`.

    Parameters
    ----------
    database
        The database file.

    Returns
    -------
    StudyReport
        Equal to the report :func:`load_study_into_duckdb` returned when it built the database.

    Raises
    ------
    ConfigError
        The file is missing or is not a study database.
    """
    path = Path(database)
    if not path.is_file():
        raise ConfigError(f"{path}: no such database")
    con = _attach(path)
    try:
        return read_load_report_from(con)
    except duckdb.CatalogException:
        raise ConfigError(f"{path}: not a study database (it has no load_report table)") from None
    finally:
        con.close()
