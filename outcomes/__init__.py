"""progeval.outcomes — employment, certification and assessment measures as QA offices report them.

Indicators are derived from the validated tables of :mod:`data_schema` with one
documented definition each (:data:`INDICATORS`), summarised by any grouping
with intervals (:func:`summarise`), and protected against small-cell
disclosure before they are published (:func:`protect`).  The package imports
from ``data_schema`` only.

Every step also takes tables that live in a query engine (Ibis tables on
DuckDB, Spark, PostgreSQL, ...): :func:`employment_indicators` and
:func:`certification_indicators` then return lazy engine tables, and
:func:`summarise`, :func:`response_rates`, :func:`nonresponse_bounds` and
:func:`nonresponse_table` reduce them to one row a group inside the engine and
return the same DataFrames as for pandas input.

Examples
--------
>>> import outcomes
>>> outcomes.INDICATORS["dual_certification_rate"].label
'Dual certification'
"""

from outcomes import intervals
from outcomes.assessment import assessment_indicators
from outcomes.certification import certification_indicators
from outcomes.disclosure import ProtectedTable, protect
from outcomes.employment import employment_indicators, nonresponse_bounds, nonresponse_table, response_rates
from outcomes.indicators import INDICATORS, Indicator, get_indicator, indicator_table
from outcomes.study import study_indicators
from outcomes.summarise import summarise

__all__ = [
    "INDICATORS",
    "Indicator",
    "ProtectedTable",
    "assessment_indicators",
    "certification_indicators",
    "employment_indicators",
    "get_indicator",
    "indicator_table",
    "intervals",
    "nonresponse_bounds",
    "nonresponse_table",
    "protect",
    "response_rates",
    "study_indicators",
    "summarise",
]
