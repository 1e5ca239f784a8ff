"""The result of a two-group effect size: Hedges' g, the Cox index or a covariate-adjusted g.

Examples
--------
>>> es = EffectSize("hedges_g", 0.8, 1.0, 0.8, 0.4, 3, 3, 6.0, 5.0, 1.0, 0.95, "WWC Hedges' g")
>>> round(es.improvement_index, 2)
28.81
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from scipy import stats

from analyses.tidy import tidy_frame
from data_schema.json_safe import json_safe

__all__ = ["EffectSize"]


@dataclass(frozen=True)
class EffectSize:
    """A standardised two-group difference with its small-sample correction, standard error and interval.

    Attributes
    ----------
    measure
        ``"hedges_g"``, ``"cox_index"`` or ``"adjusted_g"``.
    estimate
        The corrected effect size (``omega`` times ``uncorrected``).
    uncorrected
        The effect size before the small-sample correction (Cohen's d, or ``ln(OR) / 1.65``).
    correction
        The small-sample correction ``omega = 1 - 3 / (4N - 9)``.
    std_error
        Standard error of ``estimate`` (large-sample formula, see the function that made the result).
    n_treated, n_control
        Observations in the treated and comparison groups.
    treated_value, control_value
        Group means (``hedges_g``), proportions (``cox_index``), or for ``adjusted_g`` the adjusted
        difference and zero.
    scale
        The standardiser: pooled within-group SD, or 1.65 for the Cox index.
    ci_level
        Level of the normal interval in ``tidy()``.
    method
        The formula in words.
    """

    measure: str
    estimate: float
    uncorrected: float
    correction: float
    std_error: float
    n_treated: int
    n_control: int
    treated_value: float
    control_value: float
    scale: float
    ci_level: float
    method: str

    @property
    def improvement_index(self) -> float:
        """WWC improvement index ``100 Phi(estimate) - 50`` (percentile points)."""
        return float(100.0 * stats.norm.cdf(self.estimate) - 50.0)

    def tidy(self) -> pd.DataFrame:
        """One row: the effect size with its standard error, z statistic, normal interval and improvement index."""
        z = float(stats.norm.ppf(0.5 + self.ci_level / 2))
        stat = self.estimate / self.std_error
        row = {"term": self.measure, "estimate": self.estimate, "std_error": self.std_error, "statistic": stat,
               "p_value": float(2 * stats.norm.sf(abs(stat))), "ci_low": self.estimate - z * self.std_error,
               "ci_high": self.estimate + z * self.std_error, "ci_level": self.ci_level,
               "n_obs": self.n_treated + self.n_control, "method": self.method,
               "uncorrected": self.uncorrected, "correction": self.correction,
               "improvement_index": self.improvement_index}
        return tidy_frame([row])

    def summary(self) -> str:
        """The effect size as text."""
        row = self.tidy().iloc[0]
        return "\n".join([
            f"{self.method}: {self.estimate:.4f} (SE {self.std_error:.4f}; {self.ci_level:.0%} CI "
            f"{row['ci_low']:.4f} to {row['ci_high']:.4f})",
            f"uncorrected {self.uncorrected:.4f}, small-sample correction {self.correction:.4f}, "
            f"n treated {self.n_treated}, n comparison {self.n_control}",
            f"treated {self.treated_value:.4g}, comparison {self.control_value:.4g}, scale {self.scale:.4g}",
            f"improvement index {self.improvement_index:.2f} percentile points",
        ])

    def to_dict(self) -> dict:
        """JSON-safe dictionary of every field and the improvement index."""
        out = {k: getattr(self, k) for k in self.__dataclass_fields__}
        out["improvement_index"] = self.improvement_index
        return json_safe(out)
