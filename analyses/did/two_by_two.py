"""The canonical 2x2 difference-in-differences: four group means, their difference, and its interval.

Examples
--------
>>> import pandas as pd
>>> data = pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0, 2.0, 3.0, 6.0, 7.0],
...                      "g": [0, 0, 0, 0, 1, 1, 1, 1], "post": [0, 0, 1, 1, 0, 0, 1, 1]})
>>> result = two_by_two(data, outcome="y", treated="g", post="post")
>>> result.estimate
2.0
>>> result.means
((1.5, 3.5), (2.5, 6.5))
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analyses.did.coefficients import coefficient
from analyses.tidy import tidy_frame
from data_schema.arguments import check_columns
from data_schema.errors import EstimationError
from data_schema.json_safe import json_safe

__all__ = ["TwoByTwoResult", "two_by_two"]


@dataclass(frozen=True)
class TwoByTwoResult:
    """The 2x2 table and the DiD estimate.

    Attributes
    ----------
    outcome
        Outcome column.
    means, counts, std_devs
        ``[group][period]`` with group 0 = comparison, 1 = treated and period 0 = before, 1 = after:
        (weighted) means, row counts and (weighted) standard deviations.
    estimate
        :math:`(\\bar y_{11} - \\bar y_{10}) - (\\bar y_{01} - \\bar y_{00})`.
    std_error, statistic, df, p_value, ci_low, ci_high, ci_level
        Inference for the estimate: CR1 clustered on ``cluster`` with t(G-1) when a cluster is given,
        else HC1 heteroskedasticity-robust with t(n-4).
    n_obs, n_clusters
        Rows used and clusters (NaN without clustering).
    method
        Inference in words.
    """

    outcome: str
    means: tuple[tuple[float, float], tuple[float, float]]
    counts: tuple[tuple[int, int], tuple[int, int]]
    std_devs: tuple[tuple[float, float], tuple[float, float]]
    estimate: float
    std_error: float
    statistic: float
    df: float
    p_value: float
    ci_low: float
    ci_high: float
    ci_level: float
    n_obs: int
    n_clusters: float
    method: str

    def table(self) -> pd.DataFrame:
        """The 2x2 table as rows group x period with mean, sd and n, plus the two differences over time."""
        rows = []
        for g, name in ((1, "treated"), (0, "comparison")):
            rows.append({"group": name, "before": self.means[g][0], "after": self.means[g][1],
                         "change": self.means[g][1] - self.means[g][0], "n_before": self.counts[g][0],
                         "n_after": self.counts[g][1]})
        return pd.DataFrame(rows)

    def tidy(self) -> pd.DataFrame:
        """One row: the DiD estimate."""
        return tidy_frame([{"term": "did", "estimate": self.estimate, "std_error": self.std_error,
                            "statistic": self.statistic, "df": self.df, "p_value": self.p_value,
                            "ci_low": self.ci_low, "ci_high": self.ci_high, "ci_level": self.ci_level,
                            "n_obs": self.n_obs, "n_clusters": self.n_clusters, "method": self.method}])

    def to_dict(self) -> dict:
        """JSON-safe dictionary of every field."""
        return json_safe({k: getattr(self, k) for k in self.__dataclass_fields__})

    def summary(self) -> str:
        """The table and the estimate as text for people."""
        return "\n".join([f"2x2 difference-in-differences: {self.outcome}", self.table().to_string(index=False),
                          f"  DiD = {self.estimate:.6g} (SE {self.std_error:.6g}, {self.ci_level:.0%} CI "
                          f"{self.ci_low:.6g} to {self.ci_high:.6g}, p = {self.p_value:.4g}); {self.method}"])


def _pair(a: list) -> tuple[tuple, tuple]:
    return (a[0], a[1]), (a[2], a[3])


def _binary(frame: pd.DataFrame, col: str) -> np.ndarray:
    values = pd.to_numeric(frame[col], errors="coerce")
    bad = ~values.isin([0, 1])
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise EstimationError(f"column {col!r} must be 0/1; row {frame.index[i]!r} has {frame[col].iloc[i]}")
    return values.to_numpy(dtype=int)


def two_by_two(data: pd.DataFrame, *, outcome: str, treated: str, post: str, cluster: str | None = None,
               weights: str | None = None, level: float = 0.95) -> TwoByTwoResult:
    """Difference-in-differences of two groups over two periods.

    Parameters
    ----------
    data
        One row per student; rows with a missing used value are dropped.
    outcome
        Numeric outcome.
    treated, post
        0/1 columns: the group that adopts, and the period after adoption.
    cluster
        Optional cluster column (institutions); gives CR1 inference with t(G-1).
    weights
        Optional non-negative weights.
    level
        Confidence level.

    Returns
    -------
    TwoByTwoResult

    Raises
    ------
    EstimationError
        When a cell of the 2x2 table is empty or a 0/1 column has another value.

    Notes
    -----
    The estimate equals the interaction coefficient of ``y ~ treated + post + treated:post``; its standard
    error is that regression's CR1 (``G/(G-1) (n-1)/(n-4)``) or HC1 (``n/(n-4)``) sandwich, computed from
    the four cells: with cell indicators as regressors the cluster score of cell ``c`` is
    :math:`\\sum_{i \\in c, g} w_i (y_i - \\bar y_c)`.
    """
    cols = [outcome, treated, post] + [c for c in (cluster, weights) if c]
    check_columns(data, cols, what="data")
    frame = data[cols].dropna()
    y = frame[outcome].to_numpy(dtype=float)
    cell = 2 * _binary(frame, treated) + _binary(frame, post)
    w = frame[weights].to_numpy(dtype=float) if weights else np.ones(len(frame))
    counts = np.bincount(cell, minlength=4)
    if (counts == 0).any():
        empty = ["comparison/before", "comparison/after", "treated/before", "treated/after"][int(np.argmin(counts))]
        raise EstimationError(f"the 2x2 table has no rows in cell {empty}; every group needs both periods")
    wsum = np.bincount(cell, weights=w, minlength=4)
    mean = np.bincount(cell, weights=w * y, minlength=4) / wsum
    resid = y - mean[cell]
    sd = np.sqrt(np.bincount(cell, weights=w * resid**2, minlength=4) / wsum * counts / np.maximum(counts - 1, 1))
    contrast = np.array([1.0, -1.0, -1.0, 1.0])  # cells: comparison before/after, treated before/after
    estimate = float(contrast @ mean)
    n = len(frame)
    score_unit = contrast[cell] / wsum[cell] * w * resid
    if cluster:
        codes = pd.factorize(frame[cluster], sort=True)[0]
        g = int(codes.max()) + 1
        if g < 2:
            raise EstimationError(f"cluster column {cluster!r} has one cluster; use cluster=None")
        s = np.bincount(codes, weights=score_unit, minlength=g)
        var, df = g / (g - 1) * (n - 1) / (n - 4) * float(s @ s), g - 1
        method = f"CR1 cluster-robust SE by {cluster}, t({g - 1})"
    else:
        var, df, g = n / (n - 4) * float(score_unit @ score_unit), n - 4, float("nan")
        method = f"HC1 robust SE, t({n - 4})"
    c = coefficient("did", estimate, float(np.sqrt(var)), df=df, level=level)
    return TwoByTwoResult(outcome, _pair([float(v) for v in mean]), _pair([int(v) for v in counts]),
                          _pair([float(v) for v in sd]), c.estimate, c.std_error, c.statistic, c.df, c.p_value,
                          c.ci_low, c.ci_high, c.ci_level, n, float(g), method)
