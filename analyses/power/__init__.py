"""Power and minimum detectable effect sizes of planned studies (PowerUp! designs) and their design parameters."""

from analyses.power.design_parameters import DesignParameters, design_parameters, r_squared_between
from analyses.power.designs import DESIGNS, DesignVariance, design_variance
from analyses.power.mdes import PowerResult, mdes, power

__all__ = ["DESIGNS", "DesignParameters", "DesignVariance", "PowerResult", "design_parameters", "design_variance",
           "mdes", "power", "r_squared_between"]
