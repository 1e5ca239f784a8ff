"""Who answered the graduate follow-ups: response rates and a non-response table.

A rate among respondents describes all graduates only if those who did not
answer resemble those who did.  :func:`response_rates` gives the response rate
of every follow-up by group; :func:`nonresponse_table` compares respondents
and non-respondents on the students' baseline covariates (means for numbers,
shares for categories) with the standardised difference a reader can judge
(|d| > 0.1 is the usual flag for imbalance; Austin 2009); and
:func:`nonresponse_bounds` gives the worst-case range of a respondent rate over
all graduates.

References
----------
Austin, P. C. (2009). Balance diagnostics for comparing the distribution of baseline covariates
between treatment groups in propensity-score matched samples. *Statistics in Medicine*, 28, 3083-3107.

Examples
--------
>>> import pandas as pd
>>> frame = pd.DataFrame({"program": ["integrated"] * 4 + ["traditional"] * 2, "months_after_graduation": 6,
...                       "responded": [True, True, True, False, True, False], "gender": ["female"] * 6,
...                       "entrance_score": [500.0, 480, 470, 420, 450, 440]})
>>> response_rates(frame)[["program", "graduates", "respondents", "response_rate"]]
       program  graduates  respondents  response_rate
0   integrated          4            3           0.75
1  traditional          2            1           0.50
>>> t = nonresponse_table(frame, covariates=["entrance_score"])
>>> t.loc[0, ["respondents_value", "nonrespondents_value"]].tolist()
[483.3333333333333, 420.0]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from data_schema.arguments import check_choice, check_columns
from data_schema.engine import is_engine_table
from outcomes.employment.response_engine import covariate_moments, response_counts
from outcomes.intervals import imbens_manski_interval, manski_bounds, wilson_interval

if TYPE_CHECKING:
    from ibis.expr.types import Table

__all__ = ["response_rates", "nonresponse_table", "nonresponse_bounds", "DEFAULT_COVARIATES", "BOUNDABLE"]

DEFAULT_COVARIATES = ("gender", "student_origin", "cohort", "entrance_score", "prior_hsk_level")
"""Baseline covariates compared by :func:`nonresponse_table` when present."""

BOUNDABLE = ("destination_rate", "employment_rate", "contract_employment_rate", "self_employment_rate",
             "further_study_rate", "seeking_rate")
"""Indicators over all respondents, whose value for non-respondents is simply unknown (0 or 1)."""

_MONTHS = "months_after_graduation"


def _keys(by: Sequence[str]) -> list[str]:
    return [*by, _MONTHS] if _MONTHS not in by else list(by)


def response_rates(frame: pd.DataFrame | Table, *, by: Sequence[str] = ("program",),
                   level: float = 0.95) -> pd.DataFrame:
    """Response rate of every follow-up by group, with its Wilson interval.

    Parameters
    ----------
    frame
        The output of :func:`outcomes.employment_indicators`: a DataFrame, or an engine table (the counts
        and moments are then computed inside the engine).
    by
        Grouping columns; ``months_after_graduation`` is always added.
    level
        Confidence level of the interval.

    Returns
    -------
    pandas.DataFrame
        ``by`` columns, ``months_after_graduation``, ``graduates`` (due), ``respondents``,
        ``nonrespondents``, ``response_rate``, ``ci_low``, ``ci_high``, ``ci_level``.
    """
    keys = _keys(by)
    check_columns(frame, [*keys, "responded"], what="employment indicator frame")
    if is_engine_table(frame):
        g = response_counts(frame, keys)
    else:
        g = frame.groupby(keys, sort=True, dropna=False)["responded"].agg(["size", "sum"]).reset_index()
        g = g.rename(columns={"size": "graduates", "sum": "respondents"})
    g["respondents"] = g["respondents"].astype(int)
    g["nonrespondents"] = g["graduates"] - g["respondents"]
    g["response_rate"] = g["respondents"] / g["graduates"]
    low, high = wilson_interval(g["respondents"].to_numpy(), g["graduates"].to_numpy(), level=level)
    return g.assign(ci_low=low, ci_high=high, ci_level=level)


def _std_difference(m1: float, m0: float, v1: float, v0: float, n1: int, n0: int) -> float:
    """(m1 - m0) over the pooled SD sqrt((v1 + v0) / 2); NaN when a side has fewer than 2 or the SD is 0."""
    pooled = np.sqrt((v1 + v0) / 2) if n1 > 1 and n0 > 1 else np.nan
    return float((m1 - m0) / pooled) if pooled and pooled > 0 else np.nan


def _compare(x: pd.Series, responded: np.ndarray) -> tuple[float, float, float]:
    a, b = x[responded].astype(float), x[~responded].astype(float)
    m1, m0 = a.mean(), b.mean()
    d = _std_difference(m1, m0, a.var(ddof=1), b.var(ddof=1), len(a), len(b))
    return float(m1), float(m0), float(d)


def _covariate_rows(group: pd.DataFrame, covariate: str) -> list[dict]:
    responded = group["responded"].to_numpy(dtype=bool)
    col = group[covariate]
    if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
        values = [(None, col.astype("Float64").to_numpy(dtype=float, na_value=np.nan))]
    else:
        levels = sorted(col.dropna().astype(str).unique())
        values = [(lvl, (col.astype(str) == lvl).where(col.notna()).to_numpy(dtype=float)) for lvl in levels]
    rows = []
    for lvl, v in values:
        known = ~np.isnan(v)
        m1, m0, d = _compare(pd.Series(v[known]), responded[known])
        rows.append({"covariate": covariate, "level": lvl, "statistic": "mean" if lvl is None else "share",
                     "n_respondents": int((known & responded).sum()),
                     "n_nonrespondents": int((known & ~responded).sum()),
                     "respondents_value": m1, "nonrespondents_value": m0, "difference": m1 - m0,
                     "std_difference": d})
    return rows


def nonresponse_table(frame: pd.DataFrame | Table, *, by: Sequence[str] = ("program",),
                      covariates: Sequence[str] | None = None) -> pd.DataFrame:
    """Respondents against non-respondents on baseline covariates, per follow-up and group.

    Parameters
    ----------
    frame
        The output of :func:`outcomes.employment_indicators`: a DataFrame, or an engine table (the counts
        and moments are then computed inside the engine).
    by
        Grouping columns (``months_after_graduation`` is always added).
    covariates
        Student columns to compare; default those of :data:`DEFAULT_COVARIATES` that ``frame`` has.
        Numeric columns are compared by their means, others by the share of each category.

    Returns
    -------
    pandas.DataFrame
        ``by``, ``months_after_graduation``, ``covariate``, ``level`` (the category, or None for a mean),
        ``statistic`` (``"mean"`` or ``"share"``), ``n_respondents``, ``n_nonrespondents`` (with the covariate
        known), ``respondents_value``, ``nonrespondents_value``, ``difference`` and ``std_difference``
        (difference over the pooled SD ``sqrt((s1^2 + s0^2)/2)``; NaN when a side has fewer than 2 students).
    """
    keys = _keys(by)
    if covariates is None:
        covariates = [c for c in DEFAULT_COVARIATES if c in frame.columns and c not in keys]
    check_columns(frame, [*keys, "responded", *covariates], what="employment indicator frame")
    columns = [*keys, "covariate", "level", "statistic", "n_respondents", "n_nonrespondents",
               "respondents_value", "nonrespondents_value", "difference", "std_difference"]
    if is_engine_table(frame):  # rebuilt from records, so the columns are inferred as in the pandas path
        return pd.DataFrame(_engine_table(frame, keys, covariates).to_dict("records"), columns=columns)
    rows = []
    for values, group in frame.groupby(keys, sort=True, dropna=False):
        for cov in covariates:
            rows += [{**dict(zip(keys, values, strict=True)), **r} for r in _covariate_rows(group, cov)]
    return pd.DataFrame(rows, columns=columns)


def _engine_table(frame: Table, keys: list[str], covariates: Sequence[str]) -> pd.DataFrame:
    """:func:`nonresponse_table` from per-group moments computed in the engine, in the pandas path's order."""
    parts = []
    for order, cov in enumerate(covariates):
        w = covariate_moments(frame, keys, cov)
        d = [_std_difference(*r) for r in w[["mean_1", "mean_0", "var_1", "var_0", "n_1", "n_0"]].itertuples(
            index=False)]
        parts.append(w[keys].assign(
            covariate=cov, level=w["level"].astype(object), statistic=np.where(w["level"].isna(), "mean", "share"),
            n_respondents=w["n_1"], n_nonrespondents=w["n_0"], respondents_value=w["mean_1"].astype(float),
            nonrespondents_value=w["mean_0"].astype(float), difference=w["mean_1"] - w["mean_0"],
            std_difference=np.asarray(d, dtype=float), _order=order, _position=np.arange(len(w))))
    if not parts:
        return pd.DataFrame(columns=[*keys, "_order"])
    out = pd.concat(parts, ignore_index=True)
    return out.sort_values([*keys, "_order", "_position"], kind="mergesort", na_position="last").reset_index(
        drop=True)


