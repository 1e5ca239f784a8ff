"""Baseline equivalence of the analysis sample, judged by the What Works Clearinghouse bands.

For each baseline characteristic the difference between the integrated and the traditional group is
expressed in standard-deviation units: Hedges' g for a continuous characteristic, the Cox index for a
binary one (each level of a categorical characteristic is its own binary indicator).  The WWC bands:

- ``|es| <= 0.05``: equivalence satisfied;
- ``0.05 < |es| <= 0.25``: satisfied only if the impact model adjusts for the characteristic;
- ``|es| > 0.25``: not satisfied, whatever the model adjusts for.

Examples
--------
>>> import pandas as pd
>>> data = pd.DataFrame({"program": ["integrated"] * 4 + ["traditional"] * 4,
...                      "entrance_score": [500, 510, 490, 505, 480, 470, 495, 485],
...                      "origin": ["intl", "cn", "cn", "cn", "cn", "intl", "cn", "cn"]})
>>> result = baseline_equivalence(data, group="program", treated="integrated",
...                               covariates=["entrance_score", "origin"], adjusted=["entrance_score"])
>>> result.table[["characteristic", "level", "measure", "status"]].values.tolist()[:2]
[['entrance_score', '', 'hedges_g', 'not satisfied'], ['origin', 'cn', 'cox_index', 'satisfied']]
>>> result.satisfied
False
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analyses.effects import cox_index, hedges_g
from analyses.tidy import tidy_frame
from data_schema.arguments import check_columns
from data_schema.errors import ArgumentError, EstimationError
from data_schema.json_safe import json_safe

__all__ = ["BANDS", "EquivalenceResult", "baseline_equivalence", "wwc_band"]

BANDS = (0.05, 0.25)
"""The WWC thresholds in SD units: satisfied up to 0.05, satisfied with adjustment up to 0.25."""

TABLE_COLUMNS = ("characteristic", "level", "measure", "n_treated", "n_control", "treated_value", "control_value",
                 "effect_size", "band", "adjusted", "status")


def wwc_band(effect_size: float) -> str:
    """The WWC band of a baseline difference in SD units.

    Examples
    --------
    >>> [wwc_band(v) for v in (0.05, -0.1, 0.25, 0.2501)]
    ['satisfied', 'requires adjustment', 'requires adjustment', 'not satisfied']
    """
    size = abs(float(effect_size))
    if not np.isfinite(size):
        return "not estimable"
    return "satisfied" if size <= BANDS[0] else "requires adjustment" if size <= BANDS[1] else "not satisfied"


def _status(band: str, adjusted: bool) -> str:
    if band == "requires adjustment":
        return "satisfied by adjustment" if adjusted else "not satisfied (not adjusted)"
    return band


@dataclass(frozen=True)
class EquivalenceResult:
    """Baseline differences of every characteristic with their WWC band and status.

    Attributes
    ----------
    table
        One row per characteristic (per level for a categorical one): ``characteristic, level, measure``
        (``hedges_g`` or ``cox_index``), group sizes, the treated and comparison means (or proportions), the
        effect size, its WWC band, whether the impact model adjusts for it and the resulting status.
    satisfied
        Whether every characteristic is satisfied, directly or by adjustment.
    reasons
        One sentence per characteristic that fails, naming it and its difference.
    treated
        The value of the group column that marks the integrated (treated) group.
    """

    table: pd.DataFrame
    satisfied: bool
    reasons: tuple[str, ...]
    treated: str

    def tidy(self) -> pd.DataFrame:
        """One row per characteristic: the effect size as ``estimate`` with the table's columns after."""
        rows = [{"term": r.characteristic if not r.level else f"{r.characteristic}={r.level}",
                 "estimate": r.effect_size, "n_obs": r.n_treated + r.n_control,
                 "method": f"{r.measure} (WWC baseline equivalence)", "band": r.band, "adjusted": r.adjusted,
                 "status": r.status} for r in self.table.itertuples()]
        return tidy_frame(rows)

    def to_dict(self) -> dict:
        """JSON-safe dictionary of every field."""
        return json_safe({"table": self.table, "satisfied": self.satisfied, "reasons": self.reasons,
                          "treated": self.treated})

    def summary(self) -> str:
        """The table and the verdict as text for people."""
        verdict = "satisfied" if self.satisfied else "NOT satisfied"
        lines = [f"Baseline equivalence (WWC bands 0.05 / 0.25 SD): {verdict}",
                 self.table[["characteristic", "level", "measure", "treated_value", "control_value", "effect_size",
                             "band", "status"]].to_string(index=False)]
        return "\n".join(lines + [f"  {r}" for r in self.reasons])

    def plot(self) -> object:
        """A dot plot of the differences with the WWC bands shaded (a matplotlib ``Figure``; no global state)."""
        from matplotlib.figure import Figure

        t = self.table.iloc[::-1]
        labels = [c if not lv else f"{c} = {lv}" for c, lv in zip(t["characteristic"], t["level"], strict=True)]
        fig = Figure(figsize=(6.0, 0.35 * len(t) + 1.2))
        ax = fig.add_subplot()
        ax.axvspan(-BANDS[1], BANDS[1], color="#fde9c8", label="satisfied with adjustment")
        ax.axvspan(-BANDS[0], BANDS[0], color="#cfe8cf", label="satisfied")
        ax.axvline(0.0, color="grey", linewidth=0.8)
        ax.scatter(t["effect_size"], range(len(t)), color="black", zorder=3)
        ax.set_yticks(range(len(t)), labels)
        ax.set_xlabel("baseline difference (SD units: Hedges' g or Cox index)")
        ax.legend(loc="lower right", fontsize="small")
        fig.tight_layout()
        return fig


