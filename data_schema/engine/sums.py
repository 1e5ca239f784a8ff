"""Group-level counts, sums and cross-products, computed where the data live.

Examples
--------
>>> import pandas as pd
>>> rows = pd.DataFrame({"g": ["a", "a", "b"], "y": [1.0, 2.0, 4.0], "x": [1.0, 0.0, 2.0]})
>>> group_sums(rows, ["g"], sums={"y": ("y",), "yy": ("y", "y"), "xy": ("x", "y")})
   g  n    y    yy   xy
0  a  2  3.0   5.0  1.0
1  b  1  4.0  16.0  8.0

The same call on an Ibis table runs in the engine (here DuckDB, in memory) and gives the same frame:

>>> import ibis
>>> con = ibis.duckdb.connect()
>>> group_sums(con.create_table("rows", rows), ["g"], sums={"y": ("y",), "yy": ("y", "y"), "xy": ("x", "y")})
   g  n    y    yy   xy
0  a  2  3.0   5.0  1.0
1  b  1  4.0  16.0  8.0
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from data_schema.errors import ArgumentError, ColumnError

__all__ = ["Product", "execute", "group_sums", "is_engine_table", "table_columns", "to_pandas"]

Product = tuple[str, ...]
"""The columns multiplied in one sum: ``("y",)`` is the sum of ``y``, ``("x", "y")`` the sum of ``x * y``."""


def is_engine_table(data: Any) -> bool:
    """Whether ``data`` is a table expression of a query engine (an Ibis table) rather than a DataFrame.

    Examples
    --------
    >>> import pandas as pd
    >>> is_engine_table(pd.DataFrame({"a": [1]}))
    False
    """
    if isinstance(data, pd.DataFrame):
        return False
    try:
        from ibis.expr.types import Table
    except ImportError:  # ibis is not installed: nothing can be an engine table
        return False
    return isinstance(data, Table)


def table_columns(data: Any) -> list[str]:
    """Column names of a DataFrame or an engine table.

    Examples
    --------
    >>> import pandas as pd
    >>> table_columns(pd.DataFrame({"a": [1], "b": [2]}))
    ['a', 'b']
    """
    if is_engine_table(data):
        return list(data.columns)
    if isinstance(data, pd.DataFrame):
        return [str(c) for c in data.columns]
    raise ArgumentError(f"expected a pandas DataFrame or an Ibis table, got {type(data).__name__}; read the "
                        "file with data_schema or connect to the database with ibis")


def execute(expr: Any) -> pd.DataFrame:
    """Run an Ibis expression in its engine and return a pandas DataFrame.

    Ibis 12 reads pandas' deprecated ``future.infer_string`` option when it converts results, which
    pandas 3 answers with a deprecation warning meant for Ibis, not for the caller; PySpark 4.0 converts
    with pandas' deprecated ``copy`` keyword, likewise.  Both are silenced here and nowhere else.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The 'future.infer_string' option is deprecated")
        warnings.filterwarnings("ignore", message="The copy keyword is deprecated", module="pyspark")
        return expr.to_pandas()


def _check(data: Any, by: Sequence[str], sums: Mapping[str, Product], count: str,
           required: Sequence[str]) -> list[str]:
    present = set(table_columns(data))
    used = list(dict.fromkeys([*by, *(c for p in sums.values() for c in p), *required]))
    missing = [c for c in used if c not in present]
    if missing:
        raise ColumnError(f"column(s) {missing} not in the data; it has {sorted(present)[:20]}")
    clash = [name for name in sums if name in by or name == count]
    if clash or count in by:
        raise ArgumentError(f"output name(s) {clash or [count]} repeat a grouping column or the count column; "
                            "choose other names")
    for name, product in sums.items():
        if not isinstance(product, tuple) or not product or not all(isinstance(c, str) for c in product):
            raise ArgumentError(f"sums[{name!r}]={product!r}; give a tuple of column names, e.g. ('y',) or "
                                "('x', 'y')")
    return used


