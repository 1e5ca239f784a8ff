"""Simulated staggered-adoption panels with known, heterogeneous group-time effects.

Examples
--------
>>> sim = simulate_staggered(n_units=100, n_periods=8, n_cohorts=3, seed=2)
>>> sim.data.shape, sorted(sim.data["first_treated"].unique().tolist())
((800, 6), [0, 3, 5, 7])
>>> sim.true_att.query("group == 3 and time == 5")["att"].item()
1.5
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["SimulatedStaggered", "simulate_staggered"]


@dataclass(frozen=True)
class SimulatedStaggered:
    """A simulated panel and its true effects.

    Attributes
    ----------
    data
        Long panel: ``unit``, ``time`` (1..T), ``first_treated`` (0 = never), ``y``, ``x`` (a time-invariant
        covariate) and ``institution`` (a cluster of units).
    true_att
        ``group``, ``time``, ``event`` and ``att`` for every treated cohort and period (0 before treatment).
    """

    data: pd.DataFrame
    true_att: pd.DataFrame


def simulate_staggered(*, n_units: int = 1000, n_periods: int = 10, n_cohorts: int = 3, never_share: float = 0.3,
                       covariate_shift: float = 0.0, n_institutions: int = 50, noise_sd: float = 1.0,
                       seed: int | None = 0) -> SimulatedStaggered:
    """Simulate a staggered-adoption panel with heterogeneous effects that grow with exposure.

    Parameters
    ----------
    n_units, n_periods
        Units and periods (1..T).
    n_cohorts
        Adoption cohorts, first treated in periods spread evenly over 3..T-1.
    never_share
        Share of never-treated units; the rest are split evenly (at random) over the cohorts.
    covariate_shift
        Mean of ``x`` among units that are ever treated (0 among never-treated units; standard deviation 1).
        With :math:`\\beta_t = 0.2 t` outcome trends depend on ``x``, so a non-zero shift breaks unconditional
        parallel trends while parallel trends conditional on ``x`` still hold.
    n_institutions
        Units are spread over this many institutions (column ``institution``).
    noise_sd
        Standard deviation of the idiosyncratic error.
    seed
        Seed of the random draws.

    Returns
    -------
    SimulatedStaggered

    Notes
    -----
    :math:`Y_{it} = \\alpha_i + \\lambda_t + \\beta_t x_i + \\tau_{g,t} 1\\{t \\ge g\\} + \\varepsilon_{it}`.
    Effects grow with exposure and differ by cohort: for cohort rank r = 0, 1, ... (earliest first) and event
    time e = t - g >= 0, :math:`\\tau_{g,t} = (1 + e)(0.5 + 0.25 r)`.  Unit effects :math:`\\alpha_i \\sim
    N(0.5 r_i, 1)` differ by cohort (selection on levels, which DiD removes); :math:`\\lambda_t = 0.1 t`.

    Examples
    --------
    >>> sim = simulate_staggered(n_units=50, n_periods=6, n_cohorts=2, seed=0)
    >>> sim.true_att.query("group == 5")["att"].tolist()  # cohort rank 1: (1 + e) * 0.75 from period 5
    [0.0, 0.0, 0.0, 0.0, 0.75, 1.5]
    """
    rng = np.random.default_rng(seed)
    periods = np.arange(1, n_periods + 1)
    index = np.unique(np.round(np.linspace(2, n_periods - 2, n_cohorts)).astype(int))
    cohorts = periods[index]
    never = rng.random(n_units) < never_share
    rank = np.where(never, -1, rng.integers(0, len(cohorts), n_units))
    first = np.where(never, 0, cohorts[np.maximum(rank, 0)])
    x = rng.normal(size=n_units) + covariate_shift * (~never)
    alpha = rng.normal(size=n_units) + 0.5 * np.maximum(rank, 0)
    t = periods[None, :]
    event = t - first[:, None]
    treated = (~never)[:, None] & (event >= 0)
    tau = np.where(treated, (1 + event) * (0.5 + 0.25 * rank[:, None]), 0.0)
    y = alpha[:, None] + 0.1 * t + 0.2 * t * x[:, None] + tau + noise_sd * rng.normal(size=(n_units, n_periods))
    data = pd.DataFrame({"unit": np.repeat(np.arange(n_units), n_periods), "time": np.tile(periods, n_units),
                         "first_treated": np.repeat(first, n_periods), "y": y.ravel(),
                         "x": np.repeat(x, n_periods), "institution": np.repeat(np.arange(n_units) % n_institutions,
                                                                                n_periods)})
    g, tt = np.meshgrid(cohorts, periods, indexing="ij")
    r = np.repeat(np.arange(len(cohorts)), n_periods).reshape(g.shape)
    att = np.where(tt >= g, (1 + tt - g) * (0.5 + 0.25 * r), 0.0)
    true_att = pd.DataFrame({"group": g.ravel(), "time": tt.ravel(), "event": (tt - g).ravel(), "att": att.ravel()})
    return SimulatedStaggered(data=data, true_att=true_att)
