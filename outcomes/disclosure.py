"""Small-cell protection of published tables: primary and complementary suppression with an exact audit.

A quality-assurance table gives an indicator by groups (program x cohort x
institution ...) with margin rows ("All").  Every cell with fewer than
``min_cell`` students is hidden (primary suppression); further cells are hidden
so that no hidden value can be worked out from the published totals
(complementary suppression); and the result is audited by linear programming,
as an intruder who knows the table's additive structure would attack it.

Notes
-----
*Lines.*  A row whose value in dimension :math:`d` equals ``total`` is the sum,
over :math:`d`, of the rows that agree with it on every other dimension.  Each
such margin row with its children is a *line*: for every protected column
(``count`` and each ``additive`` column)
:math:`\\sum_{\\text{children}} x = x_{\\text{total}}`.  A 2-D table with margins
has one line per row and per column, the margin row and column included; a 3-D
table has lines along each of its three dimensions.

*Primary suppression*: ``count < min_cell``.  Zero counts are suppressed too:
"nobody in this group" is as disclosive as "three people" once the other cells
of a line are known, so a true zero is not published as a structural zero.

*Complementary suppression*: while some line has exactly one hidden member,
the visible member of that line with the smallest count is hidden too (ties:
the cell with fewer margin values, i.e. interior cells before totals, then row
order); lines are visited in a fixed order until nothing changes.

*Audit* (Cox 1980; Hundepool et al. 2012, chapter 4): for every hidden cell
the value of each protected column, and for a numerator column also the count
minus the numerator, is minimised and maximised subject to the line equations
with the published values fixed, non-negativity, and
:math:`0 \\le \\text{numerator} \\le \\text{count}` for every ``additive`` column that
never exceeds the count in the data (a numerator: a subset of the cell's
students).  A hidden value is *exposed* when its feasible range contains a
single integer (for integer columns; a width below 0.5 otherwise).  While a
cell is exposed, the visible member with the smallest count among the lines
through the first exposed cell is hidden, and complementary suppression and the
audit are run again.  The linear programs are solved with HiGHS
(``scipy.optimize.linprog``), one connected block of hidden values at a time;
a solution that already moves another hidden value by a whole unit from its
true value clears that value without a program of its own.

The audit rules out exact recovery; it does not enforce protection intervals
(a minimum width of the feasible range, as tau-argus does), and it works on the
linear relaxation, so an intruder solving the integer program could in rare
3-D cases narrow a range further.

References
----------
Cox, L. H. (1980). Suppression methodology and statistical disclosure control.
*Journal of the American Statistical Association*, 75(370), 377-385.

Hundepool, A., Domingo-Ferrer, J., Franconi, L., Giessing, S., Schulte Nordholt, E.,
Spicer, K., & de Wolf, P.-P. (2012). *Statistical Disclosure Control*. Wiley,
chapter 4 (secondary cell suppression and the audit of a suppression pattern).

Examples
--------
>>> table = pd.DataFrame({
...     "program": ["A", "A", "A", "B", "B", "B", "All", "All", "All"],
...     "cohort": ["2023", "2024", "All"] * 3,
...     "n": [4, 20, 24, 15, 16, 31, 19, 36, 55]})
>>> result = protect(table, by=["program", "cohort"])
>>> result.table["n"].tolist()
[<NA>, <NA>, 24, <NA>, <NA>, 31, 19, 36, 55]
>>> result.n_primary, result.n_complementary
(1, 3)
>>> result.table["suppression"].iloc[0]
'primary: fewer than 10 students'
"""

from __future__ import annotations

import json
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, sparse
from scipy.sparse import csgraph

from data_schema.arguments import check_columns
from data_schema.errors import ArgumentError

__all__ = ["ProtectedTable", "protect"]

_ESTIMATE_COLUMNS = ("estimate", "std_error", "ci_low", "ci_high")
_EPS = 1e-6
"""Slack on linear-programming optima (HiGHS feasibility tolerance is 1e-7)."""