def _pandas_sums(data: pd.DataFrame, by: list[str], sums: Mapping[str, Product], count: str,
                 used: list[str]) -> pd.DataFrame:
    frame = data[used]
    frame = frame[frame.notna().all(axis=1).to_numpy()]
    out = pd.DataFrame({c: frame[c].to_numpy() for c in by})
    out[count] = 1
    for name, product in sums.items():
        value = frame[product[0]].to_numpy(dtype="float64")
        for col in product[1:]:
            value = value * frame[col].to_numpy(dtype="float64")
        out[name] = value
    if not by:
        return pd.DataFrame({count: [len(out)], **{n: [float(out[n].sum())] for n in sums}})
    return out.groupby(by, sort=True, as_index=False, dropna=False).sum()


def _engine_sums(table: Any, by: list[str], sums: Mapping[str, Product], count: str,
                 used: list[str]) -> pd.DataFrame:
    expr = table.select(*used)
    schema = expr.schema()
    for col in used:
        expr = expr.filter(expr[col].notnull())
        if schema[col].is_floating():  # pandas counts NaN as missing; so must the engine
            expr = expr.filter(~expr[col].isnan())
    metrics = {count: expr.count()}
    for name, product in sums.items():
        value = expr[product[0]].cast("float64")
        for col in product[1:]:
            value = value * expr[col].cast("float64")
        metrics[name] = value.sum()
    result = execute(expr.group_by(by).aggregate(**metrics) if by else expr.aggregate(**metrics))
    if by:
        result = result.sort_values(by, kind="mergesort").reset_index(drop=True)
    result[count] = result[count].astype("int64")
    for name in sums:
        result[name] = result[name].astype("float64").fillna(0.0)
    return result[[*by, count, *sums]]


def group_sums(data: Any, by: Sequence[str], *, sums: Mapping[str, Product] | None = None, count: str = "n",
               required: Sequence[str] = ()) -> pd.DataFrame:
    """Count the rows and sum columns and products of columns by group, in pandas or in the engine.

    Parameters
    ----------
    data
        A pandas DataFrame, or an Ibis table (the sums then run inside its engine: DuckDB, Spark, ...).
    by
        Grouping columns (may be empty: one row of totals).
    sums
        Output name -> the columns multiplied in that sum (``("y",)``, ``("y", "y")``, ``("x", "y")``).
        Values are summed as float64 (integers are converted first, so products do not overflow).
    count
        Name of the row-count column.
    required
        Further columns that must be non-missing for a row to count.

    Returns
    -------
    pandas.DataFrame
        One row a group, sorted by ``by``: the grouping columns, ``count`` (int64) and each sum (float64).

    Raises
    ------
    ColumnError
        When a named column is not in the data.
    ArgumentError
        When an output name repeats a grouping column, or a product is not a tuple of names.

    Notes
    -----
    A row counts when every column it uses (grouping, summed, ``required``) is non-missing, the rule of the
    row-level estimators (complete cases).  Sums are order-dependent in floating point, so the two paths
    agree to about 1e-15 relative per sum, not bit for bit.
    """
    sums = dict(sums or {})
    by = list(by)
    used = _check(data, by, sums, count, required)
    if is_engine_table(data):
        return _engine_sums(data, by, sums, count, used)
    out = _pandas_sums(data, by, sums, count, used)
    out[count] = out[count].astype("int64")
    return out.reset_index(drop=True)


def to_pandas(data: Any, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """A DataFrame of (some columns of) a DataFrame or engine table; for small, already aggregated tables.

    Examples
    --------
    >>> import pandas as pd
    >>> to_pandas(pd.DataFrame({"a": [1], "b": [2]}), ["b"])
       b
    0  2
    """
    cols = table_columns(data) if columns is None else list(columns)
    missing = [c for c in cols if c not in table_columns(data)]
    if missing:
        raise ColumnError(f"column(s) {missing} not in the data")
    if is_engine_table(data):
        return execute(data.select(*cols))
    return data[cols].copy()


