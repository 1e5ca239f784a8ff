"""How the documents print numbers: counts, percentages, percentage points, SDs, p-values and intervals.

Every number a document shows goes through one of these functions, so that one rule holds everywhere:
a true minus sign (U+2212), thousands separators in counts, ``"< 0.001"`` for small p-values, intervals
as ``[a, b]`` and a missing value as ``"n/a"`` (never ``"nan"``).  A cell hidden by small-cell
suppression is not missing: the table builder shows :data:`SUPPRESSED` for it instead.

Examples
--------
>>> fmt_count(3840), fmt_percent(0.8679), fmt_points(-1.7754), fmt_sd(0.4602)
('3,840', '86.8%', '−1.8', '0.46')
>>> fmt_p(0.0004), fmt_p(0.20102), fmt_p(float("nan"))
('< 0.001', '0.201', 'n/a')
>>> fmt_interval(-1.7754, 7.7794), fmt_estimate(2.7831, -1.7754, 7.7794)
('[−1.8, 7.8]', '2.8 [−1.8, 7.8]')
>>> fmt_interval(0.681, 0.892, percent=True)
'[68.1%, 89.2%]'
"""

from __future__ import annotations

import math
from collections.abc import Iterable

__all__ = [
    "MINUS",
    "NOT_AVAILABLE",
    "SUPPRESSED",
    "digits_for",
    "fmt_count",
    "fmt_estimate",
    "fmt_interval",
    "fmt_number",
    "fmt_p",
    "fmt_percent",
    "fmt_points",
    "fmt_sd",
    "fmt_signed",
    "is_number",
]

MINUS = "\u2212"
"""The minus sign every negative number is printed with."""
SUPPRESSED = "\u2014"
"""What a cell hidden by small-cell suppression shows (an em dash)."""
NOT_AVAILABLE = "n/a"
"""What a value that does not exist shows (a test that could not be computed, a missing bound)."""


def is_number(value: object) -> bool:
    """Whether ``value`` is a finite real number (not None, NaN, infinite, text or a bool).

    Examples
    --------
    >>> is_number(1.5), is_number(float("nan")), is_number(None), is_number(True)
    (True, False, False, False)
    """
    if isinstance(value, bool) or value is None:
        return False
    try:
        return math.isfinite(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


def _minus(text: str) -> str:
    return text.replace("-", MINUS)


def fmt_number(value: object, digits: int = 2) -> str:
    """``value`` with ``digits`` decimals, thousands separators and a true minus sign.

    Examples
    --------
    >>> fmt_number(12345.678, 1), fmt_number(-0.5, 2), fmt_number(None)
    ('12,345.7', '−0.50', 'n/a')
    """
    if not is_number(value):
        return NOT_AVAILABLE
    x = float(value)  # type: ignore[arg-type]
    text = f"{x:,.{digits}f}"
    if float(text.replace(",", "")) == 0.0:
        text = text.lstrip("-")
    return _minus(text)


def fmt_signed(value: object, digits: int = 2) -> str:
    """Like :func:`fmt_number` with a plus sign on positive values (``+0.13``)."""
    text = fmt_number(value, digits)
    if is_number(value) and not text.startswith(MINUS) and float(value) != 0.0:  # type: ignore[arg-type]
        return "+" + text
    return text


def fmt_count(value: object) -> str:
    """A count of students or rows: a whole number with thousands separators.

    Examples
    --------
    >>> fmt_count(1946.0), fmt_count(float("nan"))
    ('1,946', 'n/a')
    """
    if not is_number(value):
        return NOT_AVAILABLE
    return f"{round(float(value)):,d}"  # type: ignore[arg-type]


def fmt_percent(value: object, digits: int = 1) -> str:
    """A proportion (0 to 1) as a percentage: ``0.868`` -> ``"86.8%"``."""
    if not is_number(value):
        return NOT_AVAILABLE
    return fmt_number(100.0 * float(value), digits) + "%"  # type: ignore[arg-type]


def fmt_points(value: object, digits: int = 1) -> str:
    """A difference already in percentage points (``2.78`` -> ``"2.8"``); the unit is said in the text."""
    return fmt_number(value, digits)


def fmt_sd(value: object, digits: int = 2) -> str:
    """An effect size in standard deviations (``0.4602`` -> ``"0.46"``)."""
    return fmt_number(value, digits)


def fmt_p(value: object) -> str:
    """A p-value: three decimals, ``"< 0.001"`` below 0.001 and ``"> 0.999"`` above 0.999.

    Examples
    --------
    >>> fmt_p(0.0351), fmt_p(1.0)
    ('0.035', '> 0.999')
    """
    if not is_number(value):
        return NOT_AVAILABLE
    p = float(value)  # type: ignore[arg-type]
    if p < 0.001:
        return "< 0.001"
    if p > 0.999:
        return "> 0.999"
    return f"{p:.3f}"


def _bound(value: object, digits: int, percent: bool) -> str:
    if value is not None and not isinstance(value, bool):
        try:
            x = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return NOT_AVAILABLE
        if math.isinf(x):
            return "unbounded"
    return fmt_percent(value, digits) if percent else fmt_number(value, digits)


def fmt_interval(low: object, high: object, digits: int = 1, *, percent: bool = False) -> str:
    """An interval as ``[low, high]``; ``percent`` prints proportions as percentages.

    Examples
    --------
    >>> fmt_interval(float("-inf"), 2.0)
    '[unbounded, 2.0]'
    """
    if not is_number(low) and not is_number(high) and not _infinite(low) and not _infinite(high):
        return NOT_AVAILABLE
    return f"[{_bound(low, digits, percent)}, {_bound(high, digits, percent)}]"


def _infinite(value: object) -> bool:
    try:
        return math.isinf(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


def fmt_estimate(estimate: object, low: object, high: object, digits: int = 1, *, percent: bool = False) -> str:
    """An estimate followed by its interval: ``"2.8 [−1.8, 7.8]"``."""
    head = fmt_percent(estimate, digits) if percent else fmt_number(estimate, digits)
    if head == NOT_AVAILABLE:
        return NOT_AVAILABLE
    interval = fmt_interval(low, high, digits, percent=percent)
    return head if interval == NOT_AVAILABLE else f"{head} {interval}"


def digits_for(values: Iterable[object], *, least: int = 1, most: int = 3) -> int:
    """Decimals that show the values to about three significant digits (between ``least`` and ``most``).

    Examples
    --------
    >>> digits_for([3.43, 4.09]), digits_for([67.6, 73.1]), digits_for([0.021, 0.137]), digits_for([])
    (2, 1, 3, 1)
    """
    finite = [abs(float(v)) for v in values if is_number(v)]  # type: ignore[arg-type]
    if not finite:
        return least
    largest = max(finite)
    if largest >= 10:
        wanted = 1
    elif largest >= 1:
        wanted = 2
    else:
        wanted = 3
    return max(least, min(most, wanted))
