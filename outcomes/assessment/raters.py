"""Rater-role leniency and rater severity of a multi-rater assessment, by two-way fixed effects.

A capstone portfolio is scored by a teacher, an enterprise mentor, a peer and the student.
Roles differ in leniency (self ratings run high, mentors strict), and not every student is
rated by every role, so a plain mean of the ratings rewards the students who happen to have
lenient raters.  :func:`rater_effects` estimates the offsets, :func:`adjusted_scores` removes
them (see :mod:`outcomes.assessment.portfolio`).

Examples
--------
>>> import pandas as pd
>>> ratings = pd.DataFrame({
...     "student_id": ["s1"] * 3 + ["s2"] * 3 + ["s3"] * 2,
...     "assessment": "capstone_portfolio",
...     "rater_id": ["T1", "M1", None, "T1", "M1", None, "T2", None],
...     "rater_role": ["teacher", "enterprise_mentor", "self"] * 2 + ["teacher", "self"],
...     "score": [70.0, 66.0, 80.0, 60.0, 58.0, 67.0, 80.0, 88.0],
...     "max_score": 100.0,
... })
>>> fit = rater_effects(ratings, component=None)
>>> fit.roles[["rater_role", "estimate"]].round(4)
          rater_role  estimate
0            teacher    0.0000
1  enterprise_mentor   -3.0833
2               self    8.3333
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Iterable
from typing import Literal

import numpy as np
import pandas as pd

from data_schema.arguments import check_choice, check_columns
from data_schema.errors import ArgumentError, EstimationError, EstimationWarning
from outcomes.assessment._common import check_ci_level, percent_of_max, t_inference
from outcomes.assessment._fixed_effects import UnitFit, contrast_variances, fit_unit_effects, unit_components
from outcomes.assessment.results import RATER_COLUMNS, ROLE_COLUMNS, RaterEffects

__all__ = ["rater_effects"]

Method = Literal["role", "rater"]
Cluster = Literal["student", "none"]
_SEP, _NO_ID = "\x1f", "\x00"
_CHUNK = 512


def rater_effects(
    assessments: pd.DataFrame,
    *,
    assessment: str = "capstone_portfolio",
    method: Method = "role",
    reference: str = "teacher",
    cluster: Cluster = "student",
    ci_level: float = 0.95,
    student: str = "student_id",
    assessment_column: str = "assessment",
    component: str | None = "component",
    role: str = "rater_role",
    rater: str | None = "rater_id",
    score: str = "score",
    max_score: str = "max_score",
) -> RaterEffects:
    """Leniency offset of each rater role (and severity of each rater) relative to a reference role.

    Parameters
    ----------
    assessments
        The long ``assessments`` table (one row a student x assessment x rater).
    assessment
        The assessment to analyse; other rows are ignored.
    method
        ``"role"``: target + role fixed effects.  ``"rater"``: target + rater fixed effects,
        which also separates the severity of individual raters from their role's leniency.
    reference
        The role whose scale the offsets are measured on (offset 0).
    cluster
        ``"student"``: CR1 cluster-robust standard errors by student; ``"none"``: classical OLS ones.
    ci_level
        Confidence level of the t intervals.
    student, assessment_column, component, role, rater, score, max_score
        Column names.  ``component=None`` when the table has no component column.  ``rater`` is
        required for ``method="rater"``; for ``"role"`` it is only used to count raters.

    Returns
    -------
    RaterEffects
        ``roles`` (one row per role, the reference first) and, for ``method="rater"``, ``raters``.

    Raises
    ------
    ArgumentError
        An invalid choice, or ``reference`` is not a role that rated ``assessment``.
    ColumnError
        A named column is absent.
    EstimationError
        The assessment has no ratings, only the reference role rated it, or a role is not
        connected to the reference role through co-rated targets (its offset is not identified).

    Notes
    -----
    Scores are put on one scale, :math:`y = 100\\,\\text{score}/\\text{max\\_score}`, so offsets are
    percentage points (score points when ``max_score`` is 100).  A target :math:`t` is a student
    x component (the student when the component is missing).  With ``method="role"``

    .. math:: y_{i} = \\theta_{t(i)} + \\ell_{r(i)} + e_{i}, \\qquad \\ell_{\\text{reference}} = 0,

    fitted by least squares with the target effects absorbed (within-target demeaning).  The
    estimates, and the CR1 variance
    :math:`\\frac{G}{G-1}\\frac{N-1}{N-K}(\\tilde X'\\tilde X)^{-1}\\sum_g \\tilde X_g'e_g e_g'\\tilde X_g
    (\\tilde X'\\tilde X)^{-1}` over the :math:`G` students, equal those of OLS with target and role
    dummies and statsmodels ``cov_type="cluster"``: :math:`K` counts the target dummies (the
    Stata ``areg`` convention, which is conservative when targets nest in clusters; ``xtreg, fe``
    would leave them out).  Intervals use :math:`t_{G-1}` (statsmodels ``use_t=True``, Stata);
    with ``cluster="none"`` the classical variance and :math:`t_{N-K}`.

    With ``method="rater"`` the role term becomes one effect per rater,
    :math:`y_i = \\theta_{t(i)} + \\delta_{j(i)} + e_i`, with a rater being a (role, rater id) pair;
    a role's ratings without an id (self ratings) form one pseudo-rater of that role.  Rater
    effects are identified only within a connected set of targets and raters, so the fit uses the
    connected set holding most reference-role ratings and drops the rest with an
    ``EstimationWarning``.  Rater effects are reported relative to the unweighted mean of the
    reference role's raters, and a role's offset is the unweighted mean of its raters' effects
    minus that of the reference role's, :math:`\\ell_r = \\bar\\delta_r - \\bar\\delta_{\\text{ref}}`,
    a contrast whose variance comes from the same sandwich.

    The two methods answer slightly different questions: ``"role"`` compares a role with the
    reference as their ratings fall (raters weighted by how many students they rate),
    ``"rater"`` compares the average rater of each role.  Standard errors treat the raters as
    fixed: clustering by student does not carry the uncertainty of having drawn these few
    teachers or mentors, so an interval for a role's leniency in general is too narrow when a
    role has few raters.  Roles (raters) are assumed to differ by a constant: ratings are not
    otherwise rescaled, and clipping at 0 or ``max_score`` pulls offsets toward 0 when many
    ratings sit at a bound.

    References
    ----------
    Abowd, J. M., Kramarz, F., & Margolis, D. N. (1999). High wage workers and high wage firms.
    *Econometrica*, 67(2), 251-333.

    Cameron, A. C., & Miller, D. L. (2015). A practitioner's guide to cluster-robust inference.
    *Journal of Human Resources*, 50(2), 317-372.

    Myford, C. M., & Wolfe, E. W. (2003). Detecting and measuring rater effects using many-facet
    Rasch measurement: Part I. *Journal of Applied Measurement*, 4(4), 386-422.

    Examples
    --------
    >>> import pandas as pd
    >>> ratings = pd.DataFrame({
    ...     "student_id": ["a", "a", "b", "b", "c", "c"], "assessment": "capstone_portfolio",
    ...     "rater_id": ["T1", None, "T1", None, "T2", None], "rater_role": ["teacher", "self"] * 3,
    ...     "score": [7.0, 8.0, 5.0, 7.0, 8.0, 9.5], "max_score": 10.0})
    >>> fit = rater_effects(ratings, component=None, cluster="none")
    >>> round(fit.offset("self"), 4), round(float(fit.roles.loc[1, "std_error"]), 4), int(fit.df_resid)
    (15.0, 2.8868, 2)
    """
    check_choice("method", method, ("role", "rater"))
    check_choice("cluster", cluster, ("student", "none"))
    level = check_ci_level(ci_level)
    if method == "rater" and rater is None:
        raise ArgumentError("method='rater' needs the rater id column; pass rater='rater_id' (or its name)")
    needed = [student, assessment_column, role, score, max_score, *(c for c in (component, rater) if c)]
    if method == "role" and rater is not None and rater not in assessments.columns:
        needed.remove(rater)
        rater = None
    check_columns(assessments, needed, what="assessments")
    cols = {"student": student, "assessment": assessment_column, "component": component, "role": role,
            "rater": rater, "score": score, "max_score": max_score}
    data, n_dropped = _prepare(assessments, assessment, reference, cols)
    data = data.assign(_unit=_units(data, cols, method))
    data, n_out = _connected(data, reference, cols)
    fit, blocks, unit_table = _fit(data, reference, cols, method, cluster)
    estimates, variances, df = _contrasts(fit, blocks, clustered=cluster == "student")
    _warn_no_inference(variances, fit.df_resid, int(data[student].nunique()), cluster)
    std_errors = np.sqrt(variances)
    statistic, p_value, ci_low, ci_high = t_inference(estimates, std_errors, df, level)
    stats = pd.DataFrame({"estimate": estimates, "std_error": std_errors, "statistic": statistic, "df": df,
                          "p_value": p_value, "ci_low": ci_low, "ci_high": ci_high})
    role_table, rater_table = _tables(data, reference, cols, method, stats, unit_table)
    n_students = int(data[student].nunique())
    return RaterEffects(
        assessment=assessment, method=method, reference=reference, cluster=cluster, ci_level=level,
        roles=role_table, raters=rater_table, n_obs=fit.n_obs, n_targets=int(data["_target"].nunique()),
        n_students=n_students, n_clusters=n_students if cluster == "student" else fit.n_obs,
        n_params=fit.n_params, df_resid=fit.df_resid,
        residual_sd=float(np.sqrt(fit.residuals @ fit.residuals / fit.df_resid)) if fit.df_resid > 0 else np.nan,
        n_dropped=n_dropped + n_out, columns=cols,
    )


def _warn_no_inference(variances: np.ndarray, df_resid: int, n_students: int, cluster: str) -> None:
    """Say why standard errors are missing or zero instead of returning NaN silently."""
    if (np.isfinite(variances) & (variances > 0)).all():
        return
    if df_resid <= 0:
        why = f"no residual degrees of freedom (df_resid={df_resid}): every rating is fitted exactly"
    elif cluster == "student" and n_students < 2:
        why = "a single student cluster; use cluster='none' or more students"
    else:
        why = "some contrasts have zero estimated variance (the ratings fit the model exactly)"
    warnings.warn(f"standard errors, tests and intervals are not available: {why}", EstimationWarning, stacklevel=3)


def _prepare(assessments: pd.DataFrame, assessment: str, reference: str, cols: dict) -> tuple[pd.DataFrame, int]:
    """Rows of ``assessment`` with a score and a role, with ``_y`` (percent), ``_target`` and ``_student`` codes."""
    rows = assessments[assessments[cols["assessment"]] == assessment]
    if rows.empty:
        have = ", ".join(repr(a) for a in pd.unique(assessments[cols["assessment"]].dropna()))
        raise EstimationError(f"no ratings of assessment {assessment!r}; assessments present: {have or 'none'}")
    y = percent_of_max(rows, cols["score"], cols["max_score"])
    keep = y.notna() & rows[cols["role"]].notna() & rows[cols["student"]].notna()
    data = rows[keep].assign(_y=y[keep])
    roles = list(pd.unique(data[cols["role"]]))
    if reference not in roles:
        raise ArgumentError(
            f"reference={reference!r} is not a role that rated {assessment!r}; use one of: "
            + ", ".join(repr(r) for r in roles)
        )
    if len(roles) < 2:
        raise EstimationError(f"only the reference role {reference!r} rated {assessment!r}; no offset to estimate")
    keys = [cols["student"]] + ([cols["component"]] if cols["component"] else [])
    data = data.assign(_target=data.groupby(keys, dropna=False, sort=False).ngroup().to_numpy())
    return data, int((~keep).sum())


def unit_key(roles: pd.Series, ids: pd.Series) -> pd.Series:
    """Key of a rater: its (role, rater id), a missing id standing for the role's pseudo-rater."""
    ids = pd.Series(ids, index=roles.index).astype("string").fillna(_NO_ID)
    return roles.astype(str) + _SEP + ids.astype(str)


