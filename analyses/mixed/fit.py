"""Fit a linear mixed model by REML or ML: ``mixed.fit(data, formula, groups=..., re_formula=..., vc=...)``.

Examples
--------
>>> from analyses.mixed.simulate import simulate_nested
>>> data = simulate_nested(n_institutions=12, classes_per_institution=3, students_per_class=8, waves=3, seed=3)
>>> result = fit(data, "score ~ wave + program", groups="institution_id",
...              vc={"class": "class_id", "student": "student_id"})
>>> result.n_groups, result.convergence.engine
((12, 36, 288), 'nested')
>>> list(result.variance_components()["group"])
['institution_id', 'class', 'student', 'Residual']
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from analyses.mixed.covariance import ThetaLayout
from analyses.mixed.dense import DenseGroupsDeviance
from analyses.mixed.design import MixedDesign, build_design
from analyses.mixed.fallback import statsmodels_theta
from analyses.mixed.fit_warnings import ConvergenceCheckWarning, EngineFallbackWarning, SingularFitWarning
from analyses.mixed.nested import NestedDeviance
from analyses.mixed.optimize import (
    OPTIMIZERS,
    Convergence,
    Gradient,
    Objective,
    Optimizer,
    OptimizerRun,
    best_run,
    check_optimum,
    escape_boundary,
    minimize_all,
    newton_polish,
)
from analyses.mixed.profile import ProfiledDeviance
from analyses.mixed.result import MixedResult
from analyses.mixed.table_engine import TableModel, table_model
from data_schema.arguments import check_choice
from data_schema.engine import is_engine_table
from data_schema.errors import ArgumentError

if TYPE_CHECKING:
    from ibis.expr.types import Table

__all__ = ["fit"]


@contextlib.contextmanager
def _one_blas_thread() -> Iterator[None]:
    """Limit BLAS to one thread: the tight loop makes many small calls, where thread start-up dominates."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl ships with scipy's usual stacks
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def fit(data: pd.DataFrame | Table, formula: str, *, groups: str, re_formula: str | None = None,
        vc: Mapping[str, str] | None = None, reml: bool = True,
        optimizers: Sequence[Optimizer] = ("lbfgsb", "nelder_mead")) -> MixedResult:
    """Linear mixed model with random effects for ``groups`` and variance components nested in it.

    Parameters
    ----------
    data
        Long data, one row an observation; rows with a missing used value are dropped (counted in
        ``n_dropped``).  A pandas DataFrame, or an Ibis table (DuckDB, Spark, PostgreSQL, ...) for a model
        with one grouping factor and no ``vc``: the engine then computes the per-group sums and only they
        leave it (see the Notes).
    formula
        Fixed effects, a formulaic formula with the response: ``"score ~ wave * program"``.
    groups
        The top-level grouping column (students in a growth model; institutions in a hierarchy).
    re_formula
        Random effects of ``groups``: ``None`` for a random intercept, ``"~ wave"`` for a correlated
        random intercept and slope (lme4's ``(1 + wave | groups)``), ``"~ 0 + wave"`` for a slope only.
    vc
        Variance components nested in ``groups``, in order from coarse to fine, name -> column:
        ``{"class": "class_id", "student": "student_id"}`` gives lme4's
        ``(1 | institution:class) + (1 | institution:class:student)``.  A value may also be written as in
        statsmodels, ``"0 + C(class_id)"``.  Labels are identified within the top-level group, so class
        names may repeat across institutions.  Components that are not nested in each other (crossed
        within the groups) are fitted by statsmodels' MixedLM instead, with an
        :class:`EngineFallbackWarning`.
    reml
        Restricted maximum likelihood (default, as lme4) or maximum likelihood (for likelihood-ratio
        tests of fixed effects).
    optimizers
        Optimizers run from lme4's default start (identity relative factors); the lowest deviance wins.
        Any of ``"lbfgsb"`` (with the analytic gradient for one grouping level), ``"nelder_mead"`` and
        ``"powell"``.

    Returns
    -------
    MixedResult

    Raises
    ------
    ArgumentError
        For a malformed formula, an unknown optimizer or ``vc`` column; on an engine table, for ``vc`` or a
        formula term the engine path does not cover.
    ColumnError
        When ``groups`` is not a column of ``data``.
    EstimationError
        For collinear fixed effects, a level with one group, or as many random effects as observations.

    Warns
    -----
    SingularFitWarning
        A variance estimate is zero or a correlation is +-1 (the fit is on the boundary).
    ConvergenceCheckWarning
        The gradient is not small or the Hessian not positive definite at the optimum.
    EngineFallbackWarning
        statsmodels fitted the model because its components are crossed within the groups.

    Notes
    -----
    The model is :math:`y = X\\beta + Z b + \\varepsilon` with :math:`b \\sim N(0, \\sigma^2\\Lambda_\\theta
    \\Lambda_\\theta')` and :math:`\\varepsilon \\sim N(0, \\sigma^2 I)`.  With
    :math:`L_\\theta L_\\theta' = \\Lambda_\\theta'Z'Z\\Lambda_\\theta + I`, :math:`R_X'R_X = X'V^{-1}X` and
    the penalized residual sum of squares :math:`r^2_\\theta`, the profiled criteria are

    .. math:: d_{ML}(\\theta) = \\log|L_\\theta|^2 + n\\left(1 + \\log\\frac{2\\pi r^2_\\theta}{n}\\right),
              \\qquad
              d_{REML}(\\theta) = \\log|L_\\theta|^2 + \\log|R_X|^2
              + (n-p)\\left(1 + \\log\\frac{2\\pi r^2_\\theta}{n-p}\\right)

    (Bates et al. 2015, eqs. 34 and 41), minimised over :math:`\\theta` with the diagonal of each
    :math:`T_l` non-negative.  Then :math:`\\hat\\sigma^2 = r^2/n` (ML) or :math:`r^2/(n-p)` (REML) and
    :math:`\\widehat{\\mathrm{Var}}(\\hat\\beta) = \\hat\\sigma^2 (X'V^{-1}X)^{-1}`.  Nested levels are
    eliminated group by group from per-group sufficient statistics (see
    :class:`~analyses.mixed.nested.NestedDeviance`); with one grouping level the gradient is analytic.
    A diagonal element of ``T_l`` enters only through its square, so on its bound (a singular fit) its
    derivative is zero and an optimizer that lands there can stay although the deviance decreases inside;
    the best optimum is therefore probed off every bound it sits on and, where a probe is lower, every
    optimizer is restarted from it (:func:`~analyses.mixed.optimize.escape_boundary`).  Newton steps
    then polish the best optimum (guided by the analytic gradient where there is one, see
    :func:`~analyses.mixed.optimize.newton_polish`), and its gradient and Hessian are checked as lme4's
    ``checkConv`` does.

    On an engine table the model must have one grouping factor (no ``vc``), a fixed-effects formula of
    numeric, boolean and string (categorical, expanded to the formula's 0/1 indicators after one
    ``distinct`` query for its levels) columns combined by ``+``, ``:``, ``*`` with or without an
    intercept, and a random-effects formula of numeric columns (a random intercept, slopes, or both).
    The engine returns per group ``n_g``, ``Z_g'Z_g``, ``Z_g'X_g``, ``Z_g'y_g``, ``X_g'X_g``, ``X_g'y_g``
    and ``y_g'y_g`` (:func:`data_schema.engine.group_sums`), and the same nested engine runs from them
    (:mod:`analyses.mixed.table_engine`), so the result has the same fields, and the same numbers up to
    rounding, as on the rows.  Its ``engine`` keeps the sums, not the rows: :func:`r2_nakagawa` and
    :func:`design_effect` are computed from them, while helpers that rebuild the design row by row
    (:func:`growth_trajectories`) raise an ``ArgumentError`` for an engine table.

    References
    ----------
    Bates, D., Mächler, M., Bolker, B., & Walker, S. (2015). Fitting linear mixed-effects models using
    lme4. *Journal of Statistical Software*, 67(1), 1-48.
    Pinheiro, J. C., & Bates, D. M. (2000). *Mixed-Effects Models in S and S-PLUS*. Springer.
    """
    optimizers = tuple(optimizers)
    if not optimizers:
        raise ArgumentError("optimizers is empty; give at least one of 'lbfgsb', 'nelder_mead', 'powell'")
    for name in optimizers:
        check_choice("optimizers", name, OPTIMIZERS)
    if is_engine_table(data):
        return _fit_table(data, formula, groups, re_formula, vc, reml, optimizers)
    design = build_design(data, formula, groups=groups, re_formula=re_formula, vc=vc)
    vc_pairs = tuple(zip(tuple(vc or {}), design.component_columns, strict=True))
    with _one_blas_thread():
        if design.nested:
            engine = NestedDeviance(design.y, design.x, [design.groups, *design.components],
                                    [design.z, *([None] * len(design.components))], design.layout)
            conv, theta = _fit_fast(engine, design.layout, reml, optimizers)
            method = "nested sufficient-statistics engine"
        else:
            message = (f"the variance components {', '.join(n for n, _ in vc_pairs)} are not nested in one another "
                       "within the groups, which the fast engine does not cover; statsmodels' MixedLM fitted "
                       "the model and the dense per-group engine checked it")
            warnings.warn(message, EngineFallbackWarning, stacklevel=2)
            engine = DenseGroupsDeviance(design.y, design.x, design.groups, design.z, design.components,
                                         design.layout)
            conv, theta = _fit_fallback(engine, design, formula, groups, re_formula, dict(vc_pairs), reml, message)
            method = "statsmodels MixedLM fallback"
    _warn(conv)
    return _result(design, engine, theta, conv, formula, groups, re_formula, vc_pairs, reml, method)


