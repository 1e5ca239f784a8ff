"""Put different assessments on one scale (z-scores or percent of maximum) and combine them per student.

Examples
--------
>>> import pandas as pd
>>> scores = pd.DataFrame({"student_id": ["a", "b", "c", "a", "b", "c"],
...                        "assessment": ["exam"] * 3 + ["hsk"] * 3, "component": pd.NA,
...                        "score": [60.0, 70.0, 80.0, 150.0, 180.0, 180.0],
...                        "max_score": [100.0] * 3 + [300.0] * 3})
>>> students = pd.DataFrame({"student_id": ["a", "b", "c"], "cohort": [2020, 2020, 2020]})
>>> z = standardised_scores(scores, students)
>>> z["z"].round(4).tolist()
[-1.0, 0.0, 1.0, -1.1547, 0.5774, 0.5774]
>>> assessment_composite(z)[["student_id", "composite", "n_assessments"]].round(4)
  student_id  composite  n_assessments
0          a    -1.0774              2
1          b     0.2887              2
2          c     0.7887              2
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np
import pandas as pd

from data_schema.arguments import check_choice, check_columns
from data_schema.errors import ArgumentError, EstimationWarning
from outcomes.assessment._common import check_weights, percent_of_max

__all__ = ["assessment_composite", "standardised_scores"]

_MAX_NAMED = 5


def standardised_scores(
    assessments: pd.DataFrame,
    students: pd.DataFrame,
    *,
    within: Sequence[str] = ("assessment", "component", "cohort"),
    method: Literal["z", "percent"] = "z",
    student: str = "student_id",
    assessment: str = "assessment",
    component: str | None = "component",
    score: str = "score",
    max_score: str = "max_score",
    cohort: str = "cohort",
) -> pd.DataFrame:
    """Each student's score on each assessment (and component) as a within-group z-score or percent of maximum.

    Parameters
    ----------
    assessments
        The long ``assessments`` table (one row a student x assessment x rater).
    students
        The ``students`` table; it supplies ``cohort`` and any other grouping column in ``within``.
    within
        Columns whose combinations define the reference groups of the z-scores: ``assessment``
        (required), ``component`` and any column of ``students`` (e.g. ``cohort``, ``institution_id``).
    method
        Which score ``standardised`` holds: ``"z"`` (within-group z-score) or ``"percent"``
        (:math:`100\\,\\text{score}/\\text{max\\_score}`, no grouping).
    student, assessment, component, score, max_score, cohort
        Column names.  ``component=None`` when the table has no component column (every
        assessment then has one component).

    Returns
    -------
    pandas.DataFrame
        One row per student x assessment x component with a score: ``student_id``,
        ``assessment``, ``component``, ``cohort``, any other ``within`` columns, ``n_ratings``,
        ``score`` and ``max_score`` (means over the ratings), ``percent``, ``group_n``,
        ``group_mean`` and ``group_sd`` (of ``percent`` in the student's group), ``z`` and
        ``standardised`` (``z`` or ``percent`` as ``method`` says).  The columns are the same
        for both methods.

    Warns
    -----
    EstimationWarning
        With ``method="z"``, naming the groups whose z-score is missing (fewer than 2 students,
        or every student with the same score), and when students are missing from ``students``.

    Notes
    -----
    Several ratings of one student x assessment x component (several raters, or re-marks) are
    averaged first, :math:`p_{iac} = \\frac{1}{m}\\sum_j 100\\,y_{iacj}/M_{iacj}`, so every student
    counts once in its group.  Rater leniency is not corrected here: where rater roles cover
    students unevenly, replace that assessment's rows by one row a student with ``score`` =
    :func:`outcomes.assessment.portfolio_score`'s ``portfolio_score`` and ``max_score`` = 100.
    Within group :math:`g` of :math:`n_g` students, :math:`z_{iac} = (p_{iac} - \\bar p_g)/s_g`
    with the sample SD :math:`s_g` (``ddof=1``); z of the percent equals z of the raw score when
    the group shares one ``max_score``.  Rows with a missing score are left out.

    References
    ----------
    Kolen, M. J., & Brennan, R. L. (2014). *Test equating, scaling, and linking: Methods and
    practices* (3rd ed.). Springer.

    Examples
    --------
    >>> import pandas as pd
    >>> ratings = pd.DataFrame({"student_id": ["a", "a", "b", "c"], "assessment": "exam",
    ...                         "component": "M1", "score": [7.0, 9.0, 6.0, 10.0], "max_score": 10.0})
    >>> students = pd.DataFrame({"student_id": ["a", "b", "c"], "cohort": [2021, 2021, 2021]})
    >>> out = standardised_scores(ratings, students)
    >>> out[["student_id", "n_ratings", "percent", "z"]]
      student_id  n_ratings  percent    z
    0          a          2     80.0  0.0
    1          b          1     60.0 -1.0
    2          c          1    100.0  1.0
    """
    check_choice("method", method, ("z", "percent"))
    keys = [student, assessment] + ([component] if component else [])
    check_columns(assessments, [*keys, score, max_score], what="assessments")
    check_columns(students, [student, cohort], what="students")
    groups = _check_within(within, assessment, component, students, student)
    rated = assessments[keys].assign(percent=percent_of_max(assessments, score, max_score),
                                     score=assessments[score], max_score=assessments[max_score])
    rated = rated[rated["percent"].notna()]
    averaged = rated.groupby(keys, dropna=False, sort=False).agg(
        n_ratings=("percent", "size"), score=("score", "mean"), max_score=("max_score", "mean"),
        percent=("percent", "mean")).reset_index()
    if not component:
        averaged["component"] = pd.Series(pd.NA, index=averaged.index, dtype="string")
    extra = list(dict.fromkeys([cohort, *[g for g in groups if g in students.columns and g != student]]))
    frame = averaged.merge(_one_row_each(students, student)[[student, *extra]], on=student, how="left")
    n_missing = int((~frame[student].isin(students[student])).sum())
    if n_missing:
        warnings.warn(f"{n_missing} scores belong to students missing from the students table; their "
                      f"{', '.join(extra)} are missing", EstimationWarning, stacklevel=2)
    frame = _standardise(frame, groups, warn=method == "z")
    frame["standardised"] = frame["z"] if method == "z" else frame["percent"]
    first = [student, assessment, component or "component", *extra]
    rest = ["n_ratings", "score", "max_score", "percent", "group_n", "group_mean", "group_sd", "z", "standardised"]
    return frame[first + rest]


def _check_within(within: Sequence[str], assessment: str, component: str | None, students: pd.DataFrame,
                  student: str) -> list[str]:
    groups = [within] if isinstance(within, str) else list(within)
    allowed = [assessment] + ([component] if component else []) + [c for c in students.columns if c != student]
    for col in groups:
        if col not in allowed:
            raise ArgumentError(f"within={tuple(groups)!r} names {col!r}, which is neither {assessment!r}, "
                                f"{component!r} nor a column of students; use columns among: "
                                + ", ".join(repr(c) for c in allowed))
    if assessment not in groups:
        raise ArgumentError(f"within={tuple(groups)!r} must include {assessment!r}: z-scores pooled over "
                            f"different assessments would mix their scales")
    return groups


def _one_row_each(students: pd.DataFrame, student: str) -> pd.DataFrame:
    dup = students[student].duplicated()
    if dup.any():
        raise ArgumentError(f"students has {int(dup.sum())} repeated {student!r} values (e.g. "
                            f"{students.loc[dup, student].iloc[0]!r}); it must have one row a student")
    return students


def _standardise(frame: pd.DataFrame, groups: list[str], *, warn: bool) -> pd.DataFrame:
    """Add ``group_n``, ``group_mean``, ``group_sd`` (ddof=1) and ``z``; warn about groups without a z-score."""
    by = frame.groupby(groups, dropna=False, sort=False)["percent"]
    frame = frame.assign(group_n=by.transform("size").astype("int64"), group_mean=by.transform("mean"),
                         group_sd=by.transform(lambda v: v.std(ddof=1)))
    ok = (frame["group_n"] >= 2) & (frame["group_sd"] > 0)
    frame["z"] = ((frame["percent"] - frame["group_mean"]) / frame["group_sd"]).where(ok)
    if warn and not ok.all():
        bad = frame.loc[~ok, groups + ["group_n"]].drop_duplicates(groups)
        names = [", ".join(f"{g}={row[g]!r}" for g in groups)
                 + f" (n={row['group_n']}{', no spread' if row['group_n'] >= 2 else ''})"
                 for _, row in bad.head(_MAX_NAMED).iterrows()]
        more = f" and {len(bad) - _MAX_NAMED} more" if len(bad) > _MAX_NAMED else ""
        warnings.warn(f"z-scores are missing for {len(bad)} group(s) with fewer than 2 students or no spread: "
                      + "; ".join(names) + more, EstimationWarning, stacklevel=3)
    return frame


def assessment_composite(
    scores: pd.DataFrame,
    *,
    value: str = "standardised",
    weights: Mapping[str, float] | None = None,
    min_assessments: int = 1,
    student: str = "student_id",
    assessment: str = "assessment",
) -> pd.DataFrame:
    """Per student, the (weighted) mean of the standardised scores of the assessments they have.

    Parameters
    ----------
    scores
        One row per student x assessment x component, e.g. :func:`standardised_scores`.
    value
        Column with the standardised score (``"standardised"``, ``"z"`` or ``"percent"``).
    weights
        Weight of each assessment (>= 0; 0 leaves it out); ``None`` weighs assessments equally.
        Every assessment in ``scores`` needs a weight.
    min_assessments
        Fewest assessments a student needs for a composite; with fewer it is missing.
    student, assessment
        Column names.

    Returns
    -------
    pandas.DataFrame
        One row per student in ``scores``: ``student_id``, ``composite``, ``n_assessments`` (with
        a score and a positive weight), ``weight_sum`` and ``assessments`` (their names, sorted and
        comma-joined).

    Notes
    -----
    The components of an assessment are averaged first, :math:`a_{ia} = \\frac{1}{C_{ia}}\\sum_c
    s_{iac}` over the student's :math:`C_{ia}` scored components, so a four-module exam counts as
    one assessment.  Then :math:`\\text{composite}_i = \\sum_{a \\in A_i} w_a a_{ia} / \\sum_{a \\in A_i}
    w_a` over the set :math:`A_i` of the student's assessments with a score; the weights are
    renormalised over what each student has, so a missing assessment is neither zero nor imputed.
    The composite is missing when :math:`|A_i| <` ``min_assessments``.

    References
    ----------
    Wainer, H., & Thissen, D. (1993). Combining multiple-choice and constructed-response test
    scores: Toward a Marxist theory of test construction. *Applied Measurement in Education*,
    6(2), 103-118.

    Examples
    --------
    >>> import pandas as pd
    >>> z = pd.DataFrame({"student_id": ["a", "a", "a", "b"], "assessment": ["exam", "exam", "hsk", "exam"],
    ...                   "standardised": [1.0, 0.0, -1.0, 2.0]})
    >>> assessment_composite(z, weights={"exam": 3, "hsk": 1})
      student_id  composite  n_assessments  weight_sum assessments
    0          a      0.125              2         4.0   exam, hsk
    1          b      2.000              1         3.0        exam
    """
    check_columns(scores, [student, assessment, value], what="scores")
    if isinstance(min_assessments, bool) or not isinstance(min_assessments, int | np.integer) or min_assessments < 1:
        raise ArgumentError(f"min_assessments={min_assessments!r} must be a whole number of at least 1")
    names = pd.unique(scores[assessment].dropna())
    w = check_weights(weights, names, what="assessment", argument="weights", among=" in scores")
    per = (scores[scores[value].notna()].groupby([student, assessment], sort=False)[value].mean()
           .rename("a").reset_index())
    per = per.assign(w=per[assessment].map(w).astype(float))
    per = per[per["w"] > 0].sort_values([student, assessment], kind="stable")
    out = per.assign(wa=per["w"] * per["a"]).groupby(student, sort=False).agg(
        wa=("wa", "sum"), weight_sum=("w", "sum"), n_assessments=("a", "size"),
        assessments=(assessment, lambda v: ", ".join(sorted(map(str, v)))))
    everyone = pd.Index(pd.unique(scores[student]), name=student)
    out = out.reindex(everyone)
    out["n_assessments"] = out["n_assessments"].fillna(0).astype("int64")
    out["weight_sum"] = out["weight_sum"].fillna(0.0)
    out["assessments"] = out["assessments"].fillna("")
    out["composite"] = (out["wa"] / out["weight_sum"]).where(out["n_assessments"] >= min_assessments)
    return out.reset_index()[[student, "composite", "n_assessments", "weight_sum", "assessments"]]
