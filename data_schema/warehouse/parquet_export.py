"""Write the valid rows of a study database as one Parquet file a table, for engines that read files (Spark).

The folder is written beside its target under a hidden name and swapped in only when every table is
complete, so a reader never sees a half-written table and a failure leaves the old folder untouched.

Examples
--------
>>> parquet_name("students")
'students.parquet'
"""

from __future__ import annotations

import secrets
import shutil
from pathlib import Path

from data_schema.atomic import swap_in_folder
from data_schema.config import StudyConfig, load_config
from data_schema.errors import ConfigError

__all__ = ["export_tables", "parquet_name"]


def parquet_name(table: str) -> str:
    """The file name of a table in an export folder."""
    return f"{table}.parquet"


def _quote(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def export_tables(config: str | Path | StudyConfig, folder: str | Path | None = None, *,
                  database: str | Path | None = None) -> dict[str, Path]:
    """Write the valid rows of each table of a loaded study database as Parquet, one file a table.

    Parameters
    ----------
    config
        Path of ``study.yaml`` (or its folder), or a loaded :class:`~data_schema.config.StudyConfig`.
    folder
        The folder to write (replaced if it exists); default: the config's ``backend.spark.tables``.
    database
        The database :func:`~data_schema.warehouse.load_study_into_duckdb` wrote; default: the config's
        ``backend.database``.

    Returns
    -------
    dict
        Table name -> its Parquet file, for the tables the config names.

    Raises
    ------
    ConfigError
        No folder is given and the config has no ``backend.spark`` section, or the database is missing.

    Notes
    -----
    The files hold the same columns and types as the database tables (``row``, the input file's row
    number, then the typed canonical columns), written by DuckDB's ``COPY ... TO ... (FORMAT parquet)``
    with zstd compression.  The row order is the file's.

    Examples
    --------
    >>> import tempfile
    >>> from data_schema.synthetic import generate_study
    >>> from data_schema.warehouse import load_study_into_duckdb
    >>> synthetic = generate_study(tempfile.mkdtemp(), seed=3, n_institutions=4, students_per_class=5,
    ...                            classes_per_cohort=1, n_cohorts=4, first_cohort=2020)
    >>> _ = load_study_into_duckdb(synthetic.config_path, synthetic.root / "study.duckdb")
    >>> files = export_tables(synthetic.config_path, synthetic.root / "validated",
    ...                       database=synthetic.root / "study.duckdb")
    >>> sorted(path.name for path in files.values())
    ['assessments.parquet', 'employment.parquet', 'students.parquet', 'survey_responses.parquet']
    """
    from data_schema.warehouse.tables import attach_database

    cfg = config if isinstance(config, StudyConfig) else load_config(config)
    if folder is None:
        if cfg.spark_tables_dir is None:
            raise ConfigError("name the folder to write, or give the study config a spark section: "
                              "backend: {engine: spark, database: study.duckdb, spark: {tables: validated}}")
        folder = cfg.spark_tables_dir
    target = Path(folder).resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    built = target.with_name(f".{target.name}.{secrets.token_hex(4)}.part")
    built.mkdir()
    con = attach_database(cfg, database)
    try:
        for table in cfg.tables():
            con.execute(f'COPY "{table}" TO {_quote(built / parquet_name(table))} '
                        "(FORMAT parquet, COMPRESSION zstd)")
        con.close()
        swap_in_folder(built, target)
    except BaseException:
        con.close()
        shutil.rmtree(built, ignore_errors=True)
        raise
    return {table: target / parquet_name(table) for table in cfg.tables()}
