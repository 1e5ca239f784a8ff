"""A balanced unit x period panel of cell means and adoption times, the input of the Bacon decomposition.

Rows may be cells already (one row a unit x period) or students (several rows a cell); they are
collapsed to unit x period means of the outcome, each row counting once.  Adoption comes either
from a 0/1 treatment column (checked to be constant within a cell and absorbing) or from a
first-treatment-time column.  Every check names the unit and period at fault.

Examples
--------
>>> import pandas as pd
>>> data = pd.DataFrame({"school": ["a", "a", "a", "b", "b", "b"], "year": [1, 2, 3, 1, 2, 3],
...                      "score": [1.0, 2.0, 4.0, 1.0, 1.5, 2.0], "d": [0, 1, 1, 0, 0, 0]})
>>> panel = cell_panel(data, outcome="score", unit="school", time="year", treatment="d")
>>> panel.y.tolist(), panel.onset.tolist(), panel.periods.tolist()
([[1.0, 2.0, 4.0], [1.0, 1.5, 2.0]], [1, 3], [1, 2, 3])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from data_schema.arguments import check_columns
from data_schema.errors import ArgumentError, EstimationError

__all__ = ["CellPanel", "cell_panel", "period_label"]

_SHOW = 5
"""How many offending units an error message lists before summarising the rest."""


@dataclass(frozen=True)
class CellPanel:
    """A balanced panel of unit x period cell means with each unit's adoption period.

    Attributes
    ----------
    y
        ``(n_units, n_periods)`` mean outcome of each unit x period cell (rows counted equally).
    onset
        ``(n_units,)`` index into ``periods`` of the first treated period: 0 for a unit treated in
        every period (always treated), ``n_periods`` for a unit never treated in the panel.
    unit_weights
        ``(n_units,)`` weight of each unit in the cell-level regression (ones without ``weights=``).
    periods
        ``(n_periods,)`` the sorted distinct values of the time column.
    units
        ``(n_units,)`` the sorted distinct values of the unit column.
    n_obs
        Data rows used (students or cells).
    n_dropped
        Rows dropped because the outcome, unit, time, treatment or weight was missing.
    """

    y: np.ndarray
    onset: np.ndarray
    unit_weights: np.ndarray
    periods: np.ndarray
    units: np.ndarray
    n_obs: int
    n_dropped: int


def _show(value: object) -> str:
    """A value for a message: ``'a'``, ``3`` or ``2.5`` rather than ``np.float64(2.5)``."""
    return repr(value.item() if isinstance(value, np.generic) else value)


def period_label(value: object) -> str:
    """A period as text: ``2004`` rather than ``2004.0`` for whole floats."""
    if isinstance(value, float | np.floating) and np.isfinite(value) and float(value).is_integer():
        return str(int(value))
    return str(value)


def cell_panel(data: pd.DataFrame, *, outcome: str, unit: str, time: str, treatment: str | None = None,
               first_treated: str | None = None, weights: str | None = None) -> CellPanel:
    """Collapse ``data`` to a balanced unit x period panel of cell means and find each unit's adoption period.

    Parameters
    ----------
    data
        Long table: one row a cell, or several rows (students) a unit x period cell.
    outcome, unit, time
        Column names.  ``time`` must be sortable.
    treatment
        0/1 column, constant within a cell and absorbing (once 1, 1 in every later period of the unit).
    first_treated
        Column with the unit's first treated period; missing, 0 or infinite means never treated.
        Give exactly one of ``treatment`` and ``first_treated``.
    weights
        Optional column of positive unit weights, constant within each unit.

    Returns
    -------
    CellPanel
        Cell means, adoption period index per unit, unit weights, periods, units and row counts.
    """
    if (treatment is None) == (first_treated is None):
        raise ArgumentError(
            f"give exactly one of treatment= (a 0/1 column) and first_treated= (the first treated period); "
            f"received treatment={treatment!r}, first_treated={first_treated!r}")
    adoption = treatment if treatment is not None else first_treated
    used = [outcome, unit, time, adoption] + ([weights] if weights is not None else [])
    check_columns(data, used, what="data")
    required = [c for c in used if c != first_treated]
    keep = data[required].notna().all(axis=1).to_numpy()
    frame = data.loc[keep, used]
    if len(frame) == 0:
        raise EstimationError(f"no rows left: every row misses one of {', '.join(map(repr, required))}")
    unit_codes, unit_index = pd.factorize(frame[unit], sort=True)
    time_codes, period_index = pd.factorize(frame[time], sort=True)
    units, periods = np.asarray(unit_index), np.asarray(period_index)
    n_units, n_periods, n_dropped = len(units), len(periods), int((~keep).sum())
    cell = unit_codes * n_periods + time_codes
    counts = np.bincount(cell, minlength=n_units * n_periods)
    _check_balanced(counts.reshape(n_units, n_periods), units, periods, n_dropped)
    y_sum = np.bincount(cell, weights=_numeric(frame[outcome], outcome), minlength=n_units * n_periods)
    if treatment is not None:
        onset = _onset_from_treatment(frame[treatment], cell, counts, units, periods, treatment)
    else:
        onset = _onset_from_first(frame[first_treated], unit_codes, units, periods, first_treated)
    unit_weights = np.ones(n_units) if weights is None else _unit_weights(frame[weights], unit_codes, units, weights)
    return CellPanel(y=(y_sum / counts).reshape(n_units, n_periods), onset=onset, unit_weights=unit_weights,
                     periods=periods, units=units, n_obs=len(frame), n_dropped=n_dropped)


def _numeric(series: pd.Series, name: str) -> np.ndarray:
    try:
        return series.to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError) as err:
        raise ArgumentError(f"column {name!r} must be numeric; received dtype {series.dtype}") from err


def _check_balanced(counts: np.ndarray, units: np.ndarray, periods: np.ndarray, n_dropped: int) -> None:
    empty = counts == 0
    lacking = np.flatnonzero(empty.any(axis=1))
    if lacking.size == 0:
        return
    shown = "; ".join(f"unit {_show(units[i])} lacks {', '.join(period_label(p) for p in periods[empty[i]])}"
                      for i in lacking[:_SHOW])
    more = f" (and {lacking.size - _SHOW} more units)" if lacking.size > _SHOW else ""
    dropped = f" after dropping {n_dropped} rows with missing values" if n_dropped else ""
    raise EstimationError(
        f"the Goodman-Bacon decomposition needs a balanced panel, but {lacking.size} of {len(units)} units have "
        f"no row in some of the {len(periods)} periods{dropped}: {shown}{more}. "
        f"Drop these units (or keep only the periods every unit has) and call again")


def _onset_from_treatment(series: pd.Series, cell: np.ndarray, counts: np.ndarray, units: np.ndarray,
                          periods: np.ndarray, name: str) -> np.ndarray:
    d = _numeric(series, name)
    bad = np.flatnonzero((d != 0) & (d != 1))
    n_units, n_periods = len(units), len(periods)
    if bad.size:
        u, t = divmod(int(cell[bad[0]]), n_periods)
        raise EstimationError(
            f"treatment column {name!r} must be 0 or 1; received {_show(d[bad[0]])} for unit {_show(units[u])} "
            f"in period {period_label(periods[t])} ({bad.size} such rows). Recode it to 0/1 or pass first_treated=")
    share = (np.bincount(cell, weights=d, minlength=counts.size) / counts).reshape(n_units, n_periods)
    mixed = np.argwhere((share > 0) & (share < 1))
    if mixed.size:
        u, t = mixed[0]
        raise EstimationError(
            f"treatment {name!r} is not constant within unit x period cells: unit {_show(units[u])} in period "
            f"{period_label(periods[t])} has rows with 0 and rows with 1 ({len(mixed)} such cells). Treatment "
            f"must be assigned to the whole unit in a period; fix the data or the unit/time columns")
    treated = share == 1
    off = np.argwhere(treated[:, :-1] & ~treated[:, 1:])
    if off.size:
        u, t = off[0]
        raise EstimationError(
            f"treatment {name!r} is not absorbing: unit {_show(units[u])} is treated in period "
            f"{period_label(periods[t])} but untreated in {period_label(periods[t + 1])} ({len(off)} such switches). "
            f"The decomposition covers staggered adoption only (once treated, always treated); drop such units or "
            f"redefine treatment")
    return np.where(treated.any(axis=1), treated.argmax(axis=1), n_periods)


def _onset_from_first(series: pd.Series, unit_codes: np.ndarray, units: np.ndarray, periods: np.ndarray,
                      name: str) -> np.ndarray:
    g = _numeric(series, name)
    if not np.issubdtype(periods.dtype, np.number):
        raise ArgumentError(f"first_treated={name!r} needs a numeric time column to compare with; the time column "
                            f"has dtype {periods.dtype}. Pass a 0/1 treatment= column instead")
    never = np.isnan(g) | np.isinf(g) | (g == 0)
    if np.any(periods == 0) and np.any(g == 0):
        raise EstimationError(
            f"first_treated {name!r} uses 0 for 'never treated', but 0 is also a period of the time column; code "
            f"never-treated units as missing instead")
    g = np.where(never, np.inf, g)
    per_unit = pd.Series(g).groupby(unit_codes).agg(["min", "max"]).to_numpy()
    varying = np.flatnonzero(per_unit[:, 0] != per_unit[:, 1])
    if varying.size:
        u = varying[0]
        raise EstimationError(
            f"first_treated {name!r} must be constant within a unit; unit {_show(units[u])} has values "
            f"{_show(per_unit[u, 0])} and {_show(per_unit[u, 1])} ({varying.size} such units). Give one adoption "
            f"period a unit")
    first = per_unit[:, 0]
    onset = np.searchsorted(periods.astype(float), np.where(np.isinf(first), np.nan, first), side="left")
    return np.where(np.isinf(first), len(periods), onset)


def _unit_weights(series: pd.Series, unit_codes: np.ndarray, units: np.ndarray, name: str) -> np.ndarray:
    w = _numeric(series, name)
    bad = ~np.isfinite(w) | (w <= 0)
    if bad.any():
        raise EstimationError(f"weights {name!r} must be positive and finite; received {_show(w[bad][0])} "
                              f"({int(bad.sum())} such rows)")
    per_unit = pd.Series(w).groupby(unit_codes).agg(["min", "max"]).to_numpy()
    varying = np.flatnonzero(per_unit[:, 0] != per_unit[:, 1])
    if varying.size:
        u = varying[0]
        raise EstimationError(
            f"weights {name!r} must be unit weights, constant within each unit (Goodman-Bacon's decomposition of a "
            f"weighted TWFE regression holds for time-invariant unit weights only); unit {_show(units[u])} has "
            f"{_show(per_unit[u, 0])} and {_show(per_unit[u, 1])}. Use one weight per unit (e.g. its mean enrolment)")
    return per_unit[:, 0]
