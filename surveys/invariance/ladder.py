"""The measurement-invariance ladder: configural, metric, scalar (and strict) models across groups.

Examples
--------
>>> from surveys.invariance import invariance, simulate_groups
>>> spec = {"f": ["a", "b", "c", "d"]}
>>> df = simulate_groups(factors=spec, n_per_group={"x": 400, "y": 400}, seed=11)
>>> res = invariance(df, factors=spec, group="group")
>>> res.tidy()[["level", "df", "verdict"]].to_dict("list")
{'level': ['configural', 'metric', 'scalar'], 'df': [4, 7, 10], 'verdict': ['baseline', 'holds', 'holds']}
>>> res.supported_level
'scalar'
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import pandas as pd

from data_schema.arguments import check_choice
from data_schema.errors import EstimationError

from .cfa import fit_cfa
from .comparison import ChenCutoffs, StepComparison, compare_models
from .model import MeasurementModel
from .moments import SampleMoments, moments_from_summary, sample_moments
from .results import CFAResult, json_safe

__all__ = ["LEVELS", "LEVEL_CONSTRAINTS", "InvarianceResult", "invariance", "invariance_from_summary"]

Level = Literal["configural", "metric", "scalar", "strict"]

LEVELS: tuple[str, ...] = ("configural", "metric", "scalar", "strict")
"""Invariance levels, from least to most restricted."""

LEVEL_CONSTRAINTS: dict[str, tuple[str, ...]] = {
    "configural": (),
    "metric": ("loadings",),
    "scalar": ("loadings", "intercepts"),
    "strict": ("loadings", "intercepts", "residuals"),
}
"""Parameter sets held equal across groups at each level (lavaan's ``group.equal``)."""

LADDER_COLUMNS = (
    "level", "chisq", "df", "p_value", "cfi", "tli", "rmsea", "rmsea_ci_low", "rmsea_ci_high", "rmsea_ci_level",
    "srmr", "aic", "bic", "loglik", "n_parameters", "n_obs", "converged", "compared_with", "delta_chisq",
    "delta_df", "delta_p_value", "delta_cfi", "delta_rmsea", "delta_srmr", "verdict", "reason",
)
"""Columns of :meth:`InvarianceResult.tidy`, in order."""


@dataclass(frozen=True, eq=False)
class InvarianceResult:
    """The fitted invariance ladder.

    Attributes
    ----------
    models
        One :class:`~surveys.invariance.results.CFAResult` per level, in order.
    comparisons
        One :class:`~surveys.invariance.comparison.StepComparison` per step
        (each model against the one before it).
    cutoffs
        The cut-offs used for the verdicts.
    """

    models: tuple[CFAResult, ...]
    comparisons: tuple[StepComparison, ...]
    cutoffs: ChenCutoffs

    @property
    def levels(self) -> tuple[str, ...]:
        """Levels fitted, from least to most restricted."""
        return tuple(m.level or "" for m in self.models)

    @property
    def groups(self) -> tuple[Hashable, ...]:
        """Group labels; the first is the reference group."""
        return self.models[0].groups

    @property
    def n_obs(self) -> tuple[int, ...]:
        """Complete rows used per group."""
        return self.models[0].n_obs

    @property
    def n_excluded(self) -> int:
        """Rows dropped by listwise deletion."""
        return self.models[0].n_excluded

    @property
    def supported_level(self) -> str:
        """Most restricted level reached before the first step that fails (the first level if none holds)."""
        level = self.levels[0]
        for step in self.comparisons:
            if step.verdict != "holds":
                break
            level = step.level
        return level

    def model(self, level: str) -> CFAResult:
        """The fitted model of ``level``."""
        check_choice("level", level, self.levels)
        return self.models[self.levels.index(level)]

    def tidy(self) -> pd.DataFrame:
        """One row per level: fit indices and the comparison with the previous level.

        Columns are :data:`LADDER_COLUMNS`.  The first level is the baseline of
        the ladder: its comparison columns are empty and its verdict is
        ``"baseline"`` (judge it by its own fit indices).
        """
        rows = []
        for k, res in enumerate(self.models):
            f = res.fit
            row = {
                "level": res.level, "chisq": f.chisq, "df": f.df, "p_value": f.p_value, "cfi": f.cfi, "tli": f.tli,
                "rmsea": f.rmsea, "rmsea_ci_low": f.rmsea_ci_low, "rmsea_ci_high": f.rmsea_ci_high,
                "rmsea_ci_level": f.rmsea_ci_level, "srmr": f.srmr, "aic": f.aic, "bic": f.bic, "loglik": f.loglik,
                "n_parameters": f.n_parameters, "n_obs": f.n_obs, "converged": res.converged,
            }
            if k == 0:
                row |= {"compared_with": None, "verdict": "baseline",
                        "reason": "first level of the ladder: no comparison; judge it by its own fit indices"}
            else:
                c = self.comparisons[k - 1]
                row |= {
                    "compared_with": c.compared_with, "delta_chisq": c.delta_chisq, "delta_df": c.delta_df,
                    "delta_p_value": c.p_value, "delta_cfi": c.delta_cfi, "delta_rmsea": c.delta_rmsea,
                    "delta_srmr": c.delta_srmr, "verdict": c.verdict, "reason": c.reason,
                }
            rows.append(row)
        out = pd.DataFrame.from_records(rows, columns=list(LADDER_COLUMNS))
        return out.astype({"delta_df": "Int64"})

    def to_dict(self) -> dict[str, object]:
        """JSON-safe dict: groups, sizes, cut-offs, fit per level, comparisons and the supported level."""
        return json_safe({
            "groups": [str(g) for g in self.groups],
            "n_obs": list(self.n_obs),
            "n_excluded": self.n_excluded,
            "cutoffs": self.cutoffs.__dict__,
            "models": {m.level: {"fit": m.fit.to_dict(), "converged": m.converged, "warnings": list(m.warnings)}
                       for m in self.models},
            "comparisons": [c.to_dict() for c in self.comparisons],
            "supported_level": self.supported_level,
        })

    def summary(self) -> str:
        """Human-readable table of the ladder."""
        cols = ["level", "chisq", "df", "cfi", "rmsea", "srmr", "delta_chisq", "delta_df", "delta_p_value",
                "delta_cfi", "delta_rmsea", "delta_srmr", "verdict"]
        sizes = ", ".join(f"{g}: {n}" for g, n in zip(self.groups, self.n_obs, strict=True))
        head = f"Measurement invariance across {len(self.groups)} groups ({sizes}); rows excluded: {self.n_excluded}"
        body = self.tidy()[cols].to_string(index=False, float_format=lambda v: f"{v:.3f}")
        notes = [f"  {c.level}: {c.reason}" for c in self.comparisons]
        return "\n".join([head, "", body, "", *notes, f"supported level: {self.supported_level}"])


def _check_levels(levels: Sequence[str]) -> tuple[str, ...]:
    """Validate ``levels``: known names, no repeats, increasing restriction, at least one."""
    levels = tuple(check_choice("levels", lev, LEVELS) for lev in levels)
    if not levels:
        raise EstimationError("levels is empty; ask for e.g. ('configural', 'metric', 'scalar')")
    order = [LEVELS.index(lev) for lev in levels]
    if order != sorted(set(order)):
        raise EstimationError(f"levels={list(levels)!r} must be distinct and ordered as {list(LEVELS)!r}")
    return levels


def run_ladder(
    mom: SampleMoments,
    spec: MeasurementModel,
    *,
    levels: Sequence[str],
    cutoffs: ChenCutoffs,
    rmsea_ci_level: float,
) -> InvarianceResult:
    """Fit each level to the same moments and compare each with the one before."""
    levels = _check_levels(levels)
    if mom.n_groups < 2:
        raise EstimationError(f"invariance needs at least two groups; the data have {mom.n_groups}")
    fitted = []
    for lev in levels:  # a plain loop keeps warnings' stacklevel pointing at the caller of invariance()
        fitted.append(fit_cfa(mom, spec, group_equal=LEVEL_CONSTRAINTS[lev], meanstructure=True,
                              rmsea_ci_level=rmsea_ci_level, level=lev, stacklevel=4))
    models = tuple(fitted)
    steps = tuple(compare_models(models[k], models[k - 1], cutoffs=cutoffs) for k in range(1, len(models)))
    return InvarianceResult(models, steps, cutoffs)


def invariance(
    data: pd.DataFrame,
    *,
    factors: Mapping[str, Sequence[str]],
    group: str,
    levels: Sequence[Level] = ("configural", "metric", "scalar"),
    group_order: Sequence[Hashable] | None = None,
    cutoffs: ChenCutoffs | None = None,
    rmsea_ci_level: float = 0.90,
) -> InvarianceResult:
    """Test measurement invariance across groups with a sequence of multi-group CFAs.

    Parameters
    ----------
    data
        Long DataFrame, one row per respondent.
    factors
        Simple structure ``{factor: [items]}``.
    group
        Grouping column (at least two groups).
    levels
        Levels to fit, in order, from ``"configural"``, ``"metric"``,
        ``"scalar"``, ``"strict"``.
    group_order
        Order of the groups; the first is the reference group whose factor
        means are fixed to 0.  Default: order of first appearance.
    cutoffs
        Cut-offs for the verdicts; default :class:`ChenCutoffs()`.
    rmsea_ci_level
        Level of the RMSEA confidence interval.

    Returns
    -------
    InvarianceResult

    Notes
    -----
    All models have a mean structure and marker-variable identification.

    * configural: same pattern, all parameters free per group, factor means 0;
    * metric: loadings equal across groups;
    * scalar: loadings and intercepts equal; factor means free in groups
      :math:`2..G`;
    * strict: loadings, intercepts and residual variances equal.

    Each step reports the chi-square difference test
    :math:`\\Delta T = T_{k} - T_{k-1}` on :math:`\\Delta df` degrees of freedom,
    :math:`\\Delta CFI`, :math:`\\Delta RMSEA`, :math:`\\Delta SRMR` (restricted
    minus less restricted) and Chen's (2007) verdict (see
    :func:`~surveys.invariance.comparison.judge_step`).  Fit indices follow
    lavaan (see :mod:`surveys.invariance.indices`).  The ladder is what
    semTools' ``measurementInvariance()`` fits.

    References
    ----------
    Meredith, W. (1993). Measurement invariance, factor analysis and factorial
    invariance. *Psychometrika*, 58(4), 525-543.

    Chen, F. F. (2007). Sensitivity of goodness of fit indexes to lack of
    measurement invariance. *Structural Equation Modeling*, 14(3), 464-504.

    Examples
    --------
    >>> from surveys.invariance import invariance, simulate_groups
    >>> spec = {"f": ["a", "b", "c", "d"]}
    >>> df = simulate_groups(factors=spec, n_per_group={"x": 500, "y": 500},
    ...                      intercept_shift={("y", "b"): 0.8}, seed=5)
    >>> invariance(df, factors=spec, group="group").supported_level
    'metric'
    """
    spec = MeasurementModel.from_mapping(factors)
    mom = sample_moments(data, items=spec.items, group=group, group_order=group_order)
    return run_ladder(mom, spec, levels=levels, cutoffs=cutoffs or ChenCutoffs(), rmsea_ci_level=rmsea_ci_level)


def invariance_from_summary(
    *,
    factors: Mapping[str, Sequence[str]],
    covariances: Mapping[Hashable, pd.DataFrame],
    means: Mapping[Hashable, pd.Series],
    n_obs: Mapping[Hashable, int],
    levels: Sequence[Level] = ("configural", "metric", "scalar"),
    cutoffs: ChenCutoffs | None = None,
    rmsea_ci_level: float = 0.90,
) -> InvarianceResult:
    """Invariance ladder from published per-group covariance matrices, means and sizes.

    Parameters
    ----------
    factors
        Simple structure ``{factor: [items]}``.
    covariances
        Mapping group -> unbiased covariance matrix (items as index and columns).
    means
        Mapping group -> item means.
    n_obs
        Mapping group -> sample size.
    levels, cutoffs, rmsea_ci_level
        As in :func:`invariance`.

    Returns
    -------
    InvarianceResult

    Notes
    -----
    Matrices are rescaled by :math:`(N_g-1)/N_g` (lavaan's ``sample.cov``);
    groups are taken in the order of ``covariances``.

    Examples
    --------
    >>> import pandas as pd
    >>> items = ["a", "b", "c"]
    >>> cov = pd.DataFrame([[1.0, .5, .5], [.5, 1.0, .5], [.5, .5, 1.0]], index=items, columns=items)
    >>> mean = pd.Series(0.0, index=items)
    >>> res = invariance_from_summary(factors={"f": items}, covariances={"x": cov, "y": cov},
    ...                               means={"x": mean, "y": mean}, n_obs={"x": 100, "y": 100})
    >>> [round(c, 6) for c in res.tidy()["chisq"]]
    [0.0, 0.0, 0.0]
    """
    spec = MeasurementModel.from_mapping(factors)
    mom = moments_from_summary(covariances=covariances, n_obs=n_obs, means=means, items=spec.items)
    return run_ladder(mom, spec, levels=levels, cutoffs=cutoffs or ChenCutoffs(), rmsea_ci_level=rmsea_ci_level)
