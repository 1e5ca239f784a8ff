"""Sampling variance of the standardized impact estimate for the PowerUp! designs (Dong & Maynard 2013).

Each design is described by its sample sizes, the unconditional intraclass correlations, the share of
each level's variance the covariates explain (R²) and the number of covariates at the level whose
sample size sets the degrees of freedom.  :func:`design_variance` returns the variance of the impact
estimate in effect-size units (outcome standard deviation = 1), the degrees of freedom PowerUp! uses,
and the sample counts.

Examples
--------
>>> spec = design_variance("cra2r2", n=15, J=20, rho2=0.17)
>>> spec.df, round(spec.variance ** 0.5, 3)
(18, 0.212)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from data_schema.arguments import check_choice
from data_schema.errors import ArgumentError, EstimationError

__all__ = ["DESIGNS", "Design", "DesignVariance", "design_variance"]

Design = Literal["ira1r1", "cra2r2", "cra3r3", "bcra3r2"]
DESIGNS: tuple[str, ...] = ("ira1r1", "cra2r2", "cra3r3", "bcra3r2")
"""PowerUpR's design names: individual random assignment; two-level cluster random assignment (treatment at
level 2); three-level cluster random assignment (treatment at level 3); three-level blocked cluster random
assignment with treatment at level 2 and random block (level-3) effects."""

_LABELS = {"ira1r1": "individual random assignment",
           "cra2r2": "two-level cluster random assignment, treatment at level 2",
           "cra3r3": "three-level cluster random assignment, treatment at level 3",
           "bcra3r2": "three-level blocked cluster random assignment, treatment at level 2, random blocks"}

# Arguments each design uses; any other design argument must stay at its default.
_USES = {"ira1r1": {"n", "r2_level1", "g", "p"},
         "cra2r2": {"n", "J", "rho2", "r2_level1", "r2_level2", "g", "p"},
         "cra3r3": {"n", "J", "K", "rho2", "rho3", "r2_level1", "r2_level2", "r2_level3", "g", "p"},
         "bcra3r2": {"n", "J", "K", "rho2", "rho3", "omega3", "r2_level1", "r2_level2", "r2_treatment3", "g",
                     "p"}}
_DEFAULTS = {"J": None, "K": None, "rho2": 0.0, "rho3": 0.0, "omega3": 0.0, "r2_level1": 0.0, "r2_level2": 0.0,
             "r2_level3": 0.0, "r2_treatment3": 0.0, "g": 0, "p": 0.5}


@dataclass(frozen=True)
class DesignVariance:
    """Variance of the standardized impact estimate of one design.

    Attributes
    ----------
    design
        PowerUpR design name (one of :data:`DESIGNS`).
    label
        The design in words.
    variance
        Sampling variance of the impact estimate in outcome standard deviations.
    df
        Degrees of freedom of the t test (PowerUp!'s: e.g. ``J - g - 2`` for ``cra2r2``).
    n_obs
        Individuals in the study (``n``, ``n J`` or ``n J K``).
    n_clusters
        Units randomized (clusters at the level of assignment; ``nan`` for ``ira1r1``).
    parameters
        The design arguments used, as ``(name, value)`` pairs.
    """

    design: str
    label: str
    variance: float
    df: int
    n_obs: float
    n_clusters: float
    parameters: tuple[tuple[str, float], ...]


def _check_fraction(name: str, value: float, *, upper_open: bool = False) -> None:
    ok = 0.0 <= value < 1.0 if upper_open else 0.0 <= value <= 1.0
    if not np.isfinite(value) or not ok:
        bound = "[0, 1)" if upper_open else "[0, 1]"
        raise ArgumentError(f"{name}={value!r} must lie in {bound}; give a proportion, not a percentage")


def _check_inputs(design: str, args: dict) -> None:
    for name, default in _DEFAULTS.items():
        if name not in _USES[design] and args[name] != default:
            raise ArgumentError(f"{name}={args[name]!r} does not apply to design {design!r} ({_LABELS[design]}); "
                                f"it uses only {', '.join(sorted(_USES[design]))}")
    for name in ("n", "J", "K"):
        if name in _USES[design]:
            value = args[name]
            if value is None or not np.isfinite(value) or value < 1:
                raise ArgumentError(f"{name}={value!r}: design {design!r} needs a sample size of at least 1 "
                                    f"(n: individuals per cluster, J: level-2 units per level-3 unit, "
                                    "K: level-3 units)")
    for name in ("rho2", "rho3", "omega3", "r2_level1", "r2_level2", "r2_level3", "r2_treatment3"):
        _check_fraction(name, float(args[name]), upper_open=name.startswith("rho"))
    if args["rho2"] + args["rho3"] >= 1.0:
        raise ArgumentError(f"rho2 + rho3 = {args['rho2'] + args['rho3']!r} must be below 1: they are shares of "
                            "the total variance and the individual level keeps the rest")
    if not 0.0 < args["p"] < 1.0:
        raise ArgumentError(f"p={args['p']!r} must lie strictly between 0 and 1 (the share assigned to treatment)")
    if int(args["g"]) != args["g"] or args["g"] < 0:
        raise ArgumentError(f"g={args['g']!r} must be a non-negative whole number of covariates")


def _variance_and_df(design: str, a: dict) -> tuple[float, int, float, float]:
    pq = a["p"] * (1.0 - a["p"])
    n, big_j, big_k, g = a["n"], a["J"], a["K"], int(a["g"])
    if design == "ira1r1":
        return (1.0 - a["r2_level1"]) / (pq * n), int(round(n)) - g - 2, float(n), np.nan
    if design == "cra2r2":
        var = (a["rho2"] * (1.0 - a["r2_level2"]) / (pq * big_j)
               + (1.0 - a["rho2"]) * (1.0 - a["r2_level1"]) / (pq * big_j * n))
        return var, int(round(big_j)) - g - 2, float(n * big_j), float(big_j)
    within = (a["rho2"] * (1.0 - a["r2_level2"]) / (pq * big_j * big_k)
              + (1.0 - a["rho2"] - a["rho3"]) * (1.0 - a["r2_level1"]) / (pq * big_j * big_k * n))
    if design == "cra3r3":
        var = a["rho3"] * (1.0 - a["r2_level3"]) / (pq * big_k) + within
        return var, int(round(big_k)) - g - 2, float(n * big_j * big_k), float(big_k)
    var = a["rho3"] * a["omega3"] * (1.0 - a["r2_treatment3"]) / big_k + within
    return var, int(round(big_k)) - g - 1, float(n * big_j * big_k), float(big_j * big_k)


def design_variance(design: Design, *, n: float, J: float | None = None, K: float | None = None,
                    rho2: float = 0.0, rho3: float = 0.0, omega3: float = 0.0, r2_level1: float = 0.0,
                    r2_level2: float = 0.0, r2_level3: float = 0.0, r2_treatment3: float = 0.0, g: int = 0,
                    p: float = 0.5) -> DesignVariance:
    """Variance and degrees of freedom of the standardized impact estimate of a PowerUp! design.

    Parameters
    ----------
    design
        ``"ira1r1"``, ``"cra2r2"``, ``"cra3r3"`` or ``"bcra3r2"`` (PowerUpR's names).
    n
        Individuals: the sample for ``ira1r1``, else individuals per level-2 unit (harmonic mean).
    J
        Level-2 units (``cra2r2``: clusters; three-level designs: level-2 units per level-3 unit).
    K
        Level-3 units (three-level designs).
    rho2, rho3
        Unconditional ICCs: the level-2 and level-3 shares of the total outcome variance.
    omega3
        ``bcra3r2``: variance of the treatment effect across blocks over the level-3 intercept variance.
    r2_level1, r2_level2, r2_level3
        Share of the level-1, level-2, level-3 variance explained by covariates.
    r2_treatment3
        ``bcra3r2``: share of the treatment-effect variance across blocks explained by level-3 moderators.
    g
        Covariates at the level whose sample size gives the degrees of freedom (level 1, 2 or 3).
    p
        Share of units assigned to treatment.

    Returns
    -------
    DesignVariance

    Raises
    ------
    ArgumentError
        For a design argument out of range, a missing sample size, or an argument the design does not use.
    EstimationError
        When fewer than one degree of freedom is left.

    Notes
    -----
    With :math:`P` the treated share (Dong & Maynard 2013, Table 3 and Appendix A):

    * ``ira1r1``: :math:`V = (1-R_1^2)/(P(1-P)n)`, df :math:`= n - g - 2`.
    * ``cra2r2``: :math:`V = \\rho_2(1-R_2^2)/(P(1-P)J) + (1-\\rho_2)(1-R_1^2)/(P(1-P)Jn)`, df :math:`= J-g-2`.
    * ``cra3r3``: :math:`V = \\rho_3(1-R_3^2)/(P(1-P)K) + \\rho_2(1-R_2^2)/(P(1-P)JK)
      + (1-\\rho_2-\\rho_3)(1-R_1^2)/(P(1-P)JKn)`, df :math:`= K-g-2`.
    * ``bcra3r2``: :math:`V = \\rho_3\\omega_3(1-R_{T3}^2)/K + \\rho_2(1-R_2^2)/(P(1-P)JK)
      + (1-\\rho_2-\\rho_3)(1-R_1^2)/(P(1-P)JKn)`, df :math:`= K-g-1`.

    References
    ----------
    Dong, N., & Maynard, R. (2013). PowerUp!: A tool for calculating minimum detectable effect sizes and minimum
    required sample sizes for experimental and quasi-experimental design studies. *Journal of Research on
    Educational Effectiveness*, 6(1), 24-67.

    Bloom, H. S. (2006). The core analytics of randomized experiments for social research. MDRC Working Papers
    on Research Methodology.

    Examples
    --------
    >>> design_variance("ira1r1", n=250).df
    248
    """
    check_choice("design", design, DESIGNS)
    args = {"n": n, "J": J, "K": K, "rho2": rho2, "rho3": rho3, "omega3": omega3, "r2_level1": r2_level1,
            "r2_level2": r2_level2, "r2_level3": r2_level3, "r2_treatment3": r2_treatment3, "g": g, "p": p}
    _check_inputs(design, args)
    var, df, n_obs, n_clusters = _variance_and_df(design, args)
    if df < 1:
        raise EstimationError(f"design {design!r} with these sample sizes and g={g} leaves df={df}: the t test "
                              "needs at least one degree of freedom; add units at the level of random assignment "
                              "or use fewer covariates there")
    used = tuple((k, float(args[k])) for k in ("n", "J", "K", "rho2", "rho3", "omega3", "r2_level1", "r2_level2",
                                               "r2_level3", "r2_treatment3", "g", "p") if k in _USES[design])
    return DesignVariance(design=design, label=_LABELS[design], variance=float(var), df=int(df),
                          n_obs=n_obs, n_clusters=n_clusters, parameters=used)
