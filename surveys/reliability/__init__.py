"""Reliability of survey scales: Cronbach's alpha, McDonald's omega total, item analysis, by group."""

from surveys.reliability.alpha import AlphaResult, alpha_from_cov, cronbach_alpha, feldt_interval
from surveys.reliability.factor import OneFactorFit, one_factor_ml
from surveys.reliability.item_analysis import item_analysis
from surveys.reliability.omega import OmegaResult, mcdonald_omega, omega_from_fit
from surveys.reliability.table import ReliabilityTable, reliability_table

__all__ = [
    "AlphaResult",
    "OmegaResult",
    "OneFactorFit",
    "ReliabilityTable",
    "alpha_from_cov",
    "cronbach_alpha",
    "feldt_interval",
    "item_analysis",
    "mcdonald_omega",
    "omega_from_fit",
    "one_factor_ml",
    "reliability_table",
]
