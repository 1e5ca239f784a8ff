"""From a long DataFrame and formulas to the arrays of a linear mixed model.

The fixed part comes from a formulaic formula (``"score ~ wave * program"``), the random part from the
grouping column, the optional random-effects formula of that level (``"~ wave"``: intercept and slope)
and the optional variance components nested in it (``{"class": "class_id", "student": "student_id"}``).
A component's effect is identified by its top-level group and its label, as in statsmodels'
``vc_formula`` and lme4's ``(1 | institution:class)``, so class labels may repeat across institutions.

Examples
--------
>>> data = pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0, 5.0, 7.0], "x": [0, 1, 0, 1, 0, 1],
...                      "g": ["a", "a", "b", "b", "c", "c"]})
>>> d = build_design(data, "y ~ x", groups="g", re_formula=None, vc=None)
>>> d.x_names, d.n_obs, d.level_names, d.n_groups
(('Intercept', 'x'), 6, ('g',), (3,))
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from formulaic import Formula, model_matrix

from analyses.mixed.covariance import RandomLevel, ThetaLayout
from data_schema.arguments import check_columns
from data_schema.errors import ArgumentError, EstimationError

__all__ = ["MixedDesign", "build_design", "check_rank", "check_sizes", "vc_column"]

_VC_FORMULA = re.compile(r"^\s*0\s*\+\s*C\(\s*([^()]+?)\s*\)\s*$")


@dataclass(frozen=True)
class MixedDesign:
    """The model's arrays, rows with a missing value dropped.

    Attributes
    ----------
    y, x
        Response ``(n,)`` and fixed-effect design ``(n, p)``.
    x_names
        Fixed-effect column names (formulaic's, e.g. ``"program[T.traditional]"``).
    response
        The response's name.
    groups
        Top-level group codes ``(n,)``.
    z
        Top-level random-effect design ``(n, q)``, or ``None`` for a random intercept.
    components
        Codes of each variance component ``(n,)``, identified within the top-level groups.
    layout
        The random-effect levels (top level first) and their theta layout.
    nested
        Whether each component is nested in the one before it (then the fast engine applies).
    n_dropped
        Rows dropped for a missing value in a used column.
    frame
        The used columns of the rows kept (what a fallback engine refits).
    component_columns
        The column of each variance component, in ``layout`` order.
    """

    y: np.ndarray
    x: np.ndarray
    x_names: tuple[str, ...]
    response: str
    groups: np.ndarray
    z: np.ndarray | None
    components: tuple[np.ndarray, ...]
    layout: ThetaLayout
    nested: bool
    n_dropped: int
    frame: pd.DataFrame
    component_columns: tuple[str, ...]

    @property
    def n_obs(self) -> int:
        """Rows used."""
        return int(self.y.shape[0])

    @property
    def level_names(self) -> tuple[str, ...]:
        """Names of the random-effect levels, top level first."""
        return tuple(lev.name for lev in self.layout.levels)

    @property
    def n_groups(self) -> tuple[int, ...]:
        """Groups at each level (components counted within the top-level groups)."""
        return (int(self.groups.max()) + 1, *(int(c.max()) + 1 for c in self.components))


def vc_column(spec: str, data: pd.DataFrame, name: str) -> str:
    """The column a variance component names: a column, or statsmodels' ``"0 + C(column)"``.

    Examples
    --------
    >>> vc_column("0 + C(class_id)", pd.DataFrame({"class_id": [1]}), "class")
    'class_id'
    """
    match = _VC_FORMULA.match(spec)
    column = match.group(1) if match else spec.strip()
    if column not in data.columns:
        have = ", ".join(repr(str(c)) for c in data.columns)
        raise ArgumentError(f"vc[{name!r}]={spec!r} names no column of data; give a column name or "
                            f"'0 + C(column)' (a random intercept per level); the columns are: {have}")
    return column


def _codes(*columns: pd.Series) -> np.ndarray:
    """Integer codes of the combinations of ``columns`` (first column varies slowest)."""
    code = np.zeros(len(columns[0]), dtype=np.int64)
    for col in columns:
        part, uniques = pd.factorize(col, sort=True)
        code = code * (len(uniques) + 1) + part
        code = pd.factorize(code, sort=True)[0].astype(np.int64)
    return code


def _is_nested(fine: np.ndarray, coarse: np.ndarray) -> bool:
    """Whether every level of ``fine`` lies in one level of ``coarse``."""
    pairs = np.unique(fine * (int(coarse.max()) + 1) + coarse)
    return pairs.size == np.unique(fine).size


def check_rank(gram: np.ndarray, names: tuple[str, ...]) -> None:
    """Raise unless the fixed-effect Gram matrix ``X'X`` has full rank (an unpivoted Cholesky, column by column).

    Raises
    ------
    EstimationError
        Naming the first column that is a linear combination of the columns before it.
    """
    p = gram.shape[0]
    low = np.zeros_like(gram)
    for j in range(p):
        d = gram[j, j] - low[j, :j] @ low[j, :j]
        if d <= 1e-10 * max(gram[j, j], 1e-300):
            raise EstimationError(f"the fixed-effect column {names[j]!r} is a linear combination of the columns "
                                  "before it (or constant zero); drop or recode that term of the formula")
        low[j, j] = np.sqrt(d)
        low[j + 1:, j] = (gram[j + 1:, j] - low[j + 1:, :j] @ low[j, :j]) / low[j, j]


def _random_design(data: pd.DataFrame, re_formula: str | None) -> tuple[np.ndarray | None, tuple[str, ...]]:
    if re_formula is None or re_formula.replace("~", "").strip() == "1":
        return None, ("Intercept",)
    rhs = re_formula.split("~", 1)[-1]
    z = model_matrix(rhs, data, na_action="raise")
    if z.shape[1] == 0:
        raise ArgumentError(f"re_formula={re_formula!r} gives no random effect; use None for a random intercept")
    return np.asarray(z, dtype=float), tuple(str(c) for c in z.columns)


def _used_columns(data: pd.DataFrame, formula: str, re_formula: str | None) -> list[str]:
    names = set(Formula(formula).required_variables)
    if re_formula is not None and re_formula.replace("~", "").strip():
        names |= set(Formula(re_formula.split("~", 1)[-1]).required_variables)
    return [c for c in data.columns if c in names]


def build_design(data: pd.DataFrame, formula: str, *, groups: str, re_formula: str | None,
                 vc: Mapping[str, str] | None) -> MixedDesign:
    """Check the arguments, drop rows with a missing used value, and build the model's arrays.

    Raises
    ------
    ArgumentError
        For a formula without a response, an unknown ``vc`` column or an empty ``re_formula``.
    ColumnError
        When ``groups`` is not a column.
    EstimationError
        For collinear fixed effects, a level with fewer than two groups, or no more observations than
        random effects at a level.
    """
    if not isinstance(data, pd.DataFrame):
        raise ArgumentError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    if "~" not in formula or not formula.split("~", 1)[0].strip():
        raise ArgumentError(f"formula={formula!r} has no response; write it as 'outcome ~ terms'")
    check_columns(data, [groups], what="data")
    vc = dict(vc or {})
    vc_cols = [vc_column(spec, data, name) for name, spec in vc.items()]
    used = list(dict.fromkeys([*_used_columns(data, formula, re_formula), groups, *vc_cols]))
    keep = data[used].notna().all(axis=1).to_numpy()
    frame = data.loc[keep, used].reset_index(drop=True)
    mm = model_matrix(formula, frame, na_action="raise")
    y = np.asarray(mm.lhs, dtype=float).ravel()
    if np.asarray(mm.lhs).ndim == 2 and np.asarray(mm.lhs).shape[1] != 1:
        raise ArgumentError(f"formula={formula!r} must have one numeric response column")
    x = np.asarray(mm.rhs, dtype=float)
    x_names = tuple(str(c) for c in mm.rhs.columns)
    check_rank(x.T @ x, x_names)
    z, z_names = _random_design(frame, re_formula)
    top = _codes(frame[groups])
    comps = tuple(_codes(frame[groups], frame[c]) for c in vc_cols)
    nested = all(_is_nested(comps[k], comps[k - 1] if k else top) for k in range(len(comps)))
    levels = (RandomLevel(groups, z_names), *(RandomLevel(name, ("Intercept",)) for name in vc))
    design = MixedDesign(y, x, x_names, str(mm.lhs.columns[0]), top, z, comps, ThetaLayout(levels), nested,
                         int((~keep).sum()), frame, tuple(vc_cols))
    check_sizes(design.layout, design.n_groups, design.n_obs)
    return design


def check_sizes(layout: ThetaLayout, n_groups: tuple[int, ...], n: int) -> None:
    """Raise unless every level has two or more groups and fewer random effects than observations.

    Raises
    ------
    EstimationError
        For a level with fewer than two groups, or as many random effects as observations.
    """
    for lev, m in zip(layout.levels, n_groups, strict=True):
        if m < 2:
            raise EstimationError(f"the random-effect level {lev.name!r} has {m} group; a variance needs at least "
                                  "two groups: drop the level or add data")
        if m * lev.q >= n:
            raise EstimationError(f"the level {lev.name!r} has {m} groups x {lev.q} effects = {m * lev.q} random "
                                  f"effects for {n} observations, so its variance cannot be told apart from the "
                                  "residual: drop it (or its random slopes) or add observations")
