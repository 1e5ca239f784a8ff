"""The design arrays of a fitted model, rebuilt from the data it was fitted to.

Quantities that need the rows themselves (the fixed-effect predictions of an R², the group sizes of a
design effect, a prediction grid) rebuild the model's design from the data and check that it is the
data the model saw.

Examples
--------
>>> from analyses.mixed.fit import fit
>>> from analyses.mixed.simulate import simulate_growth
>>> data = simulate_growth(n_students=10, waves=3, seed=1)
>>> design = design_of(data, fit(data, "score ~ wave", groups="student_id"))
>>> design.x.shape
(30, 2)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from analyses.mixed.design import MixedDesign, build_design
from analyses.mixed.result import MixedResult
from data_schema.engine import is_engine_table
from data_schema.errors import ArgumentError

if TYPE_CHECKING:
    from ibis.expr.types import Table

__all__ = ["design_of"]


def design_of(data: pd.DataFrame | Table, result: MixedResult) -> MixedDesign:
    """Rebuild ``result``'s design from ``data``; raise if these are not the rows it was fitted to.

    Works for a model fitted to a pandas DataFrame or to an engine table, as long as ``data`` holds the
    fitted rows in pandas: the design is rebuilt row by row, which is never done inside an engine.

    Raises
    ------
    ArgumentError
        When ``data`` is an engine table, or the rebuilt design has a different number of rows, groups or
        fixed effects.
    """
    if is_engine_table(data):
        raise ArgumentError("this helper rebuilds the model's design matrix row by row, which would pull every row "
                            "out of the engine table; pass the fitted rows as a pandas DataFrame (r2_nakagawa and "
                            "design_effect accept the engine table: they use the model's group sums)")
    design = build_design(data, result.formula, groups=result.groups, re_formula=result.re_formula,
                          vc=dict(result.vc) or None)
    if design.n_obs != result.n_obs or design.x_names != result.fixed_names or design.n_groups != result.n_groups:
        raise ArgumentError(f"data gives {design.n_obs} usable rows, groups {design.n_groups} and fixed effects "
                            f"{design.x_names}, but the model was fitted to {result.n_obs} rows, groups "
                            f"{result.n_groups} and {result.fixed_names}; pass the data the model was fitted to")
    return design