def _fit_table(table: Table, formula: str, groups: str, re_formula: str | None, vc: Mapping[str, str] | None,
               reml: bool, optimizers: tuple[Optimizer, ...]) -> MixedResult:
    if vc:
        raise ArgumentError(f"vc={dict(vc)!r}: variance components nested in the groups are fitted from the rows "
                            "only; on an engine table fit one grouping factor (groups= with re_formula=), or pass "
                            "a pandas DataFrame")
    model = table_model(table, formula, groups=groups, re_formula=re_formula)
    with _one_blas_thread():
        conv, theta = _fit_fast(model.engine, model.layout, reml, optimizers)
    _warn(conv, stacklevel=4)
    method = f"nested sufficient-statistics engine, group sums computed in {model.engine.backend}"
    return _result(model, model.engine, theta, conv, formula, groups, re_formula, (), reml, method)


def _fit_fast(engine: NestedDeviance, layout: ThetaLayout, reml: bool,
              optimizers: tuple[Optimizer, ...]) -> tuple[Convergence, np.ndarray]:
    def fun(th: np.ndarray) -> float:
        return engine.criterion(th, reml=reml)

    grad = (lambda th: engine.gradient(th, reml=reml)) if engine.has_gradient else None
    runs = minimize_all(fun, layout.start, layout.lower, optimizers, grad)
    return _finish("nested", _restart(runs, fun, grad, layout, optimizers), fun, grad, layout, ())


