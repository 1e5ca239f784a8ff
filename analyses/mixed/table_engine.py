"""A one-level mixed model from per-group sums computed in a query engine: the rows never leave it.

For one grouping factor with random effects ``Z = [1, slope]`` (or a random intercept), the profiled
(RE)ML deviance needs, per group ``g``, only ``Z_g'Z_g``, ``Z_g'X_g``, ``Z_g'y_g`` and, summed over the
groups, ``X'X``, ``X'y`` and ``y'y`` (Bates et al. 2015, section 3).  :func:`table_model` builds the design
columns inside the engine (:mod:`analyses.mixed.table_design`), asks it for those products by group with
:func:`data_schema.engine.group_sums`, and hands the blocks to the same nested engine the row path uses
(:meth:`~analyses.mixed.nested.NestedDeviance.from_group_blocks`).  Three small queries run: the levels
of categorical columns (only when there are any), the complete-row count with the column means, and the
group sums.

Examples
--------
>>> import ibis
>>> from analyses.mixed.simulate import simulate_growth
>>> rows = simulate_growth(n_students=30, waves=4, seed=1)
>>> model = table_model(ibis.memtable(rows), "score ~ wave * program", groups="student_id", re_formula="~ wave")
>>> model.n_obs, model.n_groups, model.engine.group_sizes[:3].tolist()
(120, (30,), [4, 4, 4])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy.linalg import solve_triangular

from analyses.mixed.covariance import RandomLevel, ThetaLayout
from analyses.mixed.design import check_rank, check_sizes
from analyses.mixed.nested import NestedDeviance
from analyses.mixed.table_design import TableDesign, complete_rows, factor_expression, table_design
from data_schema.engine import execute, group_sums, is_engine_table
from data_schema.errors import ArgumentError, EstimationError

if TYPE_CHECKING:
    from ibis.expr.types import Table

__all__ = ["GroupSumsDeviance", "TableModel", "same_table", "table_model"]

_INTERCEPT = ""
"""The key of the constant column (the intercept) among the summed columns."""


class GroupSumsDeviance(NestedDeviance):
    """The nested engine of one grouping level, built from group sums, with what the sums still tell.

    Attributes
    ----------
    source
        The engine table the model was fitted to (an Ibis expression: no data).
    design
        Its columns (:class:`~analyses.mixed.table_design.TableDesign`).
    group_sizes
        Complete rows per group, in the order of the groups' values.
    x_cov
        Sample covariance (denominator ``n - 1``) of the fixed-effect columns, for ``var(X beta)``.
    backend
        The engine's name (``"duckdb"``, ``"pyspark"``, ...).
    """

    source: Any
    design: TableDesign
    group_sizes: np.ndarray
    x_cov: np.ndarray
    backend: str

    @classmethod
    def from_sums(cls, blocks: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray], n_obs: int,
                  layout: ThetaLayout, *, source: Any, design: TableDesign, group_sizes: np.ndarray,
                  x_cov: np.ndarray, backend: str) -> GroupSumsDeviance:
        """The engine from ``(zz, zw, ww, r, c)`` (see :meth:`NestedDeviance.from_group_blocks`) and the extras."""
        self = cls.from_group_blocks(*blocks, n_obs, layout)
        self.source, self.design, self.group_sizes, self.x_cov, self.backend = (source, design, group_sizes, x_cov,
                                                                                backend)
        return self

    @property
    def ztz(self) -> np.ndarray:
        """``Z'Z`` summed over the groups (``q x q``)."""
        return self._zz_total


@dataclass(frozen=True)
class TableModel:
    """The pieces of a one-level model on an engine table that ``mixed.fit`` needs.

    Attributes
    ----------
    response, x_names
        The response and the fixed-effect names.
    layout
        The one random-effect level.
    n_obs, n_dropped
        Complete rows, and rows dropped for a missing used value.
    n_groups
        Number of groups (a one-tuple).
    engine
        The deviance engine built from the group sums.
    """

    response: str
    x_names: tuple[str, ...]
    layout: ThetaLayout
    n_obs: int
    n_dropped: int
    n_groups: tuple[int, ...]
    engine: GroupSumsDeviance


def _prefix(columns: Sequence[str]) -> str:
    prefix = "_pm_"
    while any(c.startswith(prefix) for c in columns):
        prefix = "_" + prefix
    return prefix


