"""Turn a long table into the arrays of a staggered-adoption design, cleaning it the way R ``did`` does.

Every step that changes the data is recorded in :attr:`StaggeredDesign.notes` and announced with a
:class:`~analyses.did.design_warnings.DesignWarning` (rows with missing values, units already treated in
the first period, units missing periods of a panel, a last cohort that can only serve as comparison, small
cohorts, few clusters).

Panel or repeated cross-sections (``panel=None`` decides):

* **panel** when no unit has two rows in the same period.  Units missing some period are dropped, as R
  ``did`` does by default (``allow_unbalanced_panel = FALSE``); the influence function has one value per
  unit, so standard errors are clustered by unit.
* **repeated cross-sections** when some unit has two rows in a period (``unit`` is then only an identifier,
  e.g. the institution of a student).  Every row is its own observation, as R ``did`` with ``panel = FALSE``;
  pass ``cluster=`` to cluster rows (e.g. by institution or by ``unit``).

Examples
--------
>>> import pandas as pd
>>> rows = [(u, t, [0, 2, 3][u % 3], float(u + t)) for u in range(18) for t in (1, 2, 3)]
>>> data = pd.DataFrame(rows, columns=["unit", "time", "first", "y"])
>>> with warnings.catch_warnings(record=True) as caught:
...     warnings.simplefilter("always")
...     design = prepare_design(data, outcome="y", unit="unit", time="time", first_treated="first")
>>> design.panel, design.cohorts.tolist(), design.outcome.shape
(True, [2.0, 3.0], (18, 3))
>>> [str(w.message)[:40] for w in caught]
['only 18 clusters (units): the multiplier']
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from pandas.api.types import is_bool_dtype, is_numeric_dtype

from analyses.did.design_warnings import DesignWarning
from data_schema.arguments import check_columns
from data_schema.errors import ArgumentError, EstimationError

__all__ = ["MIN_CLUSTERS", "Rows", "StaggeredDesign", "note_warning", "prepare_design",
           "select_periods_and_cohorts", "warn_few_clusters"]

MIN_CLUSTERS = 30
"""Below this many clusters the multiplier bootstrap and cluster-robust SEs get a :class:`DesignWarning`."""


@dataclass(frozen=True)
class StaggeredDesign:
    """The cleaned arrays of a staggered design.

    Attributes
    ----------
    panel
        True for a balanced panel (one influence-function row per unit), False for repeated
        cross-sections (one row per observation).
    periods
        Sorted time periods kept.
    cohorts
        Sorted first-treatment periods for which ATT(g,t) is estimated.
    cohort_values
        Every distinct first-treatment value among the rows kept (``inf`` = never treated), sorted.
    cohort_code
        Index into ``cohort_values`` of every influence-function row (unit or observation).
    weights
        Sampling weight of every influence-function row, normalised to mean 1.
    cluster_code, n_clusters, cluster_label
        Cluster index of every influence-function row (None: every row its own cluster), the number of
        clusters and what they are, in words.
    outcome
        Panel: ``(n_units, n_periods)``; cross-sections: ``(n_rows,)``.
    covariates
        Intercept then covariates.  Panel: ``(n_units, n_periods, k + 1)``; cross-sections:
        ``(n_rows, k + 1)``.
    period_code
        Cross-sections: period index of every row (None for a panel).
    covariate_names
        The covariates, in order.
    n_obs
        Data rows used.
    notes
        What the cleaning changed, in words.
    """

    panel: bool
    periods: np.ndarray
    cohorts: np.ndarray
    cohort_values: np.ndarray
    cohort_code: np.ndarray = field(repr=False)
    weights: np.ndarray = field(repr=False)
    cluster_code: np.ndarray | None = field(repr=False)
    n_clusters: int
    cluster_label: str
    outcome: np.ndarray = field(repr=False)
    covariates: np.ndarray = field(repr=False)
    period_code: np.ndarray | None = field(repr=False)
    covariate_names: tuple[str, ...]
    n_obs: int
    notes: tuple[str, ...]

    @property
    def n_rows(self) -> int:
        """Rows of the influence function: units (panel) or observations (cross-sections)."""
        return len(self.cohort_code)


def _numeric(frame: pd.DataFrame, col: str, role: str) -> np.ndarray:
    series = frame[col]
    if not is_numeric_dtype(series.dtype) or is_bool_dtype(series.dtype):
        raise ArgumentError(f"{role} column {col!r} must be numeric; it has dtype {series.dtype}. "
                            "Convert it (dummy-code categories) before calling staggered()")
    return series.to_numpy(dtype=float, na_value=np.nan)


def note_warning(notes: list[str], text: str, stacklevel: int) -> None:
    """Record ``text`` in ``notes`` and warn with a :class:`DesignWarning` ``stacklevel`` frames above the caller."""
    notes.append(text)
    warnings.warn(text, DesignWarning, stacklevel=stacklevel + 1)


def _varying_unit(codes: np.ndarray, values: np.ndarray, n: int) -> int | None:
    """The first unit code whose values differ, or None when every unit has one value."""
    lo = np.full(n, np.inf)
    hi = np.full(n, -np.inf)
    np.minimum.at(lo, codes, values)
    np.maximum.at(hi, codes, values)
    bad = np.flatnonzero((lo <= hi) & (lo != hi))  # codes whose rows were all dropped have no values
    return int(bad[0]) if bad.size else None


def _constant_within(codes: np.ndarray, values: np.ndarray, n: int) -> bool:
    return _varying_unit(codes, values, n) is None


class Rows:
    """Column arrays of the rows still in use, filtered together.

    The arrays are rows of the data, or cells of rows sharing time ``"t"``, first treatment ``"g"`` (and
    cluster) with their row counts in ``"n"``; the cleaning steps count rows through :meth:`count` and
    :meth:`counts_by`, so they work on either.
    """

    def __init__(self, arrays: dict[str, np.ndarray], unit_levels: np.ndarray):
        self.a = arrays
        self.unit_levels = unit_levels

    def keep(self, mask: np.ndarray) -> None:
        """Keep the entries where ``mask`` is true, in every array."""
        self.a = {k: v[mask] for k, v in self.a.items()}

    def count(self, mask: np.ndarray) -> int:
        """Data rows where ``mask`` is true."""
        return int(self.a["n"][mask].sum()) if "n" in self.a else int(np.count_nonzero(mask))

    def counts_by(self, key: str) -> tuple[np.ndarray, np.ndarray]:
        """Sorted distinct values of array ``key`` and the data rows with each."""
        if "n" not in self.a:
            return np.unique(self.a[key], return_counts=True)
        values, code = np.unique(self.a[key], return_inverse=True)
        return values, np.bincount(code, weights=self.a["n"], minlength=len(values)).astype(int)

    def __getitem__(self, key: str) -> np.ndarray:
        return self.a[key]

    def __len__(self) -> int:
        return len(self.a["t"])


def _read(data: pd.DataFrame, outcome: str, unit: str, time: str, first_treated: str,
          covariates: Sequence[str], weights: str | None, cluster: str | None,
          notes: list[str], stacklevel: int) -> Rows:
    cols = list(dict.fromkeys([outcome, unit, time, first_treated, *covariates,
                               *(c for c in (weights, cluster) if c)]))
    check_columns(data, cols, what="data")
    arrays = {"y": _numeric(data, outcome, "outcome"), "t": _numeric(data, time, "time"),
              "g": _numeric(data, first_treated, "first_treated"),
              "x": (np.column_stack([_numeric(data, c, "covariate") for c in covariates]) if covariates
                    else np.empty((len(data), 0))),
              "w": _numeric(data, weights, "weights") if weights else np.ones(len(data))}
    unit_codes, unit_levels = pd.factorize(data[unit], sort=True, use_na_sentinel=True)
    arrays["u"] = unit_codes
    arrays["c"] = pd.factorize(data[cluster], sort=True)[0] if cluster else np.zeros(len(data), dtype=int)
    rows = Rows(arrays, np.asarray(unit_levels))
    ok = (np.isfinite(rows["y"]) & np.isfinite(rows["t"]) & np.isfinite(rows["x"]).all(axis=1)
          & np.isfinite(rows["w"]) & (rows["u"] >= 0) & (rows["c"] >= 0))
    if not ok.all():
        note_warning(notes, f"dropped {int((~ok).sum())} rows with a missing outcome, time, unit, covariate, weight or "
              "cluster", stacklevel)
        rows.keep(ok)
    if len(rows) == 0:
        raise EstimationError("no rows left after dropping rows with missing values")
    if (rows["g"] < 0).any():
        raise EstimationError(f"first_treated column {first_treated!r} has negative values; code never-treated "
                              "units as 0 or missing and treated units by the period they are first treated")
    if (rows["w"] < 0).any() or rows["w"].mean() <= 0:
        raise ArgumentError(f"weights column {weights!r} must be non-negative with a positive mean")
    return rows


def _check_within_unit(rows: Rows, panel: bool, names: dict[str, str | None]) -> None:
    n = int(rows["u"].max()) + 1
    g = np.where(np.isnan(rows["g"]), 0.0, rows["g"])
    bad = _varying_unit(rows["u"], g, n)
    if bad is not None:
        seen = ", ".join(f"{v:g}" for v in np.unique(g[rows["u"] == bad]))
        raise EstimationError(f"first_treated ({names['first_treated']!r}) varies within unit "
                              f"{rows.unit_levels[bad]} (values {seen}; 0 = never); treatment must be an absorbing "
                              "state with one first-treatment period per unit")
    if panel and names["weights"] and not _constant_within(rows["u"], rows["w"], n):
        raise ArgumentError(f"weights ({names['weights']!r}) vary within some unit of the panel; pass one "
                            "weight per unit (e.g. the base-year weight)")
    if panel and names["cluster"] and not _constant_within(rows["u"], rows["c"].astype(float), n):
        raise ArgumentError(f"cluster ({names['cluster']!r}) varies within some unit; clusters must contain "
                            "whole units")


def _decide_panel(rows: Rows, panel: bool | None, unit: str) -> bool:
    pairs = pd.DataFrame({"u": rows["u"], "t": rows["t"]})
    repeated = bool(pairs.duplicated().any())
    if panel is None:
        return not repeated
    if panel and repeated:
        raise EstimationError(f"panel=True but some unit ({unit!r}) has more than one row in a period; "
                              "aggregate to one row per unit and period or pass panel=False")
    return bool(panel)


def _cohorts(rows: Rows, control_group: str, anticipation: int, notes: list[str],
             stacklevel: int) -> np.ndarray | None:
    """Recode never-treated cohorts to inf, handle a missing never-treated group; return the excluded cohort."""
    g = rows["g"]
    t_max = float(rows["t"].max())
    g = np.where(np.isnan(g) | (g == 0) | (g > t_max + anticipation), np.inf, g)  # inf in the data: never too
    rows.a["g"] = g
    if np.isinf(g).any():
        return None
    last = float(g.max())
    if control_group == "never":
        raise EstimationError("there are no never-treated units (first_treated 0 or missing, or first treated "
                              f"after the last period {t_max:g}), so control_group='never' has no comparison "
                              "group; use control_group='not_yet' to compare with units not yet treated")
    cutoff = last - anticipation
    note_warning(notes, f"no never-treated units: the last cohort (first treated {last:g}) serves only as comparison "
          f"group and periods from {cutoff:g} on are dropped, as R did does", stacklevel)
    rows.keep(rows["t"] < cutoff)
    if len(rows) == 0:
        raise EstimationError("no periods remain before the last cohort is treated")
    return np.array([last])


def _drop_early(rows: Rows, panel: bool, anticipation: int, notes: list[str], stacklevel: int) -> None:
    first = float(rows["t"].min())
    early = np.isfinite(rows["g"]) & (rows["g"] <= first + anticipation)
    if early.any():
        count = len(np.unique(rows["u"][early])) if panel else rows.count(early)
        what = "units" if panel else "rows"
        extra = f" (with anticipation {anticipation})" if anticipation else ""
        note_warning(notes, f"dropped {count} {what} already treated in the first period {first:g}{extra}: they have "
              "no pre-treatment period", stacklevel)
        rows.keep(~early)


def _balance(rows: Rows, notes: list[str], stacklevel: int) -> None:
    n_periods = len(np.unique(rows["t"]))
    counts = np.bincount(rows["u"])
    short = counts[rows["u"]] < n_periods
    if short.any():
        n_short = int(np.count_nonzero((counts > 0) & (counts < n_periods)))
        note_warning(notes, f"dropped {n_short} units missing some of the {n_periods} periods to balance the panel "
              "(R did's default); pass panel=False to use them as repeated cross-sections", stacklevel)
        rows.keep(~short)
    if len(rows) == 0:
        raise EstimationError("no unit is observed in every period; pass panel=False")


def _small_cohorts(rows: Rows, n_periods: int, k: int, control_group: str,
                   notes: list[str], stacklevel: int) -> None:
    values, counts = rows.counts_by("g")
    small = values[counts / n_periods < k + 5]  # units per cohort (rows per period with cross-sections), as R
    if small.size:
        names = ", ".join("never" if np.isinf(v) else f"{v:g}" for v in small)
        note_warning(notes, f"some cohorts have very few units: first treated {names} (fewer than {k + 5} per period); "
              "their ATT(g,t) are imprecise", stacklevel)
        if np.isinf(small).any() and control_group == "never":
            raise EstimationError("the never-treated group is too small to serve as comparison group; use "
                                  "control_group='not_yet' to add units not yet treated")


def prepare_design(data: pd.DataFrame, *, outcome: str, unit: str, time: str, first_treated: str,
                   control_group: str = "never", covariates: Sequence[str] = (), anticipation: int = 0,
                   panel: bool | None = None, weights: str | None = None, cluster: str | None = None,
                   stacklevel: int = 2) -> StaggeredDesign:
    """Clean ``data`` and build the arrays of :class:`StaggeredDesign` (see the module notes for the rules).

    Never-treated units have ``first_treated`` 0 or missing; units first treated after the last period
    (plus ``anticipation``) are never treated within the data and count as such, as in R ``did``.
    """
    notes: list[str] = []
    covariates = tuple(covariates)
    rows = _read(data, outcome, unit, time, first_treated, covariates, weights, cluster, notes, stacklevel + 1)
    panel = _decide_panel(rows, panel, unit)
    _check_within_unit(rows, panel, {"first_treated": first_treated, "weights": weights, "cluster": cluster})
    periods, cohorts = select_periods_and_cohorts(rows, panel=panel, control_group=control_group,
                                                  anticipation=anticipation, n_covariates=len(covariates),
                                                  notes=notes, stacklevel=stacklevel + 1)
    return _assemble(rows, panel, periods, cohorts, covariates, cluster, unit, len(rows), notes, stacklevel + 1)


def select_periods_and_cohorts(rows: Rows, *, panel: bool, control_group: str, anticipation: int,
                               n_covariates: int, notes: list[str], stacklevel: int) -> tuple[np.ndarray, np.ndarray]:
    """Apply R ``did``'s period and cohort rules to ``rows`` (in place) and return the periods and cohorts kept.

    Never-treated codes become ``inf``; without never-treated units the last cohort becomes the comparison
    group (``control_group="not_yet"``); units (rows) treated in the first period are dropped; a panel is
    balanced; small cohorts are announced.  ``rows["g"]`` must hold the first-treatment values with missing
    values as NaN and ``rows["t"]`` the periods, of rows or of cells of rows (see :class:`Rows`).
    """
    excluded = _cohorts(rows, control_group, anticipation, notes, stacklevel + 1)
    _drop_early(rows, panel, anticipation, notes, stacklevel + 1)
    if panel:
        _balance(rows, notes, stacklevel + 1)
    periods = np.unique(rows["t"])
    cohorts = np.unique(rows["g"][np.isfinite(rows["g"])])
    cohorts = cohorts[cohorts > periods[0] + anticipation]
    if excluded is not None:
        cohorts = cohorts[~np.isin(cohorts, excluded)]
    if cohorts.size == 0:
        raise EstimationError("no treated cohort is left with a pre-treatment period; check first_treated (the "
                              "period a unit is first treated, 0 or missing if never)")
    if len(periods) < 2:
        raise EstimationError("fewer than two periods remain; ATT(g,t) needs a base and a current period")
    _small_cohorts(rows, len(periods), n_covariates, control_group, notes, stacklevel + 1)
    return periods, cohorts


def warn_few_clusters(n_clusters: int, label: str, notes: list[str], stacklevel: int) -> None:
    """Announce (and note) fewer than :data:`MIN_CLUSTERS` clusters."""
    if n_clusters < MIN_CLUSTERS:
        note_warning(notes, f"only {n_clusters} clusters ({label}): the multiplier bootstrap and cluster-robust "
              "influence-function standard errors are unreliable with fewer than about 30 clusters "
              "(MacKinnon, Nielsen & Webb 2023); read intervals and bands as approximate", stacklevel)


def _assemble(rows: Rows, panel: bool, periods: np.ndarray, cohorts: np.ndarray, covariates: tuple[str, ...],
              cluster: str | None, unit: str, n_obs: int, notes: list[str], stacklevel: int) -> StaggeredDesign:
    cohort_values = np.unique(rows["g"])
    t_code = np.searchsorted(periods, rows["t"])
    x = np.column_stack([np.ones(len(rows)), rows["x"]])
    if panel:
        unit_values, u_code = np.unique(rows["u"], return_inverse=True)
        n, n_t = len(unit_values), len(periods)
        y = np.empty((n, n_t))
        y[u_code, t_code] = rows["y"]
        xs = np.empty((n, n_t, x.shape[1]))
        xs[u_code, t_code] = x
        first = np.zeros(n, dtype=int)
        first[u_code[::-1]] = np.arange(len(rows))[::-1]
        g, w, c = rows["g"][first], rows["w"][first], rows["c"][first]
        period_code = None
    else:
        y, xs, g, w, c, period_code = rows["y"], x, rows["g"], rows["w"], rows["c"], t_code
    if cluster and not (panel and cluster == unit):
        cluster_code = np.unique(c, return_inverse=True)[1]
        n_clusters, label = int(cluster_code.max()) + 1, f"{cluster!r}"
    else:
        cluster_code, n_clusters = None, len(g)
        label = "units" if panel else "observations"
    warn_few_clusters(n_clusters, label, notes, stacklevel + 1)
    return StaggeredDesign(panel=panel, periods=periods, cohorts=cohorts, cohort_values=cohort_values,
                           cohort_code=np.searchsorted(cohort_values, g), weights=w / w.mean(),
                           cluster_code=cluster_code, n_clusters=n_clusters, cluster_label=label, outcome=y,
                           covariates=xs, period_code=period_code, covariate_names=covariates, n_obs=n_obs,
                           notes=tuple(notes))
