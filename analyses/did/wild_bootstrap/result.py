"""The result of a wild cluster bootstrap test: frozen, documented, with ``tidy()``, ``summary()`` and ``to_dict()``.

Examples
--------
>>> res = WildBootstrapResult(term="treated", estimate=0.5, std_error=0.2, statistic=2.5, null=0.0,
...     p_value=0.04, ci_low=0.02, ci_high=0.98, level=0.95, p_value_type="symmetric",
...     bootstrap="restricted", weight_type="webb", draws=999, enumerated=False, seed=0, n_obs=500,
...     n_clusters=10, n_treated_clusters=5, invalid_draws=0, cr1_p_value=0.034, cr1_ci_low=0.05,
...     cr1_ci_high=0.95, warnings=(), t_boot=np.zeros(999))
>>> res.tidy()[["term", "estimate", "p_value", "ci_low", "ci_high", "n_clusters"]]
      term  estimate  p_value  ci_low  ci_high  n_clusters
0  treated       0.5     0.04    0.02     0.98        10.0
>>> "t_boot" in res.to_dict(), res.to_dict()["draws"]
(False, 999)
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np
import pandas as pd

from analyses.tidy import tidy_frame
from data_schema.json_safe import json_safe

__all__ = ["WildBootstrapResult"]

_WEIGHT_NAMES = {"rademacher": "Rademacher", "webb": "Webb six-point", "mammen": "Mammen", "normal": "normal"}


@dataclass(frozen=True, eq=False)
class WildBootstrapResult:
    """A wild cluster bootstrap-t test of one coefficient, with the interval from inverting it.

    Attributes
    ----------
    term
        Name of the tested coefficient.
    estimate
        Its (weighted) least-squares estimate :math:`\\hat\\beta_j`.
    std_error
        CR1 cluster-robust standard error (factor :math:`\\frac{n-1}{n-K}\\frac{G}{G-1}`, as fixest).
    statistic
        CR1 t-statistic :math:`(\\hat\\beta_j - r)/\\mathrm{se}` of the tested null value :math:`r`.
    null
        The null value :math:`r` of :math:`H_0: \\beta_j = r`.
    p_value
        Bootstrap p-value of :math:`H_0` (``p_value_type``; ties count as extreme).
    ci_low, ci_high
        Bootstrap confidence interval by test inversion: all :math:`r` whose bootstrap p-value exceeds
        ``1 - level``.  May be infinite (e.g. one treated cluster); NaN when not computed.
    level
        Confidence level of both intervals.
    p_value_type
        ``"symmetric"`` (share of :math:`|t^*| \\ge |t|`) or ``"equal-tailed"``.
    bootstrap
        ``"restricted"`` (WCR: null imposed on the bootstrap data) or ``"unrestricted"`` (WCU).
    weight_type
        Auxiliary distribution of the cluster draws: ``rademacher``, ``webb``, ``mammen`` or ``normal``.
    draws
        Bootstrap samples actually used: ``2**n_clusters`` when enumerated, else the ``B`` asked for.
    enumerated
        True when every Rademacher sign vector was used once (no Monte-Carlo error).
    seed
        Seed of the draws (irrelevant when enumerated).
    n_obs
        Observations (students) in the regression.
    n_clusters
        Clusters :math:`G`.
    n_treated_clusters
        Clusters where the tested regressor is non-zero; None when it is not a treatment indicator.
    invalid_draws
        Draws with an undefined bootstrap statistic (0/0) at the tested null, left out of the p-value.
    cr1_p_value
        For comparison: two-sided p-value of the CR1 t-statistic against :math:`t(G-1)`.
    cr1_ci_low, cr1_ci_high
        For comparison: CR1 interval :math:`\\hat\\beta_j \\pm t_{G-1,1-\\alpha/2}\\,\\mathrm{se}`.
    warnings
        Messages of the design warnings raised (one treated cluster, few treated clusters, Rademacher
        weights with few clusters); empty when none.
    t_boot
        The :math:`B` bootstrap t-statistics at the tested null (not part of ``to_dict()`` or ``tidy()``;
        the seed reproduces them).
    """

    term: str
    estimate: float
    std_error: float
    statistic: float
    null: float
    p_value: float
    ci_low: float
    ci_high: float
    level: float
    p_value_type: str
    bootstrap: str
    weight_type: str
    draws: int
    enumerated: bool
    seed: int | None
    n_obs: int
    n_clusters: int
    n_treated_clusters: int | None
    invalid_draws: int
    cr1_p_value: float
    cr1_ci_low: float
    cr1_ci_high: float
    warnings: tuple[str, ...]
    t_boot: np.ndarray = field(repr=False)

    @property
    def method(self) -> str:
        """One line naming the procedure, e.g. ``wild cluster bootstrap-t (WCR, Webb six-point, B=9999)``."""
        kind = "WCR" if self.bootstrap == "restricted" else "WCU"
        draws = f"all {self.draws} sign vectors" if self.enumerated else f"B={self.draws}"
        return f"wild cluster bootstrap-t ({kind}, {_WEIGHT_NAMES[self.weight_type]}, {draws}, CR1)"

    def tidy(self) -> pd.DataFrame:
        """One row: the CR1 estimate, standard error and t with the bootstrap p-value and interval.

        ``df`` is NaN (the reference distribution is the bootstrap one); extra columns give the null
        value, the bootstrap settings, the treated-cluster count and the CR1 ``t(G-1)`` comparison.
        """
        return tidy_frame([{
            "term": self.term, "estimate": self.estimate, "std_error": self.std_error,
            "statistic": self.statistic, "df": None, "p_value": self.p_value, "ci_low": self.ci_low,
            "ci_high": self.ci_high, "ci_level": self.level, "n_obs": self.n_obs, "n_clusters": self.n_clusters,
            "method": self.method, "null": self.null, "p_value_type": self.p_value_type,
            "bootstrap": self.bootstrap, "weight_type": self.weight_type, "draws": self.draws,
            "enumerated": self.enumerated, "n_treated_clusters": self.n_treated_clusters,
            "cr1_p_value": self.cr1_p_value, "cr1_ci_low": self.cr1_ci_low, "cr1_ci_high": self.cr1_ci_high,
        }])

    def summary(self) -> str:
        """Plain-text account for people: estimate, test, interval, the CR1 comparison and any warnings."""
        pct = f"{100 * self.level:g}%"
        treated = "" if self.n_treated_clusters is None else f", {self.n_treated_clusters} treated"
        lines = [
            f"Wild cluster bootstrap test of {self.term} = {self.null:g}",
            f"  {self.method}",
            f"  estimate {self.estimate:.6g}, CR1 standard error {self.std_error:.6g}, t = {self.statistic:.4f}",
            f"  bootstrap p-value ({self.p_value_type}) = {self.p_value:.4f}"
            + (f" ({self.invalid_draws} undefined draws left out)" if self.invalid_draws else ""),
            f"  {pct} bootstrap interval (test inversion): [{self.ci_low:.6g}, {self.ci_high:.6g}]",
            f"  for comparison, CR1 with t({self.n_clusters - 1}): p = {self.cr1_p_value:.4f}, "
            f"{pct} interval [{self.cr1_ci_low:.6g}, {self.cr1_ci_high:.6g}]",
            f"  {self.n_obs} observations in {self.n_clusters} clusters{treated}"
            + ("" if self.enumerated else f"; seed {self.seed}"),
        ]
        lines.extend(f"  warning: {message}" for message in self.warnings)
        return "\n".join(lines)

    def to_dict(self) -> dict[str, object]:
        """JSON-safe fields, ``method`` and ``ci_unbounded``; ``t_boot`` is left out.

        NaN and infinity become None, so ``ci_unbounded`` tells an infinite bound from one not computed.
        """
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "t_boot"}
        out["method"] = self.method
        out["ci_unbounded"] = bool(np.isinf(self.ci_low) or np.isinf(self.ci_high))
        return json_safe(out)  # type: ignore[return-value]