def _units(data: pd.DataFrame, cols: dict, method: str) -> pd.Series:
    """The unit of each rating: its role (``method="role"``) or its rater (:func:`unit_key`)."""
    if method == "role":
        return data[cols["role"]].astype(str)
    return unit_key(data[cols["role"]], data[cols["rater"]])


def _connected(data: pd.DataFrame, reference: str, cols: dict) -> tuple[pd.DataFrame, int]:
    """Keep the connected set with most reference ratings; raise if a whole role falls outside it."""
    codes, uniques = pd.factorize(data["_unit"])
    labels = unit_components(data["_target"].to_numpy(), codes, len(uniques))[codes]
    is_ref = (data[cols["role"]] == reference).to_numpy()
    best = np.bincount(labels[is_ref]).argmax()
    inside = labels == best
    outside_roles = sorted(set(data.loc[~inside, cols["role"]]) - set(data.loc[inside, cols["role"]]))
    if outside_roles:
        raise EstimationError(
            f"the offset of role(s) {', '.join(map(repr, outside_roles))} is not identified: they never rated a "
            f"target (student x component) that the reference role {reference!r} or a role linked to it also "
            f"rated. Fix: pass a reference role that co-rated with them, or leave them out."
        )
    n_out = int((~inside).sum())
    if n_out:
        warnings.warn(
            f"{n_out} ratings by {len(set(codes[~inside]))} raters lie outside the connected set of the "
            f"reference role {reference!r}; their rater effects are not identified and they are left out",
            EstimationWarning, stacklevel=3,
        )
    kept = data[inside]
    return kept.assign(_target=pd.factorize(kept["_target"])[0]), n_out


