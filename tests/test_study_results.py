"""The analysis stage of the study pipeline (``reports.study_results``) on synthetic studies with known truth.

The default synthetic study (``clean_study``, seed 20261122: 8 institutions, 6 adopting between 2018 and 2021)
records the true effects in ``truth.json``; the tolerances below are stated against the intervals the tables
report.  A small study (4 institutions, 6 students a class) checks determinism and small-cell suppression, and
cut-down studies check that analyses the data cannot support become reasons, not exceptions.
"""

from __future__ import annotations

import dataclasses
import math
import re

import numpy as np
import pandas as pd
import pytest

import surveys
from analyses.evidence import RATINGS
from data_schema import generate_study, load_study
from data_schema.errors import ArgumentError, EstimationError
from reports.study_results import STAGES, TABLES, Headline, NotRun, StudyResults, run_analyses
from reports.study_results.competencies import mean_scores, reliability
from reports.study_results.stages import Runner

COMPETENCIES = ("business_chinese_self_efficacy", "digital_commerce_skills", "global_market_awareness",
                "intercultural_competence")


@pytest.fixture(scope="module")
def default(clean_study):
    syn, study = clean_study
    stages: list[str] = []
    results = run_analyses(study, seed=study.config.seed, progress=stages.append)
    return syn, study, results, stages


@pytest.fixture(scope="module")
def small_study(tmp_path_factory):
    syn = generate_study(tmp_path_factory.mktemp("small_study"), n_institutions=4, students_per_class=6,
                         classes_per_cohort=1, n_cohorts=6, first_cohort=2018)
    study = load_study(syn.config_path)
    cfg = study.config
    strict = cfg.model_copy(update={"privacy": cfg.privacy.model_copy(update={"min_cell_size": 30})})
    return syn, dataclasses.replace(study, config=strict)


@pytest.fixture(scope="module")
def small(small_study):
    """The small study's students and employment (a full run: ``test_every_analysis_is_identical...``)."""
    syn, study = small_study
    cut = _only(study, "students", "employment")
    return syn, cut, run_analyses(cut, seed=7)


def _only(study, *tables: str):
    return dataclasses.replace(study, tables={t: study.tables[t] for t in tables})


def _row(table: pd.DataFrame, **where: object) -> pd.Series:
    mask = np.ones(len(table), dtype=bool)
    for col, value in where.items():
        mask &= (table[col] == value).to_numpy()
    assert mask.sum() == 1, where
    return table[mask].iloc[0]


# ----------------------------------------------------------------------------- shape of the tables


def test_default_study_makes_every_table_with_its_catalogued_columns(default):
    _, _, results, _ = default
    assert set(results.tables) == set(TABLES)
    for name, table in results.tables.items():
        assert tuple(table.columns) == TABLES[name].columns, name
        assert isinstance(table.index, pd.RangeIndex) and table.index.start == 0, name
        for col in table.columns:
            dtype = table[col].dtype
            plain = dtype in (np.dtype(bool), np.dtype("int64"), np.dtype("float64")) or isinstance(
                dtype, pd.StringDtype)
            assert plain, (name, col, dtype)
        if name not in ("caveats", "quarantine_rules"):
            assert len(table), name


def test_rows_are_sorted_by_the_catalogued_keys(default):
    _, _, results, _ = default
    profile = results.tables["profile"]
    keys = list(zip(profile["institution_id"], profile["program"], profile["cohort"], strict=True))
    assert keys == sorted(keys)
    employment = results.tables["employment"]
    block = employment[(employment["indicator"] == "employment_rate")
                       & (employment["months_after_graduation"] == 12) & (employment["program"] == "integrated")]
    assert block["graduation_year"].tolist()[-1] == "All"  # margin rows come last
    assert block["graduation_year"].tolist()[:-1] == sorted(block["graduation_year"].tolist()[:-1])


def test_the_docstring_lists_every_table_and_its_columns():
    """Each bullet of ``StudyResults.tables`` names tables, then their columns in order."""
    text = " ".join(StudyResults.__doc__.split())
    listed: dict[str, tuple[str, ...]] = {}
    for bullet in re.findall(r"- ((?:``\w+``(?:, )?)+): ([^(]+?)(?: \(|\.)", text):
        names, columns = bullet
        for name in re.findall(r"``(\w+)``", names):
            listed[name] = tuple(c.strip() for c in columns.split(","))
    assert listed == {name: spec.columns for name, spec in TABLES.items()}


