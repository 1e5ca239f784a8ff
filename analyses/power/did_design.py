"""Closed-form power and MDES of the staggered-adoption DiD design (two-way fixed effects, institutions as clusters).

The design is the one :func:`analyses.did.simulate_did` draws and :func:`analyses.power.did_power` simulates:
institutions (clusters) of programmes (fixed-effect units), cohorts (periods), an adoption schedule and the
variance components.  :func:`did_design_variance` gives the exact sampling variance of the TWFE estimate;
:func:`did_mdes` and :func:`did_power_closed_form` turn it into a minimum detectable effect size and a power
with the PowerUp! multiplier and ``G - 1`` degrees of freedom.

Examples
--------
>>> spec = did_design_variance(n_institutions=20, n_periods=6, students_per_cell=15)
>>> spec.df, spec.n_never, round(spec.std_error, 4)
(19, 6, 0.098)
>>> out = did_mdes(n_institutions=20, n_periods=6, students_per_cell=15)
>>> round(out.effect_size, 3), out.design
(0.289, 'did_twfe')
>>> round(did_power_closed_form(es=out.effect_size, n_institutions=20, n_periods=6, students_per_cell=15).power, 10)
0.8
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from analyses.power.mdes import PowerResult, _check_level, _t_critical
from analyses.power.simulation import did_outcome_sd
from analyses.tidy import tidy_frame
from data_schema.errors import ArgumentError
from data_schema.json_safe import json_safe

__all__ = ["DidDesignVariance", "did_design_variance", "did_mdes", "did_power_closed_form"]

_DESIGN = "did_twfe"
_LABEL = ("staggered-adoption difference-in-differences, two-way fixed effects (programme and cohort), "
          "institutions as clusters")
_NOISE_SCALE_MEAN_SQUARE = 13.0 / 12.0
"""E[s_c^2] for simulate_did's cluster noise factor s_c ~ Uniform(0.5, 1.5): Var + mean^2 = 1/12 + 1."""


@dataclass(frozen=True)
class DidDesignVariance:
    """Exact sampling variance of the TWFE DiD estimate under one adoption schedule and set of variance components.

    Attributes
    ----------
    design
        ``"did_twfe"``.
    label
        The design in words.
    variance
        Sampling variance of the TWFE estimate in outcome standard deviations (:func:`did_outcome_sd` = 1).
    std_error
        ``sqrt(variance)``.
    variance_outcome_units
        The same variance in the outcome's own units (``variance * outcome_sd**2``).
    outcome_sd
        Total SD of a student's outcome within a cohort, :func:`~analyses.power.did_outcome_sd`.
    df
        Degrees of freedom of the cluster-robust t test, ``n_institutions - 1``.
    n_obs
        Students in the design, ``n_institutions * programs_per_institution * n_periods * students_per_cell``.
    n_clusters
        Institutions.
    adoption_periods
        First treated cohort of each institution, in :func:`~analyses.did.simulate_did`'s order before it shuffles
        institutions (NaN = never adopts).
    n_never
        Institutions that never adopt.
    treatment_residual_ss
        :math:`\\tilde D'\\tilde D`, the sum of squares over programme x cohort cells of the treatment indicator after
        both sets of fixed effects are partialled out (the design's information about the effect).
    parameters
        The design arguments, the derived outcome SD and the number of institutions adopting in each cohort, as
        ``(name, value)`` pairs.
    """

    design: str
    label: str
    variance: float
    std_error: float
    variance_outcome_units: float
    outcome_sd: float
    df: int
    n_obs: float
    n_clusters: float
    adoption_periods: tuple[float, ...]
    n_never: int
    treatment_residual_ss: float
    parameters: tuple[tuple[str, float], ...]

    def tidy(self) -> pd.DataFrame:
        """Two rows: ``variance`` and ``std_error`` of the TWFE estimate in outcome SDs (outcome units after)."""
        common = {"df": self.df, "n_obs": self.n_obs, "n_clusters": self.n_clusters, "method": self.label,
                  "outcome_sd": self.outcome_sd, "treatment_residual_ss": self.treatment_residual_ss,
                  "n_never": self.n_never}
        return tidy_frame([
            {"term": "variance", "estimate": self.variance, "estimate_outcome_units": self.variance_outcome_units,
             **common},
            {"term": "std_error", "estimate": self.std_error,
             "estimate_outcome_units": float(np.sqrt(self.variance_outcome_units)), **common},
        ])

    def summary(self) -> str:
        """The design, its adoption schedule and the standard error, as text."""
        params = ", ".join(f"{k}={v:g}" for k, v in self.parameters)
        return "\n".join([f"{self.design}: {self.label}", f"  parameters: {params}",
                          f"  standard error of the TWFE estimate = {self.std_error:.4g} outcome SD "
                          f"({np.sqrt(self.variance_outcome_units):.4g} in outcome units; outcome SD "
                          f"{self.outcome_sd:.4g}), df = {self.df}",
                          f"  {self.n_clusters:g} institutions, {self.n_never} never adopting; "
                          f"{self.n_obs:g} students"])

    def to_dict(self) -> dict:
        """JSON-safe dictionary of every field."""
        out = {k: getattr(self, k) for k in self.__dataclass_fields__}
        out["parameters"] = dict(self.parameters)
        return json_safe(out)


