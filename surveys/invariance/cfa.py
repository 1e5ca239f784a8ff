"""Fit a single- or multi-group confirmatory factor model by maximum likelihood.

:func:`cfa` takes a long DataFrame, :func:`cfa_from_summary` published
covariance matrices; both hand the sample moments to :func:`fit_cfa`, which
also serves :func:`~surveys.invariance.invariance`.

Examples
--------
A one-factor model, e.g. as the basis of McDonald's omega:

>>> from surveys.invariance import cfa, simulate_groups
>>> items = ["a", "b", "c", "d"]
>>> df = simulate_groups(factors={"f": items}, n_per_group={"all": 500}, loading=0.7, seed=3)
>>> res = cfa(df, factors={"f": items})
>>> lam, theta = res.loadings()["f"], res.residual_variances()
>>> phi = res.factor_covariance().loc["f", "f"]
>>> omega = lam.sum() ** 2 * phi / (lam.sum() ** 2 * phi + theta.sum())
>>> round(float(omega), 2)  # population value 7.84 / 9.88 = 0.79
0.81
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Mapping, Sequence
from typing import Literal

import numpy as np
import pandas as pd

from data_schema.arguments import check_choice
from data_schema.errors import EstimationError, EstimationWarning

from .estimation import evaluate, fit_ml, start_values
from .indices import fit_indices
from .model import IDENTIFICATION_CHOICES, MeasurementModel, ParameterTable, build_parameter_table
from .moments import SampleMoments, moments_from_summary, sample_moments
from .results import CFAResult

__all__ = ["cfa", "cfa_from_summary", "fit_cfa"]

Identification = Literal["marker", "variance"]
Equality = Literal["loadings", "intercepts", "residuals"]


def _check_identified(table: ParameterTable, mom: SampleMoments) -> None:
    """Raise unless the model has non-negative df and a non-singular information matrix."""
    p = len(mom.items)
    moments = mom.n_groups * (p * (p + 1) // 2 + (p if table.meanstructure else 0))
    if table.n_free > moments:
        raise EstimationError(
            f"the model has {table.n_free} free parameters but the data give only {moments} moments "
            f"(df = {moments - table.n_free}); it is not identified: add items or constraints"
        )
    info = evaluate(start_values(table, mom), table, mom).info
    eig = np.linalg.eigvalsh(info)
    if eig[0] <= 1e-10 * max(eig[-1], 1.0):
        raise EstimationError(
            "the information matrix is singular at the start values: the model is not identified "
            "(e.g. a factor with two items that is uncorrelated with every other factor)"
        )


def _diagnose(table: ParameterTable, mom: SampleMoments, theta: np.ndarray, converged: bool, max_grad: float):
    """Messages about a fit that needs care: non-convergence, Heywood cases, improper Phi."""
    notes = []
    if not converged:
        notes.append(f"the optimiser did not converge (largest gradient {max_grad:.2e}); do not trust the estimates")
    for g, label in enumerate(mom.groups):
        where = "" if label is None else f" in group {label!r}"
        _, phi, resid, _, _ = table.matrices(g, theta)
        negative = [item for item, v in zip(table.model.items, resid, strict=True) if v < 0]
        if negative:
            notes.append(f"Heywood case{where}: negative residual variance of {negative}")
        bad = [f for f, v in zip(table.model.factors, np.diag(phi), strict=True) if v <= 0]
        if bad:
            notes.append(f"Heywood case{where}: non-positive factor variance of {bad}")
        elif np.linalg.eigvalsh(phi)[0] <= 0:
            notes.append(f"the factor covariance matrix{where} is not positive definite (a correlation beyond +/-1)")
    return notes


def fit_cfa(
    mom: SampleMoments,
    spec: MeasurementModel,
    *,
    group_equal: Sequence[str] = (),
    meanstructure: bool = True,
    identification: str = "marker",
    rmsea_ci_level: float = 0.90,
    level: str | None = None,
    stacklevel: int = 3,
) -> CFAResult:
    """Fit a CFA to sample moments (the core shared by :func:`cfa` and the invariance ladder).

    Parameters
    ----------
    mom
        Per-group sample moments.
    spec
        Measurement model.
    group_equal
        Parameter sets held equal across groups.
    meanstructure
        Model intercepts and (when intercepts are equal) factor means.
    identification
        ``"marker"`` or ``"variance"``.
    rmsea_ci_level
        Level of the RMSEA confidence interval.
    level
        Name of the invariance level, stored in the result.
    stacklevel
        Passed to :func:`warnings.warn` so that warnings point at the user's call.

    Returns
    -------
    CFAResult
    """
    if tuple(mom.items) != spec.items:
        mom = _reorder(mom, spec.items)
    if meanstructure and any(np.isnan(m).any() for m in mom.means):
        raise EstimationError("no item means were given; fit without a mean structure (meanstructure=False)")
    table = build_parameter_table(
        spec, n_groups=mom.n_groups, group_equal=group_equal, meanstructure=meanstructure,
        identification=identification,
    )
    _check_identified(table, mom)
    est = fit_ml(table, mom)
    implied = [table.implied(g, est.theta) for g in range(mom.n_groups)]
    means = [mu if meanstructure else mom.means[g] for g, (_, mu) in enumerate(implied)]
    fit = fit_indices(
        mom, fmin=est.fmin, n_parameters=table.n_free, meanstructure=meanstructure,
        implied_cov=[s for s, _ in implied], implied_mean=means, ci_level=rmsea_ci_level,
    )
    notes = _diagnose(table, mom, est.theta, est.converged, est.max_gradient)
    eig = np.linalg.eigvalsh(est.information)
    if eig[0] <= 1e-10 * max(eig[-1], 1.0):
        notes.append("the information matrix is singular at the estimate: some parameters are not identified "
                     "by these data and their standard errors cannot be trusted")
    vcov = np.linalg.pinv(mom.n_total * est.information, hermitian=True)
    if np.any(np.diag(vcov) < 0):
        notes.append("the estimated covariance matrix of the parameters has negative variances")
    for note in notes:
        warnings.warn(note, EstimationWarning, stacklevel=stacklevel)
    chisq_by_group = tuple(float(n * f) for n, f in zip(mom.n_obs, est.fmin, strict=True))
    return CFAResult(
        table=table, moments=mom, estimates=est.theta, vcov=vcov, fit=fit, chisq_by_group=chisq_by_group,
        converged=est.converged, iterations=est.iterations, max_gradient=est.max_gradient,
        warnings=tuple(notes), level=level,
    )


def _reorder(mom: SampleMoments, items: Sequence[str]) -> SampleMoments:
    """Restrict and reorder the moments to ``items``."""
    pos = [mom.items.index(i) for i in items]
    return SampleMoments(
        tuple(items), mom.groups, mom.n_obs, tuple(m[pos] for m in mom.means),
        tuple(c[np.ix_(pos, pos)] for c in mom.covariances), mom.n_excluded,
    )


def cfa(
    data: pd.DataFrame,
    *,
    factors: Mapping[str, Sequence[str]],
    group: str | None = None,
    group_equal: Sequence[Equality] = (),
    meanstructure: bool | None = None,
    identification: Identification = "marker",
    group_order: Sequence[Hashable] | None = None,
    rmsea_ci_level: float = 0.90,
) -> CFAResult:
    """Confirmatory factor analysis by maximum likelihood, one group or several.

    Parameters
    ----------
    data
        Long DataFrame, one row per respondent, numeric item columns.
    factors
        Simple structure ``{factor: [items]}``; each factor needs at least two items.
    group
        Grouping column for a multi-group model; ``None`` for one group.
    group_equal
        Parameter sets held equal across groups: ``"loadings"``,
        ``"intercepts"``, ``"residuals"`` (lavaan's ``group.equal``).
    meanstructure
        Model item intercepts; default (``None``) as lavaan: only with ``group``.
        Without a mean structure the intercepts are the sample means and are not
        counted as parameters.
    identification
        ``"marker"`` (first loading of each factor fixed to 1, lavaan's default)
        or ``"variance"`` (factor variances fixed to 1, lavaan's ``std.lv = TRUE``).
    group_order
        Order of the groups; the first is the reference group.  Default: order
        of first appearance.
    rmsea_ci_level
        Level of the RMSEA confidence interval.

    Returns
    -------
    CFAResult
        Estimates with standard errors from the expected information, fit
        indices, convergence facts and warnings.

    Raises
    ------
    KeyError
        A named column is missing.
    EstimationError
        Non-numeric items, a factor with fewer than two items, a group with no
        more rows than items, a singular covariance matrix, or a model that is
        not identified.

    Notes
    -----
    Model: :math:`\\Sigma_g = \\Lambda_g\\Phi_g\\Lambda_g' + \\Theta_g`,
    :math:`\\mu_g = \\nu_g + \\Lambda_g\\alpha_g` (see
    :mod:`surveys.invariance.model`); estimated by minimising
    :math:`\\sum_g N_g F_{ML,g}` with :math:`S_g` computed with divisor
    :math:`N_g` (see :mod:`surveys.invariance.estimation`).  Rows with any
    missing item are dropped (listwise) and counted in ``n_excluded``.
    Heywood cases and non-convergence are reported in ``warnings`` and issued
    as :class:`~data_schema.errors.EstimationWarning`.

    References
    ----------
    Rosseel, Y. (2012). lavaan: An R package for structural equation modeling.
    *Journal of Statistical Software*, 48(2), 1-36.

    Examples
    --------
    >>> from surveys.invariance import cfa, simulate_groups
    >>> spec = {"f1": ["a", "b", "c"], "f2": ["d", "e", "g"]}
    >>> df = simulate_groups(factors=spec, n_per_group={"all": 300}, seed=7)
    >>> res = cfa(df, factors=spec)
    >>> res.fit.df, res.converged
    (8, True)
    """
    check_choice("identification", identification, IDENTIFICATION_CHOICES)
    spec = MeasurementModel.from_mapping(factors)
    mom = sample_moments(data, items=spec.items, group=group, group_order=group_order)
    return fit_cfa(
        mom, spec, group_equal=group_equal,
        meanstructure=(group is not None) if meanstructure is None else bool(meanstructure),
        identification=identification, rmsea_ci_level=rmsea_ci_level,
    )


def cfa_from_summary(
    *,
    factors: Mapping[str, Sequence[str]],
    covariances: pd.DataFrame | Mapping[Hashable, pd.DataFrame],
    n_obs: int | Mapping[Hashable, int],
    means: pd.Series | Mapping[Hashable, pd.Series] | None = None,
    group_equal: Sequence[Equality] = (),
    meanstructure: bool | None = None,
    identification: Identification = "marker",
    rmsea_ci_level: float = 0.90,
) -> CFAResult:
    """Confirmatory factor analysis from published covariance matrices (and means).

    Parameters
    ----------
    factors
        Simple structure ``{factor: [items]}``.
    covariances
        Unbiased covariance matrix (items as index and columns), or a mapping
        group -> matrix for a multi-group model.
    n_obs
        Sample size, or a mapping group -> size.
    means
        Item means (or mapping group -> means); required for a mean structure.
    group_equal, identification, rmsea_ci_level
        As in :func:`cfa`.
    meanstructure
        Default: with several groups and means given.

    Returns
    -------
    CFAResult

    Notes
    -----
    The matrices are rescaled by :math:`(N_g-1)/N_g`, as lavaan does with
    ``sample.cov``, so the result equals :func:`cfa` on the raw data.

    Examples
    --------
    >>> import pandas as pd
    >>> items = ["a", "b", "c"]
    >>> cov = pd.DataFrame([[1.0, .48, .42], [.48, 1.0, .56], [.42, .56, 1.0]], index=items, columns=items)
    >>> res = cfa_from_summary(factors={"f": items}, covariances=cov, n_obs=200)
    >>> [round(v, 3) for v in res.loadings()["f"]]
    [1.0, 1.333, 1.167]
    """
    check_choice("identification", identification, IDENTIFICATION_CHOICES)
    spec = MeasurementModel.from_mapping(factors)
    mom = moments_from_summary(covariances=covariances, n_obs=n_obs, means=means, items=spec.items)
    if meanstructure is None:
        meanstructure = means is not None and mom.n_groups > 1
    return fit_cfa(
        mom, spec, group_equal=group_equal, meanstructure=bool(meanstructure),
        identification=identification, rmsea_ci_level=rmsea_ci_level,
    )