def nonresponse_bounds(frame: pd.DataFrame | Table, indicator: str = "destination_rate", *,
                       by: Sequence[str] = ("program",), level: float = 0.95) -> pd.DataFrame:
    """Worst-case bounds of a respondent rate over all graduates, with the Imbens-Manski interval.

    The rate among all graduates lies between the rate that counts every non-respondent as a 0
    (``lower``) and the one that counts them as a 1 (``upper``), whatever the reason they did not answer
    (Manski 1989).  ``ci_low``/``ci_high`` cover the true rate with probability ``level``
    (Imbens & Manski 2004).

    Parameters
    ----------
    frame
        The output of :func:`outcomes.employment_indicators`: a DataFrame, or an engine table (the counts
        and moments are then computed inside the engine).
    indicator
        One of :data:`BOUNDABLE`.
    by
        Grouping columns (``months_after_graduation`` is always added).
    level
        Confidence level.

    Returns
    -------
    pandas.DataFrame
        ``by``, ``months_after_graduation``, ``indicator``, ``graduates``, ``respondents``, ``numerator``,
        ``respondent_rate``, ``lower``, ``upper``, ``ci_low``, ``ci_high``, ``ci_level``.

    References
    ----------
    Manski, C. F. (1989). Anatomy of the selection problem. *Journal of Human Resources*, 24, 343-360.
    Imbens, G. W., & Manski, C. F. (2004). Confidence intervals for partially identified parameters.
    *Econometrica*, 72, 1845-1857.
    """
    check_choice("indicator", indicator, BOUNDABLE)
    keys = _keys(by)
    check_columns(frame, [*keys, "responded", indicator], what="employment indicator frame")
    if is_engine_table(frame):
        g = response_counts(frame, keys, numerator=indicator)
    else:
        g = frame.groupby(keys, sort=True, dropna=False).agg(
            graduates=("responded", "size"), respondents=("responded", "sum"), numerator=(indicator, "sum"))
        g = g.reset_index()
    g = g.astype({"respondents": int, "numerator": int})
    k, r, n = g["numerator"].to_numpy(), g["respondents"].to_numpy(), g["graduates"].to_numpy()
    b = manski_bounds(k, r, n - r)
    lower, upper = b.lower, b.upper
    ci_low, ci_high = imbens_manski_interval(lower, upper, b.se_lower, b.se_upper, level=level)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(r > 0, k / np.maximum(r, 1), np.nan)
    return g.assign(indicator=indicator, respondent_rate=rate, lower=lower, upper=upper,
                    ci_low=np.clip(ci_low, 0, 1), ci_high=np.clip(ci_high, 0, 1), ci_level=level)[
        [*keys, "indicator", "graduates", "respondents", "numerator", "respondent_rate", "lower", "upper",
         "ci_low", "ci_high", "ci_level"]]