def test_progress_is_called_as_each_analysis_starts(default):
    _, _, _, stages = default
    assert stages == list(STAGES)


def test_the_default_study_runs_every_analysis(default):
    _, _, results, _ = default
    # HSK results come only from students who choose to sit HSK: who was due is unknown, so no attrition
    assert [n.analysis for n in results.not_run] == ["attrition:hsk_target_rate"]
    assert all(n.reason.endswith(".") and n.reason[0].isupper() for n in results.not_run)


# ----------------------------------------------------------------------------- values against the truth


def test_profile_counts_every_student(default):
    syn, _, results, _ = default
    totals = results.tables["profile_totals"]
    design = syn.truth["design"]
    assert totals["n"].sum() == design["n_students"]
    assert totals.groupby("program")["n"].sum().to_dict() == {k: float(v) for k, v in
                                                              design["students_by_program"].items()}
    assert results.tables["profile"]["n"].sum() == design["n_students"]


def test_reliability_matches_the_population_alpha(default):
    """truth.json records each instrument's population alpha by wave; 2 900-3 700 respondents give SE ~0.003."""
    syn, _, results, _ = default
    truth = syn.truth["surveys"]["reliability"]["alpha"]
    table = results.tables["reliability"]
    total = table[table["scale"] == "total"]
    checked = 0
    for row in total.itertuples():
        alpha = truth.get(row.instrument, {}).get(str(row.wave))
        if alpha is None:
            continue
        assert abs(row.alpha - alpha) < 0.01, (row.instrument, row.wave, row.alpha, alpha)
        assert row.alpha_ci_low < row.alpha < row.alpha_ci_high and row.omega_ci_low < row.omega < row.omega_ci_high
        checked += 1
    assert checked == 13


@pytest.mark.parametrize("instrument", COMPETENCIES)
def test_did_intervals_cover_the_true_att(default, instrument):
    """The true ATT on the wave-2 scale score (att_wave2_overall) lies in the bootstrap and staggered intervals."""
    syn, _, results, _ = default
    truth = syn.truth["competencies"]["instruments"][instrument]["att_wave2_overall"]["att_scale_score"]
    table = results.tables["did_estimates"]
    for method in ("TWFE (wild cluster bootstrap)", "Callaway-Sant'Anna (simple)"):
        row = _row(table, outcome=instrument, method=method)
        assert row.ci_low < truth < row.ci_high, (method, row.ci_low, truth, row.ci_high)
        assert row.n_clusters == 8 and row.n_treated_clusters == 6
    twfe, boot = _row(table, outcome=instrument, method="TWFE (CR1)"), _row(
        table, outcome=instrument, method="TWFE (wild cluster bootstrap)")
    assert twfe.estimate == boot.estimate and twfe.inference.startswith("CR1")


def test_employment_rate_matches_the_truth(default):
    """Respondents' employment rate at 12 months by program (truth: model expectation among respondents)."""
    syn, _, results, _ = default
    expected = syn.truth["employment"]["expected"]["12"]
    table = results.tables["employment"]
    for program in ("integrated", "traditional"):
        row = _row(table, indicator="employment_rate", program=program, graduation_year="All",
                   months_after_graduation=12)
        truth = expected[program]["respondents"]["employment_rate"]
        assert row.ci_low < truth < row.ci_high, (program, row.ci_low, truth, row.ci_high)
        assert row.n == expected[program]["respondents"]["n"]


def test_certification_rates_match_the_truth(default):
    syn, _, results, _ = default
    cert = syn.truth["assessments"]["certification"]
    for table, indicator, truth in (("hsk", "hsk_target_rate", lambda p: cert["hsk"][p]["target"]),
                                    ("certificates", "certificate_pass_rate",
                                     lambda p: cert["certificate_pass"][p]["rate"])):
        for program in ("integrated", "traditional"):
            row = _row(results.tables[table], indicator=indicator, program=program, cohort="All")
            assert row.ci_low < truth(program) < row.ci_high, (indicator, program)


