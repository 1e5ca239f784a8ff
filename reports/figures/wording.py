"""Numbers and lists in the words of alt text and subtitles: the only place figures round.

Examples
--------
>>> decimals_for([0.012, -0.004]), decimals_for([0.31, 0.05]), decimals_for([12.5])
(3, 2, 1)
>>> fmt(-0.0004, 2), fmt(0.05, 2), fmt(float("nan"), 2)
('0.00', '0.05', 'not available')
>>> fmt_p(0.6412), fmt_p(0.0042), fmt_p(0.00001)
('p = 0.64', 'p = 0.004', 'p < 0.001')
>>> fmt_percent(0.6234), join_words(["a", "b", "c"])
('62.3%', 'a, b and c')
>>> fmt_test(0.5612, 3, 7.0)
'F(3, 7) = 0.56'
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np

__all__ = ["decimals_for", "fmt", "fmt_interval", "fmt_p", "fmt_percent", "fmt_test", "join_words", "plural"]


def decimals_for(values: Iterable[float]) -> int:
    """Decimals that show the finite ``values`` to about two significant digits of the largest."""
    finite = [abs(float(v)) for v in values if v is not None and math.isfinite(float(v))]
    largest = max(finite, default=0.0)
    if largest >= 100:
        return 0
    if largest >= 10:
        return 1
    return 2 if largest >= 0.1 or largest == 0 else 3


def fmt(value: float, decimals: int) -> str:
    """A number with ``decimals`` decimals (ASCII minus, no negative zero); ``"not available"`` for NaN."""
    if value is None or not math.isfinite(float(value)):
        return "not available"
    text = f"{float(value):.{decimals}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def fmt_interval(low: float, high: float, decimals: int) -> str:
    """``"95% CI a to b"`` (words, not a dash, so that negative bounds read clearly)."""
    return f"95% CI {fmt(low, decimals)} to {fmt(high, decimals)}"


def fmt_p(p: float) -> str:
    """A p-value as people read it: two decimals, three below 0.01, ``p < 0.001`` below that."""
    if p is None or not math.isfinite(float(p)):
        return "p not available"
    p = float(p)
    if p < 0.001:
        return "p < 0.001"
    return f"p = {p:.3f}" if p < 0.01 else f"p = {p:.2f}"


def fmt_percent(value: float, decimals: int = 1) -> str:
    """A proportion as a percentage."""
    if value is None or not math.isfinite(float(value)):
        return "not available"
    return f"{100 * float(value):.{decimals}f}%"


def fmt_test(statistic: float, df_numerator: float | None, df_denominator: float | None, *,
             distribution: str = "F") -> str:
    """A test statistic with its degrees of freedom, e.g. ``F(3, 7) = 0.56``."""
    dfs = [d for d in (df_numerator, df_denominator) if d is not None and np.isfinite(d)]
    shown = ", ".join(f"{d:g}" for d in dfs)
    stat = float(statistic)
    return f"{distribution}({shown}) = {fmt(stat, decimals_for([stat]))}" if shown else \
        f"{distribution} = {fmt(stat, decimals_for([stat]))}"


def join_words(items: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """``1 cell``, ``2 cells``."""
    return f"{count} {noun if count == 1 else (nouns or noun + 's')}"