@dataclass(frozen=True)
class ProtectedTable:
    """A table ready to publish, with the reason each hidden cell is hidden.

    Attributes
    ----------
    table
        The input rows in their order, with the ``hide`` columns blank (NA) in hidden
        rows (integer columns become nullable ``Int64``), plus ``suppressed`` (bool) and
        ``suppression`` (``""`` for a published row, otherwise the reason in words).
    n_primary
        Rows hidden because they have fewer than ``min_cell`` students.
    n_complementary
        Rows hidden so that the primary ones cannot be recovered from totals.
    min_cell
        The smallest number of students a published row may have.
    n_tables
        Independent tables protected (one per combination of the ``separate`` columns).
    """

    table: pd.DataFrame
    n_primary: int
    n_complementary: int
    min_cell: int
    n_tables: int

    @property
    def n_suppressed(self) -> int:
        """Rows hidden in all."""
        return self.n_primary + self.n_complementary

    def to_dict(self) -> dict:
        """JSON-safe counts and the table as records (NA as ``None``)."""
        return {"min_cell": self.min_cell, "n_tables": self.n_tables, "n_cells": len(self.table),
                "n_primary": self.n_primary, "n_complementary": self.n_complementary,
                "table": json.loads(self.table.to_json(orient="records"))}

    def summary(self) -> str:
        """A few lines a person reads."""
        lines = [f"Small-cell protection of {len(self.table):,} cells in {self.n_tables} table(s), "
                 f"at least {self.min_cell} students per published cell:",
                 f"  {self.n_primary:,} hidden because they have fewer than {self.min_cell} students (primary)",
                 f"  {self.n_complementary:,} hidden so that those cannot be worked out from totals (complementary)",
                 f"  {len(self.table) - self.n_suppressed:,} published"]
        return "\n".join(lines)


@dataclass(frozen=True)
class _Line:
    """A margin row (position ``total``) and the rows it sums over dimension ``dim``."""

    dim: int
    total: int
    children: np.ndarray

    @property
    def members(self) -> np.ndarray:
        return np.concatenate([[self.total], self.children])


