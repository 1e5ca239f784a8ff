"""Validate and load exports of any size into a DuckDB database, out of core; open its tables for analysis.

:func:`load_study_into_duckdb` applies the rules, repairs, pseudonyms and quarantine of
:func:`~data_schema.load_study` a chunk of rows at a time and the whole-table rules in SQL, and returns
the same :class:`~data_schema.StudyReport`; :func:`open_tables` opens the loaded tables as Ibis tables
on DuckDB or, from the Parquet files :func:`export_tables` writes, in Spark.

Examples
--------
>>> from data_schema.warehouse import DEFAULT_CHUNK_ROWS
>>> DEFAULT_CHUNK_ROWS > 0
True
"""

from data_schema.warehouse.loader import DEFAULT_CHUNK_ROWS, load_study_into_duckdb, study_database
from data_schema.warehouse.parquet_export import export_tables
from data_schema.warehouse.spark import open_spark_tables, spark_session
from data_schema.warehouse.tables import open_quarantined, open_tables, read_load_report

__all__ = [
    "DEFAULT_CHUNK_ROWS",
    "export_tables",
    "open_spark_tables",
    "spark_session",
    "load_study_into_duckdb",
    "open_quarantined",
    "open_tables",
    "read_load_report",
    "study_database",
]
