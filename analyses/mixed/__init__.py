"""Linear mixed models: lme4's profiled (RE)ML fits, vectorised over groups, with checked convergence.

Use as ``from analyses import mixed`` and call ``mixed.fit(data, "score ~ wave * program",
groups="student_id", re_formula="~ wave")``; then ``mixed.satterthwaite(result)``, ``mixed.icc(result)``,
``mixed.likelihood_ratio_test(reduced, full)``, ``mixed.profile_intervals(result)`` and the rest.
``mixed.fit`` also takes an Ibis table (DuckDB, Spark, ...) for a model with one grouping factor: the engine
computes the per-group sums and the rows stay in it.
"""

from analyses.mixed.covariance import RandomLevel, ThetaLayout
from analyses.mixed.effect_size import ClusterEffectSize, cluster_effect_size, cluster_effect_size_from_summary
from analyses.mixed.fit import fit
from analyses.mixed.fit_warnings import (
    ConvergenceCheckWarning,
    EngineFallbackWarning,
    MixedModelWarning,
    SingularFitWarning,
)
from analyses.mixed.growth import GrowthTrajectories, growth_trajectories
from analyses.mixed.icc import (
    DesignEffect,
    IccResult,
    design_effect,
    design_effect_from_summary,
    icc,
    variance_decomposition,
)
from analyses.mixed.intervals import ProfileIntervals, profile_intervals
from analyses.mixed.lrt import LikelihoodRatioTest, likelihood_ratio_test
from analyses.mixed.optimize import OPTIMIZERS, Convergence, OptimizerRun, OptimumCheck
from analyses.mixed.profile import DevianceTerms, ProfiledDeviance
from analyses.mixed.r2 import R2Result, r2_nakagawa
from analyses.mixed.result import VARIANCE_COLUMNS, MixedResult
from analyses.mixed.satterthwaite import SatterthwaiteResult, fixed_effects_table, satterthwaite
from analyses.mixed.simulate import simulate_growth, simulate_nested

__all__ = [
    "OPTIMIZERS",
    "VARIANCE_COLUMNS",
    "ClusterEffectSize",
    "Convergence",
    "ConvergenceCheckWarning",
    "DesignEffect",
    "DevianceTerms",
    "EngineFallbackWarning",
    "GrowthTrajectories",
    "IccResult",
    "LikelihoodRatioTest",
    "MixedModelWarning",
    "MixedResult",
    "OptimizerRun",
    "OptimumCheck",
    "ProfileIntervals",
    "ProfiledDeviance",
    "R2Result",
    "RandomLevel",
    "SatterthwaiteResult",
    "SingularFitWarning",
    "ThetaLayout",
    "cluster_effect_size",
    "cluster_effect_size_from_summary",
    "design_effect",
    "design_effect_from_summary",
    "fit",
    "fixed_effects_table",
    "growth_trajectories",
    "icc",
    "likelihood_ratio_test",
    "profile_intervals",
    "r2_nakagawa",
    "satterthwaite",
    "simulate_growth",
    "simulate_nested",
    "variance_decomposition",
]