def test_effects_put_rates_in_points_and_scores_in_standard_deviations(default):
    _, _, results, _ = default
    effects, did = results.tables["effects"], results.tables["did_estimates"]
    rate = _row(effects, outcome="employment_rate", method="TWFE")
    raw = _row(did, outcome="employment_rate", method="TWFE (wild cluster bootstrap)")
    assert rate.scale == "percentage points"
    assert rate.estimate == pytest.approx(100 * raw.estimate) and rate.ci_high == pytest.approx(100 * raw.ci_high)
    score = _row(effects, outcome="digital_commerce_skills", method="TWFE")
    assert score.scale == "standard deviations" and 0.3 < score.estimate < 0.8  # 0.38 points / SD ~0.7
    assert set(effects["method"]) == {"TWFE", "Callaway-Sant'Anna"}
    assert effects["p_value_bh"].ge(effects["p_value"] - 1e-12).all()


def test_event_study_has_a_reference_period_and_a_pretrend_test(default):
    _, _, results, _ = default
    events = results.tables["event_study"]
    employment = events[events["outcome"] == "employment_rate"]
    reference = employment[employment["reference"]]
    assert reference["event_time"].tolist() == [-1] and reference["estimate"].tolist() == [0.0]
    assert employment["event_time"].min() < -1 < 0 < employment["event_time"].max()
    pretrend = _row(results.tables["pretrend"], outcome="employment_rate")
    assert pretrend.df_denominator == 7 and 0 <= pretrend.p_value <= 1
    assert results.notes["pretrend_p_value"] == repr(float(pretrend.p_value))
    dynamic = results.tables["did_dynamic"]
    assert set(dynamic["outcome"]) == set(events["outcome"])


def test_headline_is_the_bootstrap_interval_of_the_employment_rate(default):
    _, _, results, _ = default
    h = results.headline
    assert isinstance(h, Headline)
    effect = _row(results.tables["effects"], headline=True)
    assert (h.outcome, h.scale, h.inference) == ("employment_rate", "percentage points", "wild cluster bootstrap")
    assert (h.estimate, h.ci_low, h.ci_high) == (effect.estimate, effect.ci_low, effect.ci_high)
    assert h.ci_low < h.estimate < h.ci_high and (h.n_clusters, h.n_students) == (8, effect.n_obs)
    assert h.evidence_rating in RATINGS
    assert h.evidence_reasons and all(r.endswith(".") for r in h.evidence_reasons)
    assert results.notes["headline_outcome"] == "employment_rate"
    assert results.notes["headline_sentence"] == h.sentence()
    assert "percentage points higher" in h.sentence() or "percentage points lower" in h.sentence()


def test_standards_are_judged_for_every_compared_outcome(default):
    _, _, results, _ = default
    compared = set(results.tables["did_estimates"]["outcome"])
    assert set(results.tables["equivalence"]["outcome"]) == compared
    assert set(results.tables["evidence"]["outcome"]) == compared
    assert set(results.tables["attrition"]["outcome"]) == compared - {"hsk_target_rate"}
    eq = results.tables["equivalence"]
    assert {"entrance_score", "female", "international", "digital_commerce_skills_entry"} <= set(eq["characteristic"])
    assert eq["status"].isin(["satisfied", "satisfied by adjustment", "not satisfied (not adjusted)",
                              "not satisfied", "not estimable"]).all()
    rating = results.tables["evidence"].groupby("outcome")["rating"].nunique()
    assert (rating == 1).all()


def test_trends_hold_program_by_cohort_cells(default):
    _, _, results, _ = default
    trends = results.tables["trends"]
    assert trends["cohort"].dtype == np.dtype("int64") and not trends["program"].eq("All").any()
    assert {"employment_rate", "hsk_target_rate", "certificate_pass_rate"} <= set(trends["indicator"])
    employment = trends[trends["indicator"] == "employment_rate"]
    assert (employment["cohort_basis"] == "graduation year").all()
    assert employment["indicator_label"].str.contains("12 months").all()


# ----------------------------------------------------------------------------- privacy and determinism


def _raw_ids(syn) -> set[str]:
    return set(pd.read_csv(syn.students_path, dtype=str)["student_id"])


def _words(text: str) -> set[str]:
    return set(re.findall(r"[0-9A-Za-z]{6,}", text))


