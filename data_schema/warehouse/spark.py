"""Open a study's validated tables in Spark, for estimates whose group sums should run on a cluster.

:func:`~data_schema.warehouse.load_study_into_duckdb` validates the exports (on one machine, out of core)
and, with ``engine: spark``, writes the valid rows as Parquet into the config's ``backend.spark.tables``
folder; :func:`open_spark_tables` registers those files in a Spark session through Ibis, so every
analysis that accepts an engine table sends its sums to Spark and solves the small system in numpy.

Examples
--------
>>> from data_schema.config import SparkOptions
>>> sorted(session_settings(SparkOptions()))[:2]
['spark.sql.session.timeZone', 'spark.ui.showConsoleProgress']
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from data_schema.config import SparkOptions, StudyConfig, load_config
from data_schema.errors import ConfigError
from data_schema.warehouse.parquet_export import parquet_name

if TYPE_CHECKING:
    import ibis.expr.types as ir

__all__ = ["spark_session", "open_spark_tables", "session_settings"]

DEFAULT_SETTINGS = {
    "spark.sql.session.timeZone": "UTC",  # dates and timestamps read as written, whatever the machine's zone
    "spark.ui.showConsoleProgress": "false",
}
"""Settings every progeval Spark session gets unless the config's ``spark.conf`` says otherwise."""


def session_settings(options: SparkOptions) -> dict[str, str]:
    """The Spark settings of a session for ``options``: the defaults, overridden by ``options.conf``."""
    return {**DEFAULT_SETTINGS, **options.conf}


def _options(cfg: StudyConfig) -> SparkOptions:
    if cfg.backend.spark is None:
        raise ConfigError(f"{cfg.root / 'study.yaml'}: the study config has no spark backend; add "
                          "backend: {engine: spark, database: study.duckdb, spark: {master: 'local[2]'}}")
    return cfg.backend.spark


def spark_session(config: str | Path | StudyConfig) -> Any:
    """The Spark session the config's ``backend.spark`` describes (an existing one is reused).

    Parameters
    ----------
    config
        Path of ``study.yaml`` (or its folder), or a loaded :class:`~data_schema.config.StudyConfig`
        whose backend is ``engine: spark``.

    Returns
    -------
    pyspark.sql.SparkSession
        ``SparkSession.builder.master(master)`` with :func:`session_settings`, ``getOrCreate()``.

    Raises
    ------
    ConfigError
        The config has no spark backend.
    ImportError
        ``pyspark`` is not installed.
    """
    cfg = config if isinstance(config, StudyConfig) else load_config(config)
    options = _options(cfg)
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise ImportError("engine: spark needs pyspark; install it with pip install 'progeval[spark]'") from None
    builder = SparkSession.builder.master(options.master).appName(f"progeval: {cfg.title}")
    for key, value in session_settings(options).items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


def _view_name(folder: Path, table: str) -> str:
    """A view name unique to the folder, so two studies can be open in one session."""
    return f"progeval_{hashlib.sha256(str(folder).encode()).hexdigest()[:12]}_{table}"


def open_spark_tables(config: str | Path | StudyConfig, *, session: Any = None) -> dict[str, ir.Table]:
    """The valid rows of each table of a study, as Ibis tables on Spark, read from its Parquet export.

    Parameters
    ----------
    config
        Path of ``study.yaml`` (or its folder), or a loaded :class:`~data_schema.config.StudyConfig`
        whose backend is ``engine: spark``.
    session
        The ``pyspark.sql.SparkSession`` to use; default: :func:`spark_session` of the config.

    Returns
    -------
    dict
        Table name -> Ibis table, the same columns as :func:`~data_schema.warehouse.open_tables` gives on
        DuckDB.

    Raises
    ------
    ConfigError
        The config has no spark backend, or its tables folder lacks a table the config names (load the
        study with :func:`~data_schema.warehouse.load_study_into_duckdb` first).
    """
    import ibis

    cfg = config if isinstance(config, StudyConfig) else load_config(config)
    folder = (cfg.root / _options(cfg).tables).resolve()
    missing = [t for t in cfg.tables() if not (folder / parquet_name(t)).is_file()]
    if missing:
        raise ConfigError(f"{folder}: no Parquet export of table {', '.join(missing)}; load the study with "
                          "data_schema.warehouse.load_study_into_duckdb(config), which writes it for engine: spark")
    con = ibis.pyspark.connect(session if session is not None else spark_session(cfg))
    return {t: con.read_parquet(str(folder / parquet_name(t)), table_name=_view_name(folder, t))
            for t in cfg.tables()}
