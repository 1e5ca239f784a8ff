"""Multi-group confirmatory factor analysis and measurement invariance.

Maximum likelihood CFA with a mean structure on numpy/scipy, fit indices as
lavaan defines them, and the configural -> metric -> scalar (-> strict)
invariance ladder with chi-square difference tests and Chen's (2007) cut-offs.

Public API
----------
cfa, cfa_from_summary
    Fit a single- or multi-group CFA (from data or published covariances).
invariance, invariance_from_summary
    Fit the invariance ladder and judge each step.
simulate_groups
    Draw item scores from a multi-group factor model (optionally non-invariant).
"""

from .cfa import cfa, cfa_from_summary, fit_cfa
from .comparison import ChenCutoffs, StepComparison
from .indices import FitIndices
from .instrument import instrument_factors, instrument_invariance
from .ladder import LEVELS, InvarianceResult, invariance, invariance_from_summary
from .model import MeasurementModel
from .moments import SampleMoments, moments_from_summary, sample_moments
from .results import CFAResult
from .simulate import simulate_groups

__all__ = [
    "cfa",
    "cfa_from_summary",
    "fit_cfa",
    "invariance",
    "invariance_from_summary",
    "instrument_invariance",
    "instrument_factors",
    "simulate_groups",
    "sample_moments",
    "moments_from_summary",
    "CFAResult",
    "FitIndices",
    "InvarianceResult",
    "StepComparison",
    "ChenCutoffs",
    "MeasurementModel",
    "SampleMoments",
    "LEVELS",
]
