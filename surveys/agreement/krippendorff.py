"""Krippendorff's alpha for any number of raters, missing values and four levels of measurement.

Examples
--------
>>> import numpy as np
>>> wiki = [[np.nan, np.nan, np.nan, np.nan, np.nan, 3, 4, 1, 2, 1, 1, 3, 3, np.nan, 3],
...         [1, np.nan, 2, 1, 3, 3, 4, 3, np.nan, np.nan, np.nan, np.nan, np.nan, np.nan, np.nan],
...         [np.nan, np.nan, 2, 1, 3, 4, 4, np.nan, 2, 1, 1, 3, 3, np.nan, 4]]
>>> f"{krippendorff_alpha_from_matrix(wiki, level='nominal', n_boot=0).estimate:.6f}"
'0.691358'
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from scipy import sparse

from data_schema.arguments import check_choice, check_columns
from data_schema.errors import EstimationError
from surveys.agreement._bootstrap import percentile_interval, resample_counts, resolve_seed
from surveys.agreement._inputs import check_ci_level, check_n_boot, factorize, long_to_grid, numeric_values, plain
from surveys.agreement.results import KrippendorffAlphaResult

__all__ = ["krippendorff_alpha", "krippendorff_alpha_from_matrix", "AlphaLevel"]

AlphaLevel = Literal["nominal", "ordinal", "interval", "ratio"]
_LEVELS: tuple[AlphaLevel, ...] = ("nominal", "ordinal", "interval", "ratio")


def krippendorff_alpha(
    data: pd.DataFrame,
    *,
    unit: str,
    rater: str,
    value: str,
    level: AlphaLevel = "nominal",
    n_boot: int = 2000,
    seed: int | None = None,
    ci_level: float = 0.95,
) -> KrippendorffAlphaResult:
    """Krippendorff's alpha of values that raters gave to units, missing values allowed.

    Parameters
    ----------
    data
        Long table, one row per (unit, rater) value; a rater who did not rate a unit has
        no row (or a missing value).
    unit, rater, value
        Columns holding the unit id, the rater id and the value.
    level
        Level of measurement, which sets the difference function: ``"nominal"`` (any
        labels), ``"ordinal"`` (numbers or an ordered categorical), ``"interval"``
        (numbers) or ``"ratio"`` (non-negative numbers).
    n_boot
        Bootstrap replicates for the percentile interval over units (0: no interval;
        else at least 100).
    seed
        Seed of the bootstrap; ``None`` draws one and records it in the result.
    ci_level
        Confidence level of the interval.

    Returns
    -------
    KrippendorffAlphaResult

    Raises
    ------
    EstimationError
        A (unit, rater) pair given twice, values of the wrong kind for ``level``, no unit
        with two values, no variation among the pairable values, or more than 1,000
        distinct values (round continuous ratings to the scale's steps, or use the ICC).

    Notes
    -----
    Following Krippendorff (2011): units with fewer than two values are not pairable
    and are dropped (counted in ``n_units_dropped``).  With :math:`n_{uc}` the number of
    values :math:`c` in unit :math:`u` and :math:`m_u = \\sum_c n_{uc}`, the coincidence
    matrix, its margins and the pairable total are

    .. math::

        o_{ck} = \\sum_u \\frac{n_{uc} n_{uk} - [c = k]\\, n_{uc}}{m_u - 1},\\quad
        n_c = \\sum_k o_{ck},\\quad n = \\sum_c n_c,

    and

    .. math::

        \\alpha = 1 - \\frac{D_o}{D_e} = 1 - (n - 1)
            \\frac{\\sum_{c,k} o_{ck}\\, \\delta^2_{ck}}{\\sum_{c,k} n_c n_k\\, \\delta^2_{ck}},

    with :math:`D_o = \\frac1n \\sum o_{ck} \\delta^2_{ck}` and
    :math:`D_e = \\frac{1}{n(n-1)} \\sum n_c n_k \\delta^2_{ck}`.  The difference functions are
    nominal :math:`[c \\ne k]`; ordinal :math:`(\\sum_{g=c}^{k} n_g - (n_c + n_k)/2)^2`,
    which equals :math:`(z_k - z_c)^2` with the mid-ranks :math:`z_g = \\sum_{h \\le g} n_h - n_g/2`;
    interval :math:`(c - k)^2`; ratio :math:`((c - k)/(c + k))^2`.

    *Bootstrap.*  The interval is the percentile bootstrap over units: pairable units are
    drawn with replacement and alpha is recomputed from scratch (for ordinal data with
    the mid-ranks of the replicate).  Units are grouped by their pattern of value counts
    and all replicates are evaluated by matrix products, with no loop over units.  This
    differs from the bootstrap of Hayes & Krippendorff (2007), which resamples pairs of
    values within the observed coincidences, keeps the expected disagreement fixed and
    reports the probability that alpha falls below a minimum; the units bootstrap here
    also reflects the sampling of units' marginal distribution.

    Checked against the examples of Krippendorff (2011) and Wikipedia as reproduced in
    the tests of the ``krippendorff`` package, and against that package on random data.

    References
    ----------
    Krippendorff, K. (2011). Computing Krippendorff's alpha-reliability. Annenberg School
    for Communication, University of Pennsylvania, Departmental Papers 43.

    Hayes, A. F., & Krippendorff, K. (2007). Answering the call for a standard reliability
    measure for coding data. *Communication Methods and Measures*, 1(1), 77-89.

    Examples
    --------
    >>> import pandas as pd
    >>> long = pd.DataFrame({
    ...     "essay": [1, 1, 1, 2, 2, 3, 3, 3, 4, 4, 5],
    ...     "coder": ["a", "b", "c", "a", "b", "a", "b", "c", "b", "c", "a"],
    ...     "band":  [3, 3, 4, 1, 1, 2, 2, 2, 4, 5, 2],
    ... })
    >>> result = krippendorff_alpha(long, unit="essay", rater="coder", value="band", level="interval", n_boot=0)
    >>> f"{result.estimate:.4f}", result.n_units, result.n_units_dropped
    ('0.8882', 4, 1)
    """
    check_choice("level", level, _LEVELS)
    check_columns(data, [unit, rater, value], what="data")
    grid = long_to_grid(data, row=unit, col=rater, row_name="unit", col_name="rater")
    codes, values = _value_codes(data[value], level, column=value)
    matrix = grid.place_codes(codes)
    return _alpha(matrix, values, level, n_boot, seed, ci_level)


def krippendorff_alpha_from_matrix(
    matrix: pd.DataFrame | np.ndarray | list,
    *,
    level: AlphaLevel = "nominal",
    n_boot: int = 2000,
    seed: int | None = None,
    ci_level: float = 0.95,
) -> KrippendorffAlphaResult:
    """Krippendorff's alpha of a raters x units reliability matrix, NaN (or None) where a value is missing.

    Parameters
    ----------
    matrix
        One row per rater (coder), one column per unit: Krippendorff's layout of
        reliability data.
    level, n_boot, seed, ci_level
        As in :func:`krippendorff_alpha`.

    Returns
    -------
    KrippendorffAlphaResult

    Notes
    -----
    See :func:`krippendorff_alpha` for the formulas.

    References
    ----------
    Krippendorff, K. (2011). Computing Krippendorff's alpha-reliability. Annenberg School
    for Communication, University of Pennsylvania, Departmental Papers 43.

    Examples
    --------
    >>> result = krippendorff_alpha_from_matrix([[1, 2, 3, 3], [1, 2, 3, 4]], level="ordinal", n_boot=0)
    >>> f"{result.estimate:.4f}"
    '0.9103'
    """
    check_choice("level", level, _LEVELS)
    array = matrix.to_numpy() if isinstance(matrix, pd.DataFrame) else np.asarray(matrix)
    if array.dtype.kind not in "fiub":  # text labels: keep None and NaN as missing, not as the text 'nan'
        array = matrix.to_numpy(dtype=object) if isinstance(matrix, pd.DataFrame) else np.asarray(matrix, dtype=object)
    if array.ndim != 2:
        raise EstimationError(f"matrix must be raters x units, got shape {array.shape}")
    n_raters, n_units = array.shape
    flat = pd.Series(array.T.ravel())
    if level != "nominal" and flat.dtype == object:
        try:
            flat = pd.to_numeric(flat, errors="raise")
        except (TypeError, ValueError):
            pass  # not numbers: _value_codes refuses them with the reason
    codes, values = _value_codes(flat, level, column="matrix")
    return _alpha(codes.reshape(n_units, n_raters), values, level, n_boot, seed, ci_level)


def _value_codes(series: pd.Series, level: str, *, column: str) -> tuple[np.ndarray, np.ndarray]:
    """Codes of the values (-1 where missing) and the distinct values in order."""
    if level == "ordinal" and isinstance(series.dtype, pd.CategoricalDtype):
        if not series.dtype.ordered:
            raise EstimationError(
                f"column {column!r} is an unordered categorical, which level='ordinal' cannot rank. "
                f"Fix: make it ordered (series.cat.as_ordered()) or use level='nominal'."
            )
        return series.cat.codes.to_numpy(dtype=np.int64), np.asarray(series.dtype.categories, dtype=object)
    if level != "nominal":
        numbers = numeric_values(series, column=column)
        if level == "ratio" and (numbers < 0).any():
            raise EstimationError(
                f"level='ratio' needs non-negative values with a true zero; column {column!r} has "
                f"{int((numbers < 0).sum())} negative values. Fix: use level='interval'."
            )
        series = pd.Series(numbers)
    codes, values = factorize(series)  # unsortable labels of mixed types can only be nominal
    return codes.astype(np.int64), np.asarray(values)


def _distances(level: str, values: np.ndarray, margins: np.ndarray) -> np.ndarray:
    """Squared difference function :math:`\\delta^2_{ck}` between the values."""
    if level == "nominal":
        return 1 - np.eye(values.size)
    if level == "ordinal":
        z = np.cumsum(margins) - margins / 2
        return np.subtract.outer(z, z) ** 2
    v = values.astype(float)
    diff = np.subtract.outer(v, v)
    if level == "interval":
        return diff**2
    total = np.add.outer(v, v)
    return np.divide(diff, total, out=np.zeros_like(diff), where=total != 0) ** 2


_MAX_VALUES = 1000
"""Most distinct values accepted (the coincidence matrix has this many squared cells)."""


def _patterns(matrix: np.ndarray, n_values: int) -> tuple[sparse.csr_array, np.ndarray, np.ndarray]:
    """Distinct patterns of value counts (sparse, patterns x values), each unit's pattern, pattern frequencies."""
    keys, group = np.unique(np.sort(matrix, axis=1), axis=0, return_inverse=True)
    rows, cols = np.nonzero(keys >= 0)
    patterns = sparse.coo_array((np.ones(rows.size), (rows, keys[rows, cols])), shape=(len(keys), n_values))
    return patterns.tocsr(), group.ravel(), np.bincount(group.ravel(), minlength=len(keys)).astype(float)


def _pairable(matrix: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Codes of the units with two or more values, recoded to the values they use; the units dropped."""
    pairable = (matrix >= 0).sum(axis=1) >= 2
    if not pairable.any():
        raise EstimationError(
            f"no unit has values from two or more raters (of {matrix.shape[0]} units), so nothing can be compared. "
            f"Fix: check the unit and rater columns."
        )
    codes = matrix[pairable]
    used = np.zeros(values.size, dtype=bool)
    used[codes[codes >= 0]] = True
    if used.sum() > _MAX_VALUES:
        raise EstimationError(
            f"the ratings take {int(used.sum())} distinct values; Krippendorff's alpha is computed from a "
            f"values x values coincidence matrix and is limited to {_MAX_VALUES} values. Fix: round the values "
            f"to the scale's steps, or use the ICC for continuous ratings."
        )
    recode = np.cumsum(used) - 1
    return np.where(codes >= 0, recode[np.maximum(codes, 0)], -1), values[used], int((~pairable).sum())


def _alpha(matrix: np.ndarray, values: np.ndarray, level: str, n_boot: int, seed: int | None,
           ci_level: float) -> KrippendorffAlphaResult:
    ci, n_boot, seed_used = check_ci_level(ci_level), check_n_boot(n_boot), resolve_seed(seed)
    codes, values, dropped = _pairable(matrix, values)
    patterns, group, freq = _patterns(codes, values.size)
    m = np.asarray(patterns.sum(axis=1)).ravel()
    margins = patterns.T @ freq
    n = float(margins.sum())
    scaled = patterns.multiply((freq / (m - 1))[:, None]).tocsr()
    coincidences = (scaled.T @ patterns).toarray() - np.diag(np.asarray(scaled.sum(axis=0)).ravel())
    delta = _distances(level, values, margins)
    observed = float((coincidences * delta).sum() / n)
    expected = float(margins @ delta @ margins / (n * (n - 1)))
    if expected == 0:
        raise EstimationError(
            f"every pairable value is the same ({plain(values[0])!r}): expected disagreement is zero and alpha is "
            f"undefined"
        )
    reps = np.empty(0)
    if n_boot:
        blocks = resample_counts(np.random.default_rng(seed_used), group, n_groups=len(freq), n_boot=n_boot)
        reps = np.concatenate([_alpha_of_weights(c, patterns, m, values, level) for c in blocks])
    low, high, boot_se, failed = percentile_interval(reps, ci)
    return KrippendorffAlphaResult(
        estimate=1 - observed / expected, level=level, observed_disagreement=observed,
        expected_disagreement=expected, values=tuple(v.item() if isinstance(v, np.generic) else v for v in values),
        coincidences=tuple(tuple(float(x) for x in row) for row in coincidences), n_units=int(codes.shape[0]),
        n_units_dropped=dropped, n_raters=int(matrix.shape[1]), n_pairable=n, std_error=boot_se,
        ci_low=low, ci_high=high, ci_level=ci, n_boot=n_boot, n_boot_failed=failed, seed=seed_used,
    )


def _alpha_of_weights(c: np.ndarray, patterns: sparse.csr_array, m: np.ndarray, values: np.ndarray,
                      level: str) -> np.ndarray:
    """Alpha of each row of ``c``, a bootstrap replicate given as counts of each unit pattern; NaN if undefined.

    For interval and ordinal data the difference is a squared distance between
    positions :math:`z` (the values, or the replicate's mid-ranks), and a unit's
    disagreement is :math:`\\sum_{c,k} n_c n_k (z_c - z_k)^2 = 2(m \\sum_c n_c z_c^2 - (\\sum_c n_c z_c)^2)`,
    so each block costs time in proportion to the number of values, not values squared.
    """
    margins = (patterns.T @ c.T).T
    n = c @ m
    if level in ("ordinal", "interval"):
        z = np.cumsum(margins, axis=1) - margins / 2 if level == "ordinal" else np.broadcast_to(
            values.astype(float), margins.shape)
        s1, s2 = patterns @ z.T, patterns @ (z**2).T
        observed = (c * (2 * (m[:, None] * s2 - s1**2) / (m - 1)[:, None]).T).sum(axis=1)
        spread = n * (margins * z**2).sum(axis=1)
        expected = 2 * (spread - (margins * z).sum(axis=1) ** 2)
        ok = expected > 1e-10 * spread
    else:
        delta = _distances(level, values, margins[0])
        observed = c @ (np.asarray(patterns.multiply(patterns @ delta).sum(axis=1)).ravel() / (m - 1))
        expected = ((margins @ delta) * margins).sum(axis=1)
        ok = expected > 0
    return np.where(ok, 1 - (n - 1) * observed / np.where(ok, expected, 1), np.nan)
