"""The catalogue of outcome indicators: one definition each, with its population (denominator) stated.

Every indicator that :func:`outcomes.summarise` reports is listed in
:data:`INDICATORS` with the population it is computed over, what counts in the
numerator, the kind of estimate (a proportion, a mean or a median) and the
interval that goes with it.  The README's indicator table and the reports'
methods appendix are printed from this catalogue, so the definitions a QA
office cites are the ones the code computes.

Examples
--------
>>> INDICATORS["destination_rate"].population
'graduates who answered the follow-up'
>>> indicator_table().loc[lambda t: t["indicator"] == "monthly_salary", "interval"].item()
'distribution-free (order statistics)'
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

import pandas as pd

from data_schema.arguments import check_choice

__all__ = ["Indicator", "INDICATORS", "INTERVALS", "indicator_table", "get_indicator"]

Kind = Literal["proportion", "mean", "median"]
Family = Literal["employment", "certification", "assessment"]

INTERVALS: dict[str, str] = {
    "proportion": "Wilson score",
    "mean": "t (or percentile bootstrap)",
    "median": "distribution-free (order statistics)",
}
"""The 95% interval each kind of indicator is reported with (see :mod:`outcomes.intervals`)."""


@dataclass(frozen=True)
class Indicator:
    """One outcome indicator.

    Attributes
    ----------
    name
        Column name in the indicator frames and ``indicator`` value in summary tables.
    label
        Short English label for tables.
    family
        ``"employment"`` (one row a graduate x follow-up), ``"certification"`` or ``"assessment"``
        (one row a student).
    kind
        ``"proportion"`` (0/1 values: the estimate is the share of ones), ``"mean"`` or ``"median"``.
    population
        The denominator: who the indicator is computed over.
    definition
        What is counted (the numerator) or measured.
    unit
        Unit of the estimate.
    """

    name: str
    label: str
    family: Family
    kind: Kind
    population: str
    definition: str
    unit: str = "share"


_RESPONDENTS = "graduates who answered the follow-up"
_WORKING = "respondents in work (employed or self-employed)"

_ALL: tuple[Indicator, ...] = (
    Indicator("response_rate", "Response rate", "employment", "proportion",
              "graduates due for the follow-up (graduation date + months <= export date)",
              "graduates with a row in the employment table for that follow-up"),
    Indicator("destination_rate", "Graduate destination rate", "employment", "proportion", _RESPONDENTS,
              "status employed, self_employed or further_study"),
    Indicator("destination_rate_all_graduates", "Destination rate, all graduates", "employment", "proportion",
              "graduates due for the follow-up, non-respondents counted as without a destination "
              "(the all-graduates denominator of the ministry's rate; a lower bound)",
              "respondents with status employed, self_employed or further_study"),
    Indicator("employment_rate", "Employment rate", "employment", "proportion", _RESPONDENTS,
              "status employed or self_employed"),
    Indicator("contract_employment_rate", "Contract employment", "employment", "proportion", _RESPONDENTS,
              "status employed (working for an employer)"),
    Indicator("self_employment_rate", "Self-employment", "employment", "proportion", _RESPONDENTS,
              "status self_employed"),
    Indicator("further_study_rate", "Further study", "employment", "proportion", _RESPONDENTS,
              "status further_study"),
    Indicator("seeking_rate", "Seeking work", "employment", "proportion", _RESPONDENTS,
              "status seeking (not in work or study, looking for work)"),
    Indicator("cbec_sector_share", "Working in CBEC firms", "employment", "proportion",
              _WORKING + " with a sector", "sector cbec (cross-border e-commerce)"),
    Indicator("cultural_exchange_share", "Working in cultural exchange", "employment", "proportion",
              _WORKING + " with a sector", "sector cultural_exchange"),
    Indicator("target_sector_share", "Working in CBEC or cultural exchange", "employment", "proportion",
              _WORKING + " with a sector", "sector cbec or cultural_exchange (the programs' target sectors)"),
    Indicator("field_match_rate", "Field match", "employment", "proportion",
              _WORKING + " who answered the field-match question", "field_match true"),
    Indicator("working_abroad_share", "Employer abroad", "employment", "proportion",
              _WORKING + " with an employer country", "employer_country other than CN"),
    Indicator("monthly_salary", "Monthly salary (median)", "employment", "median",
              _WORKING + " who reported a salary", "monthly_salary", "currency per month"),
    Indicator("starting_salary", "Starting salary (median)", "employment", "median",
              _WORKING + " who reported a salary, at the first follow-up (usually 6 months)",
              "monthly_salary at the earliest follow-up", "currency per month"),
    Indicator("employer_satisfaction", "Employer satisfaction (1-5)", "employment", "mean",
              "respondents employed by an employer who rated them", "employer_satisfaction (1-5)", "rating 1-5"),
    Indicator("employer_satisfied_rate", "Employers satisfied", "employment", "proportion",
              "respondents employed by an employer who rated them",
              "employer_satisfaction at or above the study's 'satisfied' rating (default 4)"),
    Indicator("hsk_level", "HSK level attained", "certification", "mean", "students with an HSK result",
              "highest HSK level (1-9) over the student's HSK results", "HSK level"),
    Indicator("hsk_gain", "HSK gain over prior level", "certification", "mean",
              "students with an HSK result and a recorded prior level (0 = none)",
              "highest HSK level attained minus prior_hsk_level", "HSK levels"),
    Indicator("hsk_target_rate", "HSK target level reached", "certification", "proportion",
              "students with an HSK result", "highest HSK level at or above the target level (default 4)"),
    Indicator("certificate_pass_rate", "E-commerce certificate passed", "certification", "proportion",
              "students with an e-commerce certificate result that records pass or fail",
              "passed on any attempt"),
    Indicator("dual_certification_rate", "Dual certification", "certification", "proportion",
              "students with both an HSK result and an e-commerce certificate result",
              "HSK target level reached and the e-commerce certificate passed"),
    Indicator("portfolio_score", "Capstone portfolio score", "assessment", "mean",
              "students with a rated capstone portfolio",
              "mean over competencies of the ratings corrected for rater-role leniency, on the teacher scale, "
              "in percent of the maximum score", "percent"),
    Indicator("assessment_composite", "Assessment composite", "assessment", "mean",
              "students with standardised assessment results",
              "mean of the student's assessment scores, each standardised (z) within assessment, component "
              "and cohort", "SD units"),
)

INDICATORS: dict[str, Indicator] = {i.name: i for i in _ALL}
"""Every indicator by name, in reporting order."""


def get_indicator(name: str) -> Indicator:
    """The indicator called ``name``; an ``ArgumentError`` lists the valid names otherwise."""
    check_choice("indicator", name, tuple(INDICATORS))
    return INDICATORS[name]


def indicator_table(family: Family | None = None) -> pd.DataFrame:
    """The catalogue as a table: indicator, label, family, kind, population, definition, unit, interval.

    Parameters
    ----------
    family
        Only this family's indicators (default all).
    """
    rows = [asdict(i) for i in _ALL if family is None or i.family == family]
    table = pd.DataFrame(rows).rename(columns={"name": "indicator"})
    table["interval"] = table["kind"].map(INTERVALS)
    return table
