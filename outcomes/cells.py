"""Indicator estimates and intervals from per-group statistics: counts, sums, moments and order statistics.

:func:`outcomes.summarise` reduces an indicator frame to a few numbers per group -- the count ``n`` and
the number of ones ``k`` of a proportion; ``n``, the mean and the sum of squared deviations of a mean;
``n``, the median and two order statistics of a median -- with numpy when the frame is a DataFrame, or
inside a query engine when it is an engine table (:mod:`outcomes.engine`).  Everything after that
reduction is here, shared by both paths, so the estimates, standard errors and intervals are computed by
the same code whichever backend did the counting.

Notes
-----
Proportion: :math:`\\hat p = k/n`, :math:`\\mathrm{se} = \\sqrt{\\hat p(1-\\hat p)/n}`, Wilson interval.
Mean: :math:`s = \\sqrt{\\mathrm{SS}/(n-1)}` with :math:`\\mathrm{SS} = \\sum (x - \\bar x)^2`,
:math:`\\mathrm{se} = s/\\sqrt n`, t interval (:mod:`outcomes.intervals` has the formulas).

*Pooling groups* (margins from cells; Chan, Golub & LeVeque 1983): for cells :math:`i` of a margin with
counts :math:`n_i`, means :math:`\\bar x_i` and sums of squared deviations :math:`\\mathrm{SS}_i`,
:math:`N = \\sum n_i`, :math:`\\bar x = \\sum n_i \\bar x_i / N` and
:math:`\\mathrm{SS} = \\sum \\mathrm{SS}_i + \\sum n_i (\\bar x_i - \\bar x)^2`; no difference of large
sums is taken, so the result is as accurate as a second pass over the rows.

References
----------
Chan, T. F., Golub, G. H., & LeVeque, R. J. (1983). Algorithms for computing the sample variance:
analysis and recommendations. *The American Statistician*, 37(3), 242-247.

Examples
--------
>>> import numpy as np
>>> cols = proportion_columns(np.array([4]), np.array([3.0]), level=0.95)
>>> float(cols["estimate"][0]), round(float(cols["ci_low"][0]), 4)
(0.75, 0.3006)

Two cells, ``[0.5, 2.5]`` and ``[4, 5, 6]``, pooled into one group: the same as the five values at once.

>>> n, mean, ss = pool_moments(np.array([2, 3]), np.array([3.0, 15.0]), np.array([2.0, 2.0]),
...                            np.array([0, 0]), 1)
>>> values = np.array([0.5, 2.5, 4, 5, 6])
>>> n.tolist(), mean.tolist(), round(float(ss[0]), 12), round(float(((values - values.mean()) ** 2).sum()), 12)
([5], [3.6], 18.7, 18.7)
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from outcomes.indicators import Indicator
from outcomes.intervals import t_interval, wilson_interval

__all__ = ["MONTHS", "follow_up_key", "indicator_part", "margin_sets", "mean_columns", "median_columns",
           "pool_moments", "proportion_columns"]

MONTHS = "months_after_graduation"
"""The follow-up column: employment indicators are always reported per follow-up."""


def follow_up_key(indicator: Indicator, by: list[str]) -> list[str]:
    """``[MONTHS]`` for an employment indicator when ``by`` lacks it (pooling follow-ups counts people twice)."""
    return [MONTHS] if indicator.family == "employment" and MONTHS not in by else []


def proportion_columns(n: np.ndarray, k: np.ndarray, *, level: float) -> dict:
    """Estimate, binomial standard error and Wilson interval of ``k`` ones out of ``n`` per group.

    Parameters
    ----------
    n, k
        Students in the indicator's population and those with the outcome, per group.
    level
        Confidence level.

    Returns
    -------
    dict
        The summary columns ``n``, ``numerator``, ``estimate``, ``std_error``, ``ci_low``, ``ci_high``,
        ``method``.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        se = np.sqrt(p * (1 - p) / n)
    low, high = wilson_interval(k, n, level=level)
    return {"n": n, "numerator": k, "estimate": p, "std_error": se, "ci_low": low, "ci_high": high,
            "method": "Wilson score"}


def mean_columns(n: np.ndarray, mean: np.ndarray, ss: np.ndarray, *, level: float) -> dict:
    """Mean, its standard error and t interval per group from ``n``, the mean and the squared deviations.

    Parameters
    ----------
    n, mean, ss
        Count, mean and sum of squared deviations from the mean, per group.
    level
        Confidence level.

    Returns
    -------
    dict
        The summary columns (``numerator`` NaN).
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        sd = np.sqrt(ss / (n - 1))
        se = sd / np.sqrt(n)
    low, high = t_interval(mean, sd, n, level=level)
    return {"n": n, "numerator": np.full(len(n), np.nan), "estimate": mean, "std_error": se, "ci_low": low,
            "ci_high": high, "method": "t"}


def median_columns(n: np.ndarray, median: np.ndarray, low: np.ndarray, high: np.ndarray) -> dict:
    """The summary columns of a median with its distribution-free interval (no standard error)."""
    return {"n": n, "numerator": np.full(len(n), np.nan), "estimate": median, "std_error": np.full(len(n), np.nan),
            "ci_low": low, "ci_high": high, "method": "order statistics"}


def pool_moments(n: np.ndarray, total: np.ndarray, ss: np.ndarray, codes: np.ndarray,
                 n_groups: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Count, mean and sum of squared deviations of groups of cells (see the module notes).

    Parameters
    ----------
    n, total, ss
        Per cell: count, sum of the values and sum of squared deviations from the cell's mean.
    codes
        The group of each cell, ``0 .. n_groups - 1``.
    n_groups
        Number of groups.

    Returns
    -------
    tuple of numpy.ndarray
        ``(n, mean, ss)`` per group; the mean is NaN for an empty group.
    """
    count = np.bincount(codes, weights=n, minlength=n_groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.bincount(codes, weights=total, minlength=n_groups) / count
        cell_mean = np.where(n > 0, total / np.where(n > 0, n, 1), 0.0)
    dev = np.where(n > 0, cell_mean - np.where(n > 0, mean[codes], 0.0), 0.0)
    pooled = np.bincount(codes, weights=ss, minlength=n_groups) + np.bincount(codes, weights=n * dev**2,
                                                                              minlength=n_groups)
    return count.astype(np.int64), mean, pooled


def margin_sets(by: list[str], margins: bool) -> list[list[str]]:
    """The grouping column sets of a table: ``by`` alone, or with margins every subset of ``by``.

    Examples
    --------
    >>> margin_sets(["program", "cohort"], True)
    [['program', 'cohort'], ['cohort'], ['program'], []]
    """
    if not margins:
        return [by]
    return [[c for c in by if c not in drop] for r in range(len(by) + 1) for drop in itertools.combinations(by, r)]


def indicator_part(labels: pd.DataFrame, name: str, cols: dict, *, level: float) -> pd.DataFrame:
    """One indicator's rows of the summary table: group labels, the summary columns, ``ci_level``.

    Groups without a student in the population are left out, unless the table has no grouping column
    (then its single row is kept, with ``n`` 0).
    """
    out = labels.reset_index(drop=True).assign(**cols, ci_level=level)
    out.insert(0, "indicator", name)
    return out[out["n"] > 0] if len(labels.columns) else out