def protect(table: pd.DataFrame, *, count: str = "n", by: Sequence[str] = (), additive: Sequence[str] = (),
            hide: Sequence[str] | None = None, min_cell: int = 10, total: Hashable = "All",
            separate: Sequence[str] = (), check_totals: bool = True) -> ProtectedTable:
    """Hide small cells of a table and the cells that would reveal them.

    Parameters
    ----------
    table
        One row per published cell.
    count
        Column with the number of students in the cell; the primary rule uses it.
    by
        Grouping (dimension) columns.  A row whose value in one of them equals ``total``
        is the margin over that dimension of the rows agreeing with it elsewhere.
    additive
        Other columns that add up over margins like counts (e.g. ``"numerator"``); the
        audit protects them too.  They must not be negative.  A column that never exceeds
        ``count`` is taken as a numerator (a subset of the cell's students): the audit then
        also lets the intruder use ``0 <= numerator <= count`` and protects ``count - numerator``.
    hide
        Columns blanked in hidden rows.  Default: ``count``, every ``additive`` column, and
        ``estimate``, ``std_error``, ``ci_low``, ``ci_high`` where present.  Every column
        computed from the cell's students belongs here.
    min_cell
        Smallest number of students in a published cell.
    total
        The label of margin rows.
    separate
        Columns that split the input into independent tables (e.g. ``"indicator"``),
        protected one after another.  A missing value there is a table of its own (e.g. the
        rows of indicators that have no follow-up in ``months_after_graduation``).
    check_totals
        Check that every margin equals the sum of its children in ``count`` and each
        ``additive`` column (raise otherwise).  With ``False`` such a line is audited as
        the inequality its true values satisfy (sum below or above the total), the view
        of an intruder who knows the totals cover more (or fewer) students.

    Returns
    -------
    ProtectedTable

    Raises
    ------
    ColumnError
        A named column is missing.
    ArgumentError
        A column named in two roles, negative or missing counts, two rows for the same
        cell, margins that do not add up (with ``check_totals``), ``min_cell < 1``.

    Notes
    -----
    The method is in the module notes.  The result is deterministic: the same table
    gives the same suppressions.

    References
    ----------
    Cox, L. H. (1980). *JASA*, 75, 377-385.  Hundepool, A. et al. (2012).
    *Statistical Disclosure Control*, Wiley, chapter 4.

    Examples
    --------
    A one-dimensional table with its total: the smallest other cell protects the small one.

    >>> t = pd.DataFrame({"site": ["X", "Y", "Z", "All"], "n": [3, 40, 25, 68]})
    >>> protect(t, by=["site"]).table["n"].tolist()
    [<NA>, 40, <NA>, 68]
    """
    if not isinstance(table, pd.DataFrame):
        raise ArgumentError(f"table must be a pandas DataFrame; received {type(table).__name__}")
    by, additive, separate = list(by), list(additive), list(separate)
    hide = _default_hide(table, count, additive) if hide is None else list(hide)
    _check_arguments(table, count=count, by=by, additive=additive, hide=hide, separate=separate,
                     min_cell=min_cell)
    values = table[[count, *additive]].to_numpy(dtype=float)
    suppressed = np.zeros(len(table), dtype=bool)
    reasons = np.full(len(table), "", dtype=object)
    groups = [np.arange(len(table))] if not separate else \
        list(table.groupby(separate, sort=False, dropna=False).indices.values())
    for positions in groups:
        frame = table.iloc[positions]
        where = f" in the table with {_where(frame.iloc[0], separate)}" if separate else ""
        _check_duplicates(frame, by, where)
        sub_values, names = _applicable(values[positions], [count, *additive], frame, where)
        sub_suppressed, sub_reasons = _protect_one(frame[by], sub_values, by=by, names=names,
                                                   total=total, min_cell=min_cell, check_totals=check_totals,
                                                   where=where)
        suppressed[positions], reasons[positions] = sub_suppressed, sub_reasons
    n_primary = int(sum(r.startswith("primary") for r in reasons))
    return ProtectedTable(_published(table, hide, suppressed, reasons), n_primary,
                          int(suppressed.sum()) - n_primary, int(min_cell), len(groups))


# ----------------------------------------------------------------------------- arguments


def _default_hide(table: pd.DataFrame, count: str, additive: list[str]) -> list[str]:
    return [count, *additive, *(c for c in _ESTIMATE_COLUMNS if c in table.columns and c not in additive)]


def _check_arguments(table: pd.DataFrame, *, count: str, by: list[str], additive: list[str], hide: list[str],
                     separate: list[str], min_cell: int) -> None:
    if isinstance(min_cell, bool) or not isinstance(min_cell, int | np.integer) or min_cell < 1:
        raise ArgumentError(f"min_cell={min_cell!r} must be a positive integer, e.g. 10")
    check_columns(table, [count, *by, *additive, *separate, *hide], what="table")
    roles = [count, *by, *additive, *separate]
    twice = sorted({c for c in roles if roles.count(c) > 1})
    if twice:
        raise ArgumentError(f"column {twice[0]!r} is named in two roles (count, by, additive, separate); "
                            "give each column one role")
    grouping = sorted(set(hide) & {*by, *separate})
    if grouping:
        raise ArgumentError(f"hide names the grouping column {grouping[0]!r}; hide only value columns")
    for name in ("suppressed", "suppression"):
        if name in table.columns:
            raise ArgumentError(f"table already has a column {name!r}, which protect() adds; rename or drop it")
    for col in by:  # a missing value in a `separate` column is one more table ("not applicable")
        if table[col].isna().any():
            raise ArgumentError(f"grouping column {col!r} has missing values in rows "
                                f"{_labels(table.index[table[col].isna()])}; name the group or drop the rows")
    _check_amounts(table, count)
    for col in additive:  # missing throughout one separate table = not applicable there (e.g. a mean's numerator)
        _check_amounts(table, col, allow_missing=True)


