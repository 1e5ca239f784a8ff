"""Sample attrition at a follow-up, judged against the What Works Clearinghouse attrition boundary.

A follow-up (a survey wave, an employment follow-up) should measure every student who was assigned to the
integrated or the traditional programme.  Attrition is the share of those students without the outcome:
*overall* attrition over both groups together, *differential* attrition the absolute gap between the two
groups' rates in percentage points.  The WWC counts a sample as having **low attrition** when its
differential attrition does not exceed the highest differential its boundary allows at that overall rate
(What Works Clearinghouse Standards Handbook, version 4.1, Table II.1; the same boundary is used by
version 5.0).  Two boundaries exist:

- **cautious**: for interventions that could plausibly affect who stays in the study (the default here;
  an integrated programme plausibly changes who answers a later survey or employment follow-up);
- **optimistic**: for interventions unlikely to affect attrition.  The review protocol, not the result,
  decides which applies.

Cluster-level attrition (clusters lost entirely, then students lost within the remaining clusters) is not
implemented: its handbook rule could not be found in a source that can be cited and tested here.

Examples
--------
>>> result = attrition_from_counts(n_treated=200, n_comparison=200, observed_treated=180,
...                                observed_comparison=170)
>>> round(result.overall_pct, 2), round(result.differential_pct, 2), result.max_differential_pct
(12.5, 5.0, 6.1)
>>> result.low_attrition
True
>>> boundary_table("optimistic").tail(2).to_dict("list")
{'overall_pct': [64, 65], 'max_differential_pct': [0.5, 0.3]}
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from analyses.tidy import tidy_frame
from data_schema.arguments import check_choice, check_columns
from data_schema.errors import ArgumentError, EstimationError
from data_schema.json_safe import json_safe

__all__ = ["BOUNDARIES", "AttritionResult", "attrition", "attrition_from_counts", "boundary_table",
           "max_differential"]

Boundary = Literal["cautious", "optimistic"]
BOUNDARIES: tuple[Boundary, ...] = ("cautious", "optimistic")
"""The two WWC attrition boundaries."""

_NONE = float("nan")
# WWC Standards Handbook v4.0/v4.1, Table II.1 (page 12 of v4.0): highest differential attrition (percentage
# points) that still counts as low attrition, at overall attrition 0, 1, ..., 65 percent.  NaN: no
# differential qualifies.  Checked row by row against two public transcriptions in tests/test_attrition.py.
_TABLE: dict[str, np.ndarray] = {
    "cautious": np.array([
        5.7, 5.8, 5.9, 5.9, 6.0, 6.1, 6.2, 6.3, 6.3, 6.3, 6.3, 6.2, 6.2, 6.1, 6.0,
        5.9, 5.9, 5.8, 5.7, 5.5, 5.4, 5.3, 5.2, 5.1, 4.9, 4.8, 4.7, 4.5, 4.4, 4.3,
        4.1, 4.0, 3.8, 3.6, 3.5, 3.3, 3.2, 3.1, 2.9, 2.8, 2.6, 2.5, 2.3, 2.1, 2.0,
        1.8, 1.6, 1.5, 1.3, 1.2, 1.0, 0.9, 0.7, 0.6, 0.4, 0.3, 0.2, 0.0] + [_NONE] * 8),
    "optimistic": np.array([
        10.0, 10.1, 10.2, 10.3, 10.4, 10.5, 10.7, 10.8, 10.9, 10.9, 10.9, 10.9,
        10.9, 10.8, 10.8, 10.7, 10.6, 10.5, 10.3, 10.2, 10.0, 9.9, 9.7, 9.5, 9.4,
        9.2, 9.0, 8.8, 8.6, 8.4, 8.2, 8.0, 7.8, 7.6, 7.4, 7.2, 7.0, 6.7, 6.5, 6.3,
        6.0, 5.8, 5.6, 5.3, 5.1, 4.9, 4.6, 4.4, 4.2, 3.9, 3.7, 3.5, 3.2, 3.0, 2.8,
        2.6, 2.3, 2.1, 1.9, 1.6, 1.4, 1.1, 0.9, 0.7, 0.5, 0.3]),
}
_TOL = 1e-9  # a differential exactly on the boundary must not fail by floating-point error


def boundary_table(kind: Boundary = "cautious") -> pd.DataFrame:
    """The WWC attrition boundary as a table: overall attrition and the highest differential still low.

    Parameters
    ----------
    kind
        ``"cautious"`` or ``"optimistic"``.

    Returns
    -------
    pandas.DataFrame
        66 rows, ``overall_pct`` (int, 0 to 65) and ``max_differential_pct`` (float, percentage points;
        NaN where no differential attrition counts as low: overall 58 percent and above, cautious).

    References
    ----------
    What Works Clearinghouse (2020). *Standards Handbook, Version 4.1*, Table II.1, "Highest differential
    attrition rate for a sample to maintain low attrition, by overall attrition rate, under 'optimistic'
    and 'cautious' assumptions" (the same table is Table II.1, page 12, of version 4.0, 2017).
    U.S. Department of Education, Institute of Education Sciences.

    Examples
    --------
    >>> boundary_table().iloc[[0, 10, 57, 58]].to_dict("list")
    {'overall_pct': [0, 10, 57, 58], 'max_differential_pct': [5.7, 6.3, 0.0, nan]}
    """
    check_choice("kind", kind, BOUNDARIES)
    return pd.DataFrame({"overall_pct": np.arange(66, dtype="int64"),
                         "max_differential_pct": _TABLE[kind].copy()})


def max_differential(overall_pct: float, boundary: Boundary = "cautious") -> float:
    """The highest differential attrition (percentage points) that counts as low at an overall rate.

    Parameters
    ----------
    overall_pct
        Overall attrition in percent, 0 to 100.
    boundary
        ``"cautious"`` or ``"optimistic"``.

    Returns
    -------
    float
        The allowed differential in percentage points; NaN when no differential counts as low (overall
        attrition above 65 percent, or above 57 percent under the cautious boundary).

    Notes
    -----
    The handbook tabulates whole percents.  Between two rows the smaller of the two bracketing values is
    used (at a whole percent, that row).  Where the boundary falls as overall attrition rises (from
    10 percent overall on under the cautious boundary, 12 percent under the optimistic) this is the row at
    the next higher rate; where it rises (lower overall attrition) it is the row below, so a rate
    between rows never gets more room than either neighbour.  Linear interpolation was not used: it
    would credit a precision the published one-decimal table does not give, and it would allow more than
    the next higher row wherever the boundary falls.

    Examples
    --------
    >>> max_differential(12.0), max_differential(12.4), max_differential(3.5, "optimistic")
    (6.2, 6.1, 10.3)
    >>> max_differential(58.0), max_differential(57.2)
    (nan, nan)
    """
    check_choice("boundary", boundary, BOUNDARIES)
    rate = float(overall_pct)
    if not 0.0 <= rate <= 100.0:
        raise ArgumentError(f"overall_pct={overall_pct!r} is outside 0 to 100; give overall attrition in percent")
    if rate > 65.0:
        return _NONE
    values = _TABLE[boundary]
    return float(np.minimum(values[math.floor(rate)], values[math.ceil(rate)]))


@dataclass(frozen=True)
class AttritionResult:
    """Overall and differential attrition at one follow-up and the WWC verdict.

    Attributes
    ----------
    boundary
        The WWC boundary applied, ``"cautious"`` or ``"optimistic"``.
    treated
        The label of the integrated (treated) group.
    n_treated, n_comparison
        Students assigned to each group (everyone who should have been measured).
    observed_treated, observed_comparison
        Students of each group with the outcome at this follow-up.
    attrition_treated_pct, attrition_comparison_pct
        Percent of each group without the outcome.
    overall_pct
        Percent of all assigned students without the outcome.
    differential_pct
        ``|attrition_treated_pct - attrition_comparison_pct|``, percentage points.
    max_differential_pct
        The highest differential the boundary allows at ``overall_pct`` (NaN: none qualifies).
    low_attrition
        Whether ``differential_pct <= max_differential_pct``.
    reason
        One sentence giving the verdict and the figures behind it.
    """

    boundary: str
    treated: str
    n_treated: int
    n_comparison: int
    observed_treated: int
    observed_comparison: int
    attrition_treated_pct: float
    attrition_comparison_pct: float
    overall_pct: float
    differential_pct: float
    max_differential_pct: float
    low_attrition: bool
    reason: str

    def tidy(self) -> pd.DataFrame:
        """Overall, differential and per-group attrition (percent) as tidy rows, the verdict alongside."""
        n = self.n_treated + self.n_comparison
        method = f"WWC attrition, {self.boundary} boundary"
        shared = {"method": method, "unit": "percent", "max_differential_pct": self.max_differential_pct,
                  "low_attrition": self.low_attrition}
        rows = [{"term": "overall_attrition", "estimate": self.overall_pct, "n_obs": n, **shared},
                {"term": "differential_attrition", "estimate": self.differential_pct, "n_obs": n, **shared},
                {"term": "attrition_treated", "estimate": self.attrition_treated_pct, "n_obs": self.n_treated,
                 **shared},
                {"term": "attrition_comparison", "estimate": self.attrition_comparison_pct,
                 "n_obs": self.n_comparison, **shared}]
        return tidy_frame(rows)

    def to_dict(self) -> dict:
        """JSON-safe dictionary of every field."""
        return json_safe({name: getattr(self, name) for name in self.__dataclass_fields__})

    def summary(self) -> str:
        """The counts, rates and verdict as text for people."""
        allowed = ("none" if math.isnan(self.max_differential_pct)
                   else f"{self.max_differential_pct:.1f} percentage points")
        return "\n".join([
            f"Attrition (WWC {self.boundary} boundary): {'LOW' if self.low_attrition else 'HIGH'}",
            f"  treated ({self.treated}): {self.observed_treated} of {self.n_treated} observed, "
            f"attrition {self.attrition_treated_pct:.2f}%",
            f"  comparison: {self.observed_comparison} of {self.n_comparison} observed, "
            f"attrition {self.attrition_comparison_pct:.2f}%",
            f"  overall attrition {self.overall_pct:.2f}%, differential {self.differential_pct:.2f} "
            f"percentage points, highest allowed {allowed}",
            f"  {self.reason}"])


def _reason(boundary: str, overall: float, differential: float, allowed: float, low: bool) -> str:
    head = f"{'Low' if low else 'High'} attrition under the WWC {boundary} boundary: "
    if math.isnan(allowed):
        end = "65" if overall > 65.0 else "57"
        return (head + f"at {overall:.1f}% overall attrition no differential attrition counts as low "
                f"(the {boundary} boundary ends at {end}% overall).")
    verb = "is within" if low else "exceeds"
    return (head + f"differential attrition of {differential:.1f} percentage points {verb} the {allowed:.1f} "
            f"allowed at {overall:.1f}% overall attrition.")


def _count(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ArgumentError(f"{name}={value!r} is not a count; give a whole number of students, 0 or more")
    return int(value)


def attrition_from_counts(*, n_treated: int, n_comparison: int, observed_treated: int, observed_comparison: int,
                          boundary: Boundary = "cautious", treated: str = "treated") -> AttritionResult:
    """Overall and differential attrition from counts, judged against the WWC boundary.

    Parameters
    ----------
    n_treated, n_comparison
        Students assigned to the integrated (treated) and the comparison group: everyone who should have
        been measured at the follow-up.
    observed_treated, observed_comparison
        Students of each group with the outcome at the follow-up.
    boundary
        ``"cautious"`` (default: the programme could plausibly affect who stays) or ``"optimistic"``.
    treated
        A label for the treated group, used in the summary.

    Returns
    -------
    AttritionResult

    Raises
    ------
    ArgumentError
        When a count is negative or not whole, or more students are observed than assigned.
    EstimationError
        When a group has no assigned students (its attrition rate is not defined).

    Notes
    -----
    With :math:`N_g` assigned and :math:`O_g` observed in group :math:`g`, attrition is
    :math:`a_g = 100 (N_g - O_g)/N_g`, overall attrition
    :math:`a = 100 (N_T + N_C - O_T - O_C)/(N_T + N_C)` and differential attrition :math:`|a_T - a_C|`.
    The sample has low attrition when :math:`|a_T - a_C| \\le b(a)`, the boundary :math:`b` of
    :func:`max_differential`.

    References
    ----------
    What Works Clearinghouse (2020). *Standards Handbook, Version 4.1*, section II.A and Table II.1.
    What Works Clearinghouse (2022). *Procedures and Standards Handbook, Version 5.0*.

    Examples
    --------
    >>> r = attrition_from_counts(n_treated=100, n_comparison=100, observed_treated=70, observed_comparison=70,
    ...                           boundary="cautious")
    >>> r.overall_pct, r.differential_pct, r.max_differential_pct, r.low_attrition
    (30.0, 0.0, 4.1, True)
    """
    check_choice("boundary", boundary, BOUNDARIES)
    nt, nc = _count("n_treated", n_treated), _count("n_comparison", n_comparison)
    ot, oc = _count("observed_treated", observed_treated), _count("observed_comparison", observed_comparison)
    for name, obs, n in (("treated", ot, nt), ("comparison", oc, nc)):
        if obs > n:
            raise ArgumentError(f"observed_{name}={obs} exceeds n_{name}={n}; the assigned count must include "
                                "every observed student")
        if n == 0:
            raise EstimationError(f"the {name} group has no assigned students, so its attrition rate is not "
                                  "defined; attrition needs students assigned to both groups")
    at, ac = 100.0 * (nt - ot) / nt, 100.0 * (nc - oc) / nc
    overall = 100.0 * (nt + nc - ot - oc) / (nt + nc)
    differential = abs(at - ac)
    allowed = max_differential(overall, boundary)
    low = bool(not math.isnan(allowed) and differential <= allowed + _TOL)
    return AttritionResult(boundary=boundary, treated=str(treated), n_treated=nt, n_comparison=nc,
                           observed_treated=ot, observed_comparison=oc, attrition_treated_pct=at,
                           attrition_comparison_pct=ac, overall_pct=overall, differential_pct=differential,
                           max_differential_pct=allowed, low_attrition=low,
                           reason=_reason(boundary, overall, differential, allowed, low))


def _observed_flags(column: pd.Series, name: str) -> np.ndarray:
    if column.isna().any():
        raise ArgumentError(f"observed column {name!r} has {int(column.isna().sum())} missing values; code every "
                            "assigned student 1 (has the outcome) or 0 (does not)")
    values = column.to_numpy()
    if pd.api.types.is_bool_dtype(column):
        return values.astype(bool)
    if not pd.api.types.is_numeric_dtype(column) or not np.isin(values, (0, 1)).all():
        found = sorted({str(v) for v in pd.unique(values)})[:5]
        raise ArgumentError(f"observed column {name!r} must be 0/1 or True/False; found values {found}")
    return values.astype(bool)


def attrition(data: pd.DataFrame, *, group: str, treated: object, observed: str,
              boundary: Boundary = "cautious") -> AttritionResult:
    """Overall and differential attrition at a follow-up from student records, judged against the WWC boundary.

    Parameters
    ----------
    data
        One row per student *assigned* to a group (everyone who should have been measured at the
        follow-up), not only the students with the outcome.
    group, treated
        The group column (two values) and the value that marks the integrated (treated) group.
    observed
        A 0/1 (or boolean) column: 1 when the student has the outcome at this follow-up.
    boundary
        ``"cautious"`` (default) or ``"optimistic"``.

    Returns
    -------
    AttritionResult

    Raises
    ------
    ColumnError
        When a named column is missing.
    ArgumentError
        When ``observed`` is not 0/1 or has missing values, ``group`` has missing values or more than two
        values, or ``treated`` is not one of them.
    EstimationError
        When only one group is present.

    Notes
    -----
    Counts the assigned and observed students of each group and calls :func:`attrition_from_counts`,
    where the formulas are.

    References
    ----------
    What Works Clearinghouse (2020). *Standards Handbook, Version 4.1*, section II.A and Table II.1.

    Examples
    --------
    >>> import pandas as pd
    >>> wave = pd.DataFrame({"program": ["integrated"] * 10 + ["traditional"] * 10,
    ...                      "answered": [1] * 9 + [0] + [1] * 8 + [0] * 2})
    >>> r = attrition(wave, group="program", treated="integrated", observed="answered")
    >>> r.overall_pct, round(r.differential_pct, 6), r.max_differential_pct, r.low_attrition
    (15.0, 10.0, 5.9, False)
    >>> print(r.reason)  # doctest: +NORMALIZE_WHITESPACE
    High attrition under the WWC cautious boundary: differential attrition of 10.0 percentage points
    exceeds the 5.9 allowed at 15.0% overall attrition.
    """
    check_choice("boundary", boundary, BOUNDARIES)
    check_columns(data, [group, observed], what="data")
    if data[group].isna().any():
        raise ArgumentError(f"group column {group!r} has missing values; every assigned student needs a group")
    labels = list(pd.unique(data[group]))
    if len(labels) > 2:
        raise ArgumentError(f"group column {group!r} has {len(labels)} values {labels[:5]}; attrition compares "
                            "two groups, so subset the data to the treated and one comparison group")
    if treated not in labels:
        raise ArgumentError(f"treated={treated!r} is not a value of {group!r}; its values are {labels}")
    if len(labels) < 2:
        raise EstimationError(f"group column {group!r} holds only {treated!r}; attrition needs a comparison "
                              "group as well")
    flags = _observed_flags(data[observed], observed)
    is_treated = (data[group] == treated).to_numpy()
    return attrition_from_counts(n_treated=int(is_treated.sum()), n_comparison=int((~is_treated).sum()),
                                 observed_treated=int(flags[is_treated].sum()),
                                 observed_comparison=int(flags[~is_treated].sum()), boundary=boundary,
                                 treated=str(treated))
