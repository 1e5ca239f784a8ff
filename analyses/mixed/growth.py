"""Predicted growth trajectories per program from a ``wave * program`` growth model, with intervals.

A growth model ``score ~ wave * program`` with a random intercept and slope per student gives each
program a mean trajectory.  The predicted mean at wave ``t`` for program ``g`` is ``x(t, g)'beta``; its
standard error is ``sqrt(x'Cx)``, and its degrees of freedom are Satterthwaite's for the contrast ``x``
(or infinite: normal intervals).  The differences between programs at each wave are contrasts too.

Examples
--------
>>> from analyses.mixed.fit import fit
>>> from analyses.mixed.simulate import simulate_growth
>>> data = simulate_growth(n_students=40, waves=3, seed=8)
>>> result = fit(data, "score ~ wave * program", groups="student_id", re_formula="~ wave")
>>> traj = growth_trajectories(data, result, time="wave", program="program", ddf="normal")
>>> traj.predictions[["program", "wave"]].shape
(6, 2)
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from formulaic import Formula, model_matrix
from scipy import stats

from analyses.mixed.model_data import design_of
from analyses.mixed.result import MixedResult
from analyses.mixed.satterthwaite import DDF, satterthwaite
from analyses.tidy import tidy_frame
from data_schema.arguments import check_choice, check_columns
from data_schema.errors import ArgumentError
from data_schema.json_safe import json_safe

__all__ = ["GrowthTrajectories", "growth_trajectories"]

PREDICTION_COLUMNS = ("kind", "program", "time", "estimate", "std_error", "df", "ci_low", "ci_high")


@dataclass(frozen=True)
class GrowthTrajectories:
    """Predicted mean trajectories per program and the program differences per time point.

    Attributes
    ----------
    time, program
        The time and program columns.
    predictions
        One row per program and time: ``program``, the time column, ``estimate``, ``std_error``, ``df``,
        ``ci_low``, ``ci_high`` (fixed effects only: the population-average trajectory).
    differences
        One row per non-reference program and time: that program minus the first (reference) program.
    contrasts
        Rows of ``X`` for the predictions, then for the differences (columns: fixed effects).
    ci_level
        Confidence level.
    ddf
        ``"satterthwaite"`` or ``"normal"``.
    n_obs, n_clusters
        Observations and top-level groups of the model.
    """

    time: str
    program: str
    predictions: pd.DataFrame
    differences: pd.DataFrame
    contrasts: np.ndarray
    ci_level: float
    ddf: str
    n_obs: int
    n_clusters: int

    def tidy(self) -> pd.DataFrame:
        """Predictions then differences; ``kind``, ``program`` and ``time`` as extra columns."""
        method = f"predicted mean from fixed effects; {'Satterthwaite t' if self.ddf == 'satterthwaite' else 'normal'}"
        rows = []
        for kind, frame in (("mean", self.predictions), ("difference", self.differences)):
            for rec in frame.to_dict(orient="records"):
                label = f"{rec['program']} at {self.time}={rec[self.time]}"
                se = rec["std_error"]
                rows.append({"term": label if kind == "mean" else f"difference: {label}", "estimate": rec["estimate"],
                             "std_error": se, "statistic": rec["estimate"] / se if se > 0 else np.nan,
                             "df": rec["df"], "p_value": rec["p_value"], "ci_low": rec["ci_low"],
                             "ci_high": rec["ci_high"], "ci_level": self.ci_level, "n_obs": self.n_obs,
                             "n_clusters": self.n_clusters, "method": method, "kind": kind,
                             "program": rec["program"], "time": rec[self.time]})
        return tidy_frame(rows)

    def summary(self) -> str:
        """Both tables as text."""
        return "\n".join(["Predicted trajectories", self.predictions.to_string(index=False), "",
                          "Program differences (vs the reference program)", self.differences.to_string(index=False)])

    def to_dict(self) -> dict:
        """JSON-safe dictionary of every field."""
        return json_safe({k: getattr(self, k) for k in self.__dataclass_fields__})


def _grid(frame: pd.DataFrame, time: str, program: str, times: Sequence[float] | None,
          at: Mapping[str, object], needed: set[str]) -> pd.DataFrame:
    missing = needed - {time, program} - set(at)
    if missing:
        raise ArgumentError(f"the formula uses {sorted(missing)} besides {time!r} and {program!r}; give their values "
                            "in at={...} (e.g. at={'age': 15})")
    programs = sorted(pd.unique(frame[program]).tolist())
    points = sorted(pd.unique(frame[time]).tolist()) if times is None else list(times)
    grid = pd.DataFrame(list(itertools.product(programs, points)), columns=[program, time])
    for name, value in at.items():
        grid[name] = value
    return grid


def _table(grid: pd.DataFrame, est: np.ndarray, se: np.ndarray, df: np.ndarray, level: float) -> pd.DataFrame:
    q = stats.t.ppf(0.5 + level / 2, df)
    out = grid.copy()
    out["estimate"], out["std_error"], out["df"] = est, se, df
    out["p_value"] = 2 * stats.t.sf(np.abs(est / se), df)
    out["ci_low"], out["ci_high"] = est - q * se, est + q * se
    return out


def growth_trajectories(data: pd.DataFrame, result: MixedResult, *, time: str, program: str,
                        times: Sequence[float] | None = None, at: Mapping[str, object] | None = None,
                        ddf: Literal["satterthwaite", "normal"] = "satterthwaite",
                        level: float = 0.95) -> GrowthTrajectories:
    """Predicted mean trajectories per program, and program differences per time point, with intervals.

    Parameters
    ----------
    data
        The rows the model was fitted to (the formula's encoding of ``program`` is rebuilt from them).
    result
        A growth model, e.g. ``fit(data, "score ~ wave * program", groups="student_id", re_formula="~ wave")``.
    time, program
        The time and program columns of the formula.
    times
        Time points to predict at; default the observed ones.
    at
        Values of any other covariate in the formula.
    ddf
        ``"satterthwaite"`` (t intervals with Satterthwaite's df per prediction) or ``"normal"``.
    level
        Confidence level.

    Returns
    -------
    GrowthTrajectories

    Raises
    ------
    ArgumentError
        When the formula has covariates not given in ``at``, or ``data`` is not the model's data, or is an
        engine table (the formula's encoding is rebuilt from the rows: pass them as a pandas DataFrame).

    Notes
    -----
    :math:`\\hat\\mu(t, g) = x(t, g)'\\hat\\beta`, :math:`\\mathrm{SE} = \\sqrt{x' C x}` with
    :math:`C = \\hat\\sigma^2 (X'V^{-1}X)^{-1}`; differences use :math:`x(t, g) - x(t, g_0)`.  Satterthwaite's df
    for each contrast follow Kuznetsova et al. (2017).

    References
    ----------
    Singer, J. D., & Willett, J. B. (2003). *Applied Longitudinal Data Analysis*. Oxford University Press, ch. 4.
    Kuznetsova, A., Brockhoff, P. B., & Christensen, R. H. B. (2017). lmerTest package: Tests in linear mixed
    effects models. *Journal of Statistical Software*, 82(13), 1-26.
    """
    check_choice("ddf", ddf, DDF)
    check_columns(data, [time, program], what="data")
    design = design_of(data, result)
    rhs = result.formula.split("~", 1)[1]
    spec = model_matrix(rhs, design.frame, na_action="raise").model_spec
    grid = _grid(design.frame, time, program, times, dict(at or {}), set(Formula(rhs).required_variables))
    x_new = np.asarray(spec.get_model_matrix(grid), dtype=float)
    programs = list(dict.fromkeys(grid[program]))
    n_t = len(grid) // len(programs)
    x_diff = np.vstack([x_new[k * n_t:(k + 1) * n_t] - x_new[:n_t] for k in range(1, len(programs))]) \
        if len(programs) > 1 else np.zeros((0, x_new.shape[1]))
    mats = np.vstack([x_new, x_diff])
    if ddf == "satterthwaite":
        sat = satterthwaite(result, mats, level=level)
        est, se, df = sat.estimate, sat.std_error, sat.df
    else:
        est = mats @ result.beta
        se = np.sqrt(np.einsum("ij,jk,ik->i", mats, result.vcov, mats))
        df = np.full(est.size, np.inf)
    k = x_new.shape[0]
    pred = _table(grid[[program, time]], est[:k], se[:k], df[:k], level)
    diff_grid = grid[[program, time]].iloc[n_t:].reset_index(drop=True)
    diff = _table(diff_grid, est[k:], se[k:], df[k:], level)
    return GrowthTrajectories(time, program, pred, diff, mats, float(level), ddf, result.n_obs, result.n_groups[0])