def _check_amounts(table: pd.DataFrame, col: str, *, allow_missing: bool = False) -> None:
    series = table[col]
    if not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        raise ArgumentError(f"column {col!r} must be numeric; received dtype {series.dtype}")
    bad = (series < 0).fillna(False) | np.isinf(series.astype(float))
    if not allow_missing:
        bad |= series.isna()
    if bad.any():
        first = series.index[bad.to_numpy()][0]
        raise ArgumentError(f"column {col!r} must hold non-negative numbers; row {first!r} has {series[first]}")


def _applicable(values: np.ndarray, names: list[str], frame: pd.DataFrame, where: str) -> tuple[np.ndarray, list]:
    """Drop the additive columns that are missing in every row of this table; refuse partly missing ones."""
    missing = np.isnan(values)
    partly = missing.any(axis=0) & ~missing.all(axis=0)
    if partly.any():
        j = int(np.flatnonzero(partly)[0])
        first = frame.index[missing[:, j]][0]
        raise ArgumentError(f"column {names[j]!r} must hold non-negative numbers; row {first!r} has a missing "
                            f"value{where} (a column may be missing only in every row of a table)")
    keep = ~missing.all(axis=0)
    return values[:, keep], [n for n, k in zip(names, keep, strict=True) if k]


def _check_duplicates(frame: pd.DataFrame, by: list[str], where: str) -> None:
    if not by:
        if len(frame) > 1:
            raise ArgumentError(f"by is empty, so each table must be a single row; received {len(frame)} rows{where} "
                                "(name the grouping columns in by)")
        return
    dup = frame.duplicated(subset=by, keep=False).to_numpy()
    if dup.any():
        cell = _where(frame[dup].iloc[0], by)
        raise ArgumentError(f"two or more rows describe the same cell ({cell}){where}; each cell must appear "
                            "once (add the column that tells them apart to by or separate)")


def _where(row: pd.Series, cols: list[str]) -> str:
    return ", ".join(f"{c}={row[c]!r}" for c in cols)


def _labels(index: pd.Index, limit: int = 5) -> str:
    shown = ", ".join(repr(i) for i in index[:limit])
    return shown + (f" and {len(index) - limit} more" if len(index) > limit else "")


# ----------------------------------------------------------------------------- one table


def _protect_one(cells: pd.DataFrame, values: np.ndarray, *, by: list[str], names: list[str], total: Hashable,
                 min_cell: int, check_totals: bool, where: str) -> tuple[np.ndarray, np.ndarray]:
    """Suppression flags and reasons for the rows of one independent table."""
    is_total = np.column_stack([(cells[d] == total).to_numpy(dtype=bool) for d in by]) if by else \
        np.zeros((len(cells), 0), dtype=bool)
    lines = _lines(cells, by, is_total)
    relation = _relations(lines, values, cells, by=by, names=names, check=check_totals, where=where)
    margins = is_total.sum(axis=1)
    suppressed = values[:, 0] < min_cell
    reasons = np.where(suppressed, f"primary: fewer than {min_cell} students", "").astype(object)
    through = [[] for _ in range(len(cells))]
    for i, line in enumerate(lines):
        for p in line.members:
            through[p].append(i)
    integral = np.all(values == np.round(values), axis=0)
    numerator = np.all(values[:, 1:] <= values[:, [0]], axis=0)
    safe: set[tuple[int, int]] = set()
    while True:
        _complement(lines, suppressed, reasons, values[:, 0], margins, by)
        exposed = _audit(lines, relation, values, suppressed, integral=integral, numerator=numerator, safe=safe)
        if not exposed:
            return suppressed, reasons
        pick = _choose(np.concatenate([lines[i].members for i in through[exposed[0]]] or [np.zeros(0, int)]),
                       suppressed, values[:, 0], margins)
        if pick is None:  # the exposed cell's own lines are all hidden: widen to every line with a hidden cell
            pick = _choose(np.concatenate([ln.members for ln in lines if suppressed[ln.members].any()]),
                           suppressed, values[:, 0], margins)
        if pick is None:
            raise ArgumentError(f"cannot protect the table{where}: a hidden cell stays exposed with every cell "
                                "hidden; check the margins")
        suppressed[pick] = True
        reasons[pick] = ("complementary: hidden so that suppressed cells cannot be worked out by combining "
                         "several totals")


