"""Goodman-Bacon (2021): the TWFE DiD estimate as a weighted average of every 2x2 DiD comparison.

Examples
--------
>>> import pandas as pd
>>> rows = [(u, t) for u in range(6) for t in range(1, 6)]
>>> data = pd.DataFrame(rows, columns=["school", "year"])
>>> adopt = data["school"].map({0: 2, 1: 2, 2: 4, 3: 4, 4: 0, 5: 0})          # 0 = never adopts
>>> data["effect"] = ((adopt > 0) & (data["year"] >= adopt)) * (1.0 + (adopt == 4) + 0.5 * (data["year"] - adopt))
>>> data["score"] = 0.3 * data["school"] + 0.1 * data["year"] + data["effect"]
>>> data["adopt"] = adopt
>>> result = bacon_decomposition(data, outcome="score", unit="school", time="year", first_treated="adopt")
>>> result.comparisons[["term", "type", "estimate", "weight"]].round(4)
         term              type  estimate  weight
0      2 vs 4  earlier vs later      1.25   0.125
1  2 vs never  treated vs never      1.75   0.250
2      4 vs 2  later vs earlier      1.25   0.250
3  4 vs never  treated vs never      2.25   0.375
>>> round(result.twfe_estimate, 10) == round(result.weighted_sum, 10)
True
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analyses.did.bacon.panel import CellPanel, cell_panel, period_label
from analyses.did.bacon.result import COMPARISON_TYPES, BaconDecomposition
from data_schema.errors import EstimationError

__all__ = ["bacon_decomposition"]


def bacon_decomposition(data: pd.DataFrame, *, outcome: str, unit: str, time: str, treatment: str | None = None,
                        first_treated: str | None = None, weights: str | None = None) -> BaconDecomposition:
    """Decompose the two-way fixed effects DiD estimate into all 2x2 DiD comparisons (Goodman-Bacon 2021).

    The regression decomposed is ``y ~ D + unit FE + time FE`` on a balanced unit x period panel with
    staggered adoption (once treated, a unit stays treated).  Units are grouped by their first treated
    period; units treated in every period form the "always" group and units never treated in the panel
    the "never" group.  Every timing group is compared with every other group in a 2x2 DiD.

    Parameters
    ----------
    data
        Long table.  One row a unit x period cell, or several rows (students) a cell: the outcome is then
        averaged within each cell, every row counting once, and the decomposition is of the *cell-level*
        TWFE regression with equal unit weights, as in the paper.  (A student-level regression weights
        cells by their size; when sizes vary, it is not decomposable this way.)
    outcome, unit, time
        Column names.  ``time`` must be sortable; the panel must be balanced after dropping rows with a
        missing outcome, unit, time, treatment or weight.
    treatment
        0/1 column, constant within each unit x period cell and absorbing.  Give this or ``first_treated``.
    first_treated
        Column with each unit's first treated period (constant within a unit); missing, 0 or infinite
        means never treated.  A period before the first one in the panel means always treated; one
        after the last means never treated in this panel; one between two observed periods takes effect
        in the next observed period.
    weights
        Optional column of positive *unit* weights, constant within each unit (e.g. enrolment).  The
        decomposition is then of the weighted cell-level regression, with group sizes replaced by group
        weight totals and group means by weighted means.  Weights that vary within a unit are refused.

    Returns
    -------
    BaconDecomposition
        The TWFE estimate, the table of 2x2 comparisons with weights, totals by comparison type and the
        identity check.

    Raises
    ------
    data_schema.errors.EstimationError
        Unbalanced panel, non-0/1 or non-absorbing treatment, treatment varying within a cell, adoption
        or weights varying within a unit, or no unit changing treatment status.
    data_schema.errors.ArgumentError
        Both or neither of ``treatment`` and ``first_treated`` given, or a non-numeric column.

    Notes
    -----
    Let group :math:`k` hold units first treated in period :math:`t_k^*`, with share :math:`n_k` of the
    (weighted) units and share :math:`\\bar D_k` of the :math:`T` periods treated; :math:`U` the never
    treated.  With :math:`\\hat V^D` the variance of the two-way demeaned treatment, Theorem 1 of
    Goodman-Bacon (2021) writes the TWFE coefficient as

    .. math::
        \\hat\\beta^{DD} = \\sum_{k \\ne U} s_{kU}\\hat\\beta^{2x2}_{kU}
        + \\sum_{k \\ne U}\\sum_{l > k} \\left[s^k_{kl}\\hat\\beta^{2x2,k}_{kl}
        + s^l_{kl}\\hat\\beta^{2x2,l}_{kl}\\right]

    with weights (:math:`n_{kl} = n_k / (n_k + n_l)`, :math:`k` earlier than :math:`l`)

    .. math::
        s_{kU} = \\frac{(n_k + n_U)^2\\, n_{kU}(1 - n_{kU})\\, \\bar D_k(1 - \\bar D_k)}{\\hat V^D}

        s^k_{kl} = \\frac{((n_k + n_l)(1 - \\bar D_l))^2\\, n_{kl}(1 - n_{kl})\\,
        \\frac{\\bar D_k - \\bar D_l}{1 - \\bar D_l}\\frac{1 - \\bar D_k}{1 - \\bar D_l}}{\\hat V^D}

        s^l_{kl} = \\frac{((n_k + n_l)\\bar D_k)^2\\, n_{kl}(1 - n_{kl})\\,
        \\frac{\\bar D_l}{\\bar D_k}\\frac{\\bar D_k - \\bar D_l}{\\bar D_k}}{\\hat V^D}

    Each is (subsample size)\\ :sup:`2` times the variance of the demeaned treatment within its 2x2
    subsample: with :math:`N` unit weights and :math:`p, q` treated and untreated periods of the treated
    group in the window, :math:`s \\propto N_k N_l\\, p\\, q`.  :math:`\\hat\\beta^{2x2}_{kU}` compares
    :math:`k` with :math:`U` over all periods; :math:`\\hat\\beta^{2x2,k}_{kl}` compares :math:`k` with the
    not-yet-treated :math:`l` in periods before :math:`t_l^*`; :math:`\\hat\\beta^{2x2,l}_{kl}` compares
    :math:`l` with the already-treated :math:`k` from :math:`t_k^*` on.  Each is the difference of the
    mean post-minus-pre change of group means, which on a balanced two-group subsample equals that
    subsample's TWFE coefficient.  Always-treated units enter like :math:`U` with :math:`\\bar D = 1`.
    The weights are computed from group sizes and periods and rescaled to sum to one (as R
    ``bacondecomp`` does); :attr:`~BaconDecomposition.weight_sum_unscaled` shows they sum to one before
    rescaling.  Work is :math:`O(\\text{rows} + G^2)` for :math:`G` groups.  Time-varying covariates
    (the paper's within/between decomposition) are not supported.

    References
    ----------
    Goodman-Bacon, A. (2021). Difference-in-differences with variation in treatment timing. *Journal of
    Econometrics*, 225(2), 254-277. https://doi.org/10.1016/j.jeconom.2021.03.014

    Examples
    --------
    >>> import pandas as pd
    >>> data = pd.DataFrame({"unit": [1, 1, 1, 2, 2, 2, 3, 3, 3], "t": [1, 2, 3] * 3,
    ...                      "y": [0.0, 1.0, 1.2, 0.0, 0.1, 0.9, 0.0, 0.1, 0.2], "d": [0, 1, 1, 0, 0, 1, 0, 0, 0]})
    >>> result = bacon_decomposition(data, outcome="y", unit="unit", time="t", treatment="d")
    >>> result.by_type[["type", "weight", "n_comparisons"]]
                   type    weight  n_comparisons
    0  treated vs never  0.666667              2
    1  earlier vs later  0.166667              1
    2  later vs earlier  0.166667              1
    >>> abs(result.identity_difference) < 1e-12
    True
    """
    panel = cell_panel(data, outcome=outcome, unit=unit, time=time, treatment=treatment,
                       first_treated=first_treated, weights=weights)
    twfe, variance = _twfe(panel)
    groups, table, raw = _two_by_twos(panel)
    n_units, n_periods = panel.y.shape
    total = float(panel.unit_weights.sum())
    weighted_sum = float(np.sum(table["weight"] * table["estimate"]))
    return BaconDecomposition(
        twfe_estimate=twfe, weighted_sum=weighted_sum, identity_difference=weighted_sum - twfe,
        weight_sum_unscaled=float(raw.sum() / (total ** 2 * n_periods ** 2 * variance)),
        treatment_variance=variance, comparisons=table, by_type=_by_type(table), groups=groups,
        outcome=outcome, unit=unit, time=time, treatment=treatment, first_treated=first_treated,
        weights=weights, n_obs=panel.n_obs, n_dropped=panel.n_dropped, n_units=n_units, n_periods=n_periods,
        first_period=period_label(panel.periods[0]), last_period=period_label(panel.periods[-1]))


def _twfe(panel: CellPanel) -> tuple[float, float]:
    """The TWFE coefficient and :math:`\\hat V^D` by the two-way within transform of the treatment dummy.

    On a balanced panel with time-invariant unit weights the weighted two-way projection is additive:
    :math:`\\tilde D_{it} = D_{it} - \\bar D_i - \\bar D^w_t + \\bar D^w`.
    """
    n_units, n_periods = panel.y.shape
    if n_periods < 2:
        raise EstimationError(f"the panel has {n_periods} period; a DiD needs at least two")
    d = (np.arange(n_periods)[None, :] >= panel.onset[:, None]).astype(float)
    w = panel.unit_weights
    total = w.sum()
    row = d.mean(axis=1)
    d_tilde = d - row[:, None] - (w @ d / total)[None, :] + w @ row / total
    denominator = float(w @ np.sum(d_tilde * d_tilde, axis=1))
    if denominator <= 1e-12 * total * n_periods:
        raise EstimationError(
            "no unit changes treatment status relative to another: every unit is never treated, always treated "
            "or adopts in the same period as every other unit, so the TWFE coefficient is not identified and there "
            "is nothing to decompose. A staggered design needs units adopting at different times or a comparison "
            "group that does not adopt in the panel")
    numerator = float(w @ np.sum(d_tilde * panel.y, axis=1))
    return numerator / denominator, denominator / (total * n_periods)


def _group_means(panel: CellPanel) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Distinct onsets, unit counts, weight totals and weighted period means (centred by group) of each group."""
    onsets, group_of_unit = np.unique(panel.onset, return_inverse=True)
    n_groups = len(onsets)
    counts = np.bincount(group_of_unit, minlength=n_groups)
    totals = np.bincount(group_of_unit, weights=panel.unit_weights, minlength=n_groups)
    sums = np.zeros((n_groups, panel.y.shape[1]))
    np.add.at(sums, group_of_unit, panel.y * panel.unit_weights[:, None])
    means = sums / totals[:, None]
    return onsets, counts, totals, means - means.mean(axis=1, keepdims=True)


def _two_by_twos(panel: CellPanel) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """All 2x2 comparisons at once: the groups table, the comparisons table and the raw weights."""
    n_periods = panel.y.shape[1]
    onsets, counts, totals, means = _group_means(panel)
    labels = np.array([_group_label(o, panel.periods) for o in onsets], dtype=object)
    a, b = (x.ravel() for x in np.meshgrid(np.arange(len(onsets)), np.arange(len(onsets)), indexing="ij"))
    timing = (onsets[a] > 0) & (onsets[a] < n_periods) & (a != b)
    a, b = a[timing], b[timing]
    order = np.lexsort((np.where(onsets[b] == 0, n_periods + 1, onsets[b]), onsets[a]))
    a, b = a[order], b[order]
    start, cut, later = onsets[a], onsets[a], onsets[b] > onsets[a]
    lo = np.where(later, 0, onsets[b])
    hi = np.where(later, onsets[b], n_periods)
    cum = np.concatenate([np.zeros((len(onsets), 1)), np.cumsum(means, axis=1)], axis=1)
    post = (cum[a, hi] - cum[a, cut]) - (cum[b, hi] - cum[b, cut])
    pre = (cum[a, cut] - cum[a, lo]) - (cum[b, cut] - cum[b, lo])
    n_post, n_pre = hi - start, start - lo
    raw = totals[a] * totals[b] * n_post * n_pre
    kind = np.select([onsets[b] == n_periods, onsets[b] == 0, later], [0, 3, 1], default=2)
    table = pd.DataFrame({
        "term": [f"{t} vs {c}" for t, c in zip(labels[a], labels[b], strict=True)],
        "type": np.array(COMPARISON_TYPES, dtype=object)[kind], "treated": labels[a], "control": labels[b],
        "estimate": post / n_post - pre / n_pre, "weight": raw / raw.sum(),
        "n_treated_units": counts[a], "n_control_units": counts[b],
        "window_start": panel.periods[lo], "window_end": panel.periods[hi - 1],
        "n_periods_pre": n_pre, "n_periods_post": n_post, "n_cells": (counts[a] + counts[b]) * (hi - lo)})
    kinds = np.where(onsets == 0, "always", np.where(onsets == n_periods, "never", "timing"))
    groups = pd.DataFrame({
        "group": labels, "kind": kinds,
        "first_treated_period": [period_label(panel.periods[o]) if k == "timing" else ""
                                 for o, k in zip(onsets, kinds, strict=True)],
        "n_units": counts, "unit_weight": totals, "treated_share": (n_periods - onsets) / n_periods})
    return groups, table, raw


def _group_label(onset: int, periods: np.ndarray) -> str:
    if onset == 0:
        return "always"
    if onset == len(periods):
        return "never"
    return period_label(periods[onset])


def _by_type(table: pd.DataFrame) -> pd.DataFrame:
    """Total weight, weighted-average estimate and count of comparisons of each type present."""
    rows = []
    for kind in COMPARISON_TYPES:
        part = table[table["type"] == kind]
        if len(part):
            weight = float(part["weight"].sum())
            rows.append({"type": kind, "weight": weight,
                         "estimate": float(np.sum(part["weight"] * part["estimate"]) / weight),
                         "n_comparisons": len(part)})
    return pd.DataFrame(rows, columns=["type", "weight", "estimate", "n_comparisons"])