def test_no_student_id_appears_in_any_table(default):
    """Neither the raw ids of the export nor their pseudonyms, as a cell or as a word inside a text cell."""
    syn, study, results, _ = default
    ids = _raw_ids(syn) | set(study.students["student_id"])
    assert len(ids) == 2 * len(study.students)
    for name, table in results.tables.items():
        assert "student_id" not in table.columns and "name" not in table.columns
        for col in table.columns:
            values = [str(v) for v in table[col].tolist()]
            assert not ids.intersection(values), (name, col)
            if isinstance(table[col].dtype, pd.StringDtype):
                text = " ".join(values)
                assert not _words(text) & ids, (name, col)
                assert not re.search(r"[0-9a-f]{32}", text), (name, col)  # no pseudonym at all
    messages = " ".join([n.reason for n in results.not_run] + list(results.notes.values()))
    assert not _words(messages) & ids


def _assert_identical(first, second) -> None:
    assert list(first.tables) == list(second.tables)
    for name in first.tables:
        pd.testing.assert_frame_equal(first.tables[name], second.tables[name], check_exact=True, obj=name)
    assert (first.not_run, first.headline, first.notes) == (second.not_run, second.headline, second.notes)


def test_same_study_and_seed_give_identical_tables(small):
    """Bootstrap, staggered DiD, suppression and sorting reproduce exactly (the survey analyses: next test)."""
    _, study, first = small
    assert "did_estimates" in first.tables
    _assert_identical(first, run_analyses(study, seed=7))


@pytest.mark.slow
def test_every_analysis_is_identical_on_a_second_run(small_study):
    _, study = small_study
    first = run_analyses(study, seed=7)
    assert {"reliability", "growth", "growth_icc"} <= set(first.tables)
    _assert_identical(first, run_analyses(study, seed=7))


def test_small_cells_are_hidden_with_their_reason(small):
    _, study, results = small
    min_cell = study.config.privacy.min_cell_size
    profile = results.tables["profile"]
    assert profile["suppressed"].all() and profile["n"].isna().all()  # 6 students a class, 30 needed
    assert profile["suppression"].str.startswith("primary").all()
    hidden = 0
    for name, table in results.tables.items():
        if "suppressed" not in table.columns:
            continue
        hidden += int(table["suppressed"].sum())
        shown = table[~table["suppressed"]]
        assert (shown["suppression"] == "").all(), name
        if name == "attrition":  # cluster-level rows count institution x cohort cells, not students
            shown = shown[shown["level"] != "clusters"]
        for count in ("n", "n_obs", "graduates"):
            if count in table.columns:
                assert (shown[count].isna() | (shown[count] >= min_cell)).all(), (name, count)
        if "estimate" in table.columns and name != "event_study":
            assert table.loc[table["suppressed"], "estimate"].isna().all(), name
    employment = results.tables["employment"]
    assert employment["suppression"].str.startswith("complementary").any()  # totals cannot reveal a hidden cell
    assert hidden > 50
    assert results.tables["effects"]["suppressed"].all()  # fewer than 30 integrated graduates in each comparison
    assert results.headline is None and "published" in results.reasons()["headline"]


def test_a_chosen_headline_outcome_is_used(small_study):
    """With 4 institutions the bootstrap interval is wide; a rate's interval is cut to +-100 points."""
    _, study = small_study
    lenient = study.config.model_copy(update={"privacy": study.config.privacy.model_copy(
        update={"min_cell_size": 10})})
    cut = dataclasses.replace(_only(study, "students", "employment"), config=lenient)
    results = run_analyses(cut, seed=7, headline="cbec_sector_share")
    h = results.headline
    assert h.outcome == "cbec_sector_share" and results.notes["headline_outcome"] == "cbec_sector_share"
    assert -100 <= h.ci_low < h.estimate < h.ci_high <= 100
    assert _row(results.tables["effects"], headline=True).outcome == "cbec_sector_share"


def test_survey_tables_are_protected_too(default):
    """Reliability and mean scores of one institution, with 300 students needed per published cell."""
    _, study, _, _ = default
    one = study.students.loc[study.students["institution_id"] == "I01", "student_id"]
    responses = study.survey_responses[study.survey_responses["student_id"].isin(one)]
    rel = reliability(responses, study, min_cell=300)
    assert rel["suppressed"].any() and (~rel["suppressed"]).any()
    assert rel.loc[rel["suppressed"], ["n", "alpha", "omega_ci_high"]].isna().all().all()
    assert (rel.loc[~rel["suppressed"], "n"] >= 300).all()
    scores = mean_scores(surveys.score(responses, study.codebooks).long, study, min_cell=300)
    assert scores.loc[scores["suppressed"], ["n", "estimate", "ci_low"]].isna().all().all()
    assert (scores.loc[~scores["suppressed"], "n"] >= 300).all() and scores["suppressed"].any()


