"""The backend seam: the same group-level sums from a pandas DataFrame or a table in a query engine.

Most estimators in progeval need only group-level sums of the rows: counts, sums and cross-products by
cell (institution x cohort, cluster x period, group).  :func:`group_sums` computes them from either a
pandas DataFrame (in process) or an `Ibis <https://ibis-project.org>`_ table, whose expression runs inside
the engine holding the data (DuckDB by default, Spark, PostgreSQL, ...), so only O(cells) numbers come
back to numpy.  The solving stays in numpy and is shared by both paths.
"""

from data_schema.engine.sums import Product, execute, group_sums, is_engine_table, table_columns, to_pandas

__all__ = ["Product", "execute", "group_sums", "is_engine_table", "table_columns", "to_pandas"]
