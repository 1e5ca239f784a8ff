"""Staggered-adoption difference-in-differences of Callaway & Sant'Anna (2021): ATT(g,t) and its aggregations."""

from analyses.did.staggered.aggregate import aggregate
from analyses.did.staggered.estimator import staggered
from analyses.did.staggered.results import StaggeredAggregate, StaggeredResult
from analyses.did.staggered.simulate import SimulatedStaggered, simulate_staggered

__all__ = ["SimulatedStaggered", "StaggeredAggregate", "StaggeredResult", "aggregate", "simulate_staggered",
           "staggered"]
