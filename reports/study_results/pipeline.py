"""Run every analysis of a loaded study: :func:`run_analyses`.

Examples
--------
A study that holds only its students table: the profile is made (every count below 10 hidden), and every
other analysis says why it did not run.

>>> import dataclasses, tempfile
>>> from data_schema import generate_study, load_study
>>> syn = generate_study(tempfile.mkdtemp(), n_institutions=4, students_per_class=5, classes_per_cohort=1,
...                      n_cohorts=4, first_cohort=2020)
>>> study = load_study(syn.config_path)
>>> students_only = dataclasses.replace(study, tables={"students": study.students})
>>> results = run_analyses(students_only, seed=1)
>>> bool(results.tables["profile"]["suppressed"].all()), results.headline is None
(True, True)
>>> results.reasons()["employment"]
'The study has no employment follow-up data.'
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

import surveys
from data_schema.errors import ArgumentError
from data_schema.study import Study
from outcomes import assessment_indicators, certification_indicators, employment_indicators
from reports.study_results.catalogue import TABLES, finish
from reports.study_results.competencies import growth_tables, mean_scores, reliability
from reports.study_results.impact import (
    Impact,
    build_headline,
    default_headline_order,
    run_comparisons,
    run_standards,
)
from reports.study_results.indicators import bounds_table, indicator_table, trend_table
from reports.study_results.profile import profile_tables
from reports.study_results.results import Headline, StudyResults
from reports.study_results.samples import (
    EMPLOYMENT_OUTCOMES,
    Sample,
    baseline_covariates,
    competency_instruments,
    employment_samples,
    hsk_sample,
    survey_samples,
)
from reports.study_results.stages import Runner

__all__ = ["STAGES", "run_analyses"]

STAGES = ("profile", "reliability", "competency_scores", "growth", "assessment", "hsk", "certificates", "employment",
          "did", "equivalence", "attrition", "evidence", "trends", "data_quality")
"""The analyses in the order they run; ``progress`` is called with each name as it starts."""


class _State:
    """What the stages share: the study, the runner, the tables, the derived frames."""

    def __init__(self, study: Study, runner: Runner) -> None:
        self.study = study
        self.runner = runner
        self.min_cell = int(study.config.privacy.min_cell_size)
        self.tables: dict[str, pd.DataFrame] = {}
        self.scores: pd.DataFrame | None = None
        self.instruments: list[str] = []
        self.frames: dict[str, pd.DataFrame] = {}
        self.follow_up: int | None = None

    def put(self, names: tuple[str, ...], result: tuple[pd.DataFrame, ...] | pd.DataFrame | None) -> None:
        if result is None:
            return
        for name, frame in zip(names, result if isinstance(result, tuple) else (result,), strict=True):
            self.tables[name] = frame


def _surveys(s: _State) -> None:
    responses, run = s.study.survey_responses, s.runner
    if responses is None or responses.empty:
        for stage in ("reliability", "competency_scores", "growth"):
            run.start(stage)
            run.skip(stage, "the study has no survey responses")
        return
    present = set(responses["instrument"].unique())
    books = {k: b for k, b in sorted(s.study.codebooks.items()) if k in present}
    run.start("reliability")
    s.put(("reliability",), run.run("reliability", lambda: reliability(responses, s.study, min_cell=s.min_cell)))
    run.start("competency_scores")
    scored = run.run("competency_scores", lambda: surveys.score(responses, books))
    if scored is None:
        run.start("growth")
        run.skip("growth", "the survey responses could not be scored")
        return
    s.scores = scored.scores
    s.put(("competency_scores",), run.run("competency_scores",
                                          lambda: mean_scores(scored.long, s.study, min_cell=s.min_cell)))
    run.start("growth")
    s.instruments = competency_instruments(s.scores, s.study)
    if not s.instruments:
        run.skip("growth", "no competency instrument was answered at two or more survey waves")
        return
    parts = [run.run(f"growth:{k}", lambda k=k: growth_tables(s.scores, k, s.study, min_cell=s.min_cell))
             for k in s.instruments]
    parts = [p for p in parts if p is not None]
    if parts:
        s.tables["growth"] = pd.concat([p[0] for p in parts], ignore_index=True)
        s.tables["growth_icc"] = pd.concat([p[1] for p in parts], ignore_index=True)


def _indicators(s: _State) -> None:
    study, run, cfg = s.study, s.runner, s.study.config.outcomes
    assessments = study.assessments
    plan = (("assessment", "assessment"), ("hsk", "certification"), ("certificates", "certification"))
    for stage, frame_name in plan:
        run.start(stage)
        if assessments is None or assessments.empty:
            run.skip(stage, "the study has no assessment data")
            continue
        if frame_name not in s.frames:
            make = (assessment_indicators if frame_name == "assessment" else
                    lambda st, a: certification_indicators(st, a, hsk_target=cfg.hsk_target_level))
            frame = run.run(stage, lambda m=make: m(study.students, assessments))
            if frame is None:
                continue
            s.frames[frame_name] = frame
        s.put((stage,), run.run(stage, lambda f=s.frames[frame_name], n=stage: indicator_table(f, n,
                                                                                               min_cell=s.min_cell)))
    run.start("employment")
    if study.employment is None or study.employment.empty:
        run.skip("employment", "the study has no employment follow-up data")
        return
    frame = run.run("employment", lambda: employment_indicators(
        study.students, study.employment, as_of=cfg.as_of, follow_ups=cfg.follow_ups,
        graduation_month=cfg.graduation_month, satisfied_from=cfg.satisfied_from))
    if frame is None:
        return
    s.frames["employment"] = frame
    s.put(("employment",), run.run("employment", lambda: indicator_table(frame, "employment", min_cell=s.min_cell)))
    s.put(("nonresponse_bounds",), run.run("nonresponse_bounds", lambda: bounds_table(frame, min_cell=s.min_cell)))


def _samples(s: _State) -> list[Sample]:
    run, study = s.runner, s.study
    covariates = baseline_covariates(study, s.scores, s.instruments)
    samples: list[Sample] = []
    if "employment" in s.frames:
        follow_up, found = employment_samples(s.frames["employment"], study, covariates)
        s.follow_up = follow_up
        samples += found
    else:
        for name in EMPLOYMENT_OUTCOMES:
            run.skip(f"did:{name}", "there are no employment indicators to compare (see the employment analysis)")
    if s.scores is not None and s.instruments:
        samples += survey_samples(s.scores, s.instruments, study, covariates)
    else:
        run.skip("did:competencies", "there are no competency scores at two or more survey waves to compare")
    if "certification" in s.frames:
        samples.append(hsk_sample(s.frames["certification"], study, covariates))
    else:
        run.skip("did:hsk_target_rate", "there are no certification indicators to compare")
    return samples


def _no_adoption(study: Study) -> str | None:
    years = study.config.treatment.adoption_year
    if not years:
        return "the study config gives no adoption years (treatment.adoption_year), so there is nothing to compare"
    if all(v is None for v in years.values()):
        return ("no institution adopted the integrated program (every adoption year in the study config is null), "
                "so there is no adoption variation to compare")
    return None


def _impact(s: _State, seed: int) -> Impact:
    run = s.runner
    run.start("did")
    why = _no_adoption(s.study)
    samples = None if why else run.run("did", lambda: _samples(s))
    if why:
        run.skip("did", why)
    if not samples:
        for stage in ("equivalence", "attrition", "evidence"):
            run.start(stage)
            run.skip(stage, "it needs the integrated-vs-traditional comparison, which did not run")
        return Impact()
    impact = run_comparisons(samples, run, seed=seed, min_cell=s.min_cell, tables=s.tables)
    run_standards(impact, run, s.study, min_cell=s.min_cell, tables=s.tables)
    return impact


def _data_quality(s: _State) -> None:
    s.runner.start("data_quality")
    counts = s.study.report.counts()
    s.tables["data_quality"] = counts.assign(file=counts["file"].map(lambda f: Path(str(f)).name))
    rules = s.study.report.failure_counts()
    s.tables["quarantine_rules"] = rules if len(rules) else pd.DataFrame(
        {"table": pd.Series(dtype=str), "rule": pd.Series(dtype=str), "rows": pd.Series(dtype="int64")})


def _notes(s: _State, seed: int, impact: Impact) -> dict[str, str]:
    students, years = s.study.students, s.study.config.treatment.adoption_year
    adopted = sorted(v for v in years.values() if v is not None)
    cohorts = pd.to_numeric(students["cohort"]).dropna()
    notes = {"seed": str(seed), "min_cell_size": str(s.min_cell), "n_students": str(len(students)),
             "n_institutions": str(students["institution_id"].nunique()),
             "treatment_definition": ("A student counts as integrated when the institution had adopted the integrated "
                                      "program by the student's entry cohort (the study config's adoption years); "
                                      "institutions are the clusters and entry cohorts the periods of the "
                                      "difference-in-differences.")}
    design = f"{len(years)} institutions in the study config: {len(adopted)} adopted the integrated program"
    if adopted:
        design += f" (first cohorts {adopted[0]} to {adopted[-1]})"
    design += f" and {len(years) - len(adopted)} never did"
    if len(cohorts):
        design += f"; entry cohorts {int(cohorts.min())} to {int(cohorts.max())}"
    notes["design"] = design + "."
    if s.follow_up is not None:
        notes["employment_follow_up"] = str(s.follow_up)
    if impact.compared:
        notes["compared_outcomes"] = ", ".join(default_headline_order(list(impact.compared)))
    return notes


def _headline(s: _State, impact: Impact, wanted: str | None, notes: dict[str, str]) -> Headline | None:
    if wanted is not None and wanted not in impact.compared:
        s.runner.skip("headline", f"the requested headline outcome {wanted!r} could not be compared (see did:{wanted})")
        return None
    effects = s.tables.get("effects")
    hidden = set() if effects is None else set(effects.loc[effects["suppressed"], "outcome"])
    order = [wanted] if wanted is not None else default_headline_order(list(impact.compared))
    if wanted is not None and wanted in hidden:
        s.runner.skip("headline", f"the comparison of {wanted!r} rests on fewer than {s.min_cell} students in a group, "
                                  "so small-cell protection hides it")
        return None
    order = [name for name in order if name not in hidden]
    if not order:
        s.runner.skip("headline", "no main outcome could be compared and published, so the brief has no headline "
                                  "effect")
        return None
    headline = build_headline(impact, order[0], s.runner)
    notes["headline_outcome"] = headline.outcome
    notes["headline_sentence"] = headline.sentence()
    p = impact.pretrend.get(headline.outcome, {}).get("p_value")
    if p is not None and p == p:
        notes["pretrend_p_value"] = repr(float(p))
    if "effects" in s.tables:
        e = s.tables["effects"]
        s.tables["effects"] = e.assign(headline=(e["outcome"] == headline.outcome) & (e["method"] == "TWFE"))
    return headline


def _student_ids(study: Study) -> set[str]:
    """Every student id of the study's tables, valid or quarantined (none may appear in a message)."""
    ids: set[str] = set()
    for frames in (study.tables, study.quarantined):
        for frame in frames.values():
            if frame is not None and "student_id" in frame.columns:
                ids.update(frame["student_id"].dropna().astype(str).unique().tolist())
    return ids


