"""The result of :func:`outcomes.assessment.rater_effects`: frozen, documented, with ``tidy()`` and ``to_dict()``.

Examples
--------
>>> import pandas as pd
>>> roles = pd.DataFrame({"rater_role": ["teacher", "self"], "estimate": [0.0, 7.5], "std_error": [float("nan"), 0.5],
...                       "statistic": [float("nan"), 15.0], "df": [float("nan"), 3.0],
...                       "p_value": [float("nan"), 0.0006], "ci_low": [float("nan"), 5.9],
...                       "ci_high": [float("nan"), 9.1], "n_ratings": [4, 4], "n_targets": [4, 4],
...                       "n_raters": [2, 1]})
>>> fit = RaterEffects(assessment="capstone_portfolio", method="role", reference="teacher", cluster="student",
...                    ci_level=0.95, roles=roles, raters=pd.DataFrame(columns=RATER_COLUMNS), n_obs=8,
...                    n_targets=4, n_students=4, n_clusters=4, n_params=5, df_resid=3, residual_sd=1.0,
...                    n_dropped=0, columns={})
>>> fit.tidy()[["term", "estimate", "ci_level", "effect"]]
      term  estimate  ci_level effect
0  teacher       0.0      0.95   role
1     self       7.5      0.95   role
>>> fit.offset("self")
7.5
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields

import pandas as pd

from data_schema.errors import ArgumentError
from outcomes.assessment._common import TIDY_COLUMNS, json_safe

__all__ = ["ROLE_COLUMNS", "RATER_COLUMNS", "RaterEffects"]

_STATS = ("estimate", "std_error", "statistic", "df", "p_value", "ci_low", "ci_high")
ROLE_COLUMNS = ("rater_role", *_STATS, "n_ratings", "n_targets", "n_raters")
"""Columns of :attr:`RaterEffects.roles`."""
RATER_COLUMNS = ("rater_role", "rater_id", *_STATS, "n_ratings", "n_targets")
"""Columns of :attr:`RaterEffects.raters`."""


@dataclass(frozen=True, eq=False)
class RaterEffects:
    """Rater-role leniency offsets (and, for ``method="rater"``, rater severities) of one assessment.

    Every effect is in percentage points of ``max_score`` and relative to the reference role:
    a positive value is a more lenient role (or rater) than the reference.

    Attributes
    ----------
    assessment
        The assessment analysed (e.g. ``"capstone_portfolio"``).
    method
        ``"role"`` (target + role fixed effects) or ``"rater"`` (target + rater fixed effects).
    reference
        The reference role; its offset is 0 by definition.
    cluster
        ``"student"`` (CR1 cluster-robust standard errors by student) or ``"none"`` (classical OLS).
    ci_level
        Confidence level of the t intervals.
    roles
        One row per role, the reference first (columns :data:`ROLE_COLUMNS`): the offset ``estimate``,
        its ``std_error``, t ``statistic`` with ``df`` and two-sided ``p_value``, the interval
        ``ci_low``/``ci_high``, and the ``n_ratings``, ``n_targets`` (student x component) and
        ``n_raters`` (distinct rater ids; a role's ratings without an id count as one) behind it.
        The reference row has NaN inference columns.
    raters
        ``method="rater"``: one row per rater (columns :data:`RATER_COLUMNS`), the rater's effect
        relative to the unweighted mean effect of the reference role's raters, with inference.
        ``rater_id`` is missing for the pseudo-rater that pools a role's ratings without an id.
        Empty (same columns) for ``method="role"``.
    n_obs
        Ratings used in the fit.
    n_targets, n_students, n_clusters
        Targets (student x component), students, and clusters (students, or ratings when ``cluster="none"``).
    n_params
        Parameters of the equivalent dummy regression (targets + roles or raters - 1).
    df_resid
        ``n_obs - n_params``.
    residual_sd
        :math:`\\sqrt{e'e/\\mathrm{df}_{resid}}`, the rating noise around the model.
    n_dropped
        Ratings of the assessment left out: missing score or role, or (``method="rater"``) outside the
        reference role's connected set.
    columns
        The column names used (keys ``student``, ``assessment``, ``component``, ``role``, ``rater``,
        ``score``, ``max_score``), so that :func:`adjusted_scores` reads the same columns.
    """

    assessment: str
    method: str
    reference: str
    cluster: str
    ci_level: float
    roles: pd.DataFrame
    raters: pd.DataFrame
    n_obs: int
    n_targets: int
    n_students: int
    n_clusters: int
    n_params: int
    df_resid: int
    residual_sd: float
    n_dropped: int
    columns: Mapping[str, str | None]

    def offset(self, role: str) -> float:
        """The estimated offset of ``role`` (percentage points; 0 for the reference)."""
        match = self.roles.loc[self.roles["rater_role"] == role, "estimate"]
        if match.empty:
            valid = ", ".join(repr(r) for r in self.roles["rater_role"])
            raise ArgumentError(f"role={role!r} was not estimated; use one of: {valid}")
        return float(match.iloc[0])

    def tidy(self) -> pd.DataFrame:
        """Role rows (``term`` = the role) then rater rows (``term`` = ``"role:rater_id"``).

        Extra columns after :data:`TIDY_COLUMNS`: ``effect`` (``"role"`` or ``"rater"``),
        ``rater_role``, ``rater_id``, ``n_ratings``, ``n_targets``, ``n_obs``, ``n_clusters``,
        ``method``, ``reference``.
        """
        roles = self.roles.assign(term=self.roles["rater_role"], effect="role", rater_id=pd.NA)
        raters = self.raters.assign(
            term=self.raters["rater_role"] + ":" + self.raters["rater_id"].fillna("(no id)"), effect="rater"
        )
        frame = pd.concat([roles, raters], ignore_index=True) if len(raters) else roles
        frame = frame.assign(ci_level=self.ci_level, n_obs=self.n_obs, n_clusters=self.n_clusters,
                             method=self.method, reference=self.reference)
        extra = ["effect", "rater_role", "rater_id", "n_ratings", "n_targets", "n_obs", "n_clusters", "method",
                 "reference"]
        return frame[list(TIDY_COLUMNS) + extra].reset_index(drop=True)

    def to_dict(self) -> dict:
        """JSON-safe dictionary of every field (frames as lists of records, NaN as ``None``)."""
        return json_safe({f.name: getattr(self, f.name) for f in fields(self)})  # type: ignore[return-value]

    def summary(self) -> str:
        """The role offsets as text, with the design above them."""
        se = "CR1 clustered by student" if self.cluster == "student" else "classical OLS"
        head = (
            f"Rater effects on {self.assessment!r} (method={self.method!r}, reference={self.reference!r}; "
            f"percentage points of max_score)\n{self.n_obs} ratings of {self.n_targets} targets "
            f"({self.n_students} students); {se} standard errors, t intervals at {self.ci_level:g}; "
            f"{self.n_dropped} ratings dropped; residual SD {self.residual_sd:.3g}"
        )
        table = self.roles[["rater_role", "estimate", "std_error", "ci_low", "ci_high", "p_value", "n_ratings"]]
        text = head + "\n" + table.to_string(index=False)
        if len(self.raters):
            sd = float(self.raters["estimate"].std(ddof=1)) if len(self.raters) > 1 else float("nan")
            text += f"\n{len(self.raters)} rater effects (SD {sd:.3g}); see .raters or .tidy()"
        return text
