"""Graduate employment indicators, response rates and non-response diagnostics.

Examples
--------
>>> from outcomes.employment import BOUNDABLE
>>> "destination_rate" in BOUNDABLE
True
"""

from outcomes.employment.follow_ups import DESTINATION, WORKING, employment_indicators
from outcomes.employment.response import BOUNDABLE, nonresponse_bounds, nonresponse_table, response_rates

__all__ = [
    "BOUNDABLE",
    "DESTINATION",
    "WORKING",
    "employment_indicators",
    "nonresponse_bounds",
    "nonresponse_table",
    "response_rates",
]
