"""The Benjamini-Hochberg correction across the outcomes of one domain, as the WWC applies it.

Examples
--------
>>> benjamini_hochberg([0.01, 0.04, 0.03])["p_adjusted"].round(3).tolist()
[0.03, 0.04, 0.04]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from data_schema.errors import ArgumentError

__all__ = ["benjamini_hochberg"]


def benjamini_hochberg(p_values: Sequence[float] | np.ndarray | pd.Series, alpha: float = 0.05) -> pd.DataFrame:
    """Benjamini-Hochberg adjusted p-values and decisions for the outcomes of one domain.

    Parameters
    ----------
    p_values
        One p-value an outcome.  A Series keeps its index (e.g. outcome names) in the result.
    alpha
        False discovery rate.

    Returns
    -------
    pandas.DataFrame
        In the input order: ``p_value``, ``rank`` (1 = smallest), ``critical_value`` (``rank alpha / m``),
        ``p_adjusted`` and ``reject``.

    Notes
    -----
    With :math:`m` p-values sorted :math:`p_{(1)} \\le \\dots \\le p_{(m)}`, the adjusted values are

    .. math:: \\tilde p_{(i)} = \\min_{j \\ge i} \\min\\left(1, \\frac{m\\,p_{(j)}}{j}\\right)

    and an outcome is significant when :math:`\\tilde p \\le \\alpha` (equivalently, when its rank is at most
    the largest :math:`i` with :math:`p_{(i)} \\le i\\alpha/m`).  Ties get consecutive ranks in input order.

    References
    ----------
    Benjamini, Y., & Hochberg, Y. (1995). Controlling the false discovery rate. *Journal of the Royal
    Statistical Society B*, 57(1), 289-300.
    What Works Clearinghouse (2022). *Procedures and Standards Handbook, Version 5.0*, Appendix E
    (Benjamini-Hochberg correction for multiple comparisons within a domain).

    Examples
    --------
    >>> out = benjamini_hochberg(pd.Series({"gpa": 0.012, "hsk": 0.030, "retention": 0.20}))
    >>> out["reject"].tolist()
    [True, True, False]
    """
    index = p_values.index if isinstance(p_values, pd.Series) else None
    p = np.asarray(p_values, dtype=float).ravel()
    if p.size == 0 or not np.all((p >= 0) & (p <= 1)):
        raise ArgumentError(f"p_values={list(p)!r}; expected one or more numbers in [0, 1] (no missing values)")
    if not 0.0 < float(alpha) < 1.0:
        raise ArgumentError(f"alpha={alpha!r} must lie strictly between 0 and 1, e.g. 0.05")
    m = p.size
    order = np.argsort(p, kind="stable")
    ranks = np.empty(m, dtype=int)
    ranks[order] = np.arange(1, m + 1)
    scaled = p[order] * m / np.arange(1, m + 1)
    adjusted_sorted = np.minimum(np.minimum.accumulate(scaled[::-1])[::-1], 1.0)
    adjusted = np.empty(m)
    adjusted[order] = adjusted_sorted
    return pd.DataFrame({"p_value": p, "rank": ranks, "critical_value": ranks * float(alpha) / m,
                         "p_adjusted": adjusted, "reject": adjusted <= float(alpha)}, index=index)
