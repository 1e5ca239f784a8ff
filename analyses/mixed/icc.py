"""Intraclass correlations per level, the variance decomposition, and the design effect of a nested model.

For a model with random intercepts only (students in classes in institutions; or a null model), the
total variance splits into one component per level plus the residual.  The share of a level is its
component over the total; the ICC of a level is the correlation of two observations in the same group
of that level, which (the levels being nested) is the sum of the shares of that level and every
coarser one.  Intervals for the ICCs are profile-likelihood intervals (:mod:`analyses.mixed.intervals`).

Examples
--------
>>> from analyses.mixed.fit import fit
>>> from analyses.mixed.simulate import simulate_nested
>>> data = simulate_nested(n_institutions=10, classes_per_institution=3, students_per_class=6, waves=1, seed=2,
...                        variances={"institution": 0.4, "class": 0.3})
>>> result = fit(data, "score ~ 1", groups="institution_id", vc={"class": "class_id"})
>>> out = icc(result)
>>> list(out.tidy()["term"])
['icc|institution_id', 'icc|class']
>>> design_effect_from_summary(0.1, 21.0)
3.0
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from analyses.mixed.intervals import CRITERIA, profile_limits
from analyses.mixed.model_data import design_of
from analyses.mixed.result import MixedResult
from analyses.mixed.table_engine import GroupSumsDeviance, same_table
from analyses.tidy import tidy_frame
from data_schema.arguments import check_choice
from data_schema.engine import is_engine_table
from data_schema.errors import ArgumentError, EstimationError
from data_schema.json_safe import json_safe

if TYPE_CHECKING:
    from ibis.expr.types import Table

__all__ = ["IccResult", "DesignEffect", "icc", "variance_decomposition", "design_effect", "design_effect_from_summary"]


@dataclass(frozen=True)
class IccResult:
    """ICCs and the variance decomposition of a random-intercept model.

    Attributes
    ----------
    levels
        Level names, coarse to fine (the ``groups`` level first).
    variances
        Variance of each level's random intercept.
    residual_variance
        The residual (occasion- or student-level) variance.
    shares
        Each level's share of the total variance.
    icc
        Correlation of two observations sharing a group of each level (cumulative shares).
    ci_low, ci_high, ci_level
        Profile-likelihood limits of each ICC and their level.
    criterion
        The deviance profiled (``"REML"`` or ``"ML"``).
    n_obs
        Observations.
    n_groups
        Groups per level.
    """

    levels: tuple[str, ...]
    variances: np.ndarray
    residual_variance: float
    shares: np.ndarray
    icc: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    ci_level: float
    criterion: str
    n_obs: int
    n_groups: tuple[int, ...]

    @property
    def total_variance(self) -> float:
        """Sum of the level variances and the residual variance."""
        return float(self.variances.sum() + self.residual_variance)

    def tidy(self) -> pd.DataFrame:
        """One row per level: the ICC with its interval; ``variance`` and ``share`` as extra columns."""
        method = f"intraclass correlation; profile-likelihood ({self.criterion}) interval"
        return tidy_frame([{"term": f"icc|{lev}", "estimate": r, "ci_low": lo, "ci_high": hi,
                            "ci_level": self.ci_level, "n_obs": self.n_obs, "n_clusters": m, "method": method,
                            "variance": v, "share": s}
                           for lev, r, lo, hi, m, v, s in zip(self.levels, self.icc, self.ci_low, self.ci_high,
                                                              self.n_groups, self.variances, self.shares,
                                                              strict=True)])

    def decomposition(self) -> pd.DataFrame:
        """The variance decomposition: ``level, variance, share`` with a ``Residual`` row; shares sum to one."""
        return pd.DataFrame({"level": [*self.levels, "Residual"],
                             "variance": np.r_[self.variances, self.residual_variance],
                             "share": np.r_[self.shares, self.residual_variance / self.total_variance]})

    def summary(self) -> str:
        """Decomposition and ICCs as text."""
        lines = ["Variance decomposition", self.decomposition().to_string(index=False), "",
                 f"Intraclass correlations ({100 * self.ci_level:g}% profile-likelihood intervals)",
                 self.tidy()[["term", "estimate", "ci_low", "ci_high"]].to_string(index=False)]
        return "\n".join(lines)

    def to_dict(self) -> dict:
        """JSON-safe dictionary of every field."""
        out = {k: getattr(self, k) for k in self.__dataclass_fields__}
        out["decomposition"] = self.decomposition()
        return json_safe(out)


def _check_intercepts(result: MixedResult) -> None:
    if any(lev.q != 1 for lev in result.levels):
        raise EstimationError("ICCs need a model with random intercepts only: with random slopes the variance "
                              "between groups depends on the covariate. Fit a null model (outcome ~ 1, or only "
                              "fixed covariates) with random intercepts, or use r2_nakagawa for a slope model")


def _icc_function(n_theta: int, level: int):
    def g(phi: np.ndarray) -> float:
        th2 = phi[:n_theta] ** 2
        return float(th2[: level + 1].sum() / (th2.sum() + 1.0))

    return g


def variance_decomposition(result: MixedResult) -> pd.DataFrame:
    """Variance of each level and the residual, and their shares of the total (no intervals: fast).

    Raises
    ------
    EstimationError
        When a level has random slopes.
    """
    _check_intercepts(result)
    var = np.array([float(c[0, 0]) for c in result.covariances])
    total = var.sum() + result.sigma ** 2
    return pd.DataFrame({"level": [*(lev.name for lev in result.levels), "Residual"],
                         "variance": np.r_[var, result.sigma ** 2], "share": np.r_[var, result.sigma ** 2] / total})


def icc(result: MixedResult, *, level: float = 0.95, criterion: Literal["REML", "ML"] | None = None) -> IccResult:
    """ICC per level, with profile-likelihood intervals, and the variance decomposition.

    Parameters
    ----------
    result
        A model with random intercepts only (``re_formula=None``; nested ``vc`` components allowed).
    level
        Confidence level.
    criterion
        Deviance profiled for the intervals; default the one the model was fitted with.

    Returns
    -------
    IccResult

    Raises
    ------
    EstimationError
        When a level has random slopes.

    Notes
    -----
    With level variances :math:`\\sigma^2_1, \\dots, \\sigma^2_L` (coarse to fine) and residual :math:`\\sigma^2_e`,
    the share of level :math:`l` is :math:`\\sigma^2_l / (\\sum_k \\sigma^2_k + \\sigma^2_e)` and its ICC is
    :math:`\\rho_l = \\sum_{k \\le l} \\sigma^2_k / (\\sum_k \\sigma^2_k + \\sigma^2_e)`; in relative terms
    :math:`\\rho_l = \\sum_{k\\le l}\\theta_k^2 / (\\sum_k \\theta_k^2 + 1)`, so its profile is taken over theta and
    sigma with :math:`\\rho_l` held fixed (Snijders & Bosker 2012, section 4.4, for the nested ICCs).

    References
    ----------
    Snijders, T. A. B., & Bosker, R. J. (2012). *Multilevel Analysis* (2nd ed.). Sage.
    """
    _check_intercepts(result)
    crit = criterion or ("REML" if result.reml else "ML")
    check_choice("criterion", crit, CRITERIA)
    if not 0.0 < float(level) < 1.0:
        raise ArgumentError(f"level={level!r} must lie strictly between 0 and 1, e.g. 0.95")
    decomposition = variance_decomposition(result)
    var = decomposition["variance"].to_numpy()[:-1]
    shares = decomposition["share"].to_numpy()[:-1]
    lows, highs = [], []
    for k in range(len(result.levels)):
        lo, hi = profile_limits(result, _icc_function(result.theta.size, k), (0.0, 1.0), level=level,
                                criterion=crit)
        lows.append(lo)
        highs.append(hi)
    return IccResult(tuple(lev.name for lev in result.levels), var, float(result.sigma ** 2), shares,
                     np.cumsum(shares), np.array(lows), np.array(highs), float(level), crit, result.n_obs,
                     tuple(result.n_groups))


@dataclass(frozen=True)
class DesignEffect:
    """Kish's design effect of a nested sample for estimating a mean.

    Attributes
    ----------
    levels
        Level names, coarse to fine.
    shares
        Each level's share of the total variance.
    mean_sizes
        Size-weighted mean number of observations per group, ``sum n_g^2 / N``, per level.
    design_effect
        ``1 + sum_l (m_l - 1) share_l``.
    n_obs
        Observations ``N``.
    effective_n
        ``N / design_effect``.
    """

    levels: tuple[str, ...]
    shares: np.ndarray
    mean_sizes: np.ndarray
    design_effect: float
    n_obs: int
    effective_n: float

    def tidy(self) -> pd.DataFrame:
        """One row: the design effect; ``effective_n`` as an extra column."""
        return tidy_frame([{"term": "design effect", "estimate": self.design_effect, "n_obs": self.n_obs,
                            "method": "Kish design effect from the model's variance shares",
                            "effective_n": self.effective_n}])

    def summary(self) -> str:
        """The design effect and its parts as text."""
        parts = ", ".join(f"{lev}: share {s:.4g}, mean size {m:.4g}"
                          for lev, s, m in zip(self.levels, self.shares, self.mean_sizes, strict=True))
        return (f"Design effect {self.design_effect:.4g} (effective n {self.effective_n:.1f} of {self.n_obs}); "
                f"{parts}")

    def to_dict(self) -> dict:
        """JSON-safe dictionary of every field."""
        return json_safe({k: getattr(self, k) for k in self.__dataclass_fields__})


def design_effect_from_summary(icc: float | Sequence[float], cluster_size: float | Sequence[float]) -> float:
    """Design effect from published ICC(s) and mean cluster size(s): ``1 + sum (m_l - 1) rho_l``.

    For one level this is Kish's ``1 + (m - 1) rho``; for nested levels give each level's variance share and
    the mean number of observations per group of that level.
    """
    rho = np.atleast_1d(np.asarray(icc, dtype=float))
    size = np.atleast_1d(np.asarray(cluster_size, dtype=float))
    if rho.shape != size.shape or np.any(rho < 0) or np.any(rho > 1) or np.any(size < 1):
        raise ArgumentError(f"icc={icc!r} and cluster_size={cluster_size!r} must be matching values with 0 <= icc <= 1 "
                            "and cluster_size >= 1")
    return float(1.0 + np.sum((size - 1.0) * rho))


def design_effect(data: pd.DataFrame | Table, result: MixedResult) -> DesignEffect:
    """Design effect of the sample in ``data`` for a mean, from the fitted model's variance shares.

    Parameters
    ----------
    data
        The rows the model was fitted to (for the group sizes): a pandas DataFrame, or the engine table of a
        model fitted to one (the group sizes are then the model's group counts).
    result
        A random-intercept model fitted to ``data``.

    Returns
    -------
    DesignEffect

    Raises
    ------
    ArgumentError
        When ``data`` is not the data the model was fitted to, or an engine table for a model fitted to a
        DataFrame.

    Notes
    -----
    For the grand mean of :math:`N` observations in groups of sizes :math:`n_{lg}` at level :math:`l`,
    :math:`\\mathrm{Var}(\\bar y) = N^{-2}[\\sum_l \\sigma^2_l \\sum_g n_{lg}^2 + N\\sigma^2_e]`, so the design effect
    is :math:`1 + \\sum_l (m_l - 1)\\,\\mathrm{share}_l` with :math:`m_l = \\sum_g n_{lg}^2 / N`; for equal groups
    of size :math:`m` and one level it is Kish's :math:`1 + (m - 1)\\rho` (Kish 1965, section 5.4).

    References
    ----------
    Kish, L. (1965). *Survey Sampling*. Wiley.
    """
    decomposition = variance_decomposition(result)
    if is_engine_table(data):
        if not isinstance(result.engine, GroupSumsDeviance):
            raise ArgumentError("the model was fitted to a pandas DataFrame, but data is an engine table; pass the "
                                "DataFrame the model was fitted to")
        same_table(data, result.engine)
        counts = [result.engine.group_sizes]
        n = result.n_obs
    else:
        design = design_of(data, result)
        counts = [np.bincount(c) for c in (design.groups, *design.components)]
        n = design.n_obs
    sizes = np.array([float((np.asarray(c, dtype=float) ** 2).sum()) / n for c in counts])
    shares = decomposition["share"].to_numpy()[:-1]
    deff = float(1.0 + np.sum((sizes - 1.0) * shares))
    return DesignEffect(tuple(lev.name for lev in result.levels), shares, sizes, deff, n, n / deff)
