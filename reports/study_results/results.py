"""What the analysis stage returns: tidy tables, the analyses that could not run, the headline and notes.

Examples
--------
>>> reason = NotRun("did:employment_rate", "only 1 institution adopted the integrated program.")
>>> reason.analysis, reason.reason.endswith(".")
('did:employment_rate', True)
>>> h = Headline(outcome="employment_rate", outcome_label="Employment rate (12 months after graduation)",
...              estimate=2.8, ci_low=-1.8, ci_high=7.7, p_value=0.2, ci_level=0.95, scale="percentage points",
...              method="two-way fixed effects difference-in-differences", inference="wild cluster bootstrap",
...              n_clusters=8, n_students=1946, evidence_rating="meets WWC standards with reservations",
...              evidence_reasons=("8 institutions in all.",))
>>> print(h.sentence())  # doctest: +NORMALIZE_WHITESPACE
Employment rate (12 months after graduation) was 2.8 percentage points higher in integrated cohorts
than in traditional cohorts (95% interval -1.8 to 7.7).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

__all__ = ["Headline", "NotRun", "StudyResults", "sentence"]


def sentence(text: str) -> str:
    """``text`` as a sentence: capital first letter, final full stop.

    Examples
    --------
    >>> sentence("8 institutions in all")
    '8 institutions in all.'
    """
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


@dataclass(frozen=True)
class NotRun:
    """An analysis that could not run on these data.

    Attributes
    ----------
    analysis
        The analysis (a table name such as ``"reliability"``, or ``"did:<outcome>"`` for one outcome).
    reason
        Why, in one plain sentence (too few clusters, no adoption variation, no survey data, the
        estimator's own message).
    """

    analysis: str
    reason: str


@dataclass(frozen=True)
class Headline:
    """The evidence brief's headline: one effect, its 95% interval and how far to trust it.

    Attributes
    ----------
    outcome, outcome_label
        The outcome's id and its label in words.
    estimate, ci_low, ci_high
        The integrated-minus-traditional difference and its interval, on ``scale``.
    p_value
        The wild cluster bootstrap p-value of no difference.
    ci_level
        Level of the interval (0.95).
    scale
        ``"percentage points"`` (a rate) or ``"standard deviations"`` (a score, Hedges' g).
    method
        The estimator in words.
    inference
        How the interval was computed (``"wild cluster bootstrap"``).
    n_clusters, n_students
        Institutions and students in the analysis.
    evidence_rating
        The What Works Clearinghouse rating of the comparison.
    evidence_reasons
        The reasons behind the rating, as plain sentences.
    """

    outcome: str
    outcome_label: str
    estimate: float
    ci_low: float
    ci_high: float
    p_value: float
    ci_level: float
    scale: str
    method: str
    inference: str
    n_clusters: int
    n_students: int
    evidence_rating: str
    evidence_reasons: tuple[str, ...]

    def sentence(self, digits: int = 1) -> str:
        """The headline as one plain sentence with its interval (numbers rounded to ``digits``)."""
        direction = "higher" if self.estimate >= 0 else "lower"
        size = _number(abs(self.estimate), digits)
        return (f"{self.outcome_label} was {size} {self.scale} {direction} in integrated cohorts than in "
                f"traditional cohorts ({self.ci_level:.0%} interval {_number(self.ci_low, digits)} to "
                f"{_number(self.ci_high, digits)}).")

    def to_dict(self) -> dict:
        """JSON-safe dictionary of every field (infinite bounds as None)."""
        out = {k: getattr(self, k) for k in self.__dataclass_fields__}
        out["evidence_reasons"] = list(self.evidence_reasons)
        return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in out.items()}


def _number(value: float, digits: int) -> str:
    if not math.isfinite(value):
        return "unbounded" if math.isinf(value) else "not available"
    return f"{value:.{digits}f}"


@dataclass(frozen=True, eq=False)
class StudyResults:
    """Every analysis of a study, as small tidy tables.

    Every table is long and tidy: plain ``str``, ``int``, ``float`` and ``bool`` columns, no index, rows
    sorted by the leading key columns.  Counts of students are floats, so that a count hidden by
    small-cell suppression is NaN; ``suppressed`` (bool) flags a hidden row and ``suppression`` says why
    (``""`` for a published row).  In the indicator tables ``program``, ``cohort`` and
    ``graduation_year`` are text because their margin rows read ``"All"``.  No table holds a student id,
    a name, free text or a row per student.

    Attributes
    ----------
    tables
        Table name -> DataFrame.  The names and columns (see :data:`reports.study_results.TABLES`):

        - ``profile``: institution_id, program, cohort, n, suppressed, suppression (students by institution,
          program and entry cohort).
        - ``profile_totals``: program, cohort, n, suppressed, suppression.
        - ``reliability``: instrument, instrument_label, instrument_label_zh, scale, wave, wave_label, n, k,
          alpha, alpha_ci_low, alpha_ci_high, omega, omega_ci_low, omega_ci_high, ci_level, note, suppressed,
          suppression.
        - ``competency_scores``: instrument, instrument_label, instrument_label_zh, wave, wave_label, program,
          n, estimate, std_error, ci_low, ci_high, ci_level, suppressed, suppression (mean total score).
        - ``growth``: instrument, instrument_label, term, estimate, std_error, statistic, p_value, ci_low,
          ci_high, ci_level, n_obs, n_clusters, method, suppressed, suppression (fixed effects of
          ``score ~ wave * integrated`` with random intercepts for institutions and students).
        - ``growth_icc``: instrument, instrument_label, level, estimate, ci_low, ci_high, ci_level, variance,
          share, n_obs, n_groups, suppressed, suppression.
        - ``assessment``, ``hsk``, ``certificates``: indicator, indicator_label, kind, program, cohort, n,
          numerator, estimate, std_error, ci_low, ci_high, ci_level, method, suppressed, suppression.
        - ``employment``: indicator, indicator_label, kind, program, graduation_year, months_after_graduation,
          n, numerator, estimate, std_error, ci_low, ci_high, ci_level, method, suppressed, suppression (the
          ``response_rate`` indicator gives the response rates).
        - ``nonresponse_bounds``: indicator, indicator_label, program, months_after_graduation, graduates,
          respondents, numerator, respondent_rate, lower, upper, ci_low, ci_high, ci_level, suppressed,
          suppression.
        - ``trends``: indicator, indicator_label, kind, program, cohort, cohort_basis, n, estimate, ci_low,
          ci_high, suppressed, suppression (the figures' input; ``cohort`` is an integer here).
        - ``did_estimates``: outcome, outcome_label, unit, method, estimate, std_error, statistic, ci_low,
          ci_high, ci_level, p_value, inference, n_obs, n_clusters, n_treated_clusters, suppressed,
          suppression.
        - ``event_study``: outcome, outcome_label, event_time, term, estimate, std_error, statistic, df,
          p_value, ci_low, ci_high, ci_level, reference, binned, n_treated_obs, n_obs, n_clusters, method,
          suppressed, suppression.
        - ``pretrend``: outcome, outcome_label, statistic, df, df_denominator, p_value, null,
          staggered_statistic, staggered_df, staggered_p_value, staggered_note.
        - ``did_dynamic``: outcome, outcome_label, event_time, estimate, std_error, ci_low, ci_high, ci_level,
          n_treated, method, suppressed, suppression (Callaway-Sant'Anna effects by years since adoption).
        - ``effects``: outcome, outcome_label, method, estimate, std_error, ci_low, ci_high, p_value,
          p_value_bh, scale, inference, headline, n_obs, n_clusters, n_treated, n_control, suppressed,
          suppression (the forest plot's input: rates in percentage points, intervals cut at +-100; scores in
          standard deviations, Hedges' g; ``p_value_bh`` is Benjamini-Hochberg across the outcomes of a method).
        - ``equivalence``: outcome, outcome_label, characteristic, characteristic_label, level, measure,
          n_treated, n_control, treated_value, control_value, effect_size, band, adjusted, status, suppressed,
          suppression.
        - ``attrition``: outcome, outcome_label, level, measure, estimate, n, max_differential_pct,
          low_attrition, boundary, reason, suppressed, suppression (percent).
        - ``evidence``: outcome, outcome_label, rating, check, result, detail.
        - ``evidence_reasons``: outcome, outcome_label, position, reason.
        - ``caveats``: analysis, scope, message (the design and data-quality warnings the analyses raised, once
          per analysis and message; ``scope`` lists the outcomes or instruments concerned).
        - ``data_quality``: table, file, read, valid, quarantined, reconciles (rows of files, not students).
        - ``quarantine_rules``: table, rule, rows.
    not_run
        The analyses that could not run, each with its reason.
    headline
        The brief's headline; ``None`` when no main outcome could be compared.
    notes
        Short facts the text needs, as strings (e.g. ``"headline_outcome"``, ``"employment_follow_up"``,
        ``"pretrend_p_value"``, ``"design"``, ``"treatment_definition"``, ``"min_cell_size"``, ``"seed"``).
    """

    tables: dict[str, pd.DataFrame]
    not_run: tuple[NotRun, ...]
    headline: Headline | None
    notes: dict[str, str] = field(default_factory=dict)

    def reasons(self) -> dict[str, str]:
        """Analysis -> reason for every analysis that could not run."""
        return {n.analysis: n.reason for n in self.not_run}
