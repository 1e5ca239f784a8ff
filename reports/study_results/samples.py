"""The analysis samples of the integrated-vs-traditional comparison: one per main outcome.

Each main outcome (employment rate, CBEC-sector employment and field match at the main follow-up, every
competency score at its last survey wave, the HSK target) gets a :class:`Sample`: the students who have the
outcome, with their institution, entry cohort, treatment timing and baseline characteristics, and, for the
attrition standards, the students who *should* have been measured.

Treatment follows the study config: an institution's ``treatment.adoption_year`` is the first entry cohort
taught in the integrated program (``None``: never), so a student is *treated* when the institution had
adopted by the student's entry cohort (:func:`analyses.did.adoption_columns`).  Cohorts are the time axis and
institutions the units and clusters of the difference-in-differences.

Examples
--------
>>> main_follow_up([6, 12, 36]), main_follow_up([6, 36]), main_follow_up([18, 6])
(12, 6, 6)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from analyses.did import adoption_columns
from data_schema.study import Study
from outcomes import INDICATORS
from reports.study_results.competencies import labels

__all__ = ["Outcome", "Sample", "baseline_covariates", "competency_instruments", "employment_samples",
           "hsk_sample", "main_follow_up", "survey_samples"]

EMPLOYMENT_OUTCOMES = ("employment_rate", "cbec_sector_share", "field_match_rate")
"""Employment indicators compared between integrated and traditional cohorts."""

TARGET_FOLLOW_UP = 12
"""The main employment follow-up is the one closest to a year after graduation (the earlier one on a tie)."""


@dataclass(frozen=True)
class Outcome:
    """A main outcome of the comparison.

    Attributes
    ----------
    name
        Id: an indicator of :data:`outcomes.INDICATORS` or a survey instrument.
    label
        Label in words, with the follow-up or wave it is measured at.
    kind
        ``"proportion"`` (effects in percentage points) or ``"score"`` (effects in standard deviations).
    unit
        The unit of the raw difference, in words.
    """

    name: str
    label: str
    kind: Literal["proportion", "score"]
    unit: str


@dataclass(frozen=True, eq=False)
class Sample:
    """The students analysed for one outcome.

    Attributes
    ----------
    outcome
        The outcome.
    data
        One row a student with the outcome: ``row`` (a running number), ``institution_id``, ``cohort`` (int),
        ``first_treated`` (adoption cohort, 0 = never), ``treated`` (0/1), ``group`` (the integrated or the
        comparison program's name), ``y`` (the outcome) and the baseline characteristics.
    assigned
        One row a student who should have been measured (``institution_id``, ``cohort``, ``group``,
        ``cell`` = institution x cohort, ``observed`` 0/1); ``None`` when the data do not say who that is.
    no_attrition
        Why ``assigned`` is ``None`` (one sentence), else ``""``.
    """

    outcome: Outcome
    data: pd.DataFrame
    assigned: pd.DataFrame | None
    no_attrition: str = ""


def main_follow_up(months: Sequence[int]) -> int:
    """The follow-up (months after graduation) closest to :data:`TARGET_FOLLOW_UP`, the earlier on a tie."""
    return min(sorted(int(m) for m in months), key=lambda m: abs(m - TARGET_FOLLOW_UP))


def _timing(frame: pd.DataFrame, study: Study) -> pd.DataFrame:
    """``frame`` (with institution_id, cohort) with integer cohorts, treatment timing and the group name."""
    frame = frame[frame["cohort"].notna() & frame["institution_id"].notna()].copy()
    frame["cohort"] = frame["cohort"].astype("int64")
    frame = adoption_columns(frame, study.config.treatment.adoption_year)
    frame["treated"] = frame["treated"].astype(float)
    names = study.config.treatment
    frame["group"] = np.where(frame["treated"] == 1, names.integrated_program, names.comparison_program)
    return frame


def _finish(frame: pd.DataFrame, value: pd.Series, study: Study, covariates: pd.DataFrame) -> pd.DataFrame:
    """The analysed rows: those with the outcome, timing columns, baseline characteristics, no student id."""
    data = frame.assign(y=value.astype(float).to_numpy())
    data = data[data["y"].notna()].merge(covariates, on="student_id", how="left")
    data = _timing(data, study).sort_values(["institution_id", "cohort", "student_id"], kind="mergesort")
    data = data.drop(columns="student_id").reset_index(drop=True)
    return data.assign(row=np.arange(len(data)))


def _assigned(frame: pd.DataFrame, observed: pd.Series, study: Study) -> pd.DataFrame:
    out = _timing(frame[["student_id", "institution_id", "cohort"]].assign(observed=observed.astype(int).to_numpy()),
                  study)
    out["cell"] = out["institution_id"].astype(str) + " | " + out["cohort"].astype(str)
    return out.drop(columns="student_id").reset_index(drop=True)


def baseline_covariates(study: Study, scores: pd.DataFrame | None, instruments: Sequence[str]) -> pd.DataFrame:
    """One row a student: entrance score, prior HSK level, female, international, entry-wave scores.

    Characteristics the students table lacks are left out; ``female`` is 1/0 among students whose gender is
    recorded as female, male or other (missing otherwise); ``international`` is 1/0 by ``student_origin``.
    Entry-wave scores are the scores of each competency instrument at its first wave, named
    ``<instrument>_entry``.
    """
    s = study.students
    out = pd.DataFrame({"student_id": s["student_id"].to_numpy()})
    for col in ("entrance_score", "prior_hsk_level"):
        if col in s.columns and s[col].notna().any():
            out[col] = pd.to_numeric(s[col]).astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    if "gender" in s.columns:
        known = s["gender"].isin(["female", "male", "other"]).to_numpy()
        out["female"] = np.where(known, (s["gender"] == "female").to_numpy(dtype=float), np.nan)
    if "student_origin" in s.columns:
        origin = s["student_origin"]
        out["international"] = np.where(origin.notna(), (origin == "international").to_numpy(dtype=float), np.nan)
    if scores is not None:
        for k in instruments:
            present = scores.loc[scores[k].notna(), "wave"]
            first = scores[(scores["wave"] == present.min()) & scores[k].notna()]
            out = out.merge(first[["student_id", k]].rename(columns={k: f"{k}_entry"}), on="student_id", how="left")
    return out.loc[:, [c for c in out.columns if c == "student_id" or out[c].notna().any()]]


def competency_instruments(scores: pd.DataFrame, study: Study) -> list[str]:
    """Student-answered instruments scored at two or more waves (the competencies whose growth is followed)."""
    out = []
    for k, book in sorted(study.codebooks.items()):
        if book.respondent == "student" and k in scores.columns:
            if scores.loc[scores[k].notna(), "wave"].nunique() >= 2:
                out.append(k)
    return out


def employment_samples(frame: pd.DataFrame, study: Study, covariates: pd.DataFrame) -> tuple[int, list[Sample]]:
    """Samples of the employment outcomes at the main follow-up (graduates due for it: the assigned)."""
    follow_up = main_follow_up(frame["months_after_graduation"].dropna().unique())
    rows = frame[frame["months_after_graduation"] == follow_up].reset_index(drop=True)
    assigned = _assigned(rows, rows["responded"], study)
    samples = []
    for name in EMPLOYMENT_OUTCOMES:
        label = f"{INDICATORS[name].label} ({follow_up} months after graduation)"
        outcome = Outcome(name, label, "proportion", "proportion (0 to 1)")
        data = _finish(rows[["student_id", "institution_id", "cohort"]], rows[name], study, covariates)
        samples.append(Sample(outcome, data, assigned))
    return follow_up, samples


def survey_samples(scores: pd.DataFrame, instruments: Sequence[str], study: Study,
                   covariates: pd.DataFrame) -> list[Sample]:
    """Samples of the competency scores at each instrument's last wave."""
    students = study.students[["student_id", "institution_id", "cohort"]]
    waves = study.config.waves
    samples = []
    for k in instruments:
        book = study.codebooks[k]
        last = int(scores.loc[scores[k].notna(), "wave"].max())
        at = scores[scores["wave"] == last]
        ran = students.merge(at[["student_id"]], on="student_id")[["institution_id", "cohort"]].drop_duplicates()
        due = students.merge(ran, on=["institution_id", "cohort"]).sort_values("student_id", kind="mergesort")
        scored = set(at.loc[at[k].notna(), "student_id"])
        label = f"{labels(book)[0]} ({waves.get(last, f'wave {last}')} survey)"
        outcome = Outcome(k, label, "score", f"scale points ({book.scale.min:g} to {book.scale.max:g})")
        rows = at.loc[at[k].notna(), ["student_id", k]].merge(students, on="student_id")
        data = _finish(rows[["student_id", "institution_id", "cohort"]], rows[k], study, covariates)
        samples.append(Sample(outcome, data, _assigned(due, due["student_id"].isin(scored), study)))
    return samples


def hsk_sample(frame: pd.DataFrame, study: Study, covariates: pd.DataFrame) -> Sample:
    """Sample of the HSK target among students with an HSK result (no attrition: sitting HSK is optional)."""
    name = "hsk_target_rate"
    target = study.config.outcomes.hsk_target_level
    outcome = Outcome(name, f"{INDICATORS[name].label} (HSK {target} or higher)", "proportion", "proportion (0 to 1)")
    data = _finish(frame[["student_id", "institution_id", "cohort"]], frame[name], study, covariates)
    why = ("attrition is not defined for the HSK target: only students who sit HSK have a result, and the data do "
           "not record who was expected to sit it.")
    return Sample(outcome, data, None, why)
