"""Leniency-adjusted ratings and the competency-based portfolio score of each student.

Examples
--------
>>> import pandas as pd
>>> ratings = pd.DataFrame({
...     "student_id": ["a", "a", "b", "b", "c"], "assessment": "capstone_portfolio",
...     "rater_id": ["T1", None, "T1", None, "T1"], "rater_role": ["teacher", "self", "teacher", "self", "teacher"],
...     "score": [70.0, 80.0, 60.0, 68.0, 75.0], "max_score": 100.0})
>>> portfolio_score(ratings, component=None)[["student_id", "portfolio_score", "unadjusted_score", "roles"]]
  student_id  portfolio_score  unadjusted_score          roles
0          a             70.5              75.0  self, teacher
1          b             59.5              64.0  self, teacher
2          c             75.0              75.0        teacher
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Literal

import pandas as pd

from data_schema.arguments import check_columns
from data_schema.errors import ArgumentError, EstimationWarning
from outcomes.assessment._common import check_weights, percent_of_max
from outcomes.assessment.raters import rater_effects, unit_key
from outcomes.assessment.results import RaterEffects

__all__ = ["adjusted_scores", "portfolio_score"]

_OVERALL = "\x00"  # the competency of ratings without a component


def adjusted_scores(assessments: pd.DataFrame, effects: RaterEffects) -> pd.DataFrame:
    """The ratings of ``effects.assessment`` with their role (or rater) offset removed.

    Parameters
    ----------
    assessments
        The long ``assessments`` table; read with the column names stored in ``effects``.
    effects
        Offsets from :func:`rater_effects` (``method="role"``: one per role; ``"rater"``: one per rater).

    Returns
    -------
    pandas.DataFrame
        The rows of ``effects.assessment`` (original index kept) with four columns added:
        ``percent`` (:math:`100\\,\\text{score}/\\text{max\\_score}`), ``offset`` (percentage
        points), ``adjusted_percent`` = ``percent - offset`` and ``adjusted_score`` (the same on
        the ``max_score`` scale), i.e. the rating on the reference role's scale.

    Warns
    -----
    EstimationWarning
        When ratings have no estimated offset (a role or rater that was not in the fit, e.g.
        outside the connected set); their adjusted values are missing.

    Notes
    -----
    :math:`\\tilde y_i = y_i - \\hat\\ell_{r(i)}` (``method="role"``) or :math:`y_i - \\hat\\delta_{j(i)}`
    (``method="rater"``, where :math:`\\hat\\delta_j` is rater :math:`j`'s effect relative to the
    average reference-role rater, so reference-role ratings are adjusted too).

    References
    ----------
    Myford, C. M., & Wolfe, E. W. (2003). Detecting and measuring rater effects using many-facet
    Rasch measurement: Part I. *Journal of Applied Measurement*, 4(4), 386-422.

    Examples
    --------
    >>> import pandas as pd
    >>> ratings = pd.DataFrame({"student_id": ["a", "a", "b", "b"], "assessment": "capstone_portfolio",
    ...                         "rater_id": ["T1", None, "T1", None], "rater_role": ["teacher", "self"] * 2,
    ...                         "score": [14.0, 16.0, 12.0, 15.0], "max_score": 20.0})
    >>> fit = rater_effects(ratings, component=None)
    >>> adjusted_scores(ratings, fit)[["rater_role", "percent", "offset", "adjusted_score"]]
      rater_role  percent  offset  adjusted_score
    0    teacher     70.0     0.0            14.0
    1       self     80.0    12.5            13.5
    2    teacher     60.0     0.0            12.0
    3       self     75.0    12.5            12.5
    """
    cols = effects.columns
    rater_needed = [cols["rater"]] if effects.method == "rater" else []
    check_columns(assessments, [cols["assessment"], cols["role"], cols["score"], cols["max_score"], *rater_needed],
                  what="assessments")
    rows = assessments[assessments[cols["assessment"]] == effects.assessment]
    percent = percent_of_max(rows, cols["score"], cols["max_score"])
    if effects.method == "role":
        offset = rows[cols["role"]].map(effects.roles.set_index("rater_role")["estimate"])
    else:
        table = effects.raters
        lookup = pd.Series(table["estimate"].to_numpy(), index=unit_key(table["rater_role"], table["rater_id"]))
        offset = unit_key(rows[cols["role"]], rows[cols["rater"]]).map(lookup)
    offset = offset.astype("float64")
    lost = percent.notna() & offset.isna()
    if lost.any():
        who = ", ".join(sorted(map(str, pd.unique(rows.loc[lost, cols["role"]].astype(str)))))
        warnings.warn(f"{int(lost.sum())} ratings of {effects.assessment!r} (roles: {who}) have no estimated "
                      f"{effects.method} offset; their adjusted scores are missing", EstimationWarning, stacklevel=2)
    adjusted = percent - offset
    top = pd.to_numeric(rows[cols["max_score"]], errors="coerce").astype("float64")
    return rows.assign(percent=percent, offset=offset, adjusted_percent=adjusted, adjusted_score=adjusted * top / 100)


def portfolio_score(
    assessments: pd.DataFrame,
    *,
    assessment: str = "capstone_portfolio",
    effects: RaterEffects | None = None,
    role_weights: Mapping[str, float] | None = None,
    method: Literal["role", "rater"] = "role",
    reference: str = "teacher",
    student: str = "student_id",
    assessment_column: str = "assessment",
    component: str | None = "component",
    role: str = "rater_role",
    rater: str | None = "rater_id",
    score: str = "score",
    max_score: str = "max_score",
) -> pd.DataFrame:
    """Competency-based portfolio score per student: leniency-adjusted, role-weighted, averaged over competencies.

    Parameters
    ----------
    assessments
        The long ``assessments`` table (one row a student x assessment x rater).
    assessment
        The multi-rater assessment to score.
    effects
        Offsets to remove; ``None`` fits ``rater_effects(assessments, assessment=assessment,
        method=method, reference=reference, ...)``.  Given ones must match ``assessment``,
        ``method`` and the column names.
    role_weights
        Weight of each rater role (>= 0; 0 leaves a role out), e.g. ``{"teacher": 0.4,
        "enterprise_mentor": 0.3, "peer": 0.15, "self": 0.15}``; every role in the data needs one.
        ``None`` weighs the roles equally.
    method, reference
        Passed to :func:`rater_effects` when ``effects`` is ``None``.
    student, assessment_column, component, role, rater, score, max_score
        Column names.  A component is a competency; ``component=None`` (or a missing value)
        means one overall competency.

    Returns
    -------
    pandas.DataFrame
        One row per student rated on ``assessment``: ``student_id``, ``portfolio_score`` (percent
        of ``max_score`` on the reference role's scale), ``unadjusted_score`` (the same
        aggregation of the raw percentages, for comparison), ``n_components``, ``n_ratings`` and
        ``roles`` (the roles that rated the student, sorted and comma-joined).

    Notes
    -----
    With :math:`\\tilde y` the adjusted percentages (:func:`adjusted_scores`), the ratings of
    role :math:`r` on competency :math:`c` of student :math:`i` are averaged,
    :math:`m_{icr}`; then :math:`P_{ic} = \\sum_r w_r m_{icr} / \\sum_r w_r` over the roles that
    rated it (weights renormalised), and :math:`P_i = \\frac1{C_i}\\sum_c P_{ic}`.  Averaging the
    raw ratings instead favours students whose raters happen to be lenient: when some students
    lack a lenient role (e.g. no self rating) the raw mean is biased against them, the adjusted
    one is not (given the additive model of :func:`rater_effects`).  Ratings with no offset are
    left out of both scores.

    References
    ----------
    Myford, C. M., & Wolfe, E. W. (2003). Detecting and measuring rater effects using many-facet
    Rasch measurement: Part I. *Journal of Applied Measurement*, 4(4), 386-422.

    Examples
    --------
    >>> import pandas as pd
    >>> ratings = pd.DataFrame({
    ...     "student_id": ["a"] * 4, "assessment": "capstone_portfolio", "component": ["C1", "C1", "C2", "C2"],
    ...     "rater_id": ["T1", "M1"] * 2, "rater_role": ["teacher", "enterprise_mentor"] * 2,
    ...     "score": [8.0, 6.0, 9.0, 9.0], "max_score": 10.0})
    >>> fit = rater_effects(ratings, cluster="none")  # mentor offset: -10 points
    >>> out = portfolio_score(ratings, effects=fit, role_weights={"teacher": 3, "enterprise_mentor": 1})
    >>> out[["portfolio_score", "unadjusted_score", "n_components", "n_ratings"]]
       portfolio_score  unadjusted_score  n_components  n_ratings
    0             85.0              82.5             2          4
    """
    cols = {"student": student, "assessment": assessment_column, "component": component, "role": role,
            "rater": rater, "score": score, "max_score": max_score}
    if effects is None:
        effects = rater_effects(assessments, assessment=assessment, method=method, reference=reference,
                                student=student, assessment_column=assessment_column, component=component,
                                role=role, rater=rater, score=score, max_score=max_score)
    _check_effects(effects, assessment, method, cols)
    adjusted = adjusted_scores(assessments, effects)
    adjusted = adjusted[adjusted["adjusted_percent"].notna()]
    comp = adjusted[component] if component else pd.Series(pd.NA, index=adjusted.index, dtype="string")
    frame = pd.DataFrame({"student": adjusted[student], "component": comp.astype("string").fillna(_OVERALL),
                          "role": adjusted[role].astype(str), "adj": adjusted["adjusted_percent"],
                          "raw": adjusted["percent"]})
    weights = check_weights(role_weights, pd.unique(frame["role"]), what="role", argument="role_weights")
    by_role = frame.groupby(["student", "component", "role"], sort=False).agg(
        adj=("adj", "mean"), raw=("raw", "mean"), n=("adj", "size")).reset_index()
    by_role["w"] = by_role["role"].map(weights).astype(float)
    by_role = by_role[by_role["w"] > 0]
    by_role = by_role.assign(wadj=by_role["w"] * by_role["adj"], wraw=by_role["w"] * by_role["raw"])
    by_comp = by_role.groupby(["student", "component"], sort=False).agg(
        wadj=("wadj", "sum"), wraw=("wraw", "sum"), w=("w", "sum"), n=("n", "sum")).reset_index()
    by_comp = by_comp.assign(adj=by_comp["wadj"] / by_comp["w"], raw=by_comp["wraw"] / by_comp["w"])
    out = by_comp.groupby("student", sort=False).agg(
        portfolio_score=("adj", "mean"), unadjusted_score=("raw", "mean"), n_components=("adj", "size"),
        n_ratings=("n", "sum"))
    roles = by_role.groupby("student", sort=False)["role"].agg(lambda v: ", ".join(sorted(set(v))))
    out = out.assign(roles=roles).reset_index().rename(columns={"student": student})
    return out.astype({"n_components": "int64", "n_ratings": "int64"})


def _check_effects(effects: RaterEffects, assessment: str, method: str, cols: dict) -> None:
    if effects.assessment != assessment:
        raise ArgumentError(f"effects were fitted on {effects.assessment!r}, not assessment={assessment!r}; "
                            f"fit them on the same assessment or pass effects=None")
    if effects.method != method:
        raise ArgumentError(f"effects were fitted with method={effects.method!r} but method={method!r}; "
                            f"pass the same method or effects=None")
    differ = {k: (v, effects.columns.get(k)) for k, v in cols.items()
              if effects.columns.get(k) != v and not (k == "rater" and effects.method == "role")}
    if differ:
        raise ArgumentError(f"effects were fitted with other column names (given, fitted): {differ!r}; "
                            f"pass the same names or effects=None")
