"""Power and minimum detectable effect sizes of planned studies (PowerUp! designs) and their design parameters."""

from analyses.power.design_parameters import DesignParameters, design_parameters, r_squared_between
from analyses.power.designs import DESIGNS, DesignVariance, design_variance
from analyses.power.did_design import DidDesignVariance, did_design_variance, did_mdes, did_power_closed_form
from analyses.power.mdes import PowerResult, mdes, power
from analyses.power.simulation import DID_ESTIMATORS, SimulatedPower, did_outcome_sd, did_power, simulated_power
from analyses.power.study_power import STUDY_ARGUMENTS, study_power

__all__ = [
    "DESIGNS", "DID_ESTIMATORS", "DesignParameters", "DesignVariance", "DidDesignVariance", "PowerResult",
    "STUDY_ARGUMENTS", "SimulatedPower", "design_parameters", "design_variance", "did_design_variance", "did_mdes",
    "did_outcome_sd", "did_power", "did_power_closed_form", "mdes", "power", "r_squared_between", "simulated_power",
    "study_power",
]