def _fit(data: pd.DataFrame, reference: str, cols: dict, method: str, cluster: str):
    """Fit the model; return the fit, the contrast matrices (roles, then raters in blocks) and the unit table."""
    unit, uniques = pd.factorize(data["_unit"])
    first = data.groupby(unit).first()  # a pseudo-rater's id stays missing: first() skips missing values
    units = pd.DataFrame({"_unit": uniques, "rater_role": first[cols["role"]].to_numpy()})
    if method == "rater":
        units["rater_id"] = first[cols["rater"]].astype("string").to_numpy()
    is_ref = (units["rater_role"] == reference).to_numpy()
    clusters = pd.factorize(data[cols["student"]])[0] if cluster == "student" else np.arange(len(data))
    fit = fit_unit_effects(data["_y"].to_numpy(float), target=data["_target"].to_numpy(), unit=unit,
                           cluster=clusters, fixed_unit=int(np.flatnonzero(is_ref)[0]))
    ref_mean = is_ref / is_ref.sum()
    roles = [r for r in pd.unique(units["rater_role"]) if r != reference]
    role_rows = np.vstack([(units["rater_role"] == r).to_numpy() / (units["rater_role"] == r).sum() - ref_mean
                           for r in roles])
    n = len(units)
    rater_rows = (np.eye(min(_CHUNK, n - start), n, start) - ref_mean for start in range(0, n, _CHUNK))
    return fit, itertools.chain([role_rows], rater_rows if method == "rater" else []), units


