"""The result of a Goodman-Bacon decomposition: the TWFE estimate, every 2x2 comparison and their weights.

Examples
--------
>>> import pandas as pd
>>> from analyses.did.bacon import bacon_decomposition
>>> data = pd.DataFrame({"unit": [1, 1, 1, 2, 2, 2], "t": [1, 2, 3, 1, 2, 3],
...                      "y": [0.0, 1.0, 1.5, 0.0, 0.2, 0.1], "d": [0, 1, 1, 0, 0, 0]})
>>> result = bacon_decomposition(data, outcome="y", unit="unit", time="t", treatment="d")
>>> result.tidy()[["term", "estimate", "type", "weight"]]
         term  estimate              type  weight
0  2 vs never       1.1  treated vs never     1.0
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analyses.tidy import tidy_frame
from data_schema.json_safe import json_safe

__all__ = ["COMPARISON_TYPES", "BaconDecomposition"]

COMPARISON_TYPES = ("treated vs never", "earlier vs later", "later vs earlier", "treated vs always")
"""The four kinds of 2x2 comparison, in display order.

``"treated vs never"``: a timing group against the never-treated units (R ``bacondecomp``: "Treated vs
Untreated"; Stata ``bacondecomp``: "Never_v_timing").  ``"earlier vs later"``: an earlier-treated group
against a later-treated group before the later one is treated ("Earlier vs Later Treated";
"Early_v_Late").  ``"later vs earlier"``: a later-treated group against an already-treated earlier group,
the comparison that turns heterogeneous effects into bias ("Later vs Earlier Treated"; "Late_v_Early").
``"treated vs always"``: a timing group against units treated in every period, also already treated
("Later vs Always Treated"; "Always_v_timing").
"""

_METHOD = "Goodman-Bacon 2x2 DiD"
_SHOW_ROWS = 20


@dataclass(frozen=True)
class BaconDecomposition:
    """The two-way fixed effects DiD estimate as a weighted average of all 2x2 DiD comparisons.

    Attributes
    ----------
    twfe_estimate
        Coefficient on treatment in the cell-level regression ``y ~ D + unit FE + time FE`` (weighted by
        the unit weights when ``weights`` is set), computed directly by the two-way within transform.
    weighted_sum
        :math:`\\sum_j w_j \\hat\\beta_j` over the comparisons in :attr:`comparisons`.
    identity_difference
        ``weighted_sum - twfe_estimate``: zero up to floating-point rounding (Goodman-Bacon 2021, Theorem 1).
    weight_sum_unscaled
        Sum of the weights in the paper's own scaling (each :math:`s_j` divided by :math:`\\hat V^D`, not
        rescaled to sum to one): 1 up to rounding, a check that the weights are the theorem's and not
        merely normalised.
    treatment_variance
        :math:`\\hat V^D`, the (unit-weighted) variance of the treatment dummy after removing unit and time
        means.
    comparisons
        One row a 2x2 comparison: ``term`` (``"2006 vs never"``), ``type`` (one of
        :data:`COMPARISON_TYPES`), ``treated`` and ``control`` (group labels: first treated period,
        ``"never"`` or ``"always"``), ``estimate`` (the 2x2 DiD), ``weight`` (sums to 1 over rows),
        ``n_treated_units``, ``n_control_units``, ``window_start`` and ``window_end`` (first and last period
        of the 2x2 subsample), ``n_periods_pre`` and ``n_periods_post`` (periods of the window before and
        from the treated group's adoption) and ``n_cells`` (unit x period cells in the subsample).
    by_type
        One row a comparison type present: ``type``, ``weight`` (total), ``estimate`` (weight-averaged
        2x2 estimate) and ``n_comparisons``.
    groups
        One row a timing group: ``group`` (label), ``kind`` (``"timing"``, ``"never"`` or ``"always"``),
        ``first_treated_period`` (period label, empty for never/always), ``n_units``, ``unit_weight``
        (sum of unit weights; ``n_units`` without ``weights``) and ``treated_share`` (share of periods
        treated, :math:`\\bar D_k`).
    outcome, unit, time
        Column names used.
    treatment, first_treated
        The adoption column given (the other is ``None``).
    weights
        Unit-weight column, or ``None`` for equal unit weights.
    n_obs
        Data rows used (students or cells).
    n_dropped
        Rows dropped for a missing outcome, unit, time, treatment or weight.
    n_units, n_periods
        Units and periods of the balanced panel.
    first_period, last_period
        Labels of the first and last period.
    """

    twfe_estimate: float
    weighted_sum: float
    identity_difference: float
    weight_sum_unscaled: float
    treatment_variance: float
    comparisons: pd.DataFrame
    by_type: pd.DataFrame
    groups: pd.DataFrame
    outcome: str
    unit: str
    time: str
    treatment: str | None
    first_treated: str | None
    weights: str | None
    n_obs: int
    n_dropped: int
    n_units: int
    n_periods: int
    first_period: str
    last_period: str

    def tidy(self) -> pd.DataFrame:
        """One row a 2x2 comparison (``term`` like ``"2004 vs never"``), in the order of :attr:`comparisons`.

        ``estimate`` is the 2x2 DiD; ``n_obs`` the cells of its subsample.  The decomposition gives no
        standard errors, so the inference columns are NaN.  Extra columns: ``type``, ``treated``,
        ``control``, ``weight``.
        """
        rows = [{"term": r.term, "estimate": r.estimate, "n_obs": r.n_cells, "method": _METHOD, "type": r.type,
                 "treated": r.treated, "control": r.control, "weight": r.weight}
                for r in self.comparisons.itertuples(index=False)]
        return tidy_frame(rows)

    def plot_data(self) -> pd.DataFrame:
        """Data for the weight-vs-estimate scatter of Goodman-Bacon (2021, Figure 6).

        One row a comparison: ``term``, ``type``, ``treated``, ``control``, ``weight`` (x axis),
        ``estimate`` (y axis), ``type_estimate`` (the weighted average of its type, for a per-type line)
        and ``twfe_estimate`` (the overall coefficient, for a horizontal line).
        """
        frame = self.comparisons[["term", "type", "treated", "control", "weight", "estimate"]].copy()
        by_type = dict(zip(self.by_type["type"], self.by_type["estimate"], strict=True))
        frame["type_estimate"] = frame["type"].map(by_type).astype(float)
        frame["twfe_estimate"] = self.twfe_estimate
        return frame

    def summary(self) -> str:
        """The decomposition as text: the identity, totals by comparison type and the largest comparisons."""
        adoption = f"treatment={self.treatment!r}" if self.treatment else f"first_treated={self.first_treated!r}"
        weighting = f"unit weights {self.weights!r}" if self.weights else "equal unit weights"
        kinds = ", ".join(f"{g.group} ({g.n_units} unit{'s' if g.n_units != 1 else ''})"
                          for g in self.groups.itertuples(index=False))
        lines = [
            "Goodman-Bacon (2021) decomposition of the two-way fixed effects DiD estimate",
            f"outcome {self.outcome!r}, {adoption}, unit {self.unit!r}, time {self.time!r}; {weighting}",
            f"balanced panel: {self.n_units} units x {self.n_periods} periods ({self.first_period} to "
            f"{self.last_period}); {self.n_obs} rows used, {self.n_dropped} dropped for missing values",
            f"groups: {kinds}",
            "",
            f"TWFE estimate                    {self.twfe_estimate: .10g}",
            f"weighted sum of 2x2 estimates    {self.weighted_sum: .10g}",
            f"difference                       {self.identity_difference: .3g}",
            "",
            f"{'comparison type':<20}{'weight':>12}{'estimate':>14}{'comparisons':>13}",
        ]
        lines += [f"{r.type:<20}{r.weight:>12.6f}{r.estimate:>14.6g}{r.n_comparisons:>13d}"
                  for r in self.by_type.itertuples(index=False)]
        table = self.comparisons.sort_values("weight", ascending=False, kind="stable")
        shown = table.head(_SHOW_ROWS)
        title = "all comparisons" if len(table) <= _SHOW_ROWS else f"largest {_SHOW_ROWS} of {len(table)} comparisons"
        lines += ["", f"{title}, by weight:", f"{'comparison':<24}{'type':<20}{'weight':>12}{'estimate':>14}"]
        lines += [f"{r.term:<24}{r.type:<20}{r.weight:>12.6f}{r.estimate:>14.6g}"
                  for r in shown.itertuples(index=False)]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, object]:
        """JSON-safe dictionary of every field (tables as lists of records, periods as text labels)."""
        comparisons = self.comparisons.assign(
            window_start=self.comparisons["window_start"].map(_period_json),
            window_end=self.comparisons["window_end"].map(_period_json))
        return {
            "method": "Goodman-Bacon (2021) decomposition of the TWFE DiD estimate",
            "outcome": self.outcome, "unit": self.unit, "time": self.time, "treatment": self.treatment,
            "first_treated": self.first_treated, "weights": self.weights,
            "twfe_estimate": json_safe(self.twfe_estimate), "weighted_sum": json_safe(self.weighted_sum),
            "identity_difference": json_safe(self.identity_difference),
            "weight_sum_unscaled": json_safe(self.weight_sum_unscaled),
            "treatment_variance": json_safe(self.treatment_variance),
            "n_obs": self.n_obs, "n_dropped": self.n_dropped, "n_units": self.n_units,
            "n_periods": self.n_periods, "first_period": self.first_period, "last_period": self.last_period,
            "by_type": json_safe(self.by_type), "groups": json_safe(self.groups),
            "comparisons": json_safe(comparisons),
        }


def _period_json(value: object) -> object:
    """A period value JSON can hold: numbers as numbers, anything else (dates, text) as its text."""
    if isinstance(value, int | float | np.integer | np.floating):
        return json_safe(value)
    return str(value)