def _restart(runs: list[OptimizerRun], fun: Objective, grad: Gradient | None, layout: ThetaLayout,
             optimizers: tuple[Optimizer, ...], rounds: int = 2) -> list[OptimizerRun]:
    """Restart every optimizer from a probe off the bound while the best optimum sits on a bound it should leave."""
    for k in range(1, rounds + 1):
        start = escape_boundary(fun, np.array(best_run(runs).theta), layout.lower)
        if start is None:
            break
        more = minimize_all(fun, start, layout.lower, optimizers, grad)
        runs = runs + [replace(r, optimizer=f"{r.optimizer} (restart {k} off the bound)") for r in more]
    return runs


def _fit_fallback(engine: DenseGroupsDeviance, design: MixedDesign, formula: str, groups: str,
                  re_formula: str | None, vc: dict[str, str], reml: bool,
                  message: str) -> tuple[Convergence, np.ndarray]:
    layout = design.layout

    def fun(th: np.ndarray) -> float:
        return engine.criterion(th, reml=reml)

    theta, run, notes = statsmodels_theta(design.frame, formula, groups=groups, re_formula=re_formula, vc=vc,
                                          reml=reml, layout=layout)
    sm_run = OptimizerRun(run.optimizer, run.start, run.theta, fun(theta), run.evaluations, run.success, run.message)
    polish = replace(minimize_all(fun, theta, layout.lower, ("lbfgsb",))[0], optimizer="lbfgsb (from statsmodels)")
    runs = _restart([sm_run, polish], fun, None, layout, ("lbfgsb",))
    return _finish("statsmodels", runs, fun, None, layout, (message, *notes))