def _contrasts(fit: UnitFit, blocks: Iterable[np.ndarray], *, clustered: bool) -> tuple[np.ndarray, ...]:
    """Estimates and variances of the contrasts, block by block (a dense identity over raters would not fit)."""
    estimates, variances, df = [], [], np.nan
    for block in blocks:
        var, df = contrast_variances(fit, block, clustered=clustered)
        estimates.append(block @ fit.effects)
        variances.append(var)
    return np.concatenate(estimates), np.concatenate(variances), df


def _tables(data: pd.DataFrame, reference: str, cols: dict, method: str, stats: pd.DataFrame,
            units: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The role table (reference row first) and the rater table from the contrast statistics."""
    role = cols["role"]
    roles = [reference] + [r for r in pd.unique(units["rater_role"]) if r != reference]
    count = data.groupby(role, sort=False).agg(n_ratings=("_y", "size"), n_targets=("_target", "nunique"))
    if cols["rater"]:
        count["n_raters"] = data[cols["rater"]].astype("string").fillna(_NO_ID).groupby(data[role]).nunique()
    else:
        count["n_raters"] = pd.NA
    ref_row = pd.DataFrame([{"estimate": 0.0}], columns=stats.columns)
    role_stats = pd.concat([ref_row.astype(float), stats.iloc[: len(roles) - 1]], ignore_index=True)
    role_table = role_stats.assign(rater_role=roles).join(count, on="rater_role")
    role_table = role_table.astype({"n_ratings": "int64", "n_targets": "int64", "n_raters": "Int64"})
    if method == "role":
        return role_table[list(ROLE_COLUMNS)], pd.DataFrame(columns=list(RATER_COLUMNS))
    per = data.groupby("_unit", sort=False).agg(n_ratings=("_y", "size"), n_targets=("_target", "nunique"))
    per = per.loc[units["_unit"]]
    rater_table = stats.iloc[len(roles) - 1 :].reset_index(drop=True).assign(
        rater_role=units["rater_role"].to_numpy(), rater_id=units["rater_id"].to_numpy(),
        n_ratings=per["n_ratings"].to_numpy(), n_targets=per["n_targets"].to_numpy())
    return role_table[list(ROLE_COLUMNS)], rater_table[list(RATER_COLUMNS)]
