"""Assessment outcomes: standardised scores, composites and leniency-adjusted multi-rater portfolio scores.

:func:`standardised_scores` puts assessments on one scale (within-group z-scores or percent
of maximum) and :func:`assessment_composite` combines them per student;
:func:`rater_effects` estimates rater-role leniency (and rater severity) of a multi-rater
assessment, :func:`adjusted_scores` removes it and :func:`portfolio_score` turns the
adjusted ratings into one competency-based score per student.
"""

from outcomes.assessment.indicators import NOT_IN_COMPOSITE, assessment_indicators
from outcomes.assessment.portfolio import adjusted_scores, portfolio_score
from outcomes.assessment.raters import rater_effects
from outcomes.assessment.results import RaterEffects
from outcomes.assessment.standardise import assessment_composite, standardised_scores

__all__ = [
    "NOT_IN_COMPOSITE",
    "assessment_indicators",
    "RaterEffects",
    "adjusted_scores",
    "assessment_composite",
    "portfolio_score",
    "rater_effects",
    "standardised_scores",
]
