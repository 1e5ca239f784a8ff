"""Power and minimum detectable effect sizes of planned studies (PowerUp! designs) and their design parameters."""

from analyses.power.design_parameters import DesignParameters, design_parameters, r_squared_between
from analyses.power.designs import DESIGNS, DesignVariance, design_variance
from analyses.power.mdes import PowerResult, mdes, power
from analyses.power.simulation import DID_ESTIMATORS, SimulatedPower, did_outcome_sd, did_power, simulated_power

__all__ = ["DESIGNS", "DID_ESTIMATORS", "DesignParameters", "DesignVariance", "PowerResult", "SimulatedPower",
           "design_parameters", "design_variance", "did_outcome_sd", "did_power", "mdes", "power", "r_squared_between",
           "simulated_power"]
