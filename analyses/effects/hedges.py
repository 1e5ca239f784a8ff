"""Hedges' g with the WWC small-sample correction, from data, from summaries and from an adjusted difference.

Examples
--------
>>> es = hedges_g_from_summary(mean_treated=6.0, mean_control=5.0, sd_treated=1.0, sd_control=1.0,
...                            n_treated=3, n_control=3)
>>> round(es.estimate, 6), round(es.improvement_index, 2)
(0.8, 28.81)
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from analyses.effects.result import EffectSize
from data_schema.arguments import check_columns
from data_schema.errors import ArgumentError, EstimationError

__all__ = ["adjusted_g", "hedges_g", "hedges_g_from_summary", "improvement_index", "small_sample_correction"]


def small_sample_correction(n_total: float) -> float:
    """WWC small-sample correction ``omega = 1 - 3 / (4N - 9)``.

    Parameters
    ----------
    n_total
        Total sample size ``N = n_T + n_C`` (at least 3).

    Returns
    -------
    float

    Notes
    -----
    .. math:: \\omega = 1 - \\frac{3}{4N - 9}

    References
    ----------
    What Works Clearinghouse (2022). *Procedures and Standards Handbook, Version 5.0*, Appendix E.
    Hedges, L. V. (1981). Distribution theory for Glass's estimator of effect size and related estimators.
    *Journal of Educational Statistics*, 6(2), 107-128.

    Examples
    --------
    >>> small_sample_correction(6)
    0.8
    """
    if not float(n_total) >= 3:
        raise ArgumentError(f"n_total={n_total!r}; the small-sample correction needs at least 3 observations")
    return 1.0 - 3.0 / (4.0 * float(n_total) - 9.0)


def improvement_index(effect_size: float) -> float:
    """WWC improvement index: the percentile gain of the average comparison-group member, ``100 Phi(g) - 50``.

    Parameters
    ----------
    effect_size
        Hedges' g or a Cox index.

    Returns
    -------
    float
        Percentile points, between -50 and 50.

    Notes
    -----
    .. math:: I = 100\\,\\Phi(g) - 50

    where :math:`\\Phi` is the standard normal CDF (Cohen's :math:`U_3` minus 50).

    References
    ----------
    What Works Clearinghouse (2022). *Procedures and Standards Handbook, Version 5.0*, Appendix E.

    Examples
    --------
    >>> round(improvement_index(0.25), 2)
    9.87
    """
    return float(100.0 * stats.norm.cdf(float(effect_size)) - 50.0)


def _check_counts(n_treated: int, n_control: int, level: float) -> None:
    if int(n_treated) < 2 or int(n_control) < 2:
        raise ArgumentError(f"n_treated={n_treated!r}, n_control={n_control!r}; each group needs at least 2 "
                            "observations for a within-group SD")
    if not 0.0 < float(level) < 1.0:
        raise ArgumentError(f"level={level!r} must lie strictly between 0 and 1, e.g. 0.95")


def _pooled_sd(sd_t: float, sd_c: float, n_t: int, n_c: int) -> float:
    if not (sd_t >= 0 and sd_c >= 0):
        raise ArgumentError(f"sd_treated={sd_t!r} and sd_control={sd_c!r} must be non-negative numbers")
    pooled = float(np.sqrt(((n_t - 1) * sd_t ** 2 + (n_c - 1) * sd_c ** 2) / (n_t + n_c - 2)))
    if not pooled > 0:
        raise EstimationError("both groups have zero spread, so the pooled SD is 0 and no standardised "
                              "difference exists; check the outcome column")
    return pooled


def _g_std_error(g: float, n_t: int, n_c: int) -> float:
    return float(np.sqrt((n_t + n_c) / (n_t * n_c) + g ** 2 / (2.0 * (n_t + n_c))))


def hedges_g_from_summary(*, mean_treated: float, mean_control: float, sd_treated: float, sd_control: float,
                          n_treated: int, n_control: int, level: float = 0.95) -> EffectSize:
    """Hedges' g (WWC) from group means, SDs and sizes.

    Parameters
    ----------
    mean_treated, mean_control
        Group means (unadjusted).
    sd_treated, sd_control
        Within-group standard deviations (denominator ``n - 1``).
    n_treated, n_control
        Group sizes.
    level
        Level of the normal interval in ``tidy()``.

    Returns
    -------
    EffectSize
        ``measure="hedges_g"``; ``treated_value``/``control_value`` are the means, ``scale`` the pooled SD.

    Notes
    -----
    .. math:: g = \\omega \\frac{\\bar y_T - \\bar y_C}{\\sqrt{\\frac{(n_T-1)s_T^2 + (n_C-1)s_C^2}{n_T+n_C-2}}},
              \\quad \\omega = 1 - \\frac{3}{4N-9}, \\quad
              SE(g) = \\sqrt{\\frac{n_T+n_C}{n_T n_C} + \\frac{g^2}{2(n_T+n_C)}}

    References
    ----------
    What Works Clearinghouse (2022). *Procedures and Standards Handbook, Version 5.0*, Appendix E (Hedges' g);
    What Works Clearinghouse (2020). *Procedures Handbook, Version 4.1*, Appendix E-F (standard error).
    Hedges, L. V. (1981). *Journal of Educational Statistics*, 6(2), 107-128.

    Examples
    --------
    >>> es = hedges_g_from_summary(mean_treated=52.0, mean_control=50.0, sd_treated=10.0, sd_control=10.0,
    ...                            n_treated=100, n_control=100)
    >>> round(es.estimate, 4), round(es.std_error, 4)
    (0.1992, 0.1418)
    """
    n_t, n_c = int(n_treated), int(n_control)
    _check_counts(n_t, n_c, level)
    pooled = _pooled_sd(float(sd_treated), float(sd_control), n_t, n_c)
    d = (float(mean_treated) - float(mean_control)) / pooled
    omega = small_sample_correction(n_t + n_c)
    g = omega * d
    return EffectSize("hedges_g", g, d, omega, _g_std_error(g, n_t, n_c), n_t, n_c, float(mean_treated),
                      float(mean_control), pooled, float(level), "Hedges' g (WWC), pooled within-group SD")


def _weighted_mean_sd(y: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    mean = float(np.average(y, weights=w))
    denom = w.sum() - (w ** 2).sum() / w.sum()
    if not denom > 0:
        raise EstimationError("a group has a single positive weight, so its weighted SD is undefined")
    return mean, float(np.sqrt((w * (y - mean) ** 2).sum() / denom))


def two_arms(data: pd.DataFrame, *, outcome: str, group: str, treated: object,
             extra: list[str] | tuple[str, ...] = ()) -> tuple[pd.DataFrame, np.ndarray]:
    """Rows with every used column present, and the mask of the treated arm; ``group`` must have two values.

    Examples
    --------
    >>> frame, arm = two_arms(pd.DataFrame({"y": [1.0, None, 3.0], "g": ["a", "b", "b"]}), outcome="y",
    ...                       group="g", treated="a")
    >>> len(frame), arm.tolist()
    (2, [True, False])
    """
    cols = [outcome, group, *extra]
    check_columns(data, cols, what="data")
    frame = data[cols].dropna()
    arms = pd.unique(frame[group])
    if len(arms) != 2 or treated not in set(arms):
        raise EstimationError(f"{group!r} has values {list(arms)}; expected exactly two, one of them "
                              f"treated={treated!r}")
    return frame, (frame[group] == treated).to_numpy()


def hedges_g(data: pd.DataFrame, *, outcome: str, group: str, treated: object, weights: str | None = None,
             level: float = 0.95) -> EffectSize:
    """Hedges' g (WWC) from one row an observation.

    Parameters
    ----------
    data
        Long data, one row a student.
    outcome
        Numeric outcome column.
    group
        Column with exactly two values: the treated value and the comparison value.
    treated
        The value of ``group`` that marks the treated group (e.g. ``"integrated"``).
    weights
        Optional column of non-negative sampling weights for the group means and SDs.  Group sizes stay the
        counts of rows, as the WWC uses them.
    level
        Level of the normal interval in ``tidy()``.

    Returns
    -------
    EffectSize

    Raises
    ------
    EstimationError
        When ``group`` does not have exactly two values including ``treated``.

    Notes
    -----
    Rows with a missing outcome, group or weight are dropped.  With weights :math:`w`, the group mean is
    :math:`\\sum w y / \\sum w` and the variance :math:`\\sum w (y - \\bar y)^2 / (\\sum w - \\sum w^2 / \\sum w)`,
    which is unchanged by rescaling the weights and equals the usual ``n - 1`` variance for equal weights.
    The formulas are those of :func:`hedges_g_from_summary`.

    References
    ----------
    What Works Clearinghouse (2022). *Procedures and Standards Handbook, Version 5.0*, Appendix E.

    Examples
    --------
    >>> frame = pd.DataFrame({"score": [5, 6, 7, 4, 5, 6], "program": ["ice"] * 3 + ["trad"] * 3})
    >>> round(hedges_g(frame, outcome="score", group="program", treated="ice").estimate, 6)
    0.8
    """
    frame, arm = two_arms(data, outcome=outcome, group=group, treated=treated,
                          extra=[weights] if weights is not None else [])
    y = frame[outcome].to_numpy(dtype=float)
    w = frame[weights].to_numpy(dtype=float) if weights is not None else np.ones_like(y)
    if not (np.all(np.isfinite(w)) and np.all(w >= 0)):
        raise ArgumentError(f"weights column {weights!r} must hold finite, non-negative numbers")
    _check_counts(int(arm.sum()), int((~arm).sum()), level)
    m_t, s_t = _weighted_mean_sd(y[arm], w[arm])
    m_c, s_c = _weighted_mean_sd(y[~arm], w[~arm])
    return hedges_g_from_summary(mean_treated=m_t, mean_control=m_c, sd_treated=s_t, sd_control=s_c,
                                 n_treated=int(arm.sum()), n_control=int((~arm).sum()), level=level)


def adjusted_g(difference: float, *, sd_treated: float, sd_control: float, n_treated: int, n_control: int,
               level: float = 0.95) -> EffectSize:
    """Covariate-adjusted Hedges' g: a model's adjusted mean difference over the pooled unadjusted SD (WWC).

    Parameters
    ----------
    difference
        Adjusted treated-minus-comparison difference, e.g. the program coefficient of a regression on
        baseline covariates.
    sd_treated, sd_control
        Unadjusted within-group outcome SDs (not residual SDs).
    n_treated, n_control
        Group sizes in the analysis sample.
    level
        Level of the normal interval in ``tidy()``.

    Returns
    -------
    EffectSize
        ``measure="adjusted_g"``; ``treated_value`` is the adjusted difference and ``control_value`` 0.

    Notes
    -----
    .. math:: g = \\omega \\frac{\\hat\\beta}{\\sqrt{\\frac{(n_T-1)s_T^2 + (n_C-1)s_C^2}{n_T+n_C-2}}}

    with the standard error of :func:`hedges_g_from_summary`.  Standardising by the residual SD would inflate
    the effect; the WWC uses the unadjusted pooled SD so that adjusted and unadjusted g share a scale.

    References
    ----------
    What Works Clearinghouse (2022). *Procedures and Standards Handbook, Version 5.0*, Appendix E
    (effect sizes from covariate-adjusted mean differences).

    Examples
    --------
    >>> round(adjusted_g(2.0, sd_treated=10.0, sd_control=10.0, n_treated=100, n_control=100).estimate, 4)
    0.1992
    """
    es = hedges_g_from_summary(mean_treated=float(difference), mean_control=0.0, sd_treated=sd_treated,
                               sd_control=sd_control, n_treated=n_treated, n_control=n_control, level=level)
    return EffectSize("adjusted_g", es.estimate, es.uncorrected, es.correction, es.std_error, es.n_treated,
                      es.n_control, float(difference), 0.0, es.scale, es.ci_level,
                      "covariate-adjusted Hedges' g (WWC), adjusted difference / pooled unadjusted SD")
