"""Two-way fixed-effects difference-in-differences with CR1 cluster-robust inference.

Examples
--------
>>> from analyses.did.simulate import simulate_did
>>> data = simulate_did(n_units=40, n_periods=6, adoption=[4], students_per_cell=20, effect=0.5, seed=3)
>>> result = twfe(data, outcome="y", treatment="treated", unit="unit", time="period", cluster="cluster")
>>> result.n_clusters, result.n_obs, round(result.estimate, 3)
(40, 4800, 0.544)
>>> list(result.tidy().columns[:4])
['term', 'estimate', 'std_error', 'statistic']
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from analyses.did.cells import design_from
from analyses.did.coefficients import Coefficient, coefficient
from analyses.did.design import TwfeDesign
from analyses.did.design_warnings import DesignWarning, FewTreatedClustersWarning
from analyses.did.ols import cluster_robust_fit
from analyses.tidy import tidy_frame
from data_schema.json_safe import json_safe

if TYPE_CHECKING:
    import ibis.expr.types as ir

__all__ = ["TwfeResult", "twfe", "design_notes", "treated_clusters"]


@dataclass(frozen=True)
class TwfeResult:
    """A two-way fixed-effects DiD fit.

    Attributes
    ----------
    outcome, treatment
        Column names.
    estimate, std_error, statistic, df, p_value, ci_low, ci_high, ci_level
        The treatment coefficient, its CR1 standard error, t statistic, ``G - 1`` degrees of freedom,
        two-sided p-value and t interval.
    coefficients
        Every named regressor (treatment first, then covariates); the fixed effects are not reported.
    vcov
        CR1 covariance of the named regressors (rows in the order of ``coefficients``).
    n_obs, n_dropped
        Rows used, and rows dropped for a missing value.
    n_clusters, n_treated_clusters
        Clusters, and clusters in which the treatment is ever non-zero.
    n_units, n_periods
        Levels of the unit and time fixed effects.
    k_small_sample
        K in the CR1 factor ``G/(G-1) (n-1)/(n-K)`` (see :class:`analyses.did.design.TwfeDesign`).
    cells
        Whether the fit used unit x period cell sufficient statistics.
    method
        The estimator and covariance in words.
    notes
        Design warnings in words (few clusters, few treated clusters, staggered adoption).
    """

    outcome: str
    treatment: str
    estimate: float
    std_error: float
    statistic: float
    df: float
    p_value: float
    ci_low: float
    ci_high: float
    ci_level: float
    coefficients: tuple[Coefficient, ...]
    vcov: tuple[tuple[float, ...], ...]
    n_obs: int
    n_dropped: int
    n_clusters: int
    n_treated_clusters: int
    n_units: int
    n_periods: int
    k_small_sample: int
    cells: bool
    method: str
    notes: tuple[str, ...]

    def tidy(self) -> pd.DataFrame:
        """One row per named regressor."""
        return tidy_frame([{**c.row(), "n_obs": self.n_obs, "n_clusters": self.n_clusters, "method": self.method}
                           for c in self.coefficients])

    def to_dict(self) -> dict:
        """JSON-safe dictionary of every field."""
        out = {k: getattr(self, k) for k in self.__dataclass_fields__ if k != "coefficients"}
        out["coefficients"] = [c.row() for c in self.coefficients]
        return json_safe(out)

    def summary(self) -> str:
        """The fit as text for people."""
        lines = [f"Two-way fixed effects DiD: {self.outcome} on {self.treatment}",
                 f"  {self.method}",
                 f"  {self.n_obs} observations, {self.n_units} units, {self.n_periods} periods, "
                 f"{self.n_clusters} clusters ({self.n_treated_clusters} treated)",
                 self.tidy()[["term", "estimate", "std_error", "statistic", "df", "p_value", "ci_low", "ci_high"]]
                 .to_string(index=False)]
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


def twfe(data: pd.DataFrame | ir.Table, *, outcome: str, treatment: str, unit: str, time: str,
         cluster: str | None = None, covariates: Sequence[str] = (), weights: str | None = None,
         level: float = 0.95) -> TwfeResult:
    """Two-way fixed-effects DiD: ``outcome ~ treatment + covariates + unit FE + time FE``, CR1 clustered.

    Parameters
    ----------
    data
        Students (repeated cross-sections of cohorts) or a unit x period panel; rows with a missing used
        value are dropped and counted in ``n_dropped``.  A pandas DataFrame, or an Ibis table whose engine
        (DuckDB, Spark, ...) computes the unit x period cell sums (see Notes).
    outcome, treatment
        Numeric columns; ``treatment`` is usually 0/1 (treated unit in a post-adoption period).
    unit, time
        The fixed-effect factors (e.g. institution x program, and cohort).
    cluster
        Cluster column; defaults to ``unit``.  Clusters should contain units (institutions).
    covariates
        Extra numeric regressors (student covariates turn off the cell shortcut; an engine table accepts
        only covariates constant within unit x period cells).
    weights
        Optional non-negative row weights (weighted least squares).
    level
        Confidence level of the t interval.

    Returns
    -------
    TwfeResult

    Raises
    ------
    EstimationError
        When the treatment does not vary within units, regressors are collinear or there is one cluster.
    ArgumentError
        On an engine table, when the treatment, a covariate or the cluster varies within unit x period
        cells (pass a pandas DataFrame for the row-level regression).

    Notes
    -----
    The coefficient is computed by the Frisch–Waugh–Lovell theorem (one factor swept out, the other as
    dummies), from unit x period cell sums when treatment, covariates and cluster are constant within
    cells (exactly the same estimate and CR1 SE as the student-level regression).  The covariance is

    .. math:: \\hat V = \\frac{G}{G-1}\\frac{n-1}{n-K}(X'WX)^{-1}\\Big(\\sum_g X_g'W_g\\hat u_g
              \\hat u_g' W_g X_g\\Big)(X'WX)^{-1},

    with K counted as Stata's ``reghdfe`` does (fixed effects nested in the cluster cost nothing, plus one
    for the constant), and t tests and intervals use ``G - 1`` degrees of freedom (as ``reghdfe`` and
    fixest).  With staggered adoption and effects that change over time, this coefficient is a weighted
    average of 2x2 comparisons some of which use already-treated units as controls (Goodman-Bacon
    2021): see :func:`analyses.did.bacon_decomposition` and :func:`analyses.did.staggered`.  With few
    clusters use :func:`analyses.did.wild_cluster_bootstrap` for the p-value and interval.

    On an engine table only the cell sums :math:`(n_c, \\sum_{i \\in c} w_i, \\sum_{i \\in c} w_i y_i)` by unit,
    period, cluster and regressor values come back from the engine (:func:`analyses.did.cells.cell_sums`); the
    fit is the DataFrame path's cell fit on the same numbers, so the two agree to rounding.

    References
    ----------
    Cameron, A. C., Gelbach, J. B., & Miller, D. L. (2008). Bootstrap-based improvements for inference
    with clustered errors. *Review of Economics and Statistics*, 90(3), 414-427.
    Correia, S. (2017). reghdfe: Stata module for linear and instrumental-variable/GMM regression
    absorbing multiple levels of fixed effects. Statistical Software Components s457874.
    Goodman-Bacon, A. (2021). Difference-in-differences with variation in treatment timing.
    *Journal of Econometrics*, 225(2), 254-277.
    """
    cluster = cluster or unit
    covariates = list(covariates)
    design = design_from(data, outcome=outcome, regressors=[treatment, *covariates], unit=unit, time=time,
                         cluster=cluster, weights=weights, guard=covariates)
    fit = cluster_robust_fit(design)
    k = 1 + len(covariates)
    df = design.n_clusters - 1
    coefs = tuple(coefficient(design.names[j], fit.beta[j], np.sqrt(fit.vcov[j, j]), df=df, level=level)
                  for j in range(k))
    is_treated = design.raw[:, 0] != 0
    notes = design_notes(design, is_treated)
    for note, category in notes:
        warnings.warn(note, category, stacklevel=2)
    treated = treated_clusters(design, is_treated)
    method = (f"OLS with {unit} and {time} fixed effects{' (weighted)' if weights else ''}; CR1 cluster-robust SE "
              f"by {cluster} (G/(G-1)(n-1)/(n-K), K={design.k_small_sample}); t({df}) inference")
    c = coefs[0]
    return TwfeResult(outcome, treatment, c.estimate, c.std_error, c.statistic, c.df, c.p_value, c.ci_low, c.ci_high,
                      c.ci_level, coefs, tuple(tuple(float(v) for v in row) for row in fit.vcov[:k, :k]),
                      design.n_obs, design.n_dropped, design.n_clusters, treated, design.n_units, design.n_periods,
                      design.k_small_sample, design.cells, method, tuple(n for n, _ in notes))


def design_notes(design: TwfeDesign, treated: np.ndarray) -> list[tuple[str, type[Warning]]]:
    """Reasons the design weakens cluster-robust inference or the TWFE estimand, with their warning class.

    Parameters
    ----------
    design
        The fitted design (rows are cells or data rows).
    treated
        ``(m,)`` whether each design row is treated.

    Examples
    --------
    >>> from analyses.did.design import two_way_design
    >>> frame = pd.DataFrame({"y": [1.0, 2, 3, 4], "d": [0, 1, 0, 0], "u": [1, 1, 2, 2], "t": [1, 2, 1, 2]})
    >>> design = two_way_design(frame, outcome="y", regressors=["d"], unit="u", time="t", cluster="u")
    >>> [cls.__name__ for _, cls in design_notes(design, design.raw[:, 0] != 0)]
    ['FewTreatedClustersWarning']
    """
    notes: list[tuple[str, type[Warning]]] = []
    n_clusters = design.n_clusters
    n_treated = treated_clusters(design, treated)
    if n_treated == 1:
        notes.append(("only one cluster is ever treated: no cluster-robust standard error or wild-bootstrap "
                      "interval can be trusted (MacKinnon & Webb 2017); report the estimate as a single case, "
                      "or use randomization inference across clusters", FewTreatedClustersWarning))
    elif n_treated < 4 or n_clusters - n_treated < 2:
        notes.append((f"{n_treated} treated and {n_clusters - n_treated} untreated clusters: CR1 t tests "
                      "over-reject badly with so few treated clusters and even the wild cluster bootstrap is "
                      "unreliable (MacKinnon & Webb 2017)", FewTreatedClustersWarning))
    elif n_clusters < 30:
        notes.append((f"{n_clusters} clusters: CR1 t tests over-reject with fewer than about 30 clusters; use "
                      "wild_cluster_bootstrap for the p-value and interval (Cameron, Gelbach & Miller 2008)",
                      DesignWarning))
    first = np.full(design.n_units, np.iinfo(np.intp).max)
    np.minimum.at(first, design.unit_code[treated], design.time_code[treated])
    n_starts = np.unique(first[first < np.iinfo(np.intp).max]).size
    if n_starts > 1:
        notes.append((f"treatment starts in {n_starts} different periods (staggered adoption): the TWFE "
                      "coefficient mixes comparisons that use already-treated units as controls and is biased when "
                      "effects change over time; see bacon_decomposition and staggered", DesignWarning))
    return notes


def treated_clusters(design: TwfeDesign, treated: np.ndarray) -> int:
    """Number of clusters with at least one treated row."""
    return int(np.unique(design.cluster[treated]).size)
