"""Design parameters for power analysis (ICCs and covariate R² per level) from fitted mixed models.

PowerUp!'s ICCs are each level's share of the total variance in a model with random intercepts only
(``rho3`` for the coarsest of three levels, ``rho2`` for the next); its R² at a level is the share of that
level's variance a covariate model explains, comparing the level's variance component with and without
the covariates (Hedges & Hedberg 2007).

Examples
--------
>>> from analyses.mixed.fit import fit
>>> from analyses.mixed.simulate import simulate_nested
>>> data = simulate_nested(n_institutions=12, classes_per_institution=3, students_per_class=8, waves=1, seed=3,
...                        variances={"institution": 0.3, "class": 0.2})
>>> null = fit(data, "score ~ 1", groups="institution_id", vc={"class": "class_id"})
>>> out = design_parameters(null)
>>> sorted(out.powerup_arguments())
['rho2', 'rho3']
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from analyses.tidy import tidy_frame
from data_schema.errors import EstimationError
from data_schema.json_safe import json_safe

if TYPE_CHECKING:  # the mixed-model and DiD packages are heavy to import; load them only when used
    from analyses.mixed.result import MixedResult

__all__ = ["DesignParameters", "design_parameters", "r_squared_between"]


@dataclass(frozen=True)
class DesignParameters:
    """ICCs and covariate R² per level, ready for :func:`analyses.power.mdes`.

    Attributes
    ----------
    levels
        Grouping levels, coarse to fine, then ``"Residual"`` (level 1).
    variances
        Variance component of each entry of ``levels`` in the null (unconditional) model.
    shares
        Each component over the total variance; for the grouping levels these are PowerUp!'s ICCs.
    r_squared
        Share of each level's variance explained by the covariate model; all ``nan`` when no covariate
        model was given.
    n_obs
        Observations in the null model.
    n_groups
        Groups per grouping level in the null model.
    """

    levels: tuple[str, ...]
    variances: np.ndarray
    shares: np.ndarray
    r_squared: np.ndarray
    n_obs: int
    n_groups: tuple[int, ...]

    def powerup_arguments(self) -> dict[str, float]:
        """Keyword arguments for :func:`analyses.power.mdes`: ``rho2`` (and ``rho3``), and R² when known.

        The finest grouping level is PowerUp!'s level 2, the next coarser one level 3.  PowerUp! takes R² in
        [0, 1]: a negative estimate (the covariates left that level's variance estimate larger) is passed as
        0 with a :class:`~analyses.did.design_warnings.DesignWarning`; ``r_squared`` keeps the estimate.
        """
        n_group_levels = len(self.levels) - 1
        out: dict[str, float] = {}
        names = ("rho2", "rho3")[:n_group_levels]
        r2_names = ("r2_level2", "r2_level3")[:n_group_levels]
        for k, (rho, r2) in enumerate(zip(names, r2_names, strict=True)):
            idx = n_group_levels - 1 - k
            out[rho] = float(self.shares[idx])
            if np.isfinite(self.r_squared[idx]):
                out[r2] = _floored(r2, float(self.r_squared[idx]))
        if np.isfinite(self.r_squared[-1]):
            out["r2_level1"] = _floored("r2_level1", float(self.r_squared[-1]))
        return out

    def tidy(self) -> pd.DataFrame:
        """One row a level: the share of total variance as ``estimate``; ``variance`` and ``r_squared`` after."""
        groups = (*self.n_groups, np.nan)
        return tidy_frame([{"term": f"share|{lev}", "estimate": s, "n_obs": self.n_obs, "n_clusters": m,
                            "method": "variance share of a random-intercept model (PowerUp! ICC)",
                            "variance": v, "r_squared": r}
                           for lev, s, v, r, m in zip(self.levels, self.shares, self.variances, self.r_squared,
                                                      groups, strict=True)])

    def summary(self) -> str:
        """The per-level table and the PowerUp! arguments, as text."""
        table = self.tidy()[["term", "estimate", "variance", "r_squared"]].to_string(index=False)
        args = ", ".join(f"{k}={v:.4g}" for k, v in self.powerup_arguments().items())
        return f"Design parameters\n{table}\nPowerUp! arguments: {args}"

    def to_dict(self) -> dict:
        """JSON-safe dictionary of every field and the PowerUp! arguments."""
        out = {k: getattr(self, k) for k in self.__dataclass_fields__}
        out["powerup_arguments"] = self.powerup_arguments()
        return json_safe(out)


def _floored(name: str, value: float) -> float:
    if value >= 0.0:
        return value
    from analyses.did.design_warnings import DesignWarning

    warnings.warn(f"{name} estimated at {value:.4g}: the covariates explain none of that level's variance; "
                  "PowerUp! takes R² in [0, 1], so it is set to 0. Check the covariates or use the unadjusted "
                  "design", DesignWarning, stacklevel=3)
    return 0.0


def _components(result: MixedResult) -> pd.DataFrame:
    from analyses.mixed.icc import variance_decomposition

    table = variance_decomposition(result)
    if len(table) > 3:
        raise EstimationError(f"the model has {len(table) - 1} grouping levels; the PowerUp! designs here have "
                              "at most three levels (two grouping levels and the individual). Fit the model with "
                              "at most one 'groups' level and one 'vc' level")
    return table


def r_squared_between(null_result: MixedResult, covariate_result: MixedResult) -> dict[str, float]:
    """Share of each level's variance explained by covariates: one minus conditional over null variance.

    Parameters
    ----------
    null_result
        Random-intercept model without covariates (``outcome ~ 1``).
    covariate_result
        The same random structure with the covariates added, fitted to the same observations.

    Returns
    -------
    dict
        ``{level name: R²}`` for each grouping level and ``"Residual"`` (level 1). A negative value means the
        covariates left that level's variance estimate larger (sampling noise); it is reported, not clipped.

    Raises
    ------
    EstimationError
        When the two models' levels or observations differ, or a level has random slopes.

    Notes
    -----
    :math:`R^2_\\ell = 1 - \\tau^2_{\\ell\\,|\\,X} / \\tau^2_\\ell` for each level :math:`\\ell`, the level-1 term
    using the residual variances :math:`\\sigma^2` (Hedges & Hedberg 2007, Raudenbush & Bryk 2002, sec. 4.5).

    References
    ----------
    Hedges, L. V., & Hedberg, E. C. (2007). Intraclass correlation values for planning group-randomized trials
    in education. *Educational Evaluation and Policy Analysis*, 29(1), 60-87.

    Examples
    --------
    >>> from analyses.mixed.fit import fit
    >>> from analyses.mixed.simulate import simulate_nested
    >>> data = simulate_nested(n_institutions=12, classes_per_institution=2, students_per_class=8, waves=1,
    ...                        seed=3, variances={"institution": 0.3})
    >>> null = fit(data, "score ~ 1", groups="institution_id")
    >>> sorted(r_squared_between(null, null).items())
    [('Residual', 0.0), ('institution_id', 0.0)]
    """
    null, cov = _components(null_result), _components(covariate_result)
    if list(null["level"]) != list(cov["level"]) or null_result.n_obs != covariate_result.n_obs:
        raise EstimationError(f"the null model (levels {list(null['level'])}, {null_result.n_obs} observations) and "
                              f"the covariate model (levels {list(cov['level'])}, {covariate_result.n_obs} "
                              "observations) differ; fit both with the same random structure on the same rows")
    r2 = 1.0 - cov["variance"].to_numpy() / null["variance"].to_numpy()
    return {str(lev): float(v) for lev, v in zip(null["level"], r2, strict=True)}


def design_parameters(null_result: MixedResult, *, covariate_result: MixedResult | None = None) -> DesignParameters:
    """ICCs (and covariate R²) per level from fitted random-intercept models, for the MDES functions.

    Parameters
    ----------
    null_result
        Random-intercept model without covariates, with one or two grouping levels (``groups`` the coarsest,
        a ``vc`` level inside it).
    covariate_result
        Optional: the same random structure with covariates; gives R² per level via :func:`r_squared_between`.

    Returns
    -------
    DesignParameters
        ``powerup_arguments()`` gives ``rho2``/``rho3`` and ``r2_level*`` keyword arguments.

    Raises
    ------
    EstimationError
        For random slopes, more than two grouping levels, or models that do not match.

    Notes
    -----
    :math:`\\rho_\\ell = \\tau^2_\\ell / (\\sum_k \\tau^2_k + \\sigma^2)`: each level's share of the total
    variance, the ICC definition of Dong & Maynard (2013) and Hedges & Hedberg (2007) (for three levels,
    not the cumulative correlation that :func:`analyses.mixed.icc.icc` reports).

    References
    ----------
    Hedges, L. V., & Hedberg, E. C. (2007). Intraclass correlation values for planning group-randomized trials
    in education. *Educational Evaluation and Policy Analysis*, 29(1), 60-87.

    Dong, N., & Maynard, R. (2013). PowerUp!. *Journal of Research on Educational Effectiveness*, 6(1), 24-67.

    Examples
    --------
    >>> from analyses.mixed.fit import fit
    >>> from analyses.mixed.simulate import simulate_nested
    >>> data = simulate_nested(n_institutions=12, classes_per_institution=2, students_per_class=8, waves=1,
    ...                        seed=3, variances={"institution": 0.3})
    >>> out = design_parameters(fit(data, "score ~ 1", groups="institution_id"))
    >>> out.levels
    ('institution_id', 'Residual')
    """
    table = _components(null_result)
    levels = tuple(str(x) for x in table["level"])
    if covariate_result is None:
        r2 = np.full(len(levels), np.nan)
    else:
        found = r_squared_between(null_result, covariate_result)
        r2 = np.array([found[lev] for lev in levels])
    return DesignParameters(levels=levels, variances=table["variance"].to_numpy(dtype=float),
                            shares=table["share"].to_numpy(dtype=float), r_squared=r2,
                            n_obs=int(null_result.n_obs), n_groups=tuple(int(m) for m in null_result.n_groups))
