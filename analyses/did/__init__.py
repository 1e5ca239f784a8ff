"""Difference-in-differences: 2x2, two-way fixed effects, event studies, staggered adoption, wild cluster bootstrap.

Use as ``from analyses import did`` and call ``did.twfe(...)``, ``did.event_study(...)`` and so on.
"""

from analyses.did.adoption import adoption_columns
from analyses.did.bacon import COMPARISON_TYPES, BaconDecomposition, bacon_decomposition
from analyses.did.coefficients import Coefficient, WaldTest
from analyses.did.design_warnings import DesignWarning, FewTreatedClustersWarning
from analyses.did.event_study import EventStudyResult, event_study
from analyses.did.simulate import simulate_did, true_effects
from analyses.did.staggered import StaggeredAggregate, StaggeredResult, aggregate, staggered
from analyses.did.twfe import TwfeResult, twfe
from analyses.did.two_by_two import TwoByTwoResult, two_by_two
from analyses.did.wild_bootstrap import WildBootstrapResult, wild_bootstrap_arrays, wild_cluster_bootstrap

__all__ = [
    "COMPARISON_TYPES",
    "adoption_columns",
    "BaconDecomposition",
    "bacon_decomposition",
    "Coefficient",
    "DesignWarning",
    "EventStudyResult",
    "FewTreatedClustersWarning",
    "TwfeResult",
    "TwoByTwoResult",
    "StaggeredAggregate",
    "StaggeredResult",
    "WaldTest",
    "WildBootstrapResult",
    "aggregate",
    "event_study",
    "staggered",
    "simulate_did",
    "true_effects",
    "twfe",
    "two_by_two",
    "wild_bootstrap_arrays",
    "wild_cluster_bootstrap",
]
