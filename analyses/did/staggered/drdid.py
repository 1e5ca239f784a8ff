"""Two-group, two-period ATT estimators of Sant'Anna & Zhao (2020) with their influence functions.

The building block of every ATT(g,t): treated units ``D = 1`` against comparison units ``D = 0`` between a
base and a current period, with covariates ``X`` (first column the intercept) and weights ``w``.  Three
estimators, as R ``DRDID`` defines them and R ``did`` calls them:

* ``"dr"``: locally efficient doubly robust (``drdid_panel`` / ``drdid_rc``),
* ``"ipw"``: normalised (Hajek) inverse probability weighting (``std_ipw_did_panel`` / ``std_ipw_did_rc``),
* ``"reg"``: outcome regression (``reg_did_panel`` / ``reg_did_rc``).

Each returns the estimate and the influence function :math:`\\psi_i` of every observation passed in, scaled
so that :math:`\\widehat{\\mathrm{se}} = \\sqrt{\\sum_i \\psi_i^2}/n`; propensity scores come from a
weighted logit fitted by Newton-Raphson (:func:`logit_fit`), trimmed as ``DRDID`` does (comparison units
with a score of 0.995 or more get weight 0; scores are capped at :math:`1 - 10^{-6}`).

Examples
--------
>>> rng = np.random.default_rng(1)
>>> n = 4000
>>> x = rng.normal(size=n)
>>> d = (rng.random(n) < 1 / (1 + np.exp(-x))).astype(float)
>>> dy = 1.0 + 0.5 * x + 2.0 * d + rng.normal(size=n)
>>> X = np.column_stack([np.ones(n), x])
>>> fit = panel_did(dy, d, X, np.ones(n), "dr")
>>> round(fit.att, 2), fit.problem is None, fit.influence.shape
(1.93, True, (4000,))

References
----------
Sant'Anna, P. H. C., & Zhao, J. (2020). Doubly robust difference-in-differences estimators. Journal of
Econometrics, 219(1), 101-122. https://doi.org/10.1016/j.jeconom.2020.06.003
"""

from __future__ import annotations

from typing import Literal, NamedTuple

import numpy as np
from scipy.special import expit

__all__ = ["Method", "TwoByTwo", "logit_fit", "panel_did", "rc_did", "wls"]

Method = Literal["dr", "ipw", "reg"]

TRIM_LEVEL = 0.995
"""Comparison units with a propensity score at or above this level get weight 0 (``DRDID`` ``trim.level``)."""

OVERLAP_LIMIT = 0.999
"""R ``did`` sets ATT(g,t) to NA when a fitted propensity score reaches this value."""

_EPS = np.finfo(float).eps


class TwoByTwo(NamedTuple):
    """A 2x2 estimate: ``att``, ``influence`` (one value per observation) and ``problem`` (why NaN, else None)."""

    att: float
    influence: np.ndarray
    problem: str | None


def _failed(n: int, problem: str) -> TwoByTwo:
    return TwoByTwo(float("nan"), np.zeros(n), problem)


def _rcond(matrix: np.ndarray) -> float:
    try:
        return 1.0 / float(np.linalg.cond(matrix, p=1))
    except np.linalg.LinAlgError:
        return 0.0


def logit_fit(X: np.ndarray, d: np.ndarray, w: np.ndarray, *, max_iter: int = 100) -> tuple[np.ndarray, bool]:
    """Weighted logistic regression of ``d`` on ``X`` by Newton-Raphson; returns (coefficients, converged).

    Notes
    -----
    Maximises :math:`\\sum_i w_i [d_i x_i'\\gamma - \\log(1 + e^{x_i'\\gamma})]`, the likelihood R's
    ``glm(d ~ -1 + X, family = binomial, weights = w)`` maximises, iterating
    :math:`\\gamma \\leftarrow \\gamma + (X'WX)^{-1} X'w(d - p)` with :math:`W = w p (1 - p)` from the
    intercept-only start until the step is below :math:`10^{-11}` (relative), i.e. to machine precision
    rather than to ``glm``'s deviance tolerance.
    """
    share = float(np.clip((w * d).sum() / w.sum(), 1e-12, 1 - 1e-12))
    gamma = np.zeros(X.shape[1])
    gamma[0] = np.log(share / (1 - share))
    for _ in range(max_iter):
        p = expit(X @ gamma)
        hessian = (X * (w * p * (1 - p))[:, None]).T @ X
        step = np.linalg.solve(hessian, X.T @ (w * (d - p)))
        gamma = gamma + step
        if np.max(np.abs(step)) <= 1e-11 * (1.0 + np.max(np.abs(gamma))):
            return gamma, True
    return gamma, False