def _shifts(table: Table, design: TableDesign) -> tuple[int, int, np.ndarray, float]:
    """Total rows, complete rows, and the means that centre the fixed-effect columns and the response."""
    keep = complete_rows(table, design.used)
    metrics = {"n_total": table.count(), "n_complete": table.count(where=keep)}
    shift = design.x_names[:1] == ("Intercept",)
    if shift:
        metrics["m_y"] = table[design.response].cast("float64").mean(where=keep)
        for k, spec in enumerate(design.x_factors[1:], start=1):
            metrics[f"m_x{k}"] = factor_expression(table, spec).mean(where=keep)
    out = execute(table.aggregate(**metrics)).iloc[0]
    n_total, n = int(out["n_total"]), int(out["n_complete"])
    if n == 0:
        raise EstimationError(f"no row of the table has every used column ({', '.join(design.used)}) non-missing; "
                              "check the column names and the missing values")
    p = len(design.x_names)
    means = np.array([0.0, *(float(out[f"m_x{k}"]) for k in range(1, p))]) if shift else np.zeros(p)
    return n_total, n, means, float(out["m_y"]) if shift else 0.0


Column = tuple[str, float]
"""A summed column and its offset: the model's column is ``column + offset`` (the intercept's name is "")."""


def _product(a: str, b: str) -> tuple[str, ...]:
    return tuple(sorted(c for c in (a, b) if c != _INTERCEPT))


def _columns(rows: Table, design: TableDesign, x_shift: np.ndarray, y_shift: float,
             prefix: str) -> tuple[dict[str, Any], list[Column], list[Column]]:
    """The expressions to add, the shifted ``[X, y]`` columns, and the ``Z`` columns.

    A random-effect column that is also a fixed-effect column is not summed twice: it is that shifted
    column plus its shift, and its sums follow from the shifted column's.
    """
    new: dict[str, Any] = {}
    b_cols: list[Column] = []
    for k, spec in enumerate(design.x_factors):
        expr = factor_expression(rows, spec)
        b_cols.append((_INTERCEPT if expr is None else f"{prefix}x{k}", 0.0))
        if expr is not None:
            new[f"{prefix}x{k}"] = expr - float(x_shift[k]) if x_shift[k] else expr
    y = rows[design.response].cast("float64")
    new[f"{prefix}y"] = y - y_shift if y_shift else y
    b_cols.append((f"{prefix}y", 0.0))
    z_cols: list[Column] = []
    for a, spec in enumerate(design.z_factors):
        if not spec:
            z_cols.append((_INTERCEPT, 0.0))
            continue
        if spec in design.x_factors:
            k = design.x_factors.index(spec)
            z_cols.append((b_cols[k][0], float(x_shift[k])))
            continue
        z_cols.append((f"{prefix}z{a}", 0.0))
        new[f"{prefix}z{a}"] = factor_expression(rows, spec)
    return new, b_cols, z_cols


def _sums(table: Table, design: TableDesign, x_shift: np.ndarray, y_shift: float):
    """Group sizes, ``Z_g'Z_g``, ``Z_g'[X_s, y_s]_g``, and ``[X_s, y_s]'[X_s, y_s]`` and its column sums."""
    prefix = _prefix(list(table.columns))
    rows = table.filter(complete_rows(table, design.used))
    new, b_cols, z_cols = _columns(rows, design, x_shift, y_shift, prefix)
    bases = list(dict.fromkeys(c for c, _ in [*b_cols, *z_cols]))
    keys = {_product(u, v) for i, u in enumerate(bases) for v in [_INTERCEPT, *bases[i:]]} - {()}
    names = {key: f"{prefix}s{i}" for i, key in enumerate(sorted(keys))}
    count = f"{prefix}n"
    frame = group_sums(rows.mutate(**new), [design.groups], sums={v: k for k, v in names.items()}, count=count)
    n = frame[count].to_numpy(dtype=float)

    def total(u: str, v: str) -> np.ndarray:
        key = _product(u, v)
        return n if not key else frame[names[key]].to_numpy()

    def block(left: list[Column], right: list[Column]) -> np.ndarray:
        out = np.empty((len(left), len(right), len(frame)))
        for i, (u, a) in enumerate(left):
            for j, (v, b) in enumerate(right):
                out[i, j] = total(u, v) + b * total(u, _INTERCEPT) + a * total(_INTERCEPT, v) + a * b * n \
                    if a or b else total(u, v)
        return out

    return frame[count].to_numpy(dtype=np.int64), block(z_cols, z_cols), block(z_cols, b_cols), \
        block(b_cols, b_cols).sum(axis=2), block([(_INTERCEPT, 0.0)], b_cols).sum(axis=2)[0]


