"""Simulated staggered-adoption studies with a known effect, for examples, tests and benchmarks.

Examples
--------
>>> data = simulate_did(n_units=8, n_periods=6, students_per_cell=5, seed=1)
>>> data.shape, sorted(data.columns)
((240, 8), ['cluster', 'effect', 'first_treated', 'period', 'student', 'treated', 'unit', 'y'])
>>> bool((data.loc[data["treated"] == 0, "effect"] == 0).all())
True
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from data_schema.errors import ArgumentError

__all__ = ["simulate_did", "true_effects"]


def true_effects(first_treated: np.ndarray, period: np.ndarray, *, effect: float, effect_growth: float,
                 group_spread: float, groups: Sequence[float]) -> np.ndarray:
    """tau(g, t) = effect * m_g * (1 + growth * (t - g)) for t >= g, else 0 (never-treated: g is NaN).

    ``m_g`` runs linearly from ``1 + group_spread`` for the earliest adoption group to ``1 - group_spread``
    for the latest.

    Examples
    --------
    >>> true_effects(np.array([2.0, 2.0, np.nan]), np.array([1, 3, 3]), effect=1.0, effect_growth=0.5,
    ...              group_spread=0.0, groups=[2.0])
    array([0. , 1.5, 0. ])
    """
    g = np.asarray(first_treated, dtype=float)
    groups = sorted(set(groups))
    if len(groups) > 1:
        m_of = {v: 1 + group_spread - 2 * group_spread * i / (len(groups) - 1) for i, v in enumerate(groups)}
    else:
        m_of = {v: 1.0 for v in groups}
    m = np.array([m_of.get(v, 1.0) if np.isfinite(v) else 0.0 for v in g])
    on = np.isfinite(g) & (period >= np.nan_to_num(g, nan=np.inf))
    return np.where(on, effect * m * (1 + effect_growth * (period - np.nan_to_num(g))), 0.0)


def simulate_did(*, n_units: int = 20, n_periods: int = 8, units_per_cluster: int = 1, students_per_cell: int = 20,
                 adoption: Sequence[int] | None = None, never_share: float = 0.3, effect: float = 0.5,
                 effect_growth: float = 0.0, group_spread: float = 0.0, cluster_sd: float = 0.5,
                 cluster_period_sd: float = 0.2, unit_sd: float = 0.3, noise_sd: float = 1.0,
                 seed: int = 0) -> pd.DataFrame:
    """Students in unit x period cells; units in clusters; clusters adopt at staggered periods.

    Parameters
    ----------
    n_units, n_periods
        Units (e.g. institution x program) and periods ``1 .. n_periods`` (cohorts).
    units_per_cluster
        Units per cluster (institution); ``n_units`` must be a multiple.
    students_per_cell
        Students per unit and period (repeated cross-sections).
    adoption
        Adoption periods the treated clusters are spread over (default: the middle third of periods).
    never_share
        Share of clusters that never adopt (at least one, at least one adopting).
    effect, effect_growth, group_spread
        The effect ``tau(g, t)`` of :func:`true_effects`.
    cluster_sd, cluster_period_sd, unit_sd, noise_sd
        SDs of the cluster effect, the cluster x period shock (correlation within clusters over time), the
        unit effect and the student noise (heteroskedastic: scaled by a cluster factor in 0.5-1.5).
    seed
        Seed of every draw.

    Returns
    -------
    pandas.DataFrame
        Columns ``student, unit, cluster, period, first_treated`` (NaN = never), ``treated`` (0/1),
        ``effect`` (the true tau of the row) and ``y``.
    """
    if n_units < 2 or n_periods < 2 or students_per_cell < 1 or units_per_cluster < 1:
        raise ArgumentError("n_units and n_periods must be >= 2, students_per_cell and units_per_cluster >= 1")
    if n_units % units_per_cluster:
        raise ArgumentError(f"n_units={n_units} is not a multiple of units_per_cluster={units_per_cluster}")
    rng = np.random.default_rng(seed)
    n_clusters = n_units // units_per_cluster
    if adoption is None:
        lo, hi = max(2, n_periods // 3 + 1), max(2, n_periods - n_periods // 3)
        adoption = list(range(lo, hi + 1))
    n_never = min(max(1, round(never_share * n_clusters)), n_clusters - 1)
    years = [float(adoption[i % len(adoption)]) for i in range(n_clusters - n_never)] + [np.nan] * n_never
    g_cluster = np.array(years)[rng.permutation(n_clusters)]
    cluster_of_unit = np.repeat(np.arange(n_clusters), units_per_cluster)
    u, t, s = (a.ravel() for a in np.meshgrid(np.arange(n_units), np.arange(1, n_periods + 1),
                                               np.arange(students_per_cell), indexing="ij"))
    c = cluster_of_unit[u]
    g = g_cluster[c]
    tau = true_effects(g, t, effect=effect, effect_growth=effect_growth, group_spread=group_spread,
                       groups=[v for v in g_cluster if np.isfinite(v)])
    a_c = rng.normal(0, cluster_sd, n_clusters)
    b_ct = rng.normal(0, cluster_period_sd, (n_clusters, n_periods))
    a_u = rng.normal(0, unit_sd, n_units)
    scale = rng.uniform(0.5, 1.5, n_clusters)
    y = 0.1 * t + a_c[c] + b_ct[c, t - 1] + a_u[u] + tau + noise_sd * scale[c] * rng.standard_normal(u.size)
    return pd.DataFrame({"student": np.arange(u.size), "unit": u, "cluster": c, "period": t, "first_treated": g,
                         "treated": (np.isfinite(g) & (t >= np.nan_to_num(g, nan=np.inf))).astype(float),
                         "effect": tau, "y": y})
