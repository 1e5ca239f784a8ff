"""Read repeated cross-sections held in a query engine into cohort x period (x cluster) cell sums.

The engine-table path of :func:`~analyses.did.staggered.staggered`: every O(rows) step runs inside the engine
(DuckDB, Spark, PostgreSQL, ... through Ibis) and only cell sums come back, cleaned by the same rules as
:func:`~analyses.did.staggered.design.prepare_design` applies to a DataFrame (the same notes and warnings):

1. one pass for the totals: rows read and complete (outcome, time and weight finite; unit and cluster present),
   the mean outcome (used to centre the sums), the smallest first-treatment value and weight;
2. one grouped pass checking that ``first_treated`` is constant within ``unit``;
3. one grouped pass for the sums by (cluster,) first-treatment value and period: rows, :math:`\\sum w`,
   :math:`\\sum w\\tilde y` and, without a cluster, :math:`\\sum w^2`, :math:`\\sum w^2\\tilde y`,
   :math:`\\sum w^2\\tilde y^2`, with :math:`\\tilde y = y - \\bar y` (centring keeps the second moments
   accurate when the outcome's level is large relative to its spread).

Every row of a cell shares its time, first-treatment value (and cluster), so dropping rows treated in the
first period or periods after the last cohort (without never-treated units) drops whole cells; the cleaning
steps of the row path run on the cells with their row counts.  :mod:`analyses.did.staggered.cell_estimates`
turns the cells into ATT(g,t) and influence functions.

Examples
--------
>>> import ibis
>>> from analyses.did import simulate_did
>>> rows = simulate_did(n_units=40, n_periods=5, students_per_cell=10, seed=3)
>>> table = ibis.duckdb.connect().create_table("graduates", rows)
>>> cells = read_cells(table, outcome="y", unit="unit", time="period", first_treated="first_treated",
...                    cluster="cluster")
>>> cells.n_obs, cells.n_clusters, cells.periods.tolist()
(2000, 40, [1.0, 2.0, 3.0, 4.0, 5.0])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from analyses.did.staggered.design import Rows, note_warning, select_periods_and_cohorts, warn_few_clusters
from data_schema.engine import execute, group_sums, table_columns
from data_schema.errors import ArgumentError, ColumnError, EstimationError

if TYPE_CHECKING:
    from ibis.expr.types import BooleanValue, Table

__all__ = ["CellDesign", "check_engine_options", "read_cells"]

_Y, _T, _G, _W, _U, _C = "__cs_y", "__cs_t", "__cs_g", "__cs_w", "__cs_u", "__cs_c"


@dataclass(frozen=True)
class CellDesign:
    """A repeated cross-section design reduced to cell sums; the attributes of a StaggeredDesign it shares.

    Attributes
    ----------
    periods, cohorts, cohort_values
        Sorted periods kept, treated cohorts estimated, every first-treatment value kept (``inf`` = never).
    cohort_code, period_code
        Index into ``cohort_values`` and ``periods`` of every cell.
    cluster_code
        Cluster index of every cell (clusters in sorted order of their values, as the row path numbers them);
        None without a cluster.
    n_clusters, cluster_label
        Clusters (observations without a cluster) and what they are, in words.
    counts
        Rows in each cell.
    w_sum, wy_sum
        :math:`\\sum w` and :math:`\\sum w (y - \\text{shift})` of each cell, weights normalised to mean 1 over
        the rows kept.
    ww_sum, wwy_sum, wwyy_sum
        :math:`\\sum w^2`, :math:`\\sum w^2 (y - \\text{shift})`, :math:`\\sum w^2 (y - \\text{shift})^2` of
        each cell (None with a cluster, where they are not needed).
    shift
        The constant subtracted from the outcome before summing (the mean outcome of the complete rows).
    n_obs
        Rows kept.
    notes
        What the cleaning changed, in words.
    """

    periods: np.ndarray
    cohorts: np.ndarray
    cohort_values: np.ndarray
    cohort_code: np.ndarray = field(repr=False)
    period_code: np.ndarray = field(repr=False)
    cluster_code: np.ndarray | None = field(repr=False)
    n_clusters: int
    cluster_label: str
    counts: np.ndarray = field(repr=False)
    w_sum: np.ndarray = field(repr=False)
    wy_sum: np.ndarray = field(repr=False)
    ww_sum: np.ndarray | None = field(repr=False)
    wwy_sum: np.ndarray | None = field(repr=False)
    wwyy_sum: np.ndarray | None = field(repr=False)
    shift: float
    n_obs: int
    notes: tuple[str, ...]

    @property
    def panel(self) -> bool:
        """Always False: cells are built from repeated cross-sections."""
        return False


def check_engine_options(*, panel: bool | None, covariates: Sequence[str], n_boot: int, cluster: str | None) -> None:
    """Raise an ``ArgumentError`` for options the engine-table path cannot compute from cell sums."""
    if panel is not False:
        raise ArgumentError(f"panel={panel!r} with an engine table: only repeated cross-sections (each "
                            "observation its own row, e.g. each graduate observed once) reduce to cell sums; pass "
                            "panel=False for such data, or a pandas DataFrame for a panel (balancing and unit-level "
                            "influence functions need each unit's rows together)")
    if covariates:
        raise ArgumentError(f"covariates={list(covariates)!r} with an engine table: the propensity score and "
                            "outcome regressions of conditional parallel trends are fitted on student-level rows; "
                            "pass a pandas DataFrame, or leave covariates out (unconditional parallel trends)")
    if n_boot > 0 and cluster is None:
        raise ArgumentError(f"n_boot={n_boot} without a cluster on an engine table: the multiplier bootstrap then "
                            "draws one multiplier per observation, which cell sums cannot reproduce; pass cluster= "
                            "(e.g. the institution; one multiplier per cluster) or n_boot=0 (analytic standard "
                            "errors only)")


def _numeric(table: Table, col: str, role: str) -> Any:
    dtype = table.schema()[col]
    if not dtype.is_numeric() or dtype.is_boolean():
        raise ArgumentError(f"{role} column {col!r} must be numeric; it has type {dtype}. Convert it (dummy-code "
                            "categories) before calling staggered()")
    return table[col].cast("float64")


def _finite(table: Table, col: str) -> BooleanValue:
    """Not missing and, for floating-point columns, not NaN or infinite (``np.isfinite`` of the row path)."""
    value = table[col]
    if not table.schema()[col].is_floating():
        return value.notnull()
    return value.notnull() & ~value.cast("float64").isnan() & ~value.cast("float64").isinf()


def _present(table: Table, col: str) -> BooleanValue:
    """Not missing (NaN counts as missing in floating-point columns, as ``pandas.factorize`` treats it)."""
    value = table[col]
    return (value.notnull() & ~value.isnan()) if value.type().is_floating() else value.notnull()


def _select(table: Table, outcome: str, unit: str, time: str, first_treated: str, weights: str | None,
            cluster: str | None) -> Table:
    """The complete rows (the row path's rule) with the columns used, renamed."""
    import ibis

    cols = list(dict.fromkeys([outcome, unit, time, first_treated, *(c for c in (weights, cluster) if c)]))
    present = table_columns(table)
    for col in cols:
        if col not in present:
            have = ", ".join(repr(str(c)) for c in present)
            raise ColumnError(f"data has no column {col!r}; its columns are: {have}")
    g = _numeric(table, first_treated, "first_treated")
    columns = {_Y: _numeric(table, outcome, "outcome"), _T: _numeric(table, time, "time"),
               _G: ibis.ifelse(g.isnull() | g.isnan(), 0.0, g), _U: table[unit],
               _W: _numeric(table, weights, "weights") if weights else ibis.literal(1.0, "float64")}
    ok = _finite(table, outcome) & _finite(table, time) & _present(table, unit)
    if weights:
        ok = ok & _finite(table, weights)
    if cluster:
        columns[_C] = table[cluster]
        ok = ok & _present(table, cluster)
    return table.filter(ok).select(**columns)


def _totals(kept: Table, n_all: int, names: dict[str, str | None], notes: list[str], stacklevel: int) -> float:
    """Check the complete rows as the row path does; return the mean outcome (the centring shift)."""
    row = execute(kept.aggregate(n_ok=kept.count(), y_mean=kept[_Y].mean(), g_min=kept[_G].min(),
                                 w_min=kept[_W].min(), w_sum=kept[_W].sum())).iloc[0]
    n_ok = int(row["n_ok"])
    if n_ok < n_all:
        note_warning(notes, f"dropped {n_all - n_ok} rows with a missing outcome, time, unit, covariate, weight "
                     "or cluster", stacklevel)
    if n_ok == 0:
        raise EstimationError("no rows left after dropping rows with missing values")
    if float(row["g_min"]) < 0:
        raise EstimationError(f"first_treated column {names['first_treated']!r} has negative values; code "
                              "never-treated units as 0 or missing and treated units by the period they are first "
                              "treated")
    if names["weights"] and (float(row["w_min"]) < 0 or float(row["w_sum"]) / n_ok <= 0):
        raise ArgumentError(f"weights column {names['weights']!r} must be non-negative with a positive mean")
    return float(row["y_mean"])


def _check_within_unit(kept: Table, first_treated: str) -> None:
    """Raise the row path's error when ``first_treated`` varies within a unit (the first such unit in order)."""
    per_unit = kept.group_by(_U).aggregate(lo=kept[_G].min(), hi=kept[_G].max())
    bad = execute(per_unit.filter(per_unit.lo != per_unit.hi).order_by(_U).limit(1))
    if len(bad) == 0:
        return
    unit = bad[_U].iloc[0]
    values = execute(kept.filter(kept[_U] == unit).select(_G).distinct().order_by(_G))[_G]
    seen = ", ".join(f"{v:g}" for v in values)
    raise EstimationError(f"first_treated ({first_treated!r}) varies within unit {unit} (values {seen}; 0 = never); "
                          "treatment must be an absorbing state with one first-treatment period per unit")


def _cell_rows(kept: Table, shift: float, cluster: str | None) -> Rows:
    """Sums by (cluster,) first-treatment value and period, as :class:`Rows` of cells."""
    centred = kept.mutate(**{_Y: kept[_Y] - shift})
    sums = {"sw": (_W,), "swy": (_W, _Y)}
    if cluster is None:
        sums |= {"sww": (_W, _W), "swwy": (_W, _W, _Y), "swwyy": (_W, _W, _Y, _Y)}
    frame = group_sums(centred, [_C, _G, _T] if cluster else [_G, _T], sums=sums)
    arrays = {"t": frame[_T].to_numpy(dtype=float), "g": frame[_G].to_numpy(dtype=float),
              "n": frame["n"].to_numpy(dtype=np.int64),
              "c": (pd.factorize(frame[_C], sort=True)[0] if cluster else np.zeros(len(frame), dtype=int))}
    arrays |= {name: frame[name].to_numpy(dtype=float) for name in sums}
    return Rows(arrays, np.array([]))


def read_cells(table: Table, *, outcome: str, unit: str, time: str, first_treated: str,
               control_group: str = "never", anticipation: int = 0, weights: str | None = None,
               cluster: str | None = None, stacklevel: int = 2) -> CellDesign:
    """Clean the repeated cross-sections in engine ``table`` and reduce them to cell sums (see module notes).

    The arguments mean what they mean for :func:`~analyses.did.staggered.staggered`; the cleaning, its notes
    and its warnings are those of :func:`~analyses.did.staggered.design.prepare_design` with ``panel=False``.
    """
    notes: list[str] = []
    kept = _select(table, outcome, unit, time, first_treated, weights, cluster)
    n_all = int(execute(table.aggregate(n=table.count()))["n"].iloc[0])
    shift = _totals(kept, n_all, {"first_treated": first_treated, "weights": weights}, notes, stacklevel + 1)
    _check_within_unit(kept, first_treated)
    rows = _cell_rows(kept, shift, cluster)
    periods, cohorts = select_periods_and_cohorts(rows, panel=False, control_group=control_group,
                                                  anticipation=anticipation, n_covariates=0, notes=notes,
                                                  stacklevel=stacklevel + 1)
    return _assemble(rows, periods, cohorts, cluster, shift, notes, stacklevel + 1)


def _assemble(rows: Rows, periods: np.ndarray, cohorts: np.ndarray, cluster: str | None, shift: float,
              notes: list[str], stacklevel: int) -> CellDesign:
    n = int(rows["n"].sum())
    mean_w = rows["sw"].sum() / n  # weights are normalised to mean 1 over the rows kept
    cohort_values = np.unique(rows["g"])
    if cluster:
        cluster_code = np.unique(rows["c"], return_inverse=True)[1]
        n_clusters, label = int(cluster_code.max()) + 1, f"{cluster!r}"
    else:
        cluster_code, n_clusters, label = None, n, "observations"
    warn_few_clusters(n_clusters, label, notes, stacklevel + 1)
    second = dict.fromkeys(("ww_sum", "wwy_sum", "wwyy_sum"))
    if cluster is None:
        second = {"ww_sum": rows["sww"] / mean_w**2, "wwy_sum": rows["swwy"] / mean_w**2,
                  "wwyy_sum": rows["swwyy"] / mean_w**2}
    return CellDesign(periods=periods, cohorts=cohorts, cohort_values=cohort_values,
                      cohort_code=np.searchsorted(cohort_values, rows["g"]),
                      period_code=np.searchsorted(periods, rows["t"]), cluster_code=cluster_code,
                      n_clusters=n_clusters, cluster_label=label, counts=rows["n"], w_sum=rows["sw"] / mean_w,
                      wy_sum=rows["swy"] / mean_w, **second, shift=shift, n_obs=n, notes=tuple(notes))
