"""load_study on synthetic studies: every injected fault found exactly, every repair counted, the clean study clean."""

from __future__ import annotations

from collections import Counter

import pytest

from data_schema import Study, load_config, load_study
from data_schema.synthetic import generate_study
from data_schema.synthetic.messy import FORMULA_TEXT

SMALL = {"n_institutions": 6, "students_per_class": 6, "classes_per_cohort": 1}
TABLES = ("students", "survey_responses", "assessments", "employment")


@pytest.fixture(scope="module")
def messy(tmp_path_factory):
    return generate_study(tmp_path_factory.mktemp("messy"), messy=True, **SMALL)


@pytest.fixture(scope="module")
def messy_study(messy) -> Study:
    return load_study(messy.config_path)


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    return generate_study(tmp_path_factory.mktemp("clean"), **SMALL)


def _key(synthetic) -> bytes:
    return (synthetic.root / "pseudonym.key").read_bytes().strip()


def test_every_injected_fault_is_found_with_its_row_count(messy, messy_study):
    expected = Counter()
    for fault in messy.truth["faults"]["quarantine"]:
        expected[(fault["table"], fault["rule"])] += fault["rows"]
    found = {(r.table, r.rule): r.rows for r in messy_study.report.failure_counts().itertuples()}
    assert found == dict(expected)


def test_every_repair_is_counted(messy, messy_study):
    expected = sorted((f["table"], f["column"], f["fix"], f["count"]) for f in messy.truth["faults"]["fixes"])
    found = sorted(tuple(r) for r in messy_study.report.fix_counts()[["table", "column", "fix", "count"]].values)
    assert found == expected


def test_read_and_valid_counts(messy, messy_study):
    counts = messy_study.report.counts().set_index("table")
    assert counts["read"].to_dict() == messy.truth["faults"]["read"]
    assert counts["valid"].to_dict() == messy.truth["faults"]["valid"]
    assert messy_study.report.reconciles and counts["reconciles"].all()
    for table in TABLES:
        assert len(messy_study.tables[table]) == messy.truth["faults"]["valid"][table]
        assert len(messy_study.tables[table]) + len(messy_study.quarantined[table]) == counts.loc[table, "read"]
        assert messy_study.tables[table].index.intersection(messy_study.quarantined[table].index).empty


def test_encodings_formats_headers_and_dropped_columns(messy, messy_study):
    faults = messy.truth["faults"]
    reports = messy_study.report.tables
    assert {t: reports[t].encoding for t in TABLES} == faults["encoding"]
    assert {t: reports[t].format for t in TABLES} == faults["formats"]
    for table in TABLES:
        assert sorted(reports[table].dropped_columns) == sorted(faults["dropped_columns"].get(table, []))
        assert reports[table].renamed_columns == faults["header_variants"].get(table, {})
    assert reports["assessments"].sheet == "assessments"
    assert not {"name", "phone"} & set(messy_study.quarantined["students"].columns)


def test_quarantined_students_take_their_rows_with_them(messy, messy_study, pseudonym):
    held = {pseudonym(s, _key(messy)) for s in messy.truth["faults"]["quarantined_students"]}
    assert held <= set(messy_study.quarantined["students"]["student_id"])
    for table in TABLES:
        assert not held & set(messy_study.tables[table]["student_id"]), table
    for table in ("survey_responses", "assessments", "employment"):
        rows = messy_study.quarantined[table]
        marked = rows[rows["quarantine_rules"].str.contains("student_quarantined")]
        assert set(marked["student_id"]) <= held


def test_formula_is_reported_as_its_text(messy_study):
    failures = messy_study.report.tables["assessments"].failures
    formula = failures[failures["rule"] == "formula_like"]
    assert formula[["column", "value"]].values.tolist() == [["rater_id", FORMULA_TEXT]]
    row = formula["row"].iloc[0]
    assert messy_study.quarantined["assessments"].loc[row, "rater_id"] == FORMULA_TEXT


def test_failures_name_real_file_rows(messy, messy_study):
    """Each employment failure row is the line of the file holding that value."""
    lines = messy.employment_path.read_text(encoding="utf-8").split("\n")
    failures = messy_study.report.tables["employment"].failures
    for row, column, value in failures[["row", "column", "value"]].itertuples(index=False):
        if column != "student_id":
            assert value in lines[row - 1], (row, value)


def test_clean_study_has_nothing_quarantined(clean):
    study = load_study(clean.config_path)
    assert study.report.n_quarantined == 0
    assert study.report.failures.empty
    assert study.report.fix_counts().empty
    counts = study.report.counts().set_index("table")
    assert counts["read"].to_dict() == clean.truth["counts"] == counts["valid"].to_dict()
    assert set(study.codebooks) == {
        "business_chinese_self_efficacy", "digital_commerce_skills", "employer_feedback",
        "global_market_awareness", "intercultural_competence", "programme_satisfaction",
    }


def test_load_study_accepts_a_folder_or_a_config_and_reports_progress(clean):
    steps: list[str] = []
    by_config = load_study(load_config(clean.config_path), progress=steps.append)
    by_folder = load_study(clean.root, key=_key(clean))
    assert steps[0] == "loading codebooks"
    assert [s for s in steps if s.startswith("reading")] == [f"reading {t}" for t in TABLES]
    for table in TABLES:
        assert by_config.tables[table].equals(by_folder.tables[table])


def test_study_with_only_a_students_file(make_study):
    study = load_study(make_study({"students": "student_id,institution_id,program,cohort,student_origin\n"
                                               "S1,I01,integrated,2020,domestic\n"}))
    assert len(study.students) == 1
    assert study.survey_responses is None and study.assessments is None and study.employment is None
    assert list(study.report.tables) == ["students"]
