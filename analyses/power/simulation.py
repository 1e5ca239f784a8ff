"""Power by simulation: draw data sets at each effect size, analyse each, count the rejections.

Examples
--------
>>> from types import SimpleNamespace
>>> from scipy import stats
>>> def simulate(effect, rng):
...     return rng.normal(0.0, 1.0, 20), rng.normal(effect, 1.0, 20)
>>> def analyse(data):
...     test = stats.ttest_ind(data[1], data[0])
...     return SimpleNamespace(p_value=test.pvalue, estimate=data[1].mean() - data[0].mean())
>>> out = simulated_power(simulate, analyse, effect_sizes=[0.0, 1.0], n_sims=200, seed=3)
>>> [round(p, 3) for p in out.power]
[0.055, 0.84]
>>> list(out.tidy()["term"])
['power at effect 0', 'power at effect 1']
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from analyses.did import aggregate, simulate_did, staggered, twfe, wild_cluster_bootstrap
from analyses.did.design_warnings import DesignWarning
from analyses.tidy import tidy_frame
from data_schema.arguments import check_choice
from data_schema.errors import ArgumentError, EstimationError, EstimationWarning
from data_schema.json_safe import json_safe

__all__ = ["DID_ESTIMATORS", "SimulatedPower", "did_outcome_sd", "did_power", "simulated_power"]

DidEstimator = Literal["twfe", "wild_bootstrap", "staggered"]
DID_ESTIMATORS: tuple[str, ...] = ("twfe", "wild_bootstrap", "staggered")
"""Analyses :func:`did_power` can simulate."""

_MAX_NOTES = 5


@dataclass(frozen=True, eq=False)
class SimulatedPower:
    """Power estimated by simulation at each effect size, with its Monte-Carlo uncertainty.

    Attributes
    ----------
    effect_sizes
        The effect sizes simulated, in the units ``simulate`` takes them (outcome SDs for :func:`did_power`).
    power
        Share of the valid simulations whose p-value is below ``alpha``, per effect size.
    mc_std_error
        Monte-Carlo standard error of each power, :math:`\\sqrt{\\hat p(1-\\hat p)/R}`.
    ci_low, ci_high
        Wilson score interval of each power at ``level``.
    mean_estimate
        Mean of the estimates over the valid simulations (NaN when ``analyse`` returns no estimate).
    bias
        ``mean_estimate - effect_size``.
    sd_estimate
        Standard deviation of the estimates over the valid simulations (the empirical standard error).
    n_valid
        Simulations per effect size whose analysis returned a finite p-value.
    n_failed
        Simulations per effect size whose analysis raised :class:`~data_schema.errors.EstimationError` or
        returned a missing p-value; they are left out of the power.
    n_sims
        Simulations requested per effect size.
    alpha
        Significance level of the test counted as a rejection.
    level
        Confidence level of the Wilson intervals.
    seed
        Seed of the root :class:`numpy.random.SeedSequence`.
    method
        What was simulated and how it was analysed, in words.
    assumptions
        Design parameters assumed by the simulation, as ``(name, value)`` pairs (empty for a custom simulation).
    n_obs, n_clusters
        Observations and clusters of one simulated data set, when known (NaN otherwise).
    notes
        Distinct warnings raised by the analyses (at most five), each with the number of simulations that raised it.
    p_values
        The p-values, one row per effect size and one column per simulation (NaN for failed simulations).
    estimates
        The estimates, same layout as ``p_values``.
    """

    effect_sizes: tuple[float, ...]
    power: tuple[float, ...]
    mc_std_error: tuple[float, ...]
    ci_low: tuple[float, ...]
    ci_high: tuple[float, ...]
    mean_estimate: tuple[float, ...]
    bias: tuple[float, ...]
    sd_estimate: tuple[float, ...]
    n_valid: tuple[int, ...]
    n_failed: tuple[int, ...]
    n_sims: int
    alpha: float
    level: float
    seed: int
    method: str
    assumptions: tuple[tuple[str, float], ...] = ()
    n_obs: float = float("nan")
    n_clusters: float = float("nan")
    notes: tuple[str, ...] = ()
    p_values: np.ndarray = field(default_factory=lambda: np.empty((0, 0)), repr=False)
    estimates: np.ndarray = field(default_factory=lambda: np.empty((0, 0)), repr=False)

    def tidy(self) -> pd.DataFrame:
        """One row per effect size: power as estimate, its Monte-Carlo SE and Wilson interval; bias columns after."""
        rows = []
        for i, es in enumerate(self.effect_sizes):
            rows.append({"term": f"power at effect {es:g}", "estimate": self.power[i],
                         "std_error": self.mc_std_error[i], "ci_low": self.ci_low[i], "ci_high": self.ci_high[i],
                         "ci_level": self.level, "n_obs": self.n_obs, "n_clusters": self.n_clusters,
                         "method": self.method, "effect_size": es, "mean_estimate": self.mean_estimate[i],
                         "bias": self.bias[i], "sd_estimate": self.sd_estimate[i], "alpha": self.alpha,
                         "n_valid": self.n_valid[i], "n_failed": self.n_failed[i]})
        return tidy_frame(rows)

    def summary(self) -> str:
        """The method, the assumed design and the power curve, as text."""
        lines = [f"Power by simulation: {self.method}",
                 f"  {self.n_sims} simulations per effect size, alpha = {self.alpha:g}, seed = {self.seed}"]
        if self.assumptions:
            lines.append("  assumes: " + ", ".join(f"{k}={v:g}" for k, v in self.assumptions))
        level = f"{100 * self.level:g}%"
        for i, es in enumerate(self.effect_sizes):
            lines.append(f"  effect {es:g}: power {self.power[i]:.4f} (MC SE {self.mc_std_error[i]:.4f}, {level} "
                         f"Wilson {self.ci_low[i]:.4f} to {self.ci_high[i]:.4f}); mean estimate "
                         f"{self.mean_estimate[i]:.4g}, bias {self.bias[i]:.4g}, SD {self.sd_estimate[i]:.4g}; "
                         f"{self.n_failed[i]} failed")
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)

    def to_dict(self) -> dict:
        """JSON-safe dictionary of every field but the raw ``p_values`` and ``estimates`` arrays."""
        out = {k: getattr(self, k) for k in self.__dataclass_fields__ if k not in ("p_values", "estimates")}
        out["assumptions"] = dict(self.assumptions)
        return json_safe(out)


def _wilson(power: np.ndarray, n: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    z = stats.norm.ppf(0.5 + level / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        denom = 1 + z**2 / n
        centre = (power + z**2 / (2 * n)) / denom
        half = z / denom * np.sqrt(power * (1 - power) / n + z**2 / (4 * n**2))
    return centre - half, centre + half


def _check_inputs(effect_sizes: Sequence[float], n_sims: int, alpha: float, level: float) -> np.ndarray:
    es = np.asarray(effect_sizes, dtype=float).ravel()
    if es.size == 0 or not np.all(np.isfinite(es)):
        raise ArgumentError(f"effect_sizes={effect_sizes!r} must be a non-empty sequence of finite numbers, "
                            "e.g. [0.0, 0.2, 0.4]")
    if isinstance(n_sims, bool) or not isinstance(n_sims, int | np.integer) or n_sims < 2:
        raise ArgumentError(f"n_sims={n_sims!r} must be a whole number of at least 2 (500 or more for a report)")
    for name, value in (("alpha", alpha), ("level", level)):
        if not np.isfinite(value) or not 0.0 < value < 1.0:
            raise ArgumentError(f"{name}={value!r} must lie strictly between 0 and 1 (e.g. 0.05 for alpha, "
                                "0.95 for level)")
    return es


def _read(result: Any) -> tuple[float, float]:
    if not hasattr(result, "p_value"):
        raise ArgumentError(f"analyse returned a {type(result).__name__} without a p_value attribute; return an "
                            "object with p_value (and estimate), e.g. types.SimpleNamespace(p_value=p, estimate=b)")
    return float(result.p_value), float(getattr(result, "estimate", np.nan))


def _run(simulate: Callable[[float, np.random.Generator], Any], analyse: Callable[[Any], Any], es: np.ndarray,
         children: list[np.random.SeedSequence]) -> tuple[np.ndarray, np.ndarray, dict[str, int], list]:
    p = np.full((es.size, len(children)), np.nan)
    b = np.full_like(p, np.nan)
    counts: dict[str, int] = {}
    other: list[warnings.WarningMessage] = []
    for i, effect in enumerate(es):
        for j, child in enumerate(children):
            data = simulate(float(effect), np.random.default_rng(child))
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", EstimationWarning)
                try:
                    p[i, j], b[i, j] = _read(analyse(data))
                except EstimationError as err:
                    caught.append(warnings.WarningMessage(f"analysis failed: {err}", EstimationWarning, "", 0))
            for w in caught:
                if issubclass(w.category, EstimationWarning):
                    counts[str(w.message)] = counts.get(str(w.message), 0) + 1
                else:
                    other.append(w)
    return p, b, counts, other


def simulated_power(simulate: Callable[[float, np.random.Generator], Any], analyse: Callable[[Any], Any], *,
                    effect_sizes: Sequence[float], n_sims: int = 500, alpha: float = 0.05, level: float = 0.95,
                    seed: int = 0, method: str = "custom simulation and analysis",
                    assumptions: Sequence[tuple[str, float]] = (), n_obs: float = float("nan"),
                    n_clusters: float = float("nan")) -> SimulatedPower:
    """Power of any analysis by simulation: the share of simulated data sets in which it rejects at ``alpha``.

    Parameters
    ----------
    simulate
        ``simulate(effect, rng)`` returns one data set with true effect ``effect``, drawing only from ``rng``
        (a :class:`numpy.random.Generator`).
    analyse
        ``analyse(data)`` returns an object with a ``p_value`` attribute and, optionally, ``estimate``.  An
        :class:`~data_schema.errors.EstimationError` marks the simulation failed (left out and counted).
    effect_sizes
        True effects to simulate.
    n_sims
        Simulations per effect size (Monte-Carlo SE of a power near 0.8 is about ``0.4 / sqrt(n_sims)``).
    alpha
        A simulation rejects when its p-value is below ``alpha``.
    level
        Confidence level of the Wilson intervals of the powers.
    seed
        Root seed.  Simulation ``j`` uses the ``j``-th child of ``numpy.random.SeedSequence(seed)`` at every
        effect size (common random numbers), so the power curve is smooth and each run reproducible.
    method, assumptions, n_obs, n_clusters
        Descriptions carried into the result (what is simulated, the design parameters assumed, the size of one
        data set).

    Returns
    -------
    SimulatedPower

    Warns
    -----
    DesignWarning
        Once, when analyses warned (each distinct message is kept in ``notes``) or failed.

    Notes
    -----
    With :math:`R` valid simulations and :math:`k` rejections the power is :math:`\\hat p = k/R`, its Monte-Carlo
    standard error :math:`\\sqrt{\\hat p(1-\\hat p)/R}` and the Wilson interval
    :math:`\\{\\hat p + z^2/2R \\pm z\\sqrt{\\hat p(1-\\hat p)/R + z^2/4R^2}\\}/(1 + z^2/R)`.
    The bias is the mean estimate minus the true effect.

    References
    ----------
    Arnold, B. F., Hogan, D. R., Colford, J. M., & Hubbard, A. E. (2011). Simulation methods to estimate design
    power: an overview for applied research. *BMC Medical Research Methodology*, 11, 94.
    Morris, T. P., White, I. R., & Crowther, M. J. (2019). Using simulation studies to evaluate statistical
    methods. *Statistics in Medicine*, 38(11), 2074-2102.
    Wilson, E. B. (1927). Probable inference, the law of succession, and statistical inference. *Journal of the
    American Statistical Association*, 22(158), 209-212.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> def simulate(effect, rng):
    ...     return rng.normal(effect, 1.0, 25)
    >>> def analyse(x):
    ...     t = x.mean() / (x.std(ddof=1) / 5)
    ...     return SimpleNamespace(p_value=2 * stats.t.sf(abs(t), 24), estimate=x.mean())
    >>> out = simulated_power(simulate, analyse, effect_sizes=[0.5], n_sims=400, seed=1)
    >>> round(out.power[0], 3), round(out.mc_std_error[0], 4), out.n_failed
    (0.693, 0.0231, (0,))
    """
    return _simulate_power(simulate, analyse, effect_sizes=effect_sizes, n_sims=n_sims, alpha=alpha, level=level,
                           seed=seed, method=method, assumptions=assumptions, n_obs=n_obs, n_clusters=n_clusters,
                           stacklevel=3)


def _simulate_power(simulate: Callable[[float, np.random.Generator], Any], analyse: Callable[[Any], Any], *,
                    effect_sizes: Sequence[float], n_sims: int, alpha: float, level: float, seed: int, method: str,
                    assumptions: Sequence[tuple[str, float]], n_obs: float, n_clusters: float,
                    stacklevel: int) -> SimulatedPower:
    """Core of :func:`simulated_power`; ``stacklevel`` points its warnings at the public caller."""
    es = _check_inputs(effect_sizes, n_sims, alpha, level)
    children = np.random.SeedSequence(seed).spawn(int(n_sims))
    p, b, counts, other = _run(simulate, analyse, es, children)
    for w in {(str(w.message), w.category): w for w in other}.values():
        warnings.warn(w.message, w.category, stacklevel=stacklevel)
    valid = np.isfinite(p)
    n_valid = valid.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        power = np.where(valid, p < alpha, False).sum(axis=1) / n_valid
        mc_se = np.sqrt(power * (1 - power) / n_valid)
        est = np.where(valid, b, np.nan)
        has_est = np.isfinite(est).sum(axis=1)
        mean_est = np.where(has_est > 0, np.nansum(est, axis=1) / np.maximum(has_est, 1), np.nan)
        sd_est = np.sqrt(np.nansum((est - mean_est[:, None]) ** 2, axis=1) / (has_est - 1))
    lo, hi = _wilson(power, n_valid, level)
    notes = tuple(f"{msg} ({k} of {es.size * n_sims} simulations)" for msg, k in
                  sorted(counts.items(), key=lambda kv: -kv[1])[:_MAX_NOTES])
    if counts:
        warnings.warn(f"{sum(counts.values())} warnings or failures in {es.size * n_sims} simulated analyses; "
                      f"most frequent: {notes[0]}. See the result's notes.", DesignWarning, stacklevel=stacklevel)

    def tup(a: np.ndarray) -> tuple[float, ...]:
        return tuple(float(v) for v in a)

    return SimulatedPower(tup(es), tup(power), tup(mc_se), tup(lo), tup(hi), tup(mean_est), tup(mean_est - es),
                          tup(sd_est), tuple(int(v) for v in n_valid), tuple(int(n_sims - v) for v in n_valid),
                          int(n_sims), float(alpha), float(level), int(seed), method, tuple(assumptions),
                          float(n_obs), float(n_clusters), notes, p, b)


def did_outcome_sd(*, cluster_sd: float = 0.5, cluster_period_sd: float = 0.2, unit_sd: float = 0.3,
                   noise_sd: float = 1.0) -> float:
    """Total SD of a student's outcome within a period under :func:`analyses.did.simulate_did`.

    Notes
    -----
    The student noise is ``noise_sd`` times a cluster factor uniform on 0.5-1.5 (mean square 13/12), so

    .. math:: \\sigma_Y = \\sqrt{\\sigma_c^2 + \\sigma_{ct}^2 + \\sigma_u^2 + \\tfrac{13}{12}\\sigma_e^2}.

    Examples
    --------
    >>> round(did_outcome_sd(), 4)
    1.2097
    """
    return float(np.sqrt(cluster_sd**2 + cluster_period_sd**2 + unit_sd**2 + 13 / 12 * noise_sd**2))


@dataclass(frozen=True)
class _Fit:
    estimate: float
    p_value: float


def _did_analyse(estimator: str, sd: float, n_boot: int) -> Callable[[tuple[pd.DataFrame, int]], _Fit]:
    cols = {"outcome": "y", "unit": "unit", "time": "period", "cluster": "cluster"}

    def analyse(data: tuple[pd.DataFrame, int]) -> _Fit:
        frame, boot_seed = data
        if estimator == "twfe":
            res = twfe(frame, treatment="treated", **cols)
        elif estimator == "wild_bootstrap":
            res = wild_cluster_bootstrap(frame, treatment="treated", B=n_boot, seed=boot_seed, interval=False,
                                         **cols)
        else:
            frame = frame.assign(first_treated=frame["first_treated"].fillna(0.0))
            fit = staggered(frame, outcome="y", unit="student", time="period", first_treated="first_treated",
                            cluster="cluster", panel=False, n_boot=0, est_method="reg")
            res = aggregate(fit, "simple")
        return _Fit(res.estimate / sd, res.p_value)

    return analyse


def did_power(*, n_institutions: int, n_periods: int, students_per_cell: int, effect_sizes: Sequence[float],
              adoption: Sequence[int] | None = None, never_share: float = 0.3, programs_per_institution: int = 1,
              estimator: DidEstimator = "twfe", cluster_sd: float = 0.5, cluster_period_sd: float = 0.2,
              unit_sd: float = 0.3, noise_sd: float = 1.0, n_sims: int = 500, alpha: float = 0.05,
              level: float = 0.95, n_boot: int = 399, seed: int = 0) -> SimulatedPower:
    """Power of the staggered-adoption DiD comparison by simulation from :func:`analyses.did.simulate_did`.

    Parameters
    ----------
    n_institutions
        Institutions (the clusters; each adopts the integrated programme in one period or never).
    n_periods
        Cohorts (periods ``1 .. n_periods``).
    students_per_cell
        Students per programme and cohort.
    effect_sizes
        Constant effects of the integrated programme, in SDs of the student outcome (:func:`did_outcome_sd`).
    adoption
        Adoption periods the adopting institutions are spread over (default: the middle third of periods).
    never_share
        Share of institutions that never adopt.
    programs_per_institution
        Programmes (fixed-effect units) per institution.
    estimator
        ``"twfe"`` (CR1 t test by institution), ``"wild_bootstrap"`` (wild cluster bootstrap-t, ``n_boot``
        draws) or ``"staggered"`` (Callaway-Sant'Anna simple aggregate, never-treated controls, outcome
        regression, analytic clustered SE).
    cluster_sd, cluster_period_sd, unit_sd, noise_sd
        Assumed SDs of the institution effect, the institution x cohort shock, the programme effect and the
        student noise (the defaults of :func:`~analyses.did.simulate_did`; with them the institution-level
        share of variance is 0.20 and the institution x cohort share 0.03).
    n_sims, alpha, level, seed
        As in :func:`simulated_power`.
    n_boot
        Bootstrap draws per simulation for ``"wild_bootstrap"``.

    Returns
    -------
    SimulatedPower
        Estimates are in outcome SDs; ``assumptions`` lists the design parameters.

    Notes
    -----
    Each simulated student outcome is
    :math:`y = 0.1t + a_c + b_{ct} + a_u + \\tau D_{ut} + \\sigma_e s_c \\varepsilon` with
    :math:`\\tau = \\delta\\,\\sigma_Y` for effect size :math:`\\delta` (see :func:`did_outcome_sd`).  The
    institution x cohort shocks :math:`b_{ct}` are what fixed effects cannot remove; they and the number of
    institutions drive the power far more than the number of students.

    References
    ----------
    Schochet, P. Z. (2022). Statistical power for estimating treatment effects using difference-in-differences
    and comparative interrupted time series estimators with variation in treatment timing. *Journal of
    Educational and Behavioral Statistics*, 47(4), 367-405.

    Examples
    --------
    >>> out = did_power(n_institutions=12, n_periods=4, students_per_cell=10, effect_sizes=[0.0, 0.5],
    ...                 n_sims=40, seed=2)
    >>> [round(p, 3) for p in out.power]
    [0.05, 0.625]
    """
    check_choice("estimator", estimator, DID_ESTIMATORS)
    if n_institutions < 2 or n_periods < 2 or students_per_cell < 1 or programs_per_institution < 1:
        raise ArgumentError(f"got n_institutions={n_institutions}, n_periods={n_periods}, students_per_cell="
                            f"{students_per_cell}, programs_per_institution={programs_per_institution}; need at "
                            "least 2 institutions and 2 periods, and at least 1 student and 1 programme per cell")
    sd = did_outcome_sd(cluster_sd=cluster_sd, cluster_period_sd=cluster_period_sd, unit_sd=unit_sd,
                        noise_sd=noise_sd)
    design = {"n_units": n_institutions * programs_per_institution, "n_periods": n_periods,
              "units_per_cluster": programs_per_institution, "students_per_cell": students_per_cell,
              "adoption": adoption, "never_share": never_share, "cluster_sd": cluster_sd,
              "cluster_period_sd": cluster_period_sd, "unit_sd": unit_sd, "noise_sd": noise_sd}

    def simulate(effect: float, rng: np.random.Generator) -> tuple[pd.DataFrame, int]:
        draw = int(rng.integers(2**62))
        return simulate_did(effect=effect * sd, seed=draw, **design), draw + 1

    names = {"twfe": "two-way fixed effects, CR1 t test", "wild_bootstrap": f"wild cluster bootstrap-t ({n_boot} "
             "draws)", "staggered": "Callaway-Sant'Anna simple ATT, never-treated controls"}
    assumptions = (("n_institutions", n_institutions), ("programs_per_institution", programs_per_institution),
                   ("n_periods", n_periods), ("students_per_cell", students_per_cell), ("never_share", never_share),
                   ("cluster_sd", cluster_sd), ("cluster_period_sd", cluster_period_sd), ("unit_sd", unit_sd),
                   ("noise_sd", noise_sd), ("outcome_sd", sd))
    n_obs = n_institutions * programs_per_institution * n_periods * students_per_cell
    return _simulate_power(simulate, _did_analyse(estimator, sd, n_boot), effect_sizes=effect_sizes,
                           n_sims=n_sims, alpha=alpha, level=level, seed=seed,
                           method=f"simulated staggered DiD (simulate_did), {names[estimator]}",
                           assumptions=assumptions, n_obs=n_obs, n_clusters=n_institutions, stacklevel=3)
