"""Unit x period cell sums from any backend: the engine path of the two-way fixed-effects estimators.

When the treatment, the covariates and the cluster are constant within unit x period cells, a two-way
fixed-effects regression on students needs only, per cell, the row count :math:`n_c`, the sum of
weights :math:`W_c = \\sum_{i \\in c} w_i` and the weighted outcome sum :math:`\\sum_{i \\in c} w_i y_i`
(:mod:`analyses.did.design`).  :func:`cell_sums` asks the engine holding the data (an Ibis table on DuckDB,
Spark, PostgreSQL, ...) for exactly these numbers with :func:`data_schema.engine.group_sums`, grouping by
unit, period, cluster and the regressors; only O(cells) numbers leave the engine.  The regressors and the
cluster are grouping keys, so a cell that comes back twice has a value varying within it, which the
cell path cannot represent: it is refused with an :class:`~data_schema.errors.ArgumentError` naming
the column (covariates are checked by a one-row query first, so a student-level covariate is refused
before one group per student is sent back).  :func:`design_from` hands a pandas DataFrame to the row path
(:func:`analyses.did.design.two_way_design`) and an engine table to :func:`cell_sums` followed by
:func:`analyses.did.design.cell_design`; both end in the same numpy code, so the fits agree to rounding.

Examples
--------
>>> import ibis
>>> import pandas as pd
>>> rows = pd.DataFrame({"y": [1.0, 2.0, 3.0, 5.0, 2.0, 2.5, 3.0, 3.5], "d": [0, 0, 1, 1, 0, 0, 0, 0],
...                      "unit": [1, 1, 1, 1, 2, 2, 2, 2], "t": [1, 1, 2, 2, 1, 1, 2, 2]})
>>> table = ibis.duckdb.connect().create_table("rows", rows)
>>> sums = cell_sums(table, outcome="y", unit="unit", time="t", cluster="unit", keys=["d"])
>>> sums.n_obs, sums.n_dropped, sums.cells[WEIGHTED_OUTCOME].tolist()
(8, 0, [3.0, 8.0, 4.5, 6.5])
>>> design_from(table, outcome="y", regressors=["d"], unit="unit", time="t", cluster="unit").names
('d', 't=2')
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from analyses.did.design import TwfeDesign, cell_design, two_way_design
from data_schema.arguments import check_columns
from data_schema.engine import execute, group_sums, is_engine_table
from data_schema.errors import ArgumentError, EstimationError

if TYPE_CHECKING:
    import ibis.expr.types as ir

__all__ = ["COUNT", "WEIGHT", "WEIGHTED_OUTCOME", "CellSums", "cell_sums", "check_numeric", "design_from",
           "engine_design"]

COUNT = "__n"
"""Column of :attr:`CellSums.cells` holding the rows of each cell."""
WEIGHT = "__w"
"""Column holding the sum of row weights (the row count, as float, when unweighted)."""
WEIGHTED_OUTCOME = "__wy"
"""Column holding the sum of weight x outcome."""
_NEGATIVE = "__negative"


@dataclass(frozen=True)
class CellSums:
    """Sufficient statistics of a two-way fixed-effects regression, one row per unit x period cell.

    Attributes
    ----------
    cells
        Sorted by unit and period: the unit, period and cluster columns, the cell value of every key
        column (regressors), then :data:`COUNT`, :data:`WEIGHT` and :data:`WEIGHTED_OUTCOME`.
    n_obs
        Data rows in the cells (rows with every used value present).
    n_dropped
        Data rows left out because a used value was missing.
    """

    cells: pd.DataFrame
    n_obs: int
    n_dropped: int


def check_numeric(table: ir.Table, columns: Sequence[str], *, kind: str) -> None:
    """Raise an ``EstimationError`` when a column of an engine table is not numeric (or boolean).

    Examples
    --------
    >>> import ibis
    >>> try:
    ...     check_numeric(ibis.memtable({"y": ["a"]}), ["y"], kind="outcome")
    ... except EstimationError as exc:
    ...     print(exc)
    outcome column 'y' must be numeric (got engine type string); cast it in the engine or fix the export
    """
    schema = table.schema()
    for col in columns:
        dtype = schema[col]
        if not (dtype.is_numeric() or dtype.is_boolean()):
            raise EstimationError(f"{kind} column {col!r} must be numeric (got engine type {dtype}); cast it in "
                                  "the engine or fix the export")


def cell_sums(table: ir.Table, *, outcome: str, unit: str, time: str, cluster: str, keys: Sequence[str] = (),
              weights: str | None = None, guard: Sequence[str] = (), labels: Mapping[str, str] | None = None,
              total_rows: int | None = None, what: str = "data") -> CellSums:
    """Count, weight and weighted-outcome sums by unit x period cell, computed inside the engine.

    Parameters
    ----------
    table
        Ibis table of student rows (or unit x period rows).
    outcome
        Numeric outcome column.
    unit, time, cluster
        The fixed-effect factors and the cluster column.
    keys
        Numeric columns that must be constant within cells (treatment, event-time bins, cell-level
        covariates); they become grouping keys and their cell values are returned.
    weights
        Optional non-negative row weights.
    guard
        Keys that could take many values within a cell (a student-level covariate passed by mistake):
        one query first checks, cell by cell, that their smallest and largest values agree, so such a
        column is refused before a grouped result nearly as long as the data leaves the engine.  It
        also gives the row count, replacing the ``count(*)`` query.
    labels
        Names to use for key columns in error messages (for computed columns).
    total_rows
        Rows of ``table`` when already known (otherwise one ``count(*)`` query).
    what
        Name of the table in error messages.

    Returns
    -------
    CellSums

    Raises
    ------
    ArgumentError
        When a key or the cluster varies within a unit x period cell (the row-level path is needed).
    EstimationError
        When a summed column is not numeric, weights are negative, or every row has a missing value.

    Notes
    -----
    A row counts when all of ``outcome, unit, time, cluster, keys, weights`` are present (complete cases,
    the rule of the row path), and ``n_dropped`` is the table's row count minus the rows counted.  A
    floating-point NaN counts as missing, as in pandas (SQL engines treat NaN as a value and only NULL as
    missing).
    """
    keys = list(keys)
    used = list(dict.fromkeys([outcome, *keys, unit, time, cluster] + ([weights] if weights else [])))
    check_columns(table, used, what=what)
    check_numeric(table, [outcome], kind="outcome")
    check_numeric(table, [k for k in keys if k not in (unit, time, cluster)], kind="regressor")
    if weights:
        check_numeric(table, [weights], kind="weights")
        table = table.mutate(**{_NEGATIVE: (table[weights] < 0).cast("float64")})
        sums = {WEIGHT: (weights,), WEIGHTED_OUTCOME: (weights, outcome), _NEGATIVE: (_NEGATIVE,)}
    else:
        sums = {WEIGHTED_OUTCOME: (outcome,)}
    if guard:
        total_rows = _guard(table, unit=unit, time=time, columns=list(guard), used=used, labels=dict(labels or {}))
    by = list(dict.fromkeys([unit, time, cluster, *keys]))
    cells = group_sums(_without_nan(table, used), by, sums=sums, count=COUNT)
    if cells.empty:
        raise EstimationError(f"every row has a missing value in one of {', '.join(map(repr, used))}")
    if weights and cells[_NEGATIVE].sum() > 0:
        raise EstimationError(f"weights column {weights!r} has negative values; weights must be >= 0")
    cells = cells.drop(columns=[_NEGATIVE], errors="ignore")
    if not weights:
        cells.insert(len(cells.columns) - 1, WEIGHT, cells[COUNT].to_numpy(dtype=float))
    _check_constant(cells, unit, time, by[2:], dict(labels or {}))
    n_obs = int(cells[COUNT].sum())
    total = int(execute(table.count())) if total_rows is None else int(total_rows)
    return CellSums(cells.reset_index(drop=True), n_obs, total - n_obs)


def _without_nan(table: ir.Table, columns: list[str]) -> ir.Table:
    """Leave out rows with NaN in a floating-point column: pandas reads NaN as missing, SQL engines as a value."""
    schema = table.schema()
    nan = [~table[c].isnan() for c in columns if schema[c].is_floating()]
    return table.filter(*nan) if nan else table


def _guard(table: ir.Table, *, unit: str, time: str, columns: list[str], used: list[str],
           labels: dict[str, str]) -> int:
    """The table's row count, after checking in one query that ``columns`` are constant within cells."""
    import ibis

    schema = table.schema()
    complete = ibis.and_(*(table[c].notnull() for c in used), *(~table[c].isnan() for c in used
                                                                if schema[c].is_floating()))
    flags = {f"__varies{i}": table[c].min(where=complete) != table[c].max(where=complete)
             for i, c in enumerate(columns)}
    per_cell = table.group_by([unit, time]).aggregate(__rows=table.count(), **flags)
    out = execute(per_cell.aggregate(__rows=per_cell["__rows"].sum(), **{f: per_cell[f].any() for f in flags}))
    varying = [c for f, c in zip(flags, columns, strict=True) if pd.notna(out.loc[0, f]) and bool(out.loc[0, f])]
    if varying:
        raise ArgumentError(_varies_message(varying, unit, time, labels, example=""))
    return int(out.loc[0, "__rows"])


