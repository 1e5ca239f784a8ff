"""The two-way fixed-effects design: students or cells in, swept arrays out.

A difference-in-differences regression ``y ~ regressors + unit FE + time FE``
is estimated by the Frisch–Waugh–Lovell theorem: one fixed effect (the
*absorbed* one, usually the unit) is swept out by a weighted within transform,
the other enters as dummies.  When every regressor and the cluster are constant
within unit x period cells -- the usual case: treatment is assigned to
institutions by cohort -- the student rows are first collapsed to cells (sum of
weights and weighted mean outcome).  Weighted least squares on the cells gives
the student-level coefficients exactly, and each cluster's score
:math:`\\sum_{i \\in g} w_i x_i \\hat u_i = \\sum_{c \\in g} x_c W_c (\\bar y_c - x_c'\\hat\\beta)`
is exact too, so cluster-robust variances need nothing else.  The work on a
million students is then a few ``bincount`` passes.  :func:`cell_design` starts
from such cell sums computed elsewhere (by a query engine, see
:mod:`analyses.did.cells`) and runs the same sweep.

Examples
--------
>>> import pandas as pd
>>> data = pd.DataFrame({"y": [1.0, 2.0, 3.0, 5.0, 2.0, 2.5, 3.0, 3.5], "d": [0, 0, 1, 1, 0, 0, 0, 0],
...                      "unit": [1, 1, 1, 1, 2, 2, 2, 2], "t": [1, 1, 2, 2, 1, 1, 2, 2]})
>>> design = two_way_design(data, outcome="y", regressors=["d"], unit="unit", time="t", cluster="unit")
>>> design.cells, design.X.shape, design.n_obs, design.names
(True, (4, 2), 8, ('d', 't=2'))
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, NamedTuple

import numpy as np
import pandas as pd

from data_schema.arguments import check_choice, check_columns
from data_schema.errors import ArgumentError, EstimationError

__all__ = ["TwfeDesign", "two_way_design", "cell_design", "cluster_sums"]

Absorb = Literal["auto", "unit", "time"]


@dataclass(frozen=True)
class TwfeDesign:
    """Arrays of a two-way fixed-effects regression after the absorbed fixed effect is swept out.

    Attributes
    ----------
    y
        ``(m,)`` outcome after the weighted within transform of the absorbed factor.
    X
        ``(m, k)`` regressors after the same sweep: the named regressors first, then the dummies of
        the other factor (its first level dropped).
    weights
        ``(m,)`` regression weights: cell sums of the row weights when rows are cells, else the row
        weights (ones when none were given).
    cluster
        ``(m,)`` cluster codes ``0 .. G-1``.
    names
        The ``k`` column names of ``X``.
    n_obs
        Data rows used (students, not cells).
    n_dropped
        Rows dropped because a used column was missing.
    n_clusters
        Number of clusters G.
    k_small_sample
        K of the CR1 factor :math:`\\frac{G}{G-1}\\frac{n-1}{n-K}`, counted as Stata's ``reghdfe`` does
        (Correia 2017, the "absorbed degrees of freedom" table): the named regressors, one for the
        constant, and ``levels - 1`` for each fixed effect that is *not* nested in the cluster (a fixed
        effect nested in the cluster costs no degree of freedom).  With units nested in clusters
        ``K = k + T``.  This is also R fixest's default ``ssc(fixef.K = "nested")`` as pyfixest 0.60
        implements it (``k_fixef="nonnested"``).
    absorbed
        Which factor was swept out: ``"unit"`` or ``"time"``.
    absorbed_nested
        Whether the absorbed factor is nested in the cluster (each level in one cluster); the wild
        cluster bootstrap on swept arrays is exact only then.
    cells
        Whether rows are unit x period cells (True) or the data rows themselves.
    n_units, n_periods
        Levels of the unit and time factors.
    raw
        ``(m, len(regressors))`` the named regressors before the sweep (for design diagnostics).
    unit_code, time_code
        ``(m,)`` codes of each row's unit and period (sorted level order).
    time_levels
        The period labels in code order.
    """

    y: np.ndarray
    X: np.ndarray
    weights: np.ndarray
    cluster: np.ndarray
    names: tuple[str, ...]
    n_obs: int
    n_dropped: int
    n_clusters: int
    k_small_sample: int
    absorbed: str
    absorbed_nested: bool
    cells: bool
    n_units: int
    n_periods: int
    raw: np.ndarray
    unit_code: np.ndarray
    time_code: np.ndarray
    time_levels: np.ndarray

    @property
    def cr1_factor(self) -> float:
        """The CR1 small-sample factor :math:`\\frac{G}{G-1}\\frac{n-1}{n-K}`."""
        g, n, k = self.n_clusters, self.n_obs, self.k_small_sample
        return g / (g - 1) * (n - 1) / (n - k)


def cluster_sums(codes: np.ndarray, values: np.ndarray, n_groups: int) -> np.ndarray:
    """Column sums of ``values`` (``(m,)`` or ``(m, k)``) within each code: ``(G,)`` or ``(G, k)``.

    Examples
    --------
    >>> cluster_sums(np.array([0, 1, 0]), np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]), 2)
    array([[6., 8.],
           [3., 4.]])
    """
    if values.ndim == 1:
        return np.bincount(codes, weights=values, minlength=n_groups)
    return np.column_stack([np.bincount(codes, weights=values[:, j], minlength=n_groups)
                            for j in range(values.shape[1])]) if values.shape[1] else np.zeros((n_groups, 0))


def _codes(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    values = series.to_numpy()
    if values.dtype.kind in "iu" and values.size:
        lo, hi = int(values.min()), int(values.max())
        if hi - lo < max(10 * values.size, 1_000_000):
            shifted = (values - lo).astype(np.intp, copy=False)
            present = np.zeros(hi - lo + 1, dtype=bool)
            present[shifted] = True
            remap = np.cumsum(present) - 1
            return remap[shifted], np.flatnonzero(present) + lo
    codes, levels = pd.factorize(series, sort=True)
    return codes.astype(np.intp, copy=False), np.asarray(levels)


def _constant_within(cell: np.ndarray, n_cells: int, values: np.ndarray) -> bool:
    first = np.empty(n_cells, dtype=values.dtype)
    first[cell] = values
    return bool(np.array_equal(first[cell], values))


def _sweep(codes: np.ndarray, n_levels: int, w: np.ndarray, values: np.ndarray) -> np.ndarray:
    total = np.bincount(codes, weights=w, minlength=n_levels)
    total[total == 0] = 1.0
    means = cluster_sums(codes, values * (w if values.ndim == 1 else w[:, None]), n_levels)
    means = means / (total if values.ndim == 1 else total[:, None])
    return values - means[codes]


def _clean(data: pd.DataFrame, columns: list[str]) -> tuple[pd.DataFrame, int]:
    missing = np.zeros(len(data), dtype=bool)
    for col in columns:
        missing |= data[col].isna().to_numpy()
    if missing.all():
        raise EstimationError(f"every row has a missing value in one of {', '.join(map(repr, columns))}")
    return (data.loc[~missing, columns] if missing.any() else data), int(missing.sum())


def _float_column(frame: pd.DataFrame, col: str, what: str) -> np.ndarray:
    try:
        return frame[col].to_numpy(dtype=float)
    except (TypeError, ValueError) as exc:
        raise EstimationError(f"{what} column {col!r} must be numeric (got dtype {frame[col].dtype}): {exc}") from None


def two_way_design(data: pd.DataFrame, *, outcome: str, regressors: Sequence[str], unit: str, time: str,
                   cluster: str, weights: str | None = None, absorb: Absorb = "auto",
                   what: str = "data") -> TwfeDesign:
    """Collapse to cells when possible, sweep out one fixed effect and add dummies of the other.

    Parameters
    ----------
    data
        One row per student (or per unit x period); rows with a missing used value are dropped and counted.
    outcome, regressors
        Numeric outcome and regressor columns (treatment, event-time dummies, covariates).
    unit, time
        The two fixed-effect factors.
    cluster
        Cluster column (codes are taken in sorted order).
    weights
        Optional non-negative row weights.
    absorb
        Factor to sweep out; ``"auto"`` takes the unit when it is nested in the cluster, else the time
        factor when that is nested, else the factor with more levels.
    what
        Name of the table in error messages.

    Returns
    -------
    TwfeDesign

    Raises
    ------
    EstimationError
        When a regressor is not numeric, does not vary once the fixed effects are removed, or weights
        are negative.
    """
    check_choice("absorb", absorb, ("auto", "unit", "time"))
    regressors = list(regressors)
    cols = list(dict.fromkeys([outcome, *regressors, unit, time, cluster] + ([weights] if weights else [])))
    check_columns(data, cols, what=what)
    frame, n_dropped = _clean(data, cols)
    y = _float_column(frame, outcome, "outcome")
    xs = np.column_stack([_float_column(frame, r, "regressor") for r in regressors]) if regressors \
        else np.zeros((len(frame), 0))
    w = _float_column(frame, weights, "weights") if weights else np.ones(len(frame))
    if weights and (w < 0).any():
        raise EstimationError(f"weights column {weights!r} has negative values; weights must be >= 0")
    u_code, u_levels = _codes(frame[unit])
    t_code, t_levels = _codes(frame[time])
    g_code, g_levels = (u_code, u_levels) if cluster == unit else (t_code, t_levels) if cluster == time \
        else _codes(frame[cluster])
    n_u, n_t, n_g = len(u_levels), len(t_levels), len(g_levels)
    _check_clusters(n_g, cluster)
    cell = u_code * n_t + t_code
    n_cells = n_u * n_t
    use_cells = all(_constant_within(cell, n_cells, xs[:, j]) for j in range(xs.shape[1])) \
        and (cluster in (unit, time) or _constant_within(cell, n_cells, g_code))
    if use_cells:
        y, xs, w, u_code, t_code, g_code = _collapse(cell, n_cells, n_t, y, xs, w, g_code)
    return _assemble(_Rows(y, xs, w, u_code, t_code, g_code, n_g, u_levels, t_levels),
                     names=tuple(regressors), unit=unit, time=time, absorb=absorb,
                     counts=(len(frame), n_dropped), cells=use_cells)


def cell_design(cells: pd.DataFrame, regressors: np.ndarray, *, names: Sequence[str], unit: str, time: str,
                cluster: str, n_dropped: int, count: str = "n", weight: str = "w", weighted_outcome: str = "wy",
                absorb: Absorb = "auto") -> TwfeDesign:
    """The design from unit x period cell sums, exactly as :func:`two_way_design` builds it from rows.

    This is the numpy half of the engine path: a query engine returns one row per cell (see
    :mod:`analyses.did.cells`), and the sweep, dummies and checks are the ones the row path runs after
    collapsing its rows to cells.

    Parameters
    ----------
    cells
        One row per unit x period cell with data (no repeated pair): the ``unit``, ``time`` and ``cluster``
        columns, the row count ``count``, the sum of row weights ``weight`` and the sum of weight x outcome
        ``weighted_outcome`` (ones for weights when unweighted: then ``weight`` is the count).
    regressors
        ``(m, k)`` cell values of the named regressors (constant within each cell), in the order of ``cells``.
    names
        The ``k`` regressor names.
    unit, time, cluster
        Column names of the two fixed-effect factors and the cluster in ``cells``.
    n_dropped
        Data rows dropped for a missing value (reported, not used).
    count, weight, weighted_outcome
        Column names of the sums in ``cells``.
    absorb
        As in :func:`two_way_design`.

    Returns
    -------
    TwfeDesign
        With ``cells=True`` and ``n_obs`` the sum of ``count``.

    Raises
    ------
    ArgumentError
        When a (unit, period) pair repeats or ``regressors`` has the wrong shape.
    EstimationError
        As :func:`two_way_design`.

    Notes
    -----
    A cell :math:`c` enters with weight :math:`W_c = \\sum_{i \\in c} w_i` and outcome
    :math:`\\bar y_c = \\sum_{i \\in c} w_i y_i / W_c`; weighted least squares on the cells gives the row-level
    coefficients and cluster scores exactly (module notes).

    Examples
    --------
    >>> cells = pd.DataFrame({"u": [1, 1, 2, 2], "t": [1, 2, 1, 2], "n": [2, 2, 2, 2],
    ...                       "w": [2.0, 2.0, 2.0, 2.0], "wy": [3.0, 8.0, 4.5, 6.5]})
    >>> design = cell_design(cells, np.array([[0.0], [1.0], [0.0], [0.0]]), names=["d"], unit="u", time="t",
    ...                      cluster="u", n_dropped=0)
    >>> design.n_obs, design.names, design.y.round(3).tolist()
    (8, ('d', 't=2'), [-1.25, 1.25, -0.5, 0.5])
    """
    check_choice("absorb", absorb, ("auto", "unit", "time"))
    xs = np.asarray(regressors, dtype=float).reshape(len(cells), -1) if len(names) else np.zeros((len(cells), 0))
    if xs.shape[1] != len(names):
        raise ArgumentError(f"regressors has {xs.shape[1]} columns but {len(names)} names were given")
    if cells.duplicated([unit, time]).any():
        raise ArgumentError(f"cells repeat a ({unit!r}, {time!r}) pair; give one row per unit x period cell")
    u_code, u_levels = _codes(cells[unit])
    t_code, t_levels = _codes(cells[time])
    g_code, g_levels = (u_code, u_levels) if cluster == unit else (t_code, t_levels) if cluster == time \
        else _codes(cells[cluster])
    _check_clusters(len(g_levels), cluster)
    wsum = cells[weight].to_numpy(dtype=float)
    ybar = cells[weighted_outcome].to_numpy(dtype=float)
    ybar = np.divide(ybar, wsum, out=np.zeros_like(ybar), where=wsum > 0)
    n_obs = int(cells[count].sum())
    return _assemble(_Rows(ybar, xs, wsum, u_code, t_code, g_code, len(g_levels), u_levels, t_levels),
                     names=tuple(names), unit=unit, time=time, absorb=absorb, counts=(n_obs, int(n_dropped)),
                     cells=True)


class _Rows(NamedTuple):
    """Regression rows (data rows or cells) before the sweep, with their factor codes and levels."""

    y: np.ndarray
    xs: np.ndarray
    w: np.ndarray
    u_code: np.ndarray
    t_code: np.ndarray
    g_code: np.ndarray
    n_g: int
    u_levels: np.ndarray
    t_levels: np.ndarray


def _check_clusters(n_g: int, cluster: str) -> None:
    if n_g < 2:
        raise EstimationError(f"cluster column {cluster!r} has {n_g} cluster; cluster-robust inference needs "
                              "at least 2")


def _assemble(rows: _Rows, *, names: tuple[str, ...], unit: str, time: str, absorb: str,
              counts: tuple[int, int], cells: bool) -> TwfeDesign:
    """Sweep one factor out of the rows, add the other's dummies and check that every regressor varies."""
    y, xs, w, u_code, t_code, g_code, n_g, u_levels, t_levels = rows
    n_u, n_t = len(u_levels), len(t_levels)
    unit_nested = _constant_within(u_code, n_u, g_code)  # each unit in one cluster
    time_nested = _constant_within(t_code, n_t, g_code)
    if absorb == "auto":
        absorb = "unit" if unit_nested else "time" if time_nested else ("unit" if n_u >= n_t else "time")
    a_code, n_a, d_code, n_d, d_levels, d_name = (u_code, n_u, t_code, n_t, t_levels, time) if absorb == "unit" \
        else (t_code, n_t, u_code, n_u, u_levels, unit)
    nested = unit_nested if absorb == "unit" else time_nested
    dummies = np.zeros((len(y), n_d - 1))
    on = d_code > 0
    dummies[np.flatnonzero(on), d_code[on] - 1] = 1.0
    swept = _sweep(a_code, n_a, w, np.column_stack([y, xs, dummies]))
    X = swept[:, 1:]
    all_names = names + tuple(f"{d_name}={lvl}" for lvl in d_levels[1:])
    _check_variation(X, np.column_stack([xs, dummies]), w, all_names, len(names), absorb)
    k = len(names) + (0 if unit_nested else n_u - 1) + (0 if time_nested else n_t - 1) + 1
    return TwfeDesign(swept[:, 0], X, w, g_code, all_names, counts[0], counts[1], n_g, k, absorb, nested,
                      cells, n_u, n_t, xs, u_code, t_code, t_levels)