def _lines(cells: pd.DataFrame, by: list[str], is_total: np.ndarray) -> list[_Line]:
    """Every margin row with the rows it sums, dimension by dimension."""
    lines = []
    for d, dim in enumerate(by):
        others = [c for c in by if c != dim]
        keys = cells.groupby(others, sort=False, dropna=False).ngroup().to_numpy() if others else \
            np.zeros(len(cells), dtype=int)
        order = np.argsort(keys, kind="stable")
        bounds = np.flatnonzero(np.diff(keys[order])) + 1
        for block in np.split(order, bounds):
            tops = block[is_total[block, d]]
            children = block[~is_total[block, d]]
            if tops.size == 1 and children.size:
                lines.append(_Line(d, int(tops[0]), np.sort(children)))
    lines.sort(key=lambda ln: (ln.dim, ln.total))
    return lines


def _relations(lines: list[_Line], values: np.ndarray, cells: pd.DataFrame, *, by: list[str], names: list[str],
               check: bool, where: str) -> np.ndarray:
    """Per line and column: 0 if the children add up to the margin, +1 if they add to less, -1 to more."""
    relation = np.zeros((len(lines), values.shape[1]), dtype=int)
    for i, line in enumerate(lines):
        sums = values[line.children].sum(axis=0)
        tops = values[line.total]
        off = ~np.isclose(sums, tops, rtol=1e-9, atol=1e-9)
        if check and off.any():
            k = int(np.flatnonzero(off)[0])
            raise ArgumentError(
                f"the margin row ({_where(cells.iloc[line.total], by)}){where} has {names[k]} = {tops[k]:g}, "
                f"but the {line.children.size} rows it totals over {by[line.dim]!r} add up to {sums[k]:g}; "
                "the totals must be sums of the published rows (or pass check_totals=False if the margins "
                "cover other students on purpose)")
        relation[i] = np.where(off, np.sign(tops - sums), 0)
    return relation


def _choose(candidates: np.ndarray, suppressed: np.ndarray, counts: np.ndarray, margins: np.ndarray) -> int | None:
    """The visible candidate with the smallest count (then fewer margin values, then row order)."""
    open_ = np.unique(candidates[~suppressed[candidates]])
    if open_.size == 0:
        return None
    return int(open_[np.lexsort((open_, margins[open_], counts[open_]))[0]])


def _complement(lines: list[_Line], suppressed: np.ndarray, reasons: np.ndarray, counts: np.ndarray,
                margins: np.ndarray, by: list[str]) -> None:
    """Hide cells until no line has exactly one hidden member (in place)."""
    changed = True
    while changed:
        changed = False
        for line in lines:
            members = line.members
            if suppressed[members].sum() == 1:
                pick = _choose(members, suppressed, counts, margins)
                if pick is not None:
                    suppressed[pick] = True
                    reasons[pick] = (f"complementary: hidden so that a suppressed cell cannot be worked out by "
                                     f"subtraction from its total over {by[line.dim]!r}")
                    changed = True


# ----------------------------------------------------------------------------- audit


