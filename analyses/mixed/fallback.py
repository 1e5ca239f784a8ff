"""The fallback: statsmodels' MixedLM fits the structures the nested engine does not cover.

Variance components that are crossed within the top-level groups (say classes and raters inside each
institution) have no nested block structure.  statsmodels fits them (``vc_formula``, one variance per
component, effects identified by group and label); its estimates are turned into theta, so the result
has the same fields as a fast fit, and the optimum is then polished and checked with the dense
per-group engine (:class:`~analyses.mixed.dense.DenseGroupsDeviance`).

Examples
--------
>>> from analyses.mixed.covariance import RandomLevel, ThetaLayout
>>> rng = np.random.default_rng(0)
>>> frame = pd.DataFrame({"g": np.repeat(np.arange(8), 12), "c": np.tile(np.arange(3), 32)})
>>> frame["y"] = rng.normal(size=8)[frame["g"]] + rng.normal(size=96)
>>> layout = ThetaLayout((RandomLevel("g", ("Intercept",)), RandomLevel("c", ("Intercept",))))
>>> theta, run, notes = statsmodels_theta(frame, "y ~ 1", groups="g", re_formula=None, vc={"c": "c"},
...                                       reml=True, layout=layout)
>>> run.optimizer, theta.shape
('statsmodels', (2,))
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd

from analyses.mixed.covariance import ThetaLayout, lower_factor
from analyses.mixed.optimize import OptimizerRun

__all__ = ["statsmodels_theta"]


def statsmodels_theta(frame: pd.DataFrame, formula: str, *, groups: str, re_formula: str | None,
                      vc: Mapping[str, str], reml: bool,
                      layout: ThetaLayout) -> tuple[np.ndarray, OptimizerRun, tuple[str, ...]]:
    """Fit with statsmodels' MixedLM and return theta (in ``layout`` order), the run and its warnings.

    Parameters
    ----------
    frame
        The rows and columns used (missing values already dropped).
    formula, groups, re_formula
        As for :func:`analyses.mixed.fit`.
    vc
        Component name -> column.
    reml
        REML (True) or ML.
    layout
        The theta layout: top level first, then the components in ``vc`` order.

    Returns
    -------
    tuple
        Theta, an :class:`~analyses.mixed.optimize.OptimizerRun` (criterion ``-2 llf``) and statsmodels'
        warnings in words.
    """
    from statsmodels.regression.mixed_linear_model import MixedLM

    vc_formula = {name: f"0 + C({col})" for name, col in vc.items()}
    re = "1" if re_formula is None else re_formula.split("~", 1)[-1]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = MixedLM.from_formula(formula, frame, groups=frame[groups], re_formula=re,
                                     vc_formula=vc_formula or None)
        res = model.fit(reml=reml)
    notes = tuple(dict.fromkeys(f"statsmodels: {w.message}" for w in caught))
    top = lower_factor(np.asarray(res.cov_re_unscaled, dtype=float))
    order = list(model.exog_vc.names)
    rel = np.asarray(res.vcomp, dtype=float) / float(res.scale)
    lambdas = [np.array([[np.sqrt(max(rel[order.index(name)], 0.0))]]) for name in vc]
    theta = layout.theta_from_factors([top, *lambdas])
    run = OptimizerRun("statsmodels", (), tuple(map(float, theta)), float(-2.0 * res.llf), -1,
                       bool(res.converged), "; ".join(notes) or "converged")
    return theta, run, notes
