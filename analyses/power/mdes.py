"""Minimum detectable effect size and power of a planned study, closed form (PowerUp!; Bloom 2006).

Examples
--------
>>> out = mdes("cra2r2", n=15, J=20, rho2=0.17)
>>> round(out.effect_size, 3), out.df
(0.629, 18)
>>> round(power("cra2r2", es=out.effect_size, n=15, J=20, rho2=0.17).power, 10)
0.8
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from analyses.power.designs import Design, DesignVariance, design_variance
from analyses.tidy import tidy_frame
from data_schema.errors import ArgumentError
from data_schema.json_safe import json_safe

__all__ = ["PowerResult", "mdes", "power"]


@dataclass(frozen=True)
class PowerResult:
    """MDES and power of one design at one set of design parameters.

    Attributes
    ----------
    design
        PowerUpR design name.
    label
        The design in words.
    solved_for
        ``"mdes"`` when the effect size was solved for a power, ``"power"`` when power was computed for an effect.
    effect_size
        The minimum detectable effect size (``solved_for == "mdes"``) or the effect size given, in outcome SDs.
    power
        The requested power (``"mdes"``) or the computed power (``"power"``).
    alpha
        Type I error rate.
    two_tailed
        Whether the test is two-tailed (critical value :math:`t_{1-\\alpha/2}`) or one-tailed.
    df
        Degrees of freedom of the t test.
    t_critical
        Critical value of the test.
    multiplier
        :math:`M = t_{critical} + t_{power}`; the MDES is ``multiplier * std_error``.
    std_error
        Standard error of the impact estimate in outcome SDs.
    ci_low, ci_high
        ``effect_size -/+ t_critical * std_error``, the interval PowerUpR prints beside the MDES.
    n_obs
        Individuals in the design.
    n_clusters
        Units randomized (``nan`` for individual assignment).
    parameters
        The design arguments used, as ``(name, value)`` pairs.
    """

    design: str
    label: str
    solved_for: str
    effect_size: float
    power: float
    alpha: float
    two_tailed: bool
    df: int
    t_critical: float
    multiplier: float
    std_error: float
    ci_low: float
    ci_high: float
    n_obs: float
    n_clusters: float
    parameters: tuple[tuple[str, float], ...]

    def tidy(self) -> pd.DataFrame:
        """Two rows: ``effect_size`` (estimate, SE, noncentrality as statistic, df, interval) and ``power``."""
        what = "minimum detectable effect size" if self.solved_for == "mdes" else "effect size given"
        source = "closed form" if self.design.startswith("did_") else "PowerUp!"
        method = f"{source} {self.design} ({self.label}); {what}"
        common = {"df": self.df, "n_obs": self.n_obs, "n_clusters": self.n_clusters, "method": method,
                  "alpha": self.alpha, "multiplier": self.multiplier, "t_critical": self.t_critical}
        return tidy_frame([
            {"term": "effect_size", "estimate": self.effect_size, "std_error": self.std_error,
             "statistic": self.effect_size / self.std_error, "ci_low": self.ci_low, "ci_high": self.ci_high,
             "ci_level": 1.0 - self.alpha, **common},
            {"term": "power", "estimate": self.power, **common},
        ])

    def summary(self) -> str:
        """The design, its parameters and the MDES or power, as text."""
        tails = "two-tailed" if self.two_tailed else "one-tailed"
        params = ", ".join(f"{k}={v:g}" for k, v in self.parameters)
        level = f"{100 * (1 - self.alpha):g}%"
        if self.solved_for == "mdes":
            head = (f"MDES = {self.effect_size:.4g} SD ({level} CI {self.ci_low:.4g} to {self.ci_high:.4g}) "
                    f"with power {self.power:.4g}")
        else:
            head = f"Power = {self.power:.4g} to detect an effect of {self.effect_size:.4g} SD"
        return "\n".join([f"{self.design}: {self.label}", f"  parameters: {params}", f"  {head}",
                          f"  {tails} alpha = {self.alpha:g}, df = {self.df}, t critical = {self.t_critical:.4f}, "
                          f"multiplier = {self.multiplier:.4f}, standard error = {self.std_error:.4g}"])

    def to_dict(self) -> dict:
        """JSON-safe dictionary of every field."""
        out = {k: getattr(self, k) for k in self.__dataclass_fields__}
        out["parameters"] = dict(self.parameters)
        return json_safe(out)


def _check_level(name: str, value: float) -> None:
    if not np.isfinite(value) or not 0.0 < value < 1.0:
        raise ArgumentError(f"{name}={value!r} must lie strictly between 0 and 1 (e.g. 0.05 for alpha, 0.8 for power)")


def _t_critical(alpha: float, df: int, two_tailed: bool) -> float:
    return float(stats.t.ppf(1.0 - (alpha / 2.0 if two_tailed else alpha), df))


def _result(spec: DesignVariance, solved_for: str, es: float, pw: float, alpha: float, two_tailed: bool,
            t_crit: float) -> PowerResult:
    se = float(np.sqrt(spec.variance))
    return PowerResult(design=spec.design, label=spec.label, solved_for=solved_for, effect_size=float(es),
                       power=float(pw), alpha=float(alpha), two_tailed=bool(two_tailed), df=spec.df,
                       t_critical=t_crit, multiplier=float(es / se) if solved_for == "mdes"
                       else t_crit + float(stats.t.ppf(pw, spec.df)), std_error=se,
                       ci_low=float(es - t_crit * se), ci_high=float(es + t_crit * se), n_obs=spec.n_obs,
                       n_clusters=spec.n_clusters, parameters=spec.parameters)


def mdes(design: Design, *, n: float, J: float | None = None, K: float | None = None, rho2: float = 0.0,
         rho3: float = 0.0, omega3: float = 0.0, r2_level1: float = 0.0, r2_level2: float = 0.0,
         r2_level3: float = 0.0, r2_treatment3: float = 0.0, g: int = 0, p: float = 0.5, power: float = 0.8,
         alpha: float = 0.05, two_tailed: bool = True) -> PowerResult:
    """Minimum detectable effect size of a PowerUp! design.

    Parameters
    ----------
    design
        ``"ira1r1"``, ``"cra2r2"``, ``"cra3r3"`` or ``"bcra3r2"``.
    n, J, K, rho2, rho3, omega3, r2_level1, r2_level2, r2_level3, r2_treatment3, g, p
        Design arguments; see :func:`analyses.power.designs.design_variance`.
    power
        Required probability of detecting the effect.
    alpha
        Type I error rate.
    two_tailed
        Two-tailed (default) or one-tailed test.

    Returns
    -------
    PowerResult
        ``solved_for == "mdes"``.

    Raises
    ------
    ArgumentError
        For a design argument out of range or a missing sample size.
    EstimationError
        When the design leaves no degree of freedom.

    Notes
    -----
    :math:`MDES = M \\sqrt{V}` with :math:`M = t_{1-\\alpha/2,\\,df} + t_{power,\\,df}` (two-tailed;
    :math:`t_{1-\\alpha}` one-tailed) and :math:`V` the design's variance in outcome SD units (Bloom 1995, 2006;
    Dong & Maynard 2013, eq. 1).

    References
    ----------
    Dong, N., & Maynard, R. (2013). PowerUp!: A tool for calculating minimum detectable effect sizes and minimum
    required sample sizes for experimental and quasi-experimental design studies. *Journal of Research on
    Educational Effectiveness*, 6(1), 24-67.

    Bloom, H. S. (2006). The core analytics of randomized experiments for social research. MDRC Working Papers
    on Research Methodology.

    Examples
    --------
    >>> out = mdes("cra3r3", n=15, J=3, K=60, rho3=0.06, rho2=0.17)
    >>> round(out.effect_size, 3), out.df
    (0.269, 58)
    """
    _check_level("power", power)
    _check_level("alpha", alpha)
    spec = design_variance(design, n=n, J=J, K=K, rho2=rho2, rho3=rho3, omega3=omega3, r2_level1=r2_level1,
                           r2_level2=r2_level2, r2_level3=r2_level3, r2_treatment3=r2_treatment3, g=g, p=p)
    t_crit = _t_critical(alpha, spec.df, two_tailed)
    multiplier = t_crit + float(stats.t.ppf(power, spec.df))
    return _result(spec, "mdes", multiplier * np.sqrt(spec.variance), power, alpha, two_tailed, t_crit)


def power(design: Design, *, es: float, n: float, J: float | None = None, K: float | None = None,
          rho2: float = 0.0, rho3: float = 0.0, omega3: float = 0.0, r2_level1: float = 0.0,
          r2_level2: float = 0.0, r2_level3: float = 0.0, r2_treatment3: float = 0.0, g: int = 0, p: float = 0.5,
          alpha: float = 0.05, two_tailed: bool = True) -> PowerResult:
    """Power of a PowerUp! design to detect an effect of ``es`` outcome standard deviations.

    Parameters
    ----------
    design
        ``"ira1r1"``, ``"cra2r2"``, ``"cra3r3"`` or ``"bcra3r2"``.
    es
        Effect size in outcome standard deviations (its sign is ignored).
    n, J, K, rho2, rho3, omega3, r2_level1, r2_level2, r2_level3, r2_treatment3, g, p
        Design arguments; see :func:`analyses.power.designs.design_variance`.
    alpha
        Type I error rate.
    two_tailed
        Two-tailed (default) or one-tailed test.

    Returns
    -------
    PowerResult
        ``solved_for == "power"``.

    Raises
    ------
    ArgumentError
        For a non-finite effect size or a design argument out of range.
    EstimationError
        When the design leaves no degree of freedom.

    Notes
    -----
    :math:`power = F_{t,df}(|es|/\\sqrt{V} - t_{1-\\alpha/2,\\,df})`, the exact inverse of the MDES formula:
    as in Bloom's (1995, 2006) MDES convention the rejections in the opposite tail are ignored (for a
    two-tailed test they add at most :math:`\\alpha/2`, and far less once power is material).

    References
    ----------
    Bloom, H. S. (1995). Minimum detectable effects: A simple way to report the statistical power of
    experimental designs. *Evaluation Review*, 19(5), 547-556.

    Dong, N., & Maynard, R. (2013). PowerUp!. *Journal of Research on Educational Effectiveness*, 6(1), 24-67.

    Examples
    --------
    >>> round(power("ira1r1", es=0.25, n=400).power, 3)
    0.703
    """
    _check_level("alpha", alpha)
    if not np.isfinite(es):
        raise ArgumentError(f"es={es!r} must be a finite effect size in outcome standard deviations")
    spec = design_variance(design, n=n, J=J, K=K, rho2=rho2, rho3=rho3, omega3=omega3, r2_level1=r2_level1,
                           r2_level2=r2_level2, r2_level3=r2_level3, r2_treatment3=r2_treatment3, g=g, p=p)
    t_crit = _t_critical(alpha, spec.df, two_tailed)
    pw = float(stats.t.cdf(abs(es) / np.sqrt(spec.variance) - t_crit, spec.df))
    return _result(spec, "power", abs(es), pw, alpha, two_tailed, t_crit)