def _varies_message(varying: list[str], unit: str, time: str, labels: dict[str, str], example: str) -> str:
    names = ", ".join(repr(labels.get(c, c)) for c in varying)
    return (f"{names} {'varies' if len(varying) == 1 else 'vary'} within {unit} x {time} cells{example}. On an "
            "engine table the regression is fitted from cell sums, which needs the treatment, covariates and "
            "cluster constant within each cell. Student-level values need the row-level path: pass a pandas "
            "DataFrame, or aggregate the column to the cell")


def _check_constant(cells: pd.DataFrame, unit: str, time: str, keys: list[str], labels: dict[str, str]) -> None:
    repeated = cells.duplicated([unit, time], keep=False).to_numpy()
    if not repeated.any():
        return
    sub = cells.loc[repeated]
    varying = [c for c in keys if (sub.groupby([unit, time], sort=False)[c].nunique() > 1).any()]
    example = f" (e.g. {unit}={sub[unit].iloc[0]}, {time}={sub[time].iloc[0]})"
    raise ArgumentError(_varies_message(varying, unit, time, labels, example))


def engine_design(table: ir.Table, *, outcome: str, regressors: Sequence[str], unit: str, time: str,
                  cluster: str, weights: str | None = None, guard: Sequence[str] = (),
                  what: str = "data") -> TwfeDesign:
    """:func:`analyses.did.design.two_way_design` for an engine table, from its cell sums.

    ``guard`` names regressors (covariates) to check for constancy within cells before the cell sums
    are grouped by them (see :func:`cell_sums`).

    Raises
    ------
    ArgumentError
        When a regressor or the cluster varies within unit x period cells.
    EstimationError
        As :func:`cell_sums` and :func:`analyses.did.design.two_way_design`.
    """
    regressors = list(regressors)
    sums = cell_sums(table, outcome=outcome, unit=unit, time=time, cluster=cluster, keys=regressors,
                     weights=weights, guard=guard, what=what)
    xs = np.column_stack([sums.cells[r].to_numpy(dtype=float) for r in regressors]) if regressors \
        else np.zeros((len(sums.cells), 0))
    return cell_design(sums.cells, xs, names=regressors, unit=unit, time=time, cluster=cluster,
                       n_dropped=sums.n_dropped, count=COUNT, weight=WEIGHT, weighted_outcome=WEIGHTED_OUTCOME)


def design_from(data: pd.DataFrame | ir.Table, *, outcome: str, regressors: Sequence[str], unit: str,
                time: str, cluster: str, weights: str | None = None, guard: Sequence[str] = (),
                what: str = "data") -> TwfeDesign:
    """The two-way design of a pandas DataFrame (row path) or of an engine table (cell sums in the engine).

    ``guard`` (engine tables only) names regressors that may vary within cells by mistake, such as
    covariates; see :func:`cell_sums`.

    Examples
    --------
    >>> rows = pd.DataFrame({"y": [1.0, 3.0, 2.0, 2.5], "d": [0, 1, 0, 0], "u": [1, 1, 2, 2], "t": [1, 2, 1, 2]})
    >>> design_from(rows, outcome="y", regressors=["d"], unit="u", time="t", cluster="u").n_obs
    4
    """
    if is_engine_table(data):
        return engine_design(data, outcome=outcome, regressors=regressors, unit=unit, time=time, cluster=cluster,
                             weights=weights, guard=guard, what=what)
    return two_way_design(data, outcome=outcome, regressors=regressors, unit=unit, time=time, cluster=cluster,
                          weights=weights, what=what)