def _finish(engine: str, runs: list[OptimizerRun], fun: Objective, grad: Gradient | None, layout: ThetaLayout,
            notes: tuple[str, ...]) -> tuple[Convergence, np.ndarray]:
    best = best_run(runs)
    theta, polished = newton_polish(fun, np.array(best.theta), layout.lower, grad)
    check = check_optimum(fun, theta, layout.lower, layout.names, grad)
    singular = bool(layout.boundary(theta))
    messages = list(notes)
    if singular:
        messages.append(_singular_text(layout, theta))
    messages.extend(check.messages)
    conv = Convergence(engine, tuple(runs), best.optimizer, polished, check, singular, check.converged,
                       tuple(messages))
    return conv, theta


def _singular_text(layout: ThetaLayout, theta: np.ndarray) -> str:
    parts = []
    for lev, t in zip(layout.levels, layout.factors(theta), strict=True):
        for i, term in enumerate(lev.terms):
            if abs(t[i, i]) < 1e-4:
                if not np.any(np.abs(t[i, :i]) > 1e-4):
                    parts.append(f"the variance of {lev.name}: {term} is zero")
                else:
                    parts.append(f"the random effects of {lev.name} are perfectly correlated ({term} is a linear "
                                 "function of the terms before it: a correlation of +-1)")
    return ("boundary (singular) fit: " + "; ".join(parts) + ". Simplify the random effects or report the "
            "component as not identified")


def _warn(conv: Convergence, stacklevel: int = 3) -> None:
    for message in conv.messages:
        if message.startswith("boundary (singular) fit"):
            warnings.warn(message, SingularFitWarning, stacklevel=stacklevel)
        elif message in conv.check.messages:
            warnings.warn(f"the optimum failed a convergence check: {message}", ConvergenceCheckWarning,
                          stacklevel=stacklevel)


def _result(design: MixedDesign | TableModel, engine: ProfiledDeviance, theta: np.ndarray, conv: Convergence,
            formula: str, groups: str, re_formula: str | None, vc_pairs: tuple[tuple[str, str], ...], reml: bool,
            method: str) -> MixedResult:
    terms = engine.terms(theta)
    sigma = terms.sigma(reml=reml)
    crit = terms.criterion(reml=reml)
    k = len(design.x_names) + theta.size + 1
    covs = tuple(design.layout.covariances(theta, sigma))
    method = f"{'REML' if reml else 'ML'}, {method}"
    return MixedResult(formula, groups, re_formula, vc_pairs, reml, design.response, design.x_names, terms.beta,
                       terms.vcov(sigma), theta, design.layout.names, design.layout.levels, sigma, covs,
                       design.n_obs, design.n_dropped, design.n_groups, crit, -crit / 2.0, k, crit + 2.0 * k,
                       crit + k * float(np.log(design.n_obs)), conv, method, conv.messages, engine)