def _orthogonal(gram: np.ndarray, p: int, x_shift: np.ndarray, y_shift: float, names: tuple[str, ...]):
    """``R``, ``c`` and ``W = [X R^-1, y - X R^-1 c]``'s transform from the Gram matrix of the shifted ``[X, y]``.

    The shifted columns are ``X_s = X M`` with ``M = I - e_0 s'`` (the intercept first) and ``y_s = y - s_y``;
    ``R_s'R_s = X_s'X_s`` gives ``R = R_s M^-1`` and ``c = c_s + s_y R_s e_0``.
    """
    gxx, gxy = gram[:p, :p], gram[:p, p]
    m_inv = np.eye(p)
    m_inv[0] += x_shift
    check_rank(m_inv.T @ gxx @ m_inv, names)
    try:
        r_s = np.linalg.cholesky(gxx).T
    except np.linalg.LinAlgError:
        raise EstimationError("the fixed-effect columns are linearly dependent; drop or recode the redundant "
                              "terms of the formula") from None
    c_s = solve_triangular(r_s, gxy, trans="T")
    transform = np.zeros((p + 1, p + 1))
    transform[:p, :p] = solve_triangular(r_s, np.eye(p))
    transform[:p, p] = -transform[:p, :p] @ c_s
    transform[p, p] = 1.0
    return r_s @ m_inv, c_s + y_shift * r_s[:, 0], transform


def _backend(table: Table) -> str:
    from ibis.common.exceptions import IbisError

    try:
        return str(table.get_backend().name)
    except IbisError:  # an expression bound to several backends or none: the name is only for the method text
        return "a query engine"


def table_model(table: Table, formula: str, *, groups: str, re_formula: str | None) -> TableModel:
    """Build the one-level model's engine from group sums computed in the engine holding ``table``.

    Parameters
    ----------
    table
        An Ibis table (DuckDB, Spark, PostgreSQL, ...).
    formula, groups, re_formula
        As in :func:`analyses.mixed.fit` (one grouping factor, no ``vc``).

    Returns
    -------
    TableModel

    Raises
    ------
    ArgumentError
        For a formula or column the engine path does not cover (see :func:`table_design`).
    EstimationError
        For no complete rows, collinear fixed effects, fewer than two groups, or as many random effects as rows.

    Notes
    -----
    The fixed-effect columns (but the intercept) and the response are centred at their means inside the
    engine before the products are summed, so ``X'X`` and ``y'y`` do not lose digits to large means (a
    calendar year as a covariate); the centring is undone exactly in ``R`` and ``c``.  The random-effect
    columns enter uncentred, since centring them would change the model's parametrisation; one that is
    also a fixed-effect column (the usual random slope) is not summed again but recovered from the centred
    column's sums, ``sum(z v) = sum((x - s) v) + s sum(v)``.
    """
    design = table_design(table, formula, groups=groups, re_formula=re_formula)
    n_total, n, x_shift, y_shift = _shifts(table, design)
    sizes, zz, zb, gram, col_sums = _sums(table, design, x_shift, y_shift)
    layout = ThetaLayout((RandomLevel(groups, design.z_names),))
    check_sizes(layout, (int(sizes.size),), n)
    p = len(design.x_names)
    r, c, transform = _orthogonal(gram, p, x_shift, y_shift, design.x_names)
    zw = np.einsum("akm,kl->alm", zb, transform)
    u = col_sums[:p]
    engine = GroupSumsDeviance.from_sums((zz, zw, transform.T @ gram @ transform, r, c), n, layout, source=table,
                                         design=design, group_sizes=sizes,
                                         x_cov=(gram[:p, :p] - np.outer(u, u) / n) / max(n - 1, 1),
                                         backend=_backend(table))
    return TableModel(design.response, design.x_names, layout, n, n_total - n, (int(sizes.size),), engine)


def same_table(data: Any, engine: GroupSumsDeviance) -> None:
    """Raise unless ``data`` is the engine table ``engine`` was fitted to (same expression, or same group sizes).

    Raises
    ------
    ArgumentError
        When ``data`` is not an engine table or gives other complete rows per group.
    """
    if not is_engine_table(data):
        raise ArgumentError(f"the model was fitted to an engine table, but data is a {type(data).__name__}; pass the "
                            "table the model was fitted to")
    if data.equals(engine.source):
        return
    missing = [c for c in engine.design.used if c not in data.columns]
    sizes = None if missing else group_sums(data.filter(complete_rows(data, engine.design.used)),
                                            [engine.design.groups], count="n")["n"].to_numpy()
    if sizes is None or not np.array_equal(sizes, engine.group_sizes):
        raise ArgumentError("data is not the table the model was fitted to (its complete rows per group differ); "
                            "pass the same table")