# ----------------------------------------------------------------------------- what the data cannot support


def test_no_adoption_variation_is_a_reason_not_an_error(small_study):
    _, study = small_study
    cfg = study.config
    never = cfg.treatment.model_copy(update={"adoption_year": dict.fromkeys(cfg.treatment.adoption_year)})
    results = run_analyses(dataclasses.replace(_only(study, "students", "employment"),
                                               config=cfg.model_copy(update={"treatment": never})), seed=1)
    reasons = results.reasons()
    assert "no adoption variation" in reasons["did"]
    for stage in ("equivalence", "attrition", "evidence"):
        assert "comparison" in reasons[stage]
    assert results.headline is None and "headline" in reasons
    assert "employment" in results.tables and "did_estimates" not in results.tables


def test_two_institutions_are_too_few_clusters(small_study):
    _, study = small_study
    keep = set(study.students.loc[study.students["institution_id"].isin(["I01", "I02"]), "student_id"])
    tables = {t: study.tables[t][study.tables[t]["student_id"].isin(keep)] for t in ("students", "employment")}
    lenient = study.config.model_copy(update={"privacy": study.config.privacy.model_copy(
        update={"min_cell_size": 10})})
    results = run_analyses(dataclasses.replace(study, tables=tables, config=lenient), seed=1)
    reasons = results.reasons()
    assert "at least 4 institutions" in reasons["did:employment_rate"]
    assert "2 institution(s)" in reasons["did:employment_rate"]
    assert "no survey responses" in reasons["reliability"]
    assert "nothing to judge" in reasons["evidence"]
    assert results.headline is None


def test_a_study_of_students_only_says_why_each_analysis_is_missing(small_study):
    _, study = small_study
    stages: list[str] = []
    results = run_analyses(_only(study, "students"), seed=1, progress=stages.append)
    assert stages == list(STAGES)
    assert set(results.tables) == {"profile", "profile_totals", "caveats", "data_quality", "quarantine_rules"}
    reasons = results.reasons()
    for analysis, words in (("reliability", "no survey responses"), ("assessment", "no assessment data"),
                            ("employment", "no employment"), ("trends", "trend indicators")):
        assert words in reasons[analysis], analysis


def test_bad_arguments_are_refused(small_study):
    _, study = small_study
    with pytest.raises(ArgumentError, match="seed=1.5 must be a whole number"):
        run_analyses(study, seed=1.5)
    with pytest.raises(ArgumentError, match="headline='salary' is not a main outcome"):
        run_analyses(study, seed=1, headline="salary")


def test_runner_keeps_reasons_and_caveats_but_lets_bugs_through():
    import warnings

    from data_schema.errors import DataQualityWarning

    runner = Runner(progress=None, private=["abcdef0123"])

    def warns_then_fails():
        warnings.warn("rows of abcdef0123 were dropped", DataQualityWarning, stacklevel=1)
        raise EstimationError("student abcdef0123 has no cohort")

    assert runner.run("growth:x", warns_then_fails) is None
    assert runner.not_run == [NotRun("growth:x", "Student [a student] has no cohort.")]
    assert runner.caveats == [("growth:x", "Rows of [a student] were dropped.")]
    with pytest.raises(KeyError, match="a bug"):
        runner.run("profile", lambda: {}["a bug"])


def test_headline_sentence_reads_plainly():
    h = Headline(outcome="digital_commerce_skills", outcome_label="Digital Commerce Skills (graduation survey)",
                 estimate=-0.25, ci_low=-0.5, ci_high=math.inf, p_value=0.2, ci_level=0.95,
                 scale="standard deviations", method="TWFE", inference="wild cluster bootstrap", n_clusters=8,
                 n_students=2800, evidence_rating=RATINGS[1], evidence_reasons=("A reason.",))
    assert h.sentence(2) == ("Digital Commerce Skills (graduation survey) was 0.25 standard deviations lower in "
                             "integrated cohorts than in traditional cohorts (95% interval -0.50 to unbounded).")
    assert h.to_dict()["ci_high"] is None and h.to_dict()["evidence_reasons"] == ["A reason."]
