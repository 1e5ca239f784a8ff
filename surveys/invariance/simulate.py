"""Simulate item scores from a multi-group factor model, with optional non-invariance.

Examples
--------
>>> df = simulate_groups(factors={"f": ["a", "b", "c"]}, n_per_group={"x": 5, "y": 5}, seed=0)
>>> df.shape, sorted(df["group"].unique())
((10, 4), ['x', 'y'])
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence

import numpy as np
import pandas as pd

from data_schema.errors import EstimationError

from .model import MeasurementModel

__all__ = ["simulate_groups"]


def simulate_groups(
    *,
    factors: Mapping[str, Sequence[str]],
    n_per_group: Mapping[Hashable, int],
    loading: float = 0.7,
    factor_correlation: float = 0.3,
    intercept: float = 3.0,
    factor_mean_shift: Mapping[Hashable, float] | None = None,
    intercept_shift: Mapping[tuple[Hashable, str], float] | None = None,
    loading_shift: Mapping[tuple[Hashable, str], float] | None = None,
    group: str = "group",
    seed: int | None = None,
) -> pd.DataFrame:
    """Draw multivariate-normal item scores from a factor model for several groups.

    Parameters
    ----------
    factors
        Simple structure ``{factor: [items]}``.
    n_per_group
        Rows to draw per group label.
    loading
        Standardized loading of every item; residual variance is
        :math:`1 - \\lambda^2`, so item variances are 1 (shifts are in SD units).
    factor_correlation
        Correlation between every pair of factors (factor variances are 1).
    intercept
        Item intercept in every group.
    factor_mean_shift
        Factor mean per group (same for all factors); default 0.
    intercept_shift
        ``{(group, item): shift}`` added to that item's intercept in that group
        (non-invariant intercepts).
    loading_shift
        ``{(group, item): shift}`` added to that item's loading in that group
        (non-invariant loadings).
    group
        Name of the group column of the output.
    seed
        Seed of numpy's default generator.

    Returns
    -------
    pandas.DataFrame
        One column per item plus ``group``.

    Notes
    -----
    :math:`y = \\nu_g + \\Lambda_g\\eta + \\varepsilon`, with
    :math:`\\eta \\sim N(\\alpha_g, \\Phi)` and
    :math:`\\varepsilon \\sim N(0, \\operatorname{diag}(1-\\lambda^2))`.

    Examples
    --------
    >>> df = simulate_groups(factors={"f": ["a", "b", "c"]}, n_per_group={"all": 20000}, seed=1)
    >>> round(float(df[["a", "b", "c"]].var().mean()), 1)
    1.0
    """
    spec = MeasurementModel.from_mapping(factors)
    if not 0 < loading < 1:
        raise EstimationError(f"loading={loading!r} must lie in (0, 1): it is a standardized loading")
    rng = np.random.default_rng(seed)
    m, p = spec.n_factors, spec.n_items
    phi = np.full((m, m), factor_correlation)
    np.fill_diagonal(phi, 1.0)
    frames = []
    for label, n in n_per_group.items():
        lam = np.zeros((p, m))
        lam[np.arange(p), spec.item_factor] = loading
        nu = np.full(p, intercept)
        for k, item in enumerate(spec.items):
            lam[k, spec.item_factor[k]] += (loading_shift or {}).get((label, item), 0.0)
            nu[k] += (intercept_shift or {}).get((label, item), 0.0)
        alpha = np.full(m, (factor_mean_shift or {}).get(label, 0.0))
        eta = rng.multivariate_normal(alpha, phi, size=int(n))
        eps = rng.normal(scale=np.sqrt(1.0 - loading**2), size=(int(n), p))
        frame = pd.DataFrame(nu + eta @ lam.T + eps, columns=list(spec.items))
        frame[group] = label
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)