def _collapse(cell: np.ndarray, n_cells: int, n_t: int, y: np.ndarray, xs: np.ndarray, w: np.ndarray,
              g_code: np.ndarray) -> tuple[np.ndarray, ...]:
    wsum = np.bincount(cell, weights=w, minlength=n_cells)
    count = np.bincount(cell, minlength=n_cells)
    keep = np.flatnonzero(count > 0)
    ybar = np.bincount(cell, weights=w * y, minlength=n_cells)[keep]
    wk = wsum[keep]
    ybar = np.divide(ybar, wk, out=np.zeros_like(ybar), where=wk > 0)
    first = np.empty(n_cells, dtype=np.intp)
    first[cell[::-1]] = np.arange(len(cell))[::-1]
    pick = first[keep]
    return ybar, xs[pick], wk, keep // n_t, keep % n_t, g_code[pick]


def _check_variation(swept: np.ndarray, raw: np.ndarray, w: np.ndarray, names: tuple[str, ...], n_named: int,
                     absorbed: str) -> None:
    for j in range(n_named):
        scale = np.sqrt(np.sum(w * raw[:, j] ** 2))
        if scale == 0 or np.sqrt(np.sum(w * swept[:, j] ** 2)) <= 1e-10 * scale:
            raise EstimationError(
                f"regressor {names[j]!r} does not vary within {absorbed}s once the {absorbed} fixed effects are "
                "removed, so its coefficient is not identified; a treatment must switch on within some "
                f"{absorbed} (or use a design where it does)"
            )