def _levels(series: pd.Series) -> list[object] | None:
    """None for a numeric non-binary characteristic; else its levels (one binary indicator each)."""
    values = series.dropna()
    if pd.api.types.is_bool_dtype(values) or (pd.api.types.is_numeric_dtype(values) and set(values.unique()) <= {0, 1}):
        return [1]
    if pd.api.types.is_numeric_dtype(values):
        return None
    return sorted(values.unique(), key=str)


def baseline_equivalence(data: pd.DataFrame, *, group: str, treated: object, covariates: Sequence[str],
                         adjusted: Sequence[str] = (), weights: str | None = None) -> EquivalenceResult:
    """Baseline differences between the groups of the analysis sample, judged by the WWC bands.

    Parameters
    ----------
    data
        The analysis sample (students with the outcome), one row a student, with baseline characteristics.
    group, treated
        The group column and the value that marks the integrated (treated) group.
    covariates
        Baseline characteristics: numeric (entrance score, prior HSK level, a pre-program survey score),
        0/1, or categorical (gender, origin: each level is judged as a binary indicator).
    adjusted
        Characteristics the impact model adjusts for (a categorical one covers all its levels).
    weights
        Optional sampling weights for the means of continuous characteristics.

    Returns
    -------
    EquivalenceResult

    Raises
    ------
    EstimationError
        When a group has no observed value of a characteristic, or a binary characteristic is constant in a
        group (the Cox index is then not defined; the reason names the characteristic).

    Notes
    -----
    Hedges' g uses the pooled within-group SD with the small-sample correction
    :math:`\\omega = 1 - 3/(4N - 9)`; the Cox index is :math:`\\omega \\ln(OR)/1.65` (What Works
    Clearinghouse, Procedures and Standards Handbook, version 5.0, 2022, chapter on baseline equivalence
    and appendix on effect sizes).  Each characteristic uses the students observed on it.

    References
    ----------
    What Works Clearinghouse (2022). *Procedures and Standards Handbook, Version 5.0*. U.S. Department of
    Education, Institute of Education Sciences.
    """
    covariates = list(covariates)
    check_columns(data, [group, *covariates] + ([weights] if weights else []), what="data")
    unknown = [a for a in adjusted if a not in covariates]
    if unknown:
        raise ArgumentError(f"adjusted names {unknown[0]!r}, which is not among the covariates {covariates}")
    rows = []
    for cov in covariates:
        levels = _levels(data[cov])
        if levels is None:
            es = hedges_g(data, outcome=cov, group=group, treated=treated, weights=weights)
            rows.append(_row(cov, "", es, cov in adjusted))
            continue
        for level in levels:
            indicator = data[[group]].assign(__x=(data[cov] == level).astype(float).where(data[cov].notna()))
            try:
                es = cox_index(indicator, outcome="__x", group=group, treated=treated)
            except EstimationError as exc:
                raise EstimationError(f"baseline characteristic {cov!r}"
                                      f"{'' if levels == [1] else f' = {level!r}'}: {exc}") from None
            rows.append(_row(cov, "" if levels == [1] else str(level), es, cov in adjusted))
    table = pd.DataFrame(rows, columns=list(TABLE_COLUMNS))
    failing = table[~table["status"].isin(["satisfied", "satisfied by adjustment"])]
    reasons = tuple(f"{r.characteristic}{'' if not r.level else ' = ' + r.level}: difference "
                    f"{r.effect_size:+.3f} SD is {r.status}" for r in failing.itertuples())
    return EquivalenceResult(table, failing.empty, reasons, str(treated))


def _row(characteristic: str, level: str, es: object, adjusted: bool) -> dict[str, object]:
    band = wwc_band(es.estimate)
    return {"characteristic": characteristic, "level": level, "measure": es.measure, "n_treated": es.n_treated,
            "n_control": es.n_control, "treated_value": es.treated_value, "control_value": es.control_value,
            "effect_size": es.estimate, "band": band, "adjusted": bool(adjusted), "status": _status(band, adjusted)}
