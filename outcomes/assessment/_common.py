"""Helpers shared by the assessment modules: score scaling, t inference and JSON-safe values.

Examples
--------
>>> import pandas as pd
>>> percent_of_max(pd.DataFrame({"score": [3.0, None], "max_score": [4.0, 4.0]}), "score", "max_score").tolist()
[75.0, nan]
>>> [round(float(v), 4) for v in t_inference(1.0, 0.5, 10.0, 0.95)]
[2.0, 0.0734, -0.1141, 2.1141]
>>> json_safe({"a": float("nan"), "b": (1, 2.5)})
{'a': None, 'b': [1, 2.5]}
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import stats

from data_schema.errors import ArgumentError, EstimationError
from data_schema.json_safe import json_safe

__all__ = ["TIDY_COLUMNS", "check_ci_level", "check_weights", "json_safe", "numeric", "percent_of_max", "t_inference"]

TIDY_COLUMNS = ("term", "estimate", "std_error", "statistic", "df", "p_value", "ci_low", "ci_high", "ci_level")
"""The fixed first columns of every ``tidy()`` table."""


def check_ci_level(ci_level: float) -> float:
    """Return ``ci_level`` as a float if it lies strictly between 0 and 1."""
    if isinstance(ci_level, bool) or not isinstance(ci_level, int | float) or not 0 < ci_level < 1:
        raise ArgumentError(f"ci_level={ci_level!r} must be a number strictly between 0 and 1, e.g. 0.95")
    return float(ci_level)


def numeric(values: pd.Series, column: str) -> pd.Series:
    """``values`` as float64 (missing values as NaN); an ``EstimationError`` if some are not numbers."""
    out = pd.to_numeric(values, errors="coerce").astype("float64")
    bad = out.isna() & values.notna()
    if bad.any():
        example = values[bad].iloc[0]
        raise EstimationError(
            f"column {column!r} has {int(bad.sum())} values that are not numbers (e.g. {example!r}). "
            f"Fix: correct them or set them missing."
        )
    return out


def percent_of_max(frame: pd.DataFrame, score: str, max_score: str) -> pd.Series:
    """``100 * score / max_score``; an ``EstimationError`` if a maximum is not positive."""
    top = numeric(frame[max_score], max_score)
    if (top <= 0).any():
        raise EstimationError(
            f"column {max_score!r} has {int((top <= 0).sum())} values <= 0; a maximum score must be positive. "
            f"Fix: correct them."
        )
    return 100.0 * numeric(frame[score], score) / top


def t_inference(estimate: ArrayLike, std_error: ArrayLike, df: float, ci_level: float) -> tuple[np.ndarray, ...]:
    """Return ``(statistic, p_value, ci_low, ci_high)`` of two-sided t tests of 0 with ``df`` degrees of freedom.

    Elementwise over arrays; NaN where the standard error is not positive or ``df`` is not.
    """
    est = np.asarray(estimate, dtype=float)
    se = np.asarray(std_error, dtype=float)
    ok = np.isfinite(se) & (se > 0) & (df > 0)
    statistic = np.where(ok, est / np.where(ok, se, 1.0), np.nan)
    p_value = 2 * stats.t.sf(np.abs(statistic), df) if df > 0 else np.full_like(statistic, np.nan)
    half = (float(stats.t.ppf(0.5 + ci_level / 2, df)) if df > 0 else np.nan) * np.where(ok, se, np.nan)
    return statistic, p_value, est - half, est + half


def check_weights(weights: Mapping[str, float] | None, names: Sequence[str], *, what: str,
                  argument: str, among: str = "") -> dict[str, float]:
    """Equal weights for ``names`` when ``weights`` is None; otherwise one finite weight >= 0 for each, not all 0."""
    if weights is None:
        return dict.fromkeys(names, 1.0)
    missing = [n for n in names if n not in weights]
    if missing:
        raise ArgumentError(f"{argument} has no weight for {what}(s) {', '.join(map(repr, missing))}; give every "
                            f"{what} a weight (0 leaves one out)")
    bad = {k: v for k, v in weights.items() if not (np.isfinite(float(v)) and float(v) >= 0)}
    if bad:
        raise ArgumentError(f"{argument} must be finite and >= 0; received {bad!r}")
    if not any(float(weights[n]) > 0 for n in names):
        raise ArgumentError(f"every {what}{among} has weight 0; give at least one {what} a positive weight")
    return {k: float(v) for k, v in weights.items()}