def _check_whole(name: str, value: object, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
        raise ArgumentError(f"{name}={value!r} must be a whole number of at least {low}")
    return int(value)


def _check_sd(name: str, value: float) -> float:
    if not np.isfinite(value) or value < 0:
        raise ArgumentError(f"{name}={value!r} must be a finite standard deviation of at least 0")
    return float(value)


def _adoption_schedule(n_institutions: int, n_periods: int, adoption: Sequence[int] | None,
                       never_share: float) -> tuple[np.ndarray, int]:
    """First treated period of each institution, built exactly as ``simulate_did`` builds it (before shuffling)."""
    if not np.isfinite(never_share) or not 0.0 <= never_share <= 1.0:
        raise ArgumentError(f"never_share={never_share!r} must lie in [0, 1]; give a proportion, not a percentage")
    if adoption is None:
        lo, hi = max(2, n_periods // 3 + 1), max(2, n_periods - n_periods // 3)
        adoption = list(range(lo, hi + 1))
    periods = np.asarray(adoption, dtype=float).ravel()
    bad = ~np.isfinite(periods) | (periods != np.round(periods)) | (periods < 2) | (periods > n_periods)
    if periods.size == 0 or bad.any():
        raise ArgumentError(f"adoption={adoption!r} must be a non-empty sequence of whole periods in 2..{n_periods}: "
                            "an institution adopting in period 1 has no pre-adoption cohort and one adopting after "
                            "the last period is never treated (raise never_share for those)")
    n_never = min(max(1, round(never_share * n_institutions)), n_institutions - 1)
    years = [float(periods[i % periods.size]) for i in range(n_institutions - n_never)] + [np.nan] * n_never
    return np.array(years), n_never


def _twfe_variance(first: np.ndarray, n_periods: int, programs: int, shock_var: float,
                   cell_noise_var: float) -> tuple[float, float]:
    """Variance of the TWFE coefficient on cell means, and the residual sum of squares of the treatment."""
    t = np.arange(1, n_periods + 1)
    d_cluster = (t[None, :] >= np.nan_to_num(first, nan=np.inf)[:, None]).astype(float)
    d = np.repeat(d_cluster, programs, axis=0)  # programme x cohort cells, programmes of an institution adjacent
    d_tilde = d - d.mean(axis=1, keepdims=True) - d.mean(axis=0, keepdims=True) + d.mean()
    ss = float(np.sum(d_tilde**2))  # > 0: at least one institution adopts in 2..T and at least one never does
    by_cluster = d_tilde.reshape(first.size, programs, n_periods).sum(axis=1)
    meat = shock_var * float(np.sum(by_cluster**2)) + cell_noise_var * ss
    return meat / ss**2, ss


def did_design_variance(*, n_institutions: int, n_periods: int, students_per_cell: int,
                        adoption: Sequence[int] | None = None, never_share: float = 0.3,
                        programs_per_institution: int = 1, cluster_sd: float = 0.5, cluster_period_sd: float = 0.2,
                        unit_sd: float = 0.3, noise_sd: float = 1.0) -> DidDesignVariance:
    """Exact sampling variance of the TWFE DiD estimate of a constant effect in the staggered-adoption design.

    Parameters
    ----------
    n_institutions
        Institutions (clusters); each adopts the integrated programme in one cohort or never.
    n_periods
        Cohorts (periods ``1 .. n_periods``).
    students_per_cell
        Students per programme and cohort.
    adoption
        Adoption periods (whole numbers in ``2 .. n_periods``) the adopting institutions are spread over in turn
        (default: the middle third of periods), as in :func:`~analyses.did.simulate_did`.
    never_share
        Share of institutions that never adopt; rounded as ``simulate_did`` does and kept between 1 and
        ``n_institutions - 1``.
    programs_per_institution
        Programmes (fixed-effect units) per institution.
    cluster_sd, cluster_period_sd, unit_sd, noise_sd
        SDs of the institution effect, the institution x cohort shock, the programme effect and the student noise
        (``simulate_did``'s; the noise is scaled by an institution factor uniform on 0.5-1.5).

    Returns
    -------
    DidDesignVariance

    Raises
    ------
    ArgumentError
        For counts below their minimum, a negative SD, both ``cluster_period_sd`` and ``noise_sd`` zero, a
        ``never_share`` outside [0, 1] or an adoption period outside ``2 .. n_periods``.

    Notes
    -----
    With equal students per cell, TWFE on students equals OLS on the programme x cohort cell means
    :math:`\\bar y_{ut} = \\alpha_u + \\lambda_t + \\tau D_{ut} + b_{c(u)t} + \\bar e_{ut}`: the institution and
    programme effects and the trend are absorbed by the fixed effects.  On the balanced panel the treatment
    net of both fixed effects is
    :math:`\\tilde D_{ut} = D_{ut} - \\bar D_{u\\cdot} - \\bar D_{\\cdot t} + \\bar D_{\\cdot\\cdot}`
    and, by Frisch-Waugh-Lovell,

    .. math:: \\operatorname{Var}(\\hat\\tau) = \\frac{\\tilde D'\\Sigma\\tilde D}{(\\tilde D'\\tilde D)^2}
              = \\frac{\\sigma_{ct}^2\\sum_{c,t}\\big(\\sum_{u\\in c}\\tilde D_{ut}\\big)^2
                + \\sigma_{\\bar e}^2\\,\\tilde D'\\tilde D}{(\\tilde D'\\tilde D)^2},
              \\qquad \\sigma_{\\bar e}^2 = \\frac{13}{12}\\frac{\\sigma_e^2}{n},

    where :math:`\\Sigma` is block-diagonal by institution (the shock :math:`b_{ct}` is shared by the programmes
    of an institution in a cohort) and :math:`13/12 = E[s_c^2]` for the noise factor
    :math:`s_c \\sim U(0.5, 1.5)`.  Because the estimate is unbiased given the factors, the variance of
    :math:`\\hat\\tau` over designs is the expectation of its conditional variance, so using :math:`E[s_c^2]` is
    exact for the design (the variance given one set of factors differs).  Since all programmes of an institution
    adopt together this is :math:`(\\sigma_{ct}^2 + \\sigma_{\\bar e}^2/m)/S_c` with :math:`m` programmes and
    :math:`S_c` the institution-level sum of squares: more programmes shrink only the noise term, more
    institutions shrink both.  ``simulate_did`` shuffles which institution gets which adoption period; the
    institutions are exchangeable, so the variance does not depend on the shuffle.  Divided by
    :func:`did_outcome_sd` squared for outcome SD units.  No asymptotics: it is the finite-sample variance of
    the estimate, not of its cluster-robust standard error (which is biased down with few institutions).  At least
    one institution adopts within the panel and at least one never does, so :math:`\\tilde D \\ne 0` and the
    effect is always identified.

    References
    ----------
    Schochet, P. Z. (2022). Statistical power for estimating treatment effects using difference-in-differences and
    comparative interrupted time series estimators with variation in treatment timing. *Journal of Educational and
    Behavioral Statistics*, 47(4), 367-405.

    Examples
    --------
    >>> spec = did_design_variance(n_institutions=10, n_periods=2, students_per_cell=20, adoption=[2],
    ...                            never_share=0.5)
    >>> spec.adoption_periods[:5], spec.n_never
    ((2.0, 2.0, 2.0, 2.0, 2.0), 5)
    >>> round(spec.variance_outcome_units, 6) == round(2 * (0.2**2 + 13 / 12 / 20) / (10 * 0.5 * 0.5), 6)
    True
    """
    n_institutions = _check_whole("n_institutions", n_institutions, 2)
    n_periods = _check_whole("n_periods", n_periods, 2)
    students_per_cell = _check_whole("students_per_cell", students_per_cell, 1)
    programs = _check_whole("programs_per_institution", programs_per_institution, 1)
    sds = {k: _check_sd(k, v) for k, v in (("cluster_sd", cluster_sd), ("cluster_period_sd", cluster_period_sd),
                                           ("unit_sd", unit_sd), ("noise_sd", noise_sd))}
    if sds["cluster_period_sd"] == 0 and sds["noise_sd"] == 0:
        raise ArgumentError("cluster_period_sd=0 and noise_sd=0 leave the estimate without sampling error; give at "
                            "least one of them a positive SD")
    first, n_never = _adoption_schedule(n_institutions, n_periods, adoption, never_share)
    cell_noise = sds["noise_sd"] ** 2 * _NOISE_SCALE_MEAN_SQUARE / students_per_cell
    var_raw, ss = _twfe_variance(first, n_periods, programs, sds["cluster_period_sd"] ** 2, cell_noise)
    sd_y = did_outcome_sd(**sds)
    counts = tuple((f"adopting_in_period_{int(p)}", float(np.sum(first == p)))
                   for p in np.unique(first[np.isfinite(first)]))
    params = (("n_institutions", float(n_institutions)), ("programs_per_institution", float(programs)),
              ("n_periods", float(n_periods)), ("students_per_cell", float(students_per_cell)),
              ("never_share", float(never_share)), ("n_never", float(n_never)),
              *((k, v) for k, v in sds.items()), ("outcome_sd", sd_y), *counts)
    variance = var_raw / sd_y**2
    return DidDesignVariance(design=_DESIGN, label=_LABEL, variance=float(variance),
                             std_error=float(np.sqrt(variance)), variance_outcome_units=float(var_raw),
                             outcome_sd=sd_y, df=n_institutions - 1,
                             n_obs=float(n_institutions * programs * n_periods * students_per_cell),
                             n_clusters=float(n_institutions), adoption_periods=tuple(float(v) for v in first),
                             n_never=int(n_never), treatment_residual_ss=ss, parameters=params)


def _power_result(spec: DidDesignVariance, solved_for: str, es: float, pw: float, alpha: float,
                  two_tailed: bool) -> PowerResult:
    """A :class:`PowerResult` with the conventions of :mod:`analyses.power.mdes`."""
    t_crit = _t_critical(alpha, spec.df, two_tailed)
    se = spec.std_error
    multiplier = es / se if solved_for == "mdes" else t_crit + float(stats.t.ppf(pw, spec.df))
    return PowerResult(design=spec.design, label=spec.label, solved_for=solved_for, effect_size=float(es),
                       power=float(pw), alpha=float(alpha), two_tailed=bool(two_tailed), df=spec.df,
                       t_critical=t_crit, multiplier=float(multiplier), std_error=se, ci_low=float(es - t_crit * se),
                       ci_high=float(es + t_crit * se), n_obs=spec.n_obs, n_clusters=spec.n_clusters,
                       parameters=spec.parameters)


def did_mdes(*, n_institutions: int, n_periods: int, students_per_cell: int, adoption: Sequence[int] | None = None,
             never_share: float = 0.3, programs_per_institution: int = 1, cluster_sd: float = 0.5,
             cluster_period_sd: float = 0.2, unit_sd: float = 0.3, noise_sd: float = 1.0, power: float = 0.8,
             alpha: float = 0.05, two_tailed: bool = True) -> PowerResult:
    """Minimum detectable effect size of the staggered-adoption DiD design, closed form.

    Parameters
    ----------
    n_institutions, n_periods, students_per_cell, adoption, never_share, programs_per_institution
        The design; see :func:`did_design_variance`.
    cluster_sd, cluster_period_sd, unit_sd, noise_sd
        Variance components; see :func:`did_design_variance`.
    power
        Required probability of detecting the effect.
    alpha
        Type I error rate.
    two_tailed
        Two-tailed (default) or one-tailed test.

    Returns
    -------
    PowerResult
        ``design == "did_twfe"``, ``solved_for == "mdes"``, ``df = n_institutions - 1``; ``parameters`` lists the
        design, the outcome SD and the institutions adopting in each cohort.

    Raises
    ------
    ArgumentError
        For ``power`` or ``alpha`` outside (0, 1) or a design argument out of range.

    Notes
    -----
    :math:`MDES = (t_{1-\\alpha/2,\\,G-1} + t_{power,\\,G-1})\\sqrt{V}` (:math:`t_{1-\\alpha}` one-tailed) with
    :math:`V` the exact variance of the TWFE estimate in outcome SDs from :func:`did_design_variance` and
    :math:`G` institutions, the degrees of freedom of the CR1 t test by institution.  TWFE estimates the effect
    without bias here only because the effect is the same in every adoption group and cohort; when it differs
    across adoption groups or grows with exposure, TWFE mixes in forbidden comparisons (already-treated
    institutions as controls) and the design should be planned for the Callaway-Sant'Anna estimator
    (:func:`analyses.did.staggered`), which compares only with not-yet- or never-treated institutions and so has a
    larger variance and MDES than this closed form; simulate it with ``did_power(estimator="staggered")``.

    References
    ----------
    Bloom, H. S. (1995). Minimum detectable effects: A simple way to report the statistical power of experimental
    designs. *Evaluation Review*, 19(5), 547-556.

    Bloom, H. S. (2006). The core analytics of randomized experiments for social research. MDRC Working Papers on
    Research Methodology.

    Schochet, P. Z. (2022). Statistical power for estimating treatment effects using difference-in-differences and
    comparative interrupted time series estimators with variation in treatment timing. *Journal of Educational and
    Behavioral Statistics*, 47(4), 367-405.

    Dong, N., & Maynard, R. (2013). PowerUp!: A tool for calculating minimum detectable effect sizes and minimum
    required sample sizes for experimental and quasi-experimental design studies. *Journal of Research on
    Educational Effectiveness*, 6(1), 24-67.

    Examples
    --------
    >>> out = did_mdes(n_institutions=30, n_periods=8, students_per_cell=20, programs_per_institution=2)
    >>> round(out.effect_size, 3), out.df, out.n_clusters
    (0.145, 29, 30.0)
    """
    _check_level("power", power)
    _check_level("alpha", alpha)
    power, alpha = float(power), float(alpha)
    spec = did_design_variance(n_institutions=n_institutions, n_periods=n_periods,
                               students_per_cell=students_per_cell, adoption=adoption, never_share=never_share,
                               programs_per_institution=programs_per_institution, cluster_sd=cluster_sd,
                               cluster_period_sd=cluster_period_sd, unit_sd=unit_sd, noise_sd=noise_sd)
    t_crit = _t_critical(alpha, spec.df, two_tailed)
    es = (t_crit + float(stats.t.ppf(power, spec.df))) * spec.std_error
    return _power_result(spec, "mdes", es, power, alpha, two_tailed)


def did_power_closed_form(*, es: float, n_institutions: int, n_periods: int, students_per_cell: int,
                          adoption: Sequence[int] | None = None, never_share: float = 0.3,
                          programs_per_institution: int = 1, cluster_sd: float = 0.5, cluster_period_sd: float = 0.2,
                          unit_sd: float = 0.3, noise_sd: float = 1.0, alpha: float = 0.05,
                          two_tailed: bool = True) -> PowerResult:
    """Power of the staggered-adoption DiD design to detect an effect of ``es`` outcome SDs, closed form.

    Parameters
    ----------
    es
        Effect size in outcome standard deviations (:func:`did_outcome_sd`; its sign is ignored).
    n_institutions, n_periods, students_per_cell, adoption, never_share, programs_per_institution
        The design; see :func:`did_design_variance`.
    cluster_sd, cluster_period_sd, unit_sd, noise_sd
        Variance components; see :func:`did_design_variance`.
    alpha
        Type I error rate.
    two_tailed
        Two-tailed (default) or one-tailed test.

    Returns
    -------
    PowerResult
        ``design == "did_twfe"``, ``solved_for == "power"``.

    Raises
    ------
    ArgumentError
        For a non-finite ``es``, ``alpha`` outside (0, 1) or a design argument out of range.

    Notes
    -----
    :math:`power = F_{t,G-1}(|es|/\\sqrt{V} - t_{1-\\alpha/2,\\,G-1})`, the exact inverse of :func:`did_mdes`
    (Bloom's convention: rejections in the opposite tail are ignored).  It treats the standard error as known;
    the CR1 standard error actually used is estimated and, with few institutions, biased down, so the simulated
    power of :func:`~analyses.power.did_power` can differ by a few points.  As for :func:`did_mdes`, it holds for
    a constant effect; heterogeneous effects across adoption groups call for Callaway-Sant'Anna and more power.

    References
    ----------
    Bloom, H. S. (1995). Minimum detectable effects: A simple way to report the statistical power of experimental
    designs. *Evaluation Review*, 19(5), 547-556.

    Schochet, P. Z. (2022). Statistical power for estimating treatment effects using difference-in-differences and
    comparative interrupted time series estimators with variation in treatment timing. *Journal of Educational and
    Behavioral Statistics*, 47(4), 367-405.

    Dong, N., & Maynard, R. (2013). PowerUp!. *Journal of Research on Educational Effectiveness*, 6(1), 24-67.

    Examples
    --------
    >>> out = did_power_closed_form(es=0.12, n_institutions=30, n_periods=8, students_per_cell=20,
    ...                             programs_per_institution=2)
    >>> round(out.power, 3), out.solved_for
    (0.636, 'power')
    """
    _check_level("alpha", alpha)
    alpha = float(alpha)
    if not np.isfinite(es):
        raise ArgumentError(f"es={es!r} must be a finite effect size in outcome standard deviations")
    spec = did_design_variance(n_institutions=n_institutions, n_periods=n_periods,
                               students_per_cell=students_per_cell, adoption=adoption, never_share=never_share,
                               programs_per_institution=programs_per_institution, cluster_sd=cluster_sd,
                               cluster_period_sd=cluster_period_sd, unit_sd=unit_sd, noise_sd=noise_sd)
    t_crit = _t_critical(alpha, spec.df, two_tailed)
    pw = float(stats.t.cdf(abs(es) / spec.std_error - t_crit, spec.df))
    return _power_result(spec, "power", abs(es), pw, alpha, two_tailed)