def _caveats(caveats: list[tuple[str, str]]) -> pd.DataFrame:
    """One row per analysis and message; ``scope`` lists the outcomes or instruments it arose for."""
    scopes: dict[tuple[str, str], set[str]] = {}
    for analysis, message in caveats:
        stage, _, subject = analysis.partition(":")
        scopes.setdefault((stage, message), set()).update([subject] if subject else [])
    rows = [{"analysis": stage, "scope": ", ".join(sorted(subjects)), "message": message}
            for (stage, message), subjects in sorted(scopes.items())]
    return pd.DataFrame(rows, columns=["analysis", "scope", "message"])


def _check_headline(study: Study, headline: str | None) -> None:
    if headline is None:
        return
    allowed = [*EMPLOYMENT_OUTCOMES, *sorted(k for k, b in study.codebooks.items() if b.respondent == "student"),
               "hsk_target_rate"]
    if headline not in allowed:
        raise ArgumentError(f"headline={headline!r} is not a main outcome of this study; use one of: "
                            f"{', '.join(repr(a) for a in allowed)}")


def run_analyses(study: Study, *, seed: int, progress: Callable[[str], None] | None = None,
                 headline: str | None = None) -> StudyResults:
    """Run every analysis the study's data support and return the tables, the reasons and the headline.

    Parameters
    ----------
    study
        A study loaded and validated by :func:`data_schema.load_study`; tables it lacks (no survey data, no
        assessments, no employment follow-ups) turn the analyses that need them into reasons.
    seed
        Seed of every random step (the wild cluster bootstrap); the same study and seed give identical tables.
    progress
        Called with the name of each analysis of :data:`STAGES` as it starts (e.g. to draw a progress bar).
    headline
        The outcome of the brief's headline (an employment indicator, a competency instrument or
        ``"hsk_target_rate"``); default the first compared of: employment rate, CBEC-sector employment,
        field match, the competencies, the HSK target.

    Returns
    -------
    StudyResults
        The tables of :data:`reports.study_results.TABLES` that could be made (each small-cell protected with
        ``privacy.min_cell_size``), the analyses that could not run with their reasons, the headline and notes.

    Raises
    ------
    ArgumentError
        When ``seed`` is not a whole number or ``headline`` names no main outcome.
    """
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ArgumentError(f"seed={seed!r} must be a whole number, e.g. the study config's seed")
    _check_headline(study, headline)
    s = _State(study, Runner(progress, private=_student_ids(study)))
    s.runner.start("profile")
    s.put(("profile", "profile_totals"), s.runner.run("profile", lambda: profile_tables(study.students,
                                                                                          min_cell=s.min_cell)))
    _surveys(s)
    _indicators(s)
    impact = _impact(s, seed)
    s.runner.start("trends")
    summaries = {n: s.tables[n] for n in ("employment", "hsk", "certificates") if n in s.tables}
    s.put(("trends",), s.runner.run("trends", lambda: trend_table(summaries, follow_up=s.follow_up)))
    _data_quality(s)
    notes = _notes(s, seed, impact)
    top = _headline(s, impact, headline, notes)
    s.tables["caveats"] = _caveats(s.runner.caveats)
    tables = {name: finish(name, s.tables[name]) for name in TABLES if name in s.tables}
    return StudyResults(tables=tables, not_run=tuple(s.runner.not_run), headline=top, notes=notes)
