"""Words the documents share: names of analyses, programs and follow-ups, the evidence rating in plain words.

Examples
--------
>>> analysis_name("did:employment_rate", {"employment_rate": "Employment rate"})
'Integrated-vs-traditional comparison: Employment rate'
>>> follow_up_words(12), follow_up_words(36), follow_up_words(18)
('a year', 'three years', '18 months')
>>> rating_level("meets WWC standards with reservations")
'moderate'
>>> lower_first("The study has no survey responses."), lower_first("HSK results are missing.")
('the study has no survey responses.', 'HSK results are missing.')
"""

from __future__ import annotations

from collections.abc import Mapping

from outcomes import INDICATORS
from reports.figures import PROGRAM_LABELS
from reports.study_results import StudyResults

__all__ = [
    "ANALYSIS_NAMES",
    "RATING_LEVELS",
    "analysis_name",
    "follow_up_words",
    "lower_first",
    "outcome_labels",
    "program_name",
    "rating_level",
    "reasons_for",
]

ANALYSIS_NAMES = {
    "profile": "Program and cohort profile",
    "reliability": "Instrument reliability",
    "competency_scores": "Competency scores",
    "growth": "Growth model of competency scores",
    "assessment": "Assessment results",
    "hsk": "HSK results",
    "certificates": "Certificate results",
    "employment": "Employment indicators",
    "nonresponse_bounds": "Nonresponse bounds",
    "did": "Integrated-vs-traditional comparison",
    "event_study": "Event study",
    "staggered": "Callaway-Sant'Anna estimator",
    "equivalence": "Baseline equivalence",
    "attrition": "Attrition",
    "evidence": "Evidence rating",
    "trends": "Trends",
    "data_quality": "Data quality",
    "headline": "Headline effect of the evidence brief",
}
"""Names in words of the analyses that :class:`~reports.study_results.NotRun` records."""

RATING_LEVELS = {
    "meets WWC standards without reservations": "high",
    "meets WWC standards with reservations": "moderate",
    "does not meet WWC standards": "low",
}
"""The What Works Clearinghouse rating of a comparison as a level of trust for the brief."""

_NUMBER_WORDS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 9: "nine"}


def lower_first(text: str) -> str:
    """``text`` with a lower-case first letter, unless it starts an acronym (``"HSK"``)."""
    if len(text) > 1 and text[0].isupper() and not text[1].isupper():
        return text[0].lower() + text[1:]
    return text


def outcome_labels(results: StudyResults) -> dict[str, str]:
    """Outcome or instrument id -> its label in words, from whichever result tables hold one."""
    labels: dict[str, str] = {name: spec.label for name, spec in INDICATORS.items()}
    for name, key, text in (("reliability", "instrument", "instrument_label"),
                            ("growth", "instrument", "instrument_label"),
                            ("did_estimates", "outcome", "outcome_label"),
                            ("effects", "outcome", "outcome_label"),
                            ("evidence", "outcome", "outcome_label")):
        frame = results.tables.get(name)
        if frame is not None and not frame.empty:
            labels.update(dict(zip(frame[key].astype(str), frame[text].astype(str), strict=True)))
    return labels


def analysis_name(analysis: str, labels: Mapping[str, str]) -> str:
    """An analysis id of :class:`~reports.study_results.NotRun` in words (``did:employment_rate`` ...)."""
    stage, _, subject = analysis.partition(":")
    head = ANALYSIS_NAMES.get(stage, stage.replace("_", " ").capitalize())
    if not subject:
        return head
    if subject == "competencies":
        return f"{head}: competency scores"
    return f"{head}: {labels.get(subject, subject.replace('_', ' '))}"


def reasons_for(results: StudyResults, *stages: str) -> list[str]:
    """Reasons of the analyses that could not run whose stage (before any ``:``) is one of ``stages``."""
    return [n.reason for n in results.not_run if n.analysis.partition(":")[0] in stages]


def program_name(program: str, *, short: bool = False) -> str:
    """Display name of a program value (``integrated`` -> ``Integrated (CBEC-ICE)``, short ``Integrated``)."""
    if short:
        return program[:1].upper() + program[1:]
    return PROGRAM_LABELS.get(program, program)


def follow_up_words(months: int) -> str:
    """A follow-up in words: 12 -> ``"a year"``, 6 -> ``"six months"``, 36 -> ``"three years"``."""
    if months % 12 == 0 and months >= 12:
        years = months // 12
        return "a year" if years == 1 else f"{_NUMBER_WORDS.get(years, str(years))} years"
    if months in _NUMBER_WORDS:
        return f"{_NUMBER_WORDS[months]} months"
    return f"{months} months"


def rating_level(rating: str) -> str:
    """The evidence rating as ``"high"``, ``"moderate"``, ``"low"`` (or ``"not rated"``)."""
    return RATING_LEVELS.get(rating, "not rated")