def _constraints(lines: list[_Line], relation: np.ndarray, values: np.ndarray, suppressed: np.ndarray,
                 numerator: np.ndarray) -> tuple[sparse.csr_matrix, np.ndarray, sparse.csr_matrix, np.ndarray]:
    """Equalities and inequalities on the hidden values; variable ``v * K + k`` is column k of hidden cell v."""
    n_cols = values.shape[1]
    var = np.full(len(suppressed), -1)
    var[suppressed] = np.arange(int(suppressed.sum()))
    eq: list[tuple[np.ndarray, np.ndarray, float]] = []
    ub: list[tuple[np.ndarray, np.ndarray, float]] = []
    for i, line in enumerate(lines):
        members = line.members
        signs = np.r_[-1.0, np.ones(line.children.size)]
        hidden = suppressed[members]
        if not hidden.any():
            continue
        for k in range(n_cols):
            cols, coefs = var[members[hidden]] * n_cols + k, signs[hidden]
            rhs = -float(signs[~hidden] @ values[members[~hidden], k])
            if relation[i, k] == 0:
                eq.append((cols, coefs, rhs))
            else:  # +1: children sum below the margin, so sum(children) - margin <= 0; -1: the reverse
                ub.append((cols, coefs * relation[i, k], rhs * relation[i, k]))
    for k in np.flatnonzero(numerator) + 1:
        for v in range(int(suppressed.sum())):
            ub.append((np.array([v * n_cols + k, v * n_cols]), np.array([1.0, -1.0]), 0.0))
    n_vars = int(suppressed.sum()) * n_cols
    return (*_matrix(eq, n_vars), *_matrix(ub, n_vars))


def _matrix(rows: list[tuple[np.ndarray, np.ndarray, float]], n_vars: int) -> tuple[sparse.csr_matrix, np.ndarray]:
    if not rows:
        return sparse.csr_matrix((0, n_vars)), np.zeros(0)
    r = np.concatenate([np.full(cols.size, i) for i, (cols, _, _) in enumerate(rows)])
    c = np.concatenate([cols for cols, _, _ in rows])
    v = np.concatenate([coefs for _, coefs, _ in rows])
    return sparse.csr_matrix((v, (r, c)), shape=(len(rows), n_vars)), np.array([rhs for _, _, rhs in rows])


def _objectives(hidden: np.ndarray, n_cols: int, numerator: np.ndarray, integral: np.ndarray,
                safe: set[tuple[int, int]]) -> list[_Objective]:
    """Every protected value not yet shown safe: each column of each hidden cell, and count minus each numerator.

    Keys are ``(row position, j)`` with ``j = k`` for column ``k`` and ``j = -k`` for count minus column ``k``.
    """
    out = []
    for v, p in enumerate(hidden):
        for k in range(n_cols):
            if (p, k) not in safe:
                out.append(_Objective((int(p), k), np.array([v * n_cols + k]), np.ones(1), bool(integral[k])))
        for k in np.flatnonzero(numerator) + 1:  # count minus numerator: the students without the outcome
            if (p, -k) not in safe:
                out.append(_Objective((int(p), -int(k)), np.array([v * n_cols, v * n_cols + k]),
                                      np.array([1.0, -1.0]), bool(integral[0] and integral[k])))
    return out


@dataclass(frozen=True)
class _Objective:
    """A linear combination ``coefs @ x[variables]`` of the hidden values of one cell."""

    key: tuple[int, int]
    variables: np.ndarray
    coefs: np.ndarray
    integral: bool

    def pinned(self, low: float, high: float) -> bool:
        """Whether a feasible range [low, high] holds one integer (integral values) or is narrower than 0.5."""
        if self.integral:
            return bool(np.floor(high + _EPS) - np.ceil(low - _EPS) < 1)
        return high - low < 0.5 - _EPS


