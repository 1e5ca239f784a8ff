"""The WWC Cox index: a standardised effect size for binary outcomes, from data and from proportions.

Examples
--------
>>> es = cox_index_from_summary(p_treated=0.6, p_control=0.5, n_treated=100, n_control=100)
>>> round(es.estimate, 4)
0.2448
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analyses.effects.hedges import small_sample_correction, two_arms
from analyses.effects.result import EffectSize
from data_schema.errors import ArgumentError, EstimationError

__all__ = ["COX_SCALE", "cox_index", "cox_index_from_summary"]

COX_SCALE = 1.65
"""The constant that puts a log odds ratio on the scale of a standardised mean difference (Cox 1970)."""


def cox_index_from_summary(*, p_treated: float, p_control: float, n_treated: int, n_control: int,
                           level: float = 0.95) -> EffectSize:
    """The Cox index (WWC) from the proportions with the outcome in each group.

    Parameters
    ----------
    p_treated, p_control
        Proportions with the outcome (e.g. employed, certified), strictly between 0 and 1.
    n_treated, n_control
        Group sizes.
    level
        Level of the normal interval in ``tidy()``.

    Returns
    -------
    EffectSize
        ``measure="cox_index"``; ``treated_value``/``control_value`` are the proportions, ``scale`` 1.65.

    Notes
    -----
    .. math:: d_{Cox} = \\omega\\,\\frac{\\ln\\frac{p_T/(1-p_T)}{p_C/(1-p_C)}}{1.65}, \\quad
              \\omega = 1 - \\frac{3}{4N - 9}

    The standard error is the delta-method one of the log odds ratio carried through the same scaling,
    :math:`SE = \\frac{\\omega}{1.65}\\sqrt{\\frac{1}{n_T p_T} + \\frac{1}{n_T(1-p_T)} + \\frac{1}{n_C p_C}
    + \\frac{1}{n_C(1-p_C)}}` (Sanchez-Meca et al. 2003).

    References
    ----------
    What Works Clearinghouse (2022). *Procedures and Standards Handbook, Version 5.0*, Appendix E
    (Cox index for dichotomous outcomes).
    Sanchez-Meca, J., Marin-Martinez, F., & Chacon-Moscoso, S. (2003). Effect-size indices for dichotomized
    outcomes in meta-analysis. *Psychological Methods*, 8(4), 448-467.

    Examples
    --------
    >>> es = cox_index_from_summary(p_treated=0.6, p_control=0.5, n_treated=100, n_control=100)
    >>> round(es.std_error, 4), round(es.improvement_index, 2)
    (0.1725, 9.67)
    """
    p_t, p_c, n_t, n_c = float(p_treated), float(p_control), int(n_treated), int(n_control)
    if n_t < 1 or n_c < 1 or n_t + n_c < 3:
        raise ArgumentError(f"n_treated={n_treated!r}, n_control={n_control!r}; need at least one observation a "
                            "group and three in all")
    if not 0.0 < float(level) < 1.0:
        raise ArgumentError(f"level={level!r} must lie strictly between 0 and 1, e.g. 0.95")
    if not (0.0 < p_t < 1.0 and 0.0 < p_c < 1.0):
        raise EstimationError(f"p_treated={p_treated!r}, p_control={p_control!r}; the Cox index needs both "
                              "proportions strictly between 0 and 1 (an odds of 0 or infinity has no log)")
    log_or = np.log(p_t / (1 - p_t)) - np.log(p_c / (1 - p_c))
    omega = small_sample_correction(n_t + n_c)
    se = omega / COX_SCALE * np.sqrt(1 / (n_t * p_t) + 1 / (n_t * (1 - p_t)) + 1 / (n_c * p_c)
                                     + 1 / (n_c * (1 - p_c)))
    return EffectSize("cox_index", float(omega * log_or / COX_SCALE), float(log_or / COX_SCALE), omega, float(se),
                      n_t, n_c, p_t, p_c, COX_SCALE, float(level), "Cox index (WWC), ln(odds ratio) / 1.65")


def cox_index(data: pd.DataFrame, *, outcome: str, group: str, treated: object, level: float = 0.95) -> EffectSize:
    """The Cox index (WWC) from one row an observation with a binary outcome.

    Parameters
    ----------
    data
        Long data, one row a student.
    outcome
        Binary outcome column (0/1 or booleans); 1/True is the event.
    group
        Column with exactly two values: the treated value and the comparison value.
    treated
        The value of ``group`` that marks the treated group.
    level
        Level of the normal interval in ``tidy()``.

    Returns
    -------
    EffectSize

    Raises
    ------
    EstimationError
        When ``group`` does not have two values, the outcome is not binary, or a group's proportion is 0 or 1.

    Notes
    -----
    Rows with a missing outcome or group are dropped; the formulas are those of
    :func:`cox_index_from_summary`.

    References
    ----------
    What Works Clearinghouse (2022). *Procedures and Standards Handbook, Version 5.0*, Appendix E.

    Examples
    --------
    >>> frame = pd.DataFrame({"employed": [1, 1, 0, 1, 0, 0, 1, 0],
    ...                       "program": ["ice"] * 4 + ["trad"] * 4})
    >>> round(cox_index(frame, outcome="employed", group="program", treated="ice").estimate, 4)
    1.158
    """
    frame, arm = two_arms(data, outcome=outcome, group=group, treated=treated)
    y = frame[outcome].to_numpy(dtype=float)
    if not np.all((y == 0) | (y == 1)):
        raise EstimationError(f"{outcome!r} has values other than 0 and 1; the Cox index needs a binary outcome")
    return cox_index_from_summary(p_treated=float(y[arm].mean()), p_control=float(y[~arm].mean()),
                                  n_treated=int(arm.sum()), n_control=int((~arm).sum()), level=level)
