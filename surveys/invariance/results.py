"""The result of a CFA fit: estimates, standard errors, fit indices and warnings.

Examples
--------
>>> from surveys.invariance import cfa, simulate_groups
>>> df = simulate_groups(factors={"f": ["a", "b", "c", "d"]}, n_per_group={"all": 400}, seed=1)
>>> res = cfa(df, factors={"f": ["a", "b", "c", "d"]})
>>> list(res.tidy().columns[:6])
['group', 'term', 'kind', 'lhs', 'op', 'rhs']
>>> res.loadings().shape
(4, 1)
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from data_schema.errors import ArgumentError
from data_schema.json_safe import json_safe

from .indices import FitIndices
from .model import ParameterTable
from .moments import SampleMoments

__all__ = ["CFAResult", "TIDY_COLUMNS"]

TIDY_COLUMNS = (
    "group",
    "term",
    "kind",
    "lhs",
    "op",
    "rhs",
    "estimate",
    "std_error",
    "statistic",
    "p_value",
    "ci_low",
    "ci_high",
    "ci_level",
    "estimate_std",
    "free",
    "equal_across_groups",
)
"""Columns of :meth:`CFAResult.tidy`, in order."""


def _rows_of_group(table: ParameterTable, g: int, theta: np.ndarray) -> list[tuple]:
    """(kind, lhs, op, rhs, index, value) for every parameter of group ``g``."""
    spec, gm = table.model, table.groups[g]
    lam, phi, resid, nu, alpha = table.matrices(g, theta)
    rows = []
    for i, item in enumerate(spec.items):
        f = spec.item_factor[i]
        rows.append(("loading", spec.factors[f], "=~", item, gm.loading_index[i], lam[i, f]))
    for f in range(spec.n_factors):
        for h in range(f, spec.n_factors):
            kind = "factor_variance" if f == h else "factor_covariance"
            rows.append((kind, spec.factors[f], "~~", spec.factors[h], gm.phi_index[f, h], phi[f, h]))
    for i, item in enumerate(spec.items):
        rows.append(("residual_variance", item, "~~", item, gm.residual_index[i], resid[i]))
    if table.meanstructure:
        for i, item in enumerate(spec.items):
            rows.append(("intercept", item, "~1", "", gm.intercept_index[i], nu[i]))
        for f, name in enumerate(spec.factors):
            rows.append(("factor_mean", name, "~1", "", gm.mean_index[f], alpha[f]))
    return rows


def _standardized(kind: str, lhs: str, rhs: str, value: float, sd_item: dict, sd_factor: dict) -> float:
    """Completely standardized value (lavaan's ``std.all``) of one parameter."""
    if kind == "loading":
        return value * sd_factor[lhs] / sd_item[rhs]
    if kind in ("factor_variance", "factor_covariance"):
        return value / (sd_factor[lhs] * sd_factor[rhs])
    if kind == "residual_variance":
        return value / sd_item[lhs] ** 2
    if kind == "intercept":
        return value / sd_item[lhs]
    return value / sd_factor[lhs]


@dataclass(frozen=True, eq=False)
class CFAResult:
    """A fitted (multi-group) confirmatory factor model.

    Attributes
    ----------
    table
        Parameter layout: measurement model, groups, equality constraints.
    moments
        The sample moments the model was fitted to (sizes, means, covariances).
    estimates
        Free parameters :math:`\\hat\\theta` (positions as in ``table``).
    vcov
        Covariance matrix of :math:`\\hat\\theta`, inverse expected information.
    fit
        Global fit indices.
    chisq_by_group
        Each group's contribution :math:`N_g F_{ML,g}` to the test statistic.
    converged
        Whether the optimiser reached a gradient below its tolerance.
    iterations
        Optimiser iterations.
    max_gradient
        Largest absolute gradient of the fit function at the estimate.
    warnings
        Messages about the fit that need care (non-convergence, Heywood cases,
        non-positive-definite factor covariances); also issued as
        :class:`~data_schema.errors.EstimationWarning`.
    level
        Invariance level name when fitted by :func:`~surveys.invariance.invariance`,
        else ``None``.
    """

    table: ParameterTable
    moments: SampleMoments
    estimates: np.ndarray
    vcov: np.ndarray
    fit: FitIndices
    chisq_by_group: tuple[float, ...]
    converged: bool
    iterations: int
    max_gradient: float
    warnings: tuple[str, ...] = ()
    level: str | None = None

    @property
    def groups(self) -> tuple[Hashable, ...]:
        """Group labels (``(None,)`` for a single group)."""
        return self.moments.groups

    @property
    def n_obs(self) -> tuple[int, ...]:
        """Complete rows used per group."""
        return self.moments.n_obs

    @property
    def n_excluded(self) -> int:
        """Rows dropped by listwise deletion (missing item or group)."""
        return self.moments.n_excluded

    @property
    def std_errors(self) -> np.ndarray:
        """Standard errors of :math:`\\hat\\theta` (NaN where the variance is negative)."""
        diag = np.diag(self.vcov)
        return np.sqrt(np.where(diag >= 0, diag, np.nan))

    def _group_index(self, group: Hashable | None) -> int:
        if group is None:
            if len(self.groups) > 1:
                raise ArgumentError(f"this model has groups {list(self.groups)!r}; pass group=<one of them>")
            return 0
        if group not in self.groups:
            raise ArgumentError(f"group={group!r} is not one of {list(self.groups)!r}")
        return self.groups.index(group)

    def implied(self, group: Hashable | None = None) -> tuple[pd.DataFrame, pd.Series]:
        """Model-implied covariance matrix and mean vector of one group."""
        g, items = self._group_index(group), list(self.table.model.items)
        sigma, mu = self.table.implied(g, self.estimates)
        if not self.table.meanstructure:
            mu = self.moments.means[g]
        return pd.DataFrame(sigma, index=items, columns=items), pd.Series(mu, index=items)

    def loadings(self, group: Hashable | None = None) -> pd.DataFrame:
        """Unstandardized loadings :math:`\\Lambda` of one group (items x factors, zeros off-structure)."""
        lam = self.table.matrices(self._group_index(group), self.estimates)[0]
        return pd.DataFrame(lam, index=list(self.table.model.items), columns=list(self.table.model.factors))

    def factor_covariance(self, group: Hashable | None = None) -> pd.DataFrame:
        """Factor covariance matrix :math:`\\Phi` of one group."""
        phi = self.table.matrices(self._group_index(group), self.estimates)[1]
        names = list(self.table.model.factors)
        return pd.DataFrame(phi, index=names, columns=names)

    def residual_variances(self, group: Hashable | None = None) -> pd.Series:
        """Residual (unique) variances :math:`\\operatorname{diag}\\Theta` of one group."""
        resid = self.table.matrices(self._group_index(group), self.estimates)[2]
        return pd.Series(resid, index=list(self.table.model.items), name="residual_variance")

    def intercepts(self, group: Hashable | None = None) -> pd.Series:
        """Item intercepts :math:`\\nu` of one group (the sample means without a mean structure)."""
        g = self._group_index(group)
        nu = self.table.matrices(g, self.estimates)[3] if self.table.meanstructure else self.moments.means[g]
        return pd.Series(nu, index=list(self.table.model.items), name="intercept")

    def factor_means(self, group: Hashable | None = None) -> pd.Series:
        """Factor means :math:`\\alpha` of one group (0 in the reference group)."""
        alpha = self.table.matrices(self._group_index(group), self.estimates)[4]
        return pd.Series(alpha, index=list(self.table.model.factors), name="factor_mean")

    def tidy(self, ci_level: float = 0.95) -> pd.DataFrame:
        """One row per parameter per group, with Wald z tests and intervals.

        Columns are :data:`TIDY_COLUMNS`.  ``term`` is lavaan-style
        (``visual=~x2``); fixed parameters (markers, fixed factor means) have
        ``free = False`` and no standard error; ``equal_across_groups`` marks
        parameters held equal by the invariance constraints; ``estimate_std`` is
        the completely standardized value (lavaan's ``std.all``).
        """
        z = float(stats.norm.ppf(0.5 + ci_level / 2.0))
        se_all = self.std_errors
        records = []
        for g, label in enumerate(self.groups):
            sigma, _ = self.table.implied(g, self.estimates)
            phi = self.table.matrices(g, self.estimates)[1]
            sd_item = dict(zip(self.table.model.items, np.sqrt(np.diag(sigma)), strict=True))
            sd_factor = dict(zip(self.table.model.factors, np.sqrt(np.abs(np.diag(phi))), strict=True))
            for kind, lhs, op, rhs, idx, value in _rows_of_group(self.table, g, self.estimates):
                free = bool(idx >= 0)
                se = float(se_all[idx]) if free else float("nan")
                stat = value / se if free else float("nan")
                records.append({
                    "group": label, "term": f"{lhs}{op}{rhs}", "kind": kind, "lhs": lhs, "op": op, "rhs": rhs,
                    "estimate": float(value), "std_error": se, "statistic": stat,
                    "p_value": float(2 * stats.norm.sf(abs(stat))) if free else float("nan"),
                    "ci_low": value - z * se, "ci_high": value + z * se, "ci_level": ci_level,
                    "estimate_std": float(_standardized(kind, lhs, rhs, value, sd_item, sd_factor)),
                    "free": free, "equal_across_groups": bool(free and self.table.shared[idx]),
                })
        return pd.DataFrame.from_records(records, columns=list(TIDY_COLUMNS))

    def to_dict(self) -> dict[str, object]:
        """JSON-safe summary: model, sizes, fit indices, convergence, warnings and estimates."""
        return json_safe({
            "factors": {f: [i for i, k in zip(self.table.model.items, self.table.model.item_factor, strict=True)
                            if self.table.model.factors[k] == f] for f in self.table.model.factors},
            "groups": [None if g is None else str(g) for g in self.groups],
            "level": self.level,
            "group_equal": list(self.table.group_equal),
            "meanstructure": self.table.meanstructure,
            "identification": self.table.identification,
            "n_obs": list(self.n_obs),
            "n_excluded": self.n_excluded,
            "fit": self.fit.to_dict(),
            "chisq_by_group": list(self.chisq_by_group),
            "converged": self.converged,
            "iterations": self.iterations,
            "max_gradient": self.max_gradient,
            "warnings": list(self.warnings),
            "estimates": [
                row | {"group": None if row["group"] is None else str(row["group"])}
                for row in self.tidy().to_dict(orient="records")
            ],
        })

    def summary(self) -> str:
        """Human-readable summary (fit indices and the parameter table)."""
        f = self.fit
        head = [
            f"Confirmatory factor analysis (ML), groups: {len(self.groups)}, N = {f.n_obs}"
            + (f", level: {self.level}" if self.level else ""),
            f"  chi-square = {f.chisq:.3f}, df = {f.df}, p = {f.p_value:.4f}",
            f"  CFI = {f.cfi:.3f}, TLI = {f.tli:.3f}, RMSEA = {f.rmsea:.3f} "
            f"[{f.rmsea_ci_low:.3f}, {f.rmsea_ci_high:.3f}], SRMR = {f.srmr:.3f}",
            f"  logLik = {f.loglik:.3f}, AIC = {f.aic:.3f}, BIC = {f.bic:.3f}, parameters = {f.n_parameters}",
            f"  converged: {self.converged} ({self.iterations} iterations), rows excluded: {self.n_excluded}",
        ]
        head += [f"  warning: {w}" for w in self.warnings]
        cols = ["group", "term", "estimate", "std_error", "statistic", "p_value", "estimate_std"]
        return "\n".join(head) + "\n\n" + self.tidy()[cols].to_string(index=False)
