"""Goodman-Bacon (2021) decomposition of the two-way fixed effects DiD estimate into 2x2 comparisons."""

from analyses.did.bacon.decompose import bacon_decomposition
from analyses.did.bacon.result import COMPARISON_TYPES, BaconDecomposition

__all__ = ["COMPARISON_TYPES", "BaconDecomposition", "bacon_decomposition"]