def _audit(lines: list[_Line], relation: np.ndarray, values: np.ndarray, suppressed: np.ndarray, *,
           integral: np.ndarray, numerator: np.ndarray, safe: set[tuple[int, int]]) -> list[int]:
    """Positions of hidden cells with a value the published table pins to one number, in row order.

    ``safe`` holds the values already shown to have a wide range; hiding more cells only
    relaxes the intruder's system, so they stay safe.  It is updated in place.
    """
    hidden = np.flatnonzero(suppressed)
    objectives = _objectives(hidden, values.shape[1], numerator, integral, safe)
    if not objectives:
        return []
    a_eq, b_eq, a_ub, b_ub = _constraints(lines, relation, values, suppressed, numerator)
    truth = values[hidden].ravel()
    both = sparse.vstack([a_eq, a_ub]).tocsr()
    n_vars, n_rows = truth.size, both.shape[0]
    incidence = sparse.bmat([[sparse.csr_matrix((n_vars, n_vars)), both.T],
                             [both, sparse.csr_matrix((n_rows, n_rows))]]).tocsr()
    label = csgraph.connected_components(incidence, directed=False)[1][:n_vars]
    by_block: dict[int, list[_Objective]] = {}
    for objective in objectives:
        by_block.setdefault(int(label[objective.variables[0]]), []).append(objective)
    exposed: set[int] = set()
    for block, mine in by_block.items():
        exposed |= _audit_block(np.flatnonzero(label == block), mine, (a_eq, b_eq, a_ub, b_ub), truth, safe)
    return sorted(exposed)


def _restrict(a: sparse.csr_matrix, b: np.ndarray,
              cols: np.ndarray) -> tuple[sparse.csr_matrix | None, np.ndarray | None]:
    """Rows of ``a x (<)= b`` that involve ``cols``, restricted to them (a block has no links outside)."""
    if a.shape[0] == 0:
        return None, None
    sub = a[:, cols].tocsr()
    rows = np.flatnonzero(np.diff(sub.indptr))
    return (sub[rows], b[rows]) if rows.size else (None, None)


def _audit_block(cols: np.ndarray, objectives: list[_Objective], system: tuple, truth: np.ndarray,
                 safe: set[tuple[int, int]]) -> set[int]:
    """Row positions of the hidden cells of one connected block with an exposed value.

    Each objective is maximised and minimised; a solution that moves another objective
    by a whole unit (0.5 for non-integer columns) from its true value clears that one too.
    """
    a_eq, b_eq, a_ub, b_ub = system
    eq, beq = _restrict(a_eq, b_eq, cols)
    ub, bub = _restrict(a_ub, b_ub, cols)
    where = np.full(truth.size, -1)
    where[cols] = np.arange(cols.size)
    vectors = np.zeros((len(objectives), cols.size))
    for i, obj in enumerate(objectives):
        vectors[i, where[obj.variables]] = obj.coefs
    true = vectors @ truth[cols]
    step = np.array([1.0 if obj.integral else 0.5 for obj in objectives]) - _EPS
    cleared = np.zeros(len(objectives), dtype=bool)
    exposed: set[int] = set()
    for i, obj in enumerate(objectives):
        reach: list[float] = []
        for sense in (-1.0, 1.0):  # maximise, then minimise
            if cleared[i]:
                break
            res = optimize.linprog(sense * vectors[i], A_ub=ub, b_ub=bub, A_eq=eq, b_eq=beq, bounds=(0, None),
                                   method="highs")
            if res.status == 3:  # unbounded above: not pinned
                cleared[i] = True
                break
            if res.status != 0:
                raise ArgumentError(f"the audit's linear program failed ({res.message}); the published values "
                                    "contradict the table's totals")
            reach.append(float(vectors[i] @ res.x))
            cleared |= np.abs(vectors @ res.x - true) >= step
        if not cleared[i] and obj.pinned(min(reach), max(reach)):
            exposed.add(obj.key[0])
    safe.update(obj.key for obj, ok in zip(objectives, cleared, strict=True) if ok)
    return exposed


# ----------------------------------------------------------------------------- output


def _published(table: pd.DataFrame, hide: list[str], suppressed: np.ndarray, reasons: np.ndarray) -> pd.DataFrame:
    out = table.copy()
    mask = pd.Series(suppressed, index=table.index)
    for col in hide:
        column = out[col]
        if pd.api.types.is_integer_dtype(column) and not pd.api.types.is_bool_dtype(column):
            column = column.astype("Int64")
        out[col] = column.mask(mask)
    out["suppressed"] = suppressed
    out["suppression"] = pd.array(reasons.astype(str), dtype="str")
    return out
