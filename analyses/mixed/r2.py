"""Nakagawa & Schielzeth's marginal and conditional R² for linear mixed models, with Johnson's random slopes.

The marginal R² is the share of the total variance explained by the fixed effects, the conditional R²
the share explained by fixed and random effects together.  With random slopes the variance of a level's
random effects differs between observations, so its mean over the observations is used (Johnson 2014),
as ``performance::r2_nakagawa`` and ``MuMIn::r.squaredGLMM`` do.

Examples
--------
>>> from analyses.mixed.fit import fit
>>> from analyses.mixed.simulate import simulate_growth
>>> data = simulate_growth(n_students=40, waves=4, seed=6)
>>> out = r2_nakagawa(data, fit(data, "score ~ wave * program", groups="student_id", re_formula="~ wave"))
>>> bool(0 < out.marginal < out.conditional < 1)
True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from analyses.mixed.model_data import design_of
from analyses.mixed.result import MixedResult
from analyses.mixed.table_engine import GroupSumsDeviance, same_table
from analyses.tidy import tidy_frame
from data_schema.engine import is_engine_table
from data_schema.errors import ArgumentError
from data_schema.json_safe import json_safe

if TYPE_CHECKING:
    from ibis.expr.types import Table

__all__ = ["R2Result", "r2_nakagawa"]


@dataclass(frozen=True)
class R2Result:
    """Marginal and conditional R² and the variances they are built from.

    Attributes
    ----------
    marginal
        ``var_fixed / (var_fixed + sum(var_random) + var_residual)``.
    conditional
        ``(var_fixed + sum(var_random)) / (var_fixed + sum(var_random) + var_residual)``.
    var_fixed
        Sample variance (denominator ``n - 1``) of the fixed-effect predictions ``X beta``.
    levels
        Names of the random-effect levels.
    var_random
        Mean variance of each level's random effects over the observations, ``tr(Sigma_l Z_l'Z_l) / n``.
    var_residual
        Residual variance ``sigma^2``.
    n_obs
        Observations.
    """

    marginal: float
    conditional: float
    var_fixed: float
    levels: tuple[str, ...]
    var_random: np.ndarray
    var_residual: float
    n_obs: int

    def tidy(self) -> pd.DataFrame:
        """Two rows, ``R2_marginal`` and ``R2_conditional`` (estimates only)."""
        method = "Nakagawa & Schielzeth R2 (Johnson's random-slope variance)"
        return tidy_frame([{"term": "R2_marginal", "estimate": self.marginal, "n_obs": self.n_obs, "method": method},
                           {"term": "R2_conditional", "estimate": self.conditional, "n_obs": self.n_obs,
                            "method": method}])

    def summary(self) -> str:
        """The R² values and the variances as text."""
        parts = ", ".join(f"{lev} {v:.6g}" for lev, v in zip(self.levels, self.var_random, strict=True))
        return (f"Marginal R2 {self.marginal:.6g}; conditional R2 {self.conditional:.6g}\n"
                f"variances: fixed {self.var_fixed:.6g}; random {parts}; residual {self.var_residual:.6g}")

    def to_dict(self) -> dict:
        """JSON-safe dictionary of every field."""
        return json_safe({k: getattr(self, k) for k in self.__dataclass_fields__})


def r2_nakagawa(data: pd.DataFrame | Table, result: MixedResult) -> R2Result:
    """Marginal and conditional R² of a linear mixed model.

    Parameters
    ----------
    data
        The rows the model was fitted to: a pandas DataFrame, or the engine table of a model fitted to one
        (then computed from the model's group sums, without the rows).
    result
        The fitted model (random intercepts, slopes and nested components all allowed).

    Returns
    -------
    R2Result

    Raises
    ------
    ArgumentError
        When ``data`` is not the data the model was fitted to, or an engine table for a model fitted to a
        DataFrame.

    Notes
    -----
    .. math:: R^2_m = \\frac{\\sigma^2_f}{\\sigma^2_f + \\sum_l \\sigma^2_l + \\sigma^2_e}, \\qquad
              R^2_c = \\frac{\\sigma^2_f + \\sum_l \\sigma^2_l}{\\sigma^2_f + \\sum_l \\sigma^2_l + \\sigma^2_e},

    with :math:`\\sigma^2_f = \\mathrm{var}(X\\hat\\beta)` and :math:`\\sigma^2_l = \\mathrm{tr}(\\Sigma_l Z_l'Z_l)/n`
    (Nakagawa & Schielzeth 2013, eqs. 26-27; Johnson 2014, eq. 10).  From group sums,
    :math:`\\sigma^2_f = \\hat\\beta' S_X \\hat\\beta` with :math:`S_X` the sample covariance of the columns of
    :math:`X`, and :math:`Z'Z` is the sum of the groups' :math:`Z_g'Z_g`.

    References
    ----------
    Nakagawa, S., & Schielzeth, H. (2013). A general and simple method for obtaining R² from generalized linear
    mixed-effects models. *Methods in Ecology and Evolution*, 4(2), 133-142.
    Johnson, P. C. D. (2014). Extension of Nakagawa & Schielzeth's R²GLMM to random slopes models. *Methods in
    Ecology and Evolution*, 5(9), 944-946.
    """
    if is_engine_table(data):
        var_fixed, ztz, n = _from_sums(data, result)
    else:
        design = design_of(data, result)
        n = design.n_obs
        var_fixed = float(np.var(design.x @ result.beta, ddof=1))
        z_top = np.ones((n, 1)) if design.z is None else design.z
        ztz = z_top.T @ z_top
    var_random = [float(np.trace(result.covariances[0] @ ztz) / n)]
    var_random += [float(c[0, 0]) for c in result.covariances[1:]]
    var_res = float(result.sigma ** 2)
    total = var_fixed + sum(var_random) + var_res
    return R2Result(var_fixed / total, (var_fixed + sum(var_random)) / total, var_fixed,
                    tuple(lev.name for lev in result.levels), np.array(var_random), var_res, n)


def _from_sums(data: Table, result: MixedResult) -> tuple[float, np.ndarray, int]:
    """``var(X beta)``, ``Z'Z`` and ``n`` from the group sums of a model fitted to an engine table."""
    engine = result.engine
    if not isinstance(engine, GroupSumsDeviance):
        raise ArgumentError("the model was fitted to a pandas DataFrame, but data is an engine table; pass the "
                            "DataFrame the model was fitted to")
    same_table(data, engine)
    beta = np.asarray(result.beta, dtype=float)
    return float(beta @ engine.x_cov @ beta), engine.ztz, result.n_obs