def wls(X: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted least-squares coefficients :math:`(X'WX)^{-1}X'Wy`."""
    return np.linalg.solve((X * w[:, None]).T @ X, (X * w[:, None]).T @ y)


class _Score(NamedTuple):
    p: np.ndarray  # capped propensity score
    keep: np.ndarray  # trimming indicator (1.0 kept, 0.0 trimmed)
    linear: np.ndarray  # n x k asymptotic linear representation of the logit coefficients


def _pscore(X: np.ndarray, d: np.ndarray, w: np.ndarray) -> _Score | str:
    n = len(d)
    try:
        gamma, converged = logit_fit(X, d, w)
    except np.linalg.LinAlgError:
        return "the propensity-score logit is singular (a covariate does not vary or separates the groups)"
    if not converged:
        return "the propensity-score logit did not converge"
    p = expit(X @ gamma)
    if p.max() >= OVERLAP_LIMIT:
        return f"overlap fails: a propensity score reaches {OVERLAP_LIMIT}"
    p = np.minimum(p, 1 - 1e-6)
    keep = np.where(d == 1, 1.0, (p < TRIM_LEVEL).astype(float))
    info = (X * (w * p * (1 - p))[:, None]).T @ X
    if _rcond(info) < _EPS:
        return "the propensity-score design matrix is singular"
    linear = (X * (w * (d - p))[:, None]) @ (np.linalg.inv(info) * n)
    return _Score(p, keep, linear)


def _ols_rep(X: np.ndarray, y: np.ndarray, w: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Fitted values of the WLS of ``y`` on ``X`` in ``rows`` and its n x k asymptotic linear representation."""
    n = len(y)
    wr = w * rows
    xtx = (X * wr[:, None]).T @ X / n
    if _rcond(xtx) < _EPS:
        return None
    beta = np.linalg.solve(xtx, (X * wr[:, None]).T @ y / n)
    fitted = X @ beta
    return fitted, (X * (wr * (y - fitted))[:, None]) @ np.linalg.inv(xtx)


def panel_did(dy: np.ndarray, d: np.ndarray, X: np.ndarray, w: np.ndarray, method: Method) -> TwoByTwo:
    """ATT from panel data: outcome changes ``dy``, treatment indicator ``d``, covariates ``X``, weights ``w``.

    Notes
    -----
    With :math:`\\hat p` the propensity score and :math:`\\hat\\mu_0(X)` the comparison units' regression of
    :math:`\\Delta Y` on :math:`X`, the doubly robust estimate (Sant'Anna & Zhao 2020, eq. 3.1) is

    .. math::
        \\hat\\tau = \\frac{\\sum w_i D_i (\\Delta Y_i - \\hat\\mu_0(X_i))}{\\sum w_i D_i}
        - \\frac{\\sum w_i \\frac{\\hat p(X_i)(1-D_i)}{1-\\hat p(X_i)} (\\Delta Y_i - \\hat\\mu_0(X_i))}
                {\\sum w_i \\frac{\\hat p(X_i)(1-D_i)}{1-\\hat p(X_i)}};

    ``"ipw"`` drops :math:`\\hat\\mu_0` and ``"reg"`` replaces the second term by the treated average of
    :math:`\\hat\\mu_0`.  The influence functions add the estimation effects of the logit and OLS
    coefficients exactly as ``DRDID::drdid_panel``, ``std_ipw_did_panel`` and ``reg_did_panel``.
    """
    n = len(dy)
    w = w / w.mean()
    control = 1.0 - d
    out = None
    if method in ("dr", "reg"):
        out = _ols_rep(X, dy, w, control)
        if out is None:
            return _failed(n, "too few comparison units to fit the outcome regression on the covariates")
    if method == "reg":
        fitted, ols = out
        w_t = w * d
        eta_t = (w_t * dy).mean() / w_t.mean()
        eta_c = (w_t * fitted).mean() / w_t.mean()
        inf_t = (w_t * dy - w_t * eta_t) / w_t.mean()
        inf_c = (w_t * fitted - w_t * eta_c + ols @ (w_t[:, None] * X).mean(0)) / w_t.mean()
        return TwoByTwo(float(eta_t - eta_c), inf_t - inf_c, None)
    score = _pscore(X, d, w)
    if isinstance(score, str):
        return _failed(n, score)
    w_t = score.keep * w * d
    w_c = score.keep * w * score.p * control / (1 - score.p)
    resid = dy if method == "ipw" else dy - out[0]
    eta_t = (w_t * resid).mean() / w_t.mean()
    eta_c = (w_c * resid).mean() / w_c.mean()
    inf_t = w_t * resid - w_t * eta_t
    inf_c = w_c * resid - w_c * eta_c + score.linear @ (w_c[:, None] * (resid - eta_c)[:, None] * X).mean(0)
    if method == "dr":
        ols = out[1]
        inf_t = inf_t - ols @ (w_t[:, None] * X).mean(0)
        inf_c = inf_c - ols @ (w_c[:, None] * X).mean(0)
    return TwoByTwo(float(eta_t - eta_c), inf_t / w_t.mean() - inf_c / w_c.mean(), None)


def _rc_cells_problem(d: np.ndarray, post: np.ndarray) -> str | None:
    for mask, name in ((d * post, "treated units in the current period"),
                       (d * (1 - post), "treated units in the base period"),
                       ((1 - d) * post, "comparison units in the current period"),
                       ((1 - d) * (1 - post), "comparison units in the base period")):
        if mask.sum() == 0:
            return f"no {name}"
    return None


def _mean_term(weight: np.ndarray, values: np.ndarray) -> tuple[float, np.ndarray]:
    """Weighted mean of ``values`` and its influence function :math:`w(v - m)/\\bar w`."""
    mw = weight.mean()
    m = (weight * values).mean() / mw
    return float(m), weight * (values - m) / mw


def rc_did(y: np.ndarray, post: np.ndarray, d: np.ndarray, X: np.ndarray, w: np.ndarray,
           method: Method) -> TwoByTwo:
    """ATT from repeated cross-sections: outcome ``y``, period indicator ``post`` (1 = current period).

    Notes
    -----
    The doubly robust estimate is Sant'Anna & Zhao's (2020, eq. 3.4) locally efficient
    :math:`\\hat\\tau^{dr,lr}`, built from a logit propensity score and four outcome regressions (treated and
    comparison units, base and current period); ``"ipw"`` is the normalised IPW estimator and ``"reg"`` the
    outcome-regression estimator.  Influence functions follow ``DRDID::drdid_rc``, ``std_ipw_did_rc`` and
    ``reg_did_rc`` term by term.
    """
    n = len(y)
    problem = _rc_cells_problem(d, post)
    if problem:
        return _failed(n, problem)
    w = w / w.mean()
    pre = 1.0 - post
    control = 1.0 - d
    regs: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    needed = {"reg": ("c0", "c1"), "dr": ("c0", "c1", "t0", "t1"), "ipw": ()}[method]
    for key in needed:
        rows = (control if key[0] == "c" else d) * (post if key[1] == "1" else pre)
        fitted = _ols_rep(X, y, w, rows)
        if fitted is None:
            return _failed(n, "too few units to fit the outcome regressions on the covariates")
        regs[key] = fitted
    if method == "reg":
        return _rc_reg(y, post, d, X, w, regs)
    score = _pscore(X, d, w)
    if isinstance(score, str):
        return _failed(n, score)
    if method == "ipw":
        return _rc_ipw(y, post, d, X, w, score)
    return _rc_dr(y, post, d, X, w, score, regs)


def _rc_reg(y: np.ndarray, post: np.ndarray, d: np.ndarray, X: np.ndarray, w: np.ndarray,
            regs: dict[str, tuple[np.ndarray, np.ndarray]]) -> TwoByTwo:
    (fit0, ols0), (fit1, ols1) = regs["c0"], regs["c1"]
    t1, inf_t1 = _mean_term(w * d * post, y)
    t0, inf_t0 = _mean_term(w * d * (1 - post), y)
    w_c = w * d
    c, inf_c = _mean_term(w_c, fit1 - fit0)
    inf_c = inf_c + (ols1 - ols0) @ (w_c[:, None] * X).mean(0) / w_c.mean()
    return TwoByTwo(float((t1 - t0) - c), (inf_t1 - inf_t0) - inf_c, None)


def _rc_ipw(y: np.ndarray, post: np.ndarray, d: np.ndarray, X: np.ndarray, w: np.ndarray,
            score: _Score) -> TwoByTwo:
    odds = score.keep * w * score.p * (1 - d) / (1 - score.p)
    parts = {}
    for key, weight in (("t1", score.keep * w * d * post), ("t0", score.keep * w * d * (1 - post)),
                        ("c1", odds * post), ("c0", odds * (1 - post))):
        parts[key] = (*_mean_term(weight, y), weight)
    att = (parts["t1"][0] - parts["t0"][0]) - (parts["c1"][0] - parts["c0"][0])
    m2 = [(parts[k][2][:, None] * (y - parts[k][0])[:, None] * X).mean(0) / parts[k][2].mean() for k in ("c1", "c0")]
    inf_ps = score.linear @ (m2[0] - m2[1])
    influence = (parts["t1"][1] - parts["t0"][1]) - (parts["c1"][1] - parts["c0"][1] + inf_ps)
    return TwoByTwo(float(att), influence, None)


def _rc_dr(y: np.ndarray, post: np.ndarray, d: np.ndarray, X: np.ndarray, w: np.ndarray, score: _Score,
           regs: dict[str, tuple[np.ndarray, np.ndarray]]) -> TwoByTwo:
    (c0, ols_c0), (c1, ols_c1), (t0, ols_t0), (t1, ols_t1) = (regs[k] for k in ("c0", "c1", "t0", "t1"))
    pre = 1 - post
    keep_w = score.keep * w
    odds = keep_w * score.p * (1 - d) / (1 - score.p)
    resid = y - (post * c1 + pre * c0)
    weights = {"t1": keep_w * d * post, "t0": keep_w * d * pre, "c1": odds * post, "c0": odds * pre}
    mean = {k: (weights[k] * resid).mean() / weights[k].mean() for k in weights}
    lead = {k: weights[k] * (resid - mean[k]) / weights[k].mean() for k in weights}
    # estimation effect of the comparison regressions on the treated and comparison terms
    or_t = ols_c1 @ (-(weights["t1"][:, None] * X).mean(0) / weights["t1"].mean()) \
        + ols_c0 @ (-(weights["t0"][:, None] * X).mean(0) / weights["t0"].mean())
    or_c = ols_c1 @ (-(weights["c1"][:, None] * X).mean(0) / weights["c1"].mean()) \
        + ols_c0 @ (-(weights["c0"][:, None] * X).mean(0) / weights["c0"].mean())
    m2 = [(weights[k][:, None] * (resid - mean[k])[:, None] * X).mean(0) / weights[k].mean() for k in ("c1", "c0")]
    inf_ps = score.linear @ (m2[0] - m2[1])
    # local-efficiency adjustment: treated-vs-comparison regression gaps averaged over treated units
    w_d, w_d1, w_d0 = keep_w * d, keep_w * d * post, keep_w * d * pre
    gap1, gap0 = t1 - c1, t0 - c0
    e_d1, inf_e1 = _mean_term(w_d, gap1)
    e_dt1, inf_e2 = _mean_term(w_d1, gap1)
    e_d0, inf_e3 = _mean_term(w_d, gap0)
    e_dt0, inf_e4 = _mean_term(w_d0, gap0)
    mom1 = ((w_d / w_d.mean() - w_d1 / w_d1.mean())[:, None] * X).mean(0)
    mom0 = ((w_d / w_d.mean() - w_d0 / w_d0.mean())[:, None] * X).mean(0)
    inf_or = (ols_t1 - ols_c1) @ mom1 - (ols_t0 - ols_c0) @ mom0
    att = (mean["t1"] - mean["t0"]) - (mean["c1"] - mean["c0"]) + (e_d1 - e_dt1) - (e_d0 - e_dt0)
    inf_treat = lead["t1"] - lead["t0"] + or_t
    inf_cont = lead["c1"] - lead["c0"] + inf_ps + or_c
    influence = inf_treat - inf_cont + (inf_e1 - inf_e2) - (inf_e3 - inf_e4) + inf_or
    return TwoByTwo(float(att), influence, None)
