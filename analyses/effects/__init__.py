"""Effect sizes and significance corrections as the What Works Clearinghouse applies them.

Hedges' g and the Cox index with the small-sample correction, the improvement index, covariate-adjusted g,
g for cluster designs (Hedges 2007, from :mod:`analyses.mixed`), the clustering correction of a t test
and the Benjamini-Hochberg correction within a domain.
"""

from analyses.effects.clustering import WWC_DEFAULT_ICC, ClusteringCorrection, clustering_correction, t_from_g
from analyses.effects.cox import COX_SCALE, cox_index, cox_index_from_summary
from analyses.effects.hedges import (
    adjusted_g,
    hedges_g,
    hedges_g_from_summary,
    improvement_index,
    small_sample_correction,
)
from analyses.effects.multiple import benjamini_hochberg
from analyses.effects.result import EffectSize
from analyses.mixed.effect_size import ClusterEffectSize, cluster_effect_size, cluster_effect_size_from_summary

__all__ = [
    "COX_SCALE",
    "WWC_DEFAULT_ICC",
    "ClusterEffectSize",
    "ClusteringCorrection",
    "EffectSize",
    "adjusted_g",
    "benjamini_hochberg",
    "cluster_effect_size",
    "cluster_effect_size_from_summary",
    "clustering_correction",
    "cox_index",
    "cox_index_from_summary",
    "hedges_g",
    "hedges_g_from_summary",
    "improvement_index",
    "small_sample_correction",
    "t_from_g",
]
