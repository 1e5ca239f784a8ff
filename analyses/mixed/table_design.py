"""The model's columns as expressions on a table in a query engine, named and ordered as the pandas path names them.

On an Ibis table the fixed-effect design, the response and the random-effect design of a one-level model
are built inside the engine, column by column: a design column is the intercept (the constant one) or a
product of factors, each a numeric column or the 0/1 indicator of one level of a categorical (string or
boolean) column.  The levels come from one small ``distinct`` query per categorical column over the
complete rows; formulaic then encodes a tiny prototype frame holding those levels, which gives the
column names, their order and the coding (treatment contrasts, or full dummy coding where formulaic uses
it), exactly as it does on the rows.  Every generated name is checked against formulaic's, so a formula
the engine path cannot reproduce raises instead of fitting a different model.

Examples
--------
>>> import ibis
>>> rows = pd.DataFrame({"y": [1.0, 2.0, 4.0, 3.0], "wave": [0, 1, 0, 1], "program": ["a", "b", "b", "a"],
...                      "g": [1, 1, 2, 2]})
>>> spec = table_design(ibis.memtable(rows), "y ~ wave * program", groups="g", re_formula="~ wave")
>>> spec.x_names
('Intercept', 'wave', 'program[T.b]', 'wave:program[T.b]')
>>> spec.x_factors[3]
(('wave',), ('program', 'b'))
>>> spec.z_names, spec.used
(('Intercept', 'wave'), ('y', 'wave', 'program', 'g'))
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from formulaic import Formula, model_matrix
from formulaic.parser.types import Factor

from data_schema.arguments import check_columns
from data_schema.engine import execute
from data_schema.errors import ArgumentError, EstimationError

if TYPE_CHECKING:
    from ibis.expr.types import BooleanValue, FloatingValue, Table

__all__ = ["TableDesign", "complete_rows", "factor_expression", "random_rhs", "table_design"]

FactorSpec = tuple[str] | tuple[str, Any]
"""One factor of a design column: ``(column,)`` (its numeric value) or ``(column, level)`` (a 0/1 indicator)."""

ColumnSpec = tuple[FactorSpec, ...]
"""A design column: the product of its factors (the empty product is the intercept)."""


@dataclass(frozen=True)
class TableDesign:
    """The columns of a one-level mixed model on an engine table.

    Attributes
    ----------
    response
        The response column.
    x_names, x_factors
        Fixed-effect column names (formulaic's) and the factors each is the product of.
    z_names, z_factors
        Random-effect column names and factors (numeric columns only).
    groups
        The grouping column.
    used
        Every column a row needs non-missing to count (response, formula variables, groups).
    levels
        The levels of each categorical column among the complete rows.
    """

    response: str
    x_names: tuple[str, ...]
    x_factors: tuple[ColumnSpec, ...]
    z_names: tuple[str, ...]
    z_factors: tuple[ColumnSpec, ...]
    groups: str
    used: tuple[str, ...]
    levels: tuple[tuple[str, tuple[Any, ...]], ...]


def random_rhs(re_formula: str | None) -> str:
    """The right-hand side of ``re_formula`` as the pandas path reads it (``None`` and ``"1"``: the intercept).

    Examples
    --------
    >>> random_rhs(None), random_rhs("~ wave"), random_rhs("~ 0 + wave")
    ('1', ' wave', ' 0 + wave')
    """
    if re_formula is None or re_formula.replace("~", "").strip() == "1":
        return "1"
    return re_formula.split("~", 1)[-1]


def _lookup_names(terms: Sequence[Any], where: str) -> list[str]:
    names = []
    for term in terms:
        for factor in term.factors:
            if factor.eval_method == Factor.EvalMethod.LITERAL and factor.expr == "1":
                continue
            if factor.eval_method != Factor.EvalMethod.LOOKUP:
                raise ArgumentError(f"{where} has the term {factor.expr!r}, which formulaic evaluates in Python; on an "
                                    "engine table only column names, their products (a:b, a*b) and the intercept "
                                    "are supported: add the transformed column to the table (table.mutate(...)) or "
                                    "pass a pandas DataFrame")
            names.append(str(factor.expr))
    return list(dict.fromkeys(names))


def complete_rows(table: Table, used: Sequence[str]) -> BooleanValue:
    """Whether a row has every ``used`` column non-missing (NULL, or NaN in a floating column, as pandas)."""
    keep = None
    for col in used:
        ok = table[col].notnull()
        if table.schema()[col].is_floating():
            ok = ok & ~table[col].isnan()
        keep = ok if keep is None else keep & ok
    return keep


def _kinds(table: Table, columns: Sequence[str]) -> dict[str, str]:
    kinds = {}
    for col in columns:
        dtype = table.schema()[col]
        if dtype.is_numeric() or dtype.is_boolean():
            kinds[col] = "numeric"
        elif dtype.is_string():
            kinds[col] = "categorical"
        else:
            raise ArgumentError(f"column {col!r} has type {dtype}; on an engine table the formula's columns must be "
                                "numeric, boolean or string (categorical): cast it in the table or pass a pandas "
                                "DataFrame")
    return kinds


def _prototype(kinds: dict[str, str], levels: dict[str, list[Any]], dtypes: dict[str, Any]) -> pd.DataFrame:
    """A few rows holding every level, with the column kinds of the table, for formulaic to encode."""
    size = max([2, *(len(v) for v in levels.values())])
    data: dict[str, Any] = {}
    for col, kind in kinds.items():
        if kind == "categorical":
            data[col] = pd.Series(np.resize(np.array(levels[col], dtype=object), size), dtype="str")
        elif dtypes[col].is_boolean():
            data[col] = np.resize(np.array([False, True]), size)
        else:
            data[col] = np.arange(1.0, size + 1.0)
    return pd.DataFrame(data)


def _encode(structure: Sequence[Any], state: dict[str, Any],
            what: str) -> tuple[tuple[str, ...], tuple[ColumnSpec, ...]]:
    """Names and factor products of formulaic's encoded columns, checked against formulaic's own names."""
    names: list[str] = []
    specs: list[ColumnSpec] = []
    for entry in structure:
        expected: list[str] = []
        for scoped in entry.scoped_terms:
            parts = []
            for sf in scoped.factors:
                col = str(sf.factor.expr)
                kind, info = state[col]
                if kind.value == "numerical":
                    parts.append([(col, (col,))])
                    continue
                cats = list(info["categories"])
                cats = cats[1:] if sf.reduced else cats
                label = "{}[T.{}]" if sf.reduced else "{}[{}]"
                parts.append([(label.format(col, lvl), (col, lvl)) for lvl in cats])
            for combo in itertools.product(*reversed(parts)):
                combo = combo[::-1]
                expected.append(":".join(n for n, _ in combo) or "Intercept")
                specs.append(tuple(f for _, f in combo))
        if expected != [str(c) for c in entry.columns]:
            raise ArgumentError(f"formulaic encodes the term {entry.term} of {what} as {list(entry.columns)}, which "
                                "the engine path does not reproduce; pass a pandas DataFrame or simplify the term")
        names.extend(expected)
    return tuple(names), tuple(specs)


def _fetch_levels(table: Table, cats: Sequence[str], used: Sequence[str]) -> dict[str, list[Any]]:
    rows = table.filter(complete_rows(table, used))
    return {col: execute(rows.select(col).distinct())[col].tolist() for col in cats}


def table_design(table: Table, formula: str, *, groups: str, re_formula: str | None) -> TableDesign:
    """Read ``formula`` and ``re_formula`` against an engine table's schema (and its categorical levels).

    Raises
    ------
    ArgumentError
        For a formula without one plain numeric response, a term formulaic evaluates in Python
        (``np.log(x)``, ``C(x)``, ``I(x ** 2)``), a column of another type, or a categorical column in the
        random-effects formula.
    ColumnError
        When a named column is not in the table.
    EstimationError
        When no row has every used column non-missing (so a categorical column has no level).
    """
    if "~" not in formula or not formula.split("~", 1)[0].strip():
        raise ArgumentError(f"formula={formula!r} has no response; write it as 'outcome ~ terms'")
    parsed = Formula(formula)
    lhs = _lookup_names(parsed.lhs, f"formula={formula!r}")
    rhs = _lookup_names(parsed.rhs, f"formula={formula!r}")
    re_vars = _lookup_names(Formula(random_rhs(re_formula)), f"re_formula={re_formula!r}")
    check_columns(table, [groups, *lhs, *rhs, *re_vars], what="the table")
    if len(lhs) != 1:
        raise ArgumentError(f"formula={formula!r} must have one numeric response column")
    used = tuple(dict.fromkeys([*lhs, *rhs, *re_vars, groups]))
    kinds = _kinds(table, list(dict.fromkeys([*lhs, *rhs, *re_vars])))
    bad = [c for c in [*lhs, *re_vars] if kinds[c] != "numeric"]
    if bad:
        raise ArgumentError(f"column(s) {bad} of the response or of re_formula={re_formula!r} are not numeric; on an "
                            "engine table the response and random slopes must be numeric columns: recode them or "
                            "pass a pandas DataFrame")
    levels = _fetch_levels(table, [c for c, k in kinds.items() if k == "categorical"], used)
    if any(not v for v in levels.values()):
        raise EstimationError(f"no row of the table has every used column ({', '.join(used)}) non-missing; check the "
                              "column names and the missing values")
    dtypes = {c: table.schema()[c] for c in kinds}
    proto = _prototype(kinds, levels, dtypes)
    fixed = model_matrix(formula, proto, na_action="raise")
    x_names, x_factors = _encode(fixed.rhs.model_spec.structure, fixed.rhs.model_spec.encoder_state,
                                 f"formula={formula!r}")
    if x_names != tuple(str(c) for c in fixed.rhs.columns):
        raise ArgumentError(f"formula={formula!r} gives columns in an order the engine path does not reproduce; "
                            "pass a pandas DataFrame")
    random = model_matrix(random_rhs(re_formula), proto, na_action="raise")
    z_names, z_factors = _encode(random.model_spec.structure, random.model_spec.encoder_state,
                                 f"re_formula={re_formula!r}")
    if not z_names:
        raise ArgumentError(f"re_formula={re_formula!r} gives no random effect; use None for a random intercept")
    return TableDesign(lhs[0], x_names, x_factors, z_names, z_factors, groups, used,
                       tuple((c, tuple(v)) for c, v in levels.items()))


def factor_expression(table: Table, spec: ColumnSpec) -> FloatingValue | None:
    """The float64 expression of a design column (``None`` for the intercept, the constant one)."""
    out = None
    for factor in spec:
        col = table[factor[0]]
        value = col.cast("float64") if len(factor) == 1 else (col == factor[1]).cast("float64")
        out = value if out is None else out * value
    return out
