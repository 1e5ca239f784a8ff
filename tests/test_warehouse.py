"""load_study_into_duckdb against load_study: the same valid rows, quarantined rows, failures and counts.

The reference is progeval's own pandas path (:func:`data_schema.load_study`, itself tested against the
injected faults of the synthetic study in ``tests/test_study.py``): the DuckDB loader must reproduce it
exactly, row for row and cell for cell, whatever the chunk size.  Small chunks (3-500 rows) force every
file through many chunks, so duplicates, conflicting keys and cross-table rules span chunk boundaries.
"""

from __future__ import annotations

import io
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from data_schema import ConfigError, InputFileError, Study, StudyReport, TableReport, load_config, load_study
from data_schema.codebook import BUILTIN_DIR
from data_schema.engine import execute, group_sums
from data_schema.errors import ArgumentError
from data_schema.schemas import TABLE_SPECS
from data_schema.synthetic import generate_study
from data_schema.warehouse import (
    load_study_into_duckdb,
    open_quarantined,
    open_tables,
    read_load_report,
)

SMALL = {"n_institutions": 6, "students_per_class": 6, "classes_per_cohort": 1}
KINDS = {"integer": "Int64", "number": "float64", "date": "datetime64[ns]", "boolean": "boolean",
         "text": "str", "code": "str"}


@dataclass(frozen=True)
class Loaded:
    config: Path
    study: Study
    database: Path
    report: StudyReport


def _load_both(config: Path, database: Path, chunk_rows: int) -> Loaded:
    study = load_study(config)
    report = load_study_into_duckdb(config, database, chunk_rows=chunk_rows)
    return Loaded(config, study, database, report)


@pytest.fixture(scope="module")
def messy(tmp_path_factory) -> Loaded:
    synthetic = generate_study(tmp_path_factory.mktemp("messy"), messy=True, **SMALL)
    return _load_both(synthetic.config_path, synthetic.root / "messy.duckdb", chunk_rows=500)


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> Loaded:
    synthetic = generate_study(tmp_path_factory.mktemp("clean"), **SMALL)
    return _load_both(synthetic.config_path, synthetic.root / "clean.duckdb", chunk_rows=5000)


# --- comparing the two paths -----------------------------------------------------------------


def _same_report(duck: TableReport, pandas: TableReport) -> None:
    for field in ("table", "file", "format", "row_kind", "n_read", "n_valid", "n_quarantined", "encoding", "sheet",
                  "blank_rows", "renamed_columns", "dropped_columns", "unknown_columns", "absent_optional_columns"):
        assert getattr(duck, field) == getattr(pandas, field), field
    pd.testing.assert_frame_equal(duck.failures, pandas.failures.astype({"row": "int64"}), check_dtype=False)
    pd.testing.assert_frame_equal(duck.fixes, pandas.fixes, check_dtype=False)


def _typed(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """Columns in the dtype of their kind, so DuckDB's and pandas' representations compare exactly."""
    spec = TABLE_SPECS[table]
    return pd.DataFrame({c: frame[c].astype(KINDS[spec.kind(c)]) for c in frame.columns}, index=frame.index)


def _same_tables(loaded: Loaded) -> None:
    valid = open_tables(loaded.config, database=loaded.database)
    held = open_quarantined(loaded.config, database=loaded.database)
    for table, rows in loaded.study.tables.items():
        duck = execute(valid[table]).set_index("row")
        pd.testing.assert_frame_equal(_typed(duck, table), _typed(rows, table), check_index_type=False)
        quarantined = execute(held[table].order_by("row")).set_index("row")
        expected = loaded.study.quarantined[table]
        pd.testing.assert_frame_equal(quarantined.astype("str"), expected.astype("str"), check_index_type=False)


@pytest.mark.parametrize("name", ["clean", "messy"])
def test_same_report_valid_and_quarantined_rows_as_load_study(request, name):
    loaded = request.getfixturevalue(name)
    assert list(loaded.report.tables) == list(loaded.study.report.tables)
    for table, report in loaded.report.tables.items():
        _same_report(report, loaded.study.report.tables[table])
    pd.testing.assert_frame_equal(loaded.report.counts(), loaded.study.report.counts())
    pd.testing.assert_frame_equal(loaded.report.failure_counts(), loaded.study.report.failure_counts())
    _same_tables(loaded)


def test_messy_study_faults_are_found_exactly(messy):
    faults = json.loads((load_config(messy.config).root / "truth.json").read_text())["faults"]
    expected = Counter()
    for fault in faults["quarantine"]:
        expected[(fault["table"], fault["rule"])] += fault["rows"]
    found = {(r.table, r.rule): r.rows for r in messy.report.failure_counts().itertuples()}
    assert found == dict(expected)
    counts = messy.report.counts().set_index("table")
    assert counts["valid"].to_dict() == faults["valid"] and counts["read"].to_dict() == faults["read"]


def test_database_holds_the_report_and_the_typed_columns(messy):
    stored = read_load_report(messy.database)
    pd.testing.assert_frame_equal(stored.counts(), messy.report.counts())
    pd.testing.assert_frame_equal(stored.failures, messy.report.failures)
    pd.testing.assert_frame_equal(stored.fix_counts(), messy.report.fix_counts())
    schema = open_tables(messy.config, database=messy.database)["employment"].schema()
    assert str(schema["months_after_graduation"]) == "int64" and str(schema["monthly_salary"]) == "float64"
    assert str(schema["surveyed_on"]) == "timestamp(6)" and str(schema["field_match"]) == "boolean"


def test_group_sums_on_the_database_equal_the_pandas_ones(clean):
    table = open_tables(clean.config, database=clean.database)["employment"]
    sums = {"salary": ("monthly_salary",), "months": ("months_after_graduation",)}
    engine = group_sums(table, ["status"], sums=sums)
    frame = group_sums(clean.study.tables["employment"], ["status"], sums=sums)
    pd.testing.assert_frame_equal(engine, frame, check_exact=False, rtol=1e-12)


# --- a crafted study: every rule across chunk boundaries, every reader path --------------------

STUDENTS = ["student_id,institution_id,program,cohort,graduation_year,student_origin"]
STUDENTS += [f"S{i:02d},I{i % 3},{'integrated' if i % 2 else 'traditional'},2020,2024,domestic" for i in range(1, 13)]
STUDENTS += [
    "S13,I1,,2020,2024,domestic",  # missing program: S13 is quarantined
    "S05,I2,integrated,2021,2024,domestic",  # conflicts with S05 above: both quarantined
    "S07,I1,integrated,2020,2024,domestic",  # exact copy of S07: the copy is quarantined, S07 stays valid
    " S14 ,I1,Integrated,2020,2019,domestic",  # graduation before entry, repaired id and program
]
EMPLOYMENT = ["student_id,months_after_graduation,status,sector,monthly_salary,surveyed_on"]
EMPLOYMENT += [f"S{i:02d},6,employed,cbec,{5000 + i},2024-12-0{i % 9 + 1}" for i in range(1, 13)]
EMPLOYMENT += [
    "S01,12,seeking,,,2025/06/01",  # date repaired
    " S02 ,12,Seeking,,,",  # repaired, then conflicts with the last row: shows as read
    "S03,12,employed,cbec,8k,",  # not a number; copied below
    "S99,12,Employed,CBEC,7000.5,",  # unknown student: shows typed values as text
    "S13,12,seeking,,,",  # the student's row was quarantined
    "S05,12,further_study,,,2025-07-01",  # so was this student's (conflicting key)
    "S07,12,seeking,,,",
    "S03,12,employed,cbec,8k,",  # exact copy of a failing row: duplicate_row and not_number
    "S01,6,employed,cbec,5001,2024-12-02",  # exact copy of line 2, many chunks later
    "S04,36,employed,,1e3,",  # employed without sector; 1e3 is a number
    "S02,12,not_seeking,,,2025-08-01",  # same key as ' S02 ,12' above, other values
]
SURVEY = ["student_id,instrument,wave,item,response,response_date"]
SURVEY += [
    "S01,intercultural_competence,0,icc01,4,2024-03-15",
    "S01,intercultural_competence,0,icc02,9,",  # outside the scale
    "S01,no_such_instrument,0,x01,3,",  # unknown instrument
    "S02,intercultural_competence,7,icc01,3,",  # unknown wave
    "S02,intercultural_competence,0,icc99,3,",  # unknown item
    "S02,intercultural_competence,1,icc01,,",  # not answered: fine
    "S03,intercultural_competence,0,icc01,2,2024-03-15",
    "S03,intercultural_competence,0,icc01,2,2024-03-15",  # exact copy
    "S99,intercultural_competence,0,icc01,2,",  # unknown student
]
ASSESSMENTS = ["student_id,assessment,component,rater_id,rater_role,score,max_score"]
ASSESSMENTS += [
    "S01,module_exam,M1,T1,teacher,80,100",
    "S01,module_exam,,T1,teacher,70,100",
    "S02,module_exam,M1,T1,teacher,60,100",
    "S01,module_exam,,T1,teacher,70,100",  # exact copy with an empty component: not flagged (as load_study)
    "S02,internship,M1,,enterprise_mentor,50,100",  # rater required
    "S01,module_exam,M1,T1,teacher,80,100",  # exact copy with every column present
    "S03,hsk,H1,,external_exam,120,100",  # above the maximum
]


def _write_study(root: Path, tables: dict[str, str | bytes | tuple[str, bytes]], **settings) -> Path:
    """A study folder like conftest's ``make_study``, at ``root`` (usable from module-scoped fixtures)."""
    data = root / "data"
    data.mkdir(parents=True, exist_ok=True)
    files = {}
    for table, spec in tables.items():
        name, content = spec if isinstance(spec, tuple) else (f"{table}.csv", spec)
        (data / name).write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
        files[table] = name
    (root / "secret.key").write_text("8f3a1c5e7b9d2f4a6c8e0b1d3f5a7c9e")
    config = {"title": "Crafted study", "data": {"directory": "data", **files},
              "instruments": {"directory": str(BUILTIN_DIR)}, "privacy": {"key_file": "secret.key"}, "seed": 1}
    (root / "study.yaml").write_text(yaml.safe_dump({**config, **settings}), encoding="utf-8")
    return root / "study.yaml"


def _crafted(root: Path, variant: str) -> Path:
    employment = "\n".join(EMPLOYMENT) + "\n"
    if variant == "blank_line":
        employment = employment.replace("\nS07,12", "\n\nS07,12")
    if variant == "quoted_newline_last":
        employment += 'S08,36,employed,"cb\nec",,\n'
    if variant == "ragged":
        employment = employment.replace("S07,12,seeking,,,", "S07,12,seeking")
    tables = {"students": "\n".join(STUDENTS) + "\n", "employment": employment,
              "survey_responses": "\n".join(SURVEY) + "\n", "assessments": "\n".join(ASSESSMENTS) + "\n"}
    if variant == "parquet":
        frame = pd.read_csv(io.StringIO(employment), dtype="str", keep_default_na=False)
        frame["months_after_graduation"] = pd.to_numeric(frame["months_after_graduation"]).astype("Int64")
        buffer = io.BytesIO()
        frame.to_parquet(buffer)
        tables["employment"] = ("employment.parquet", buffer.getvalue())
    return _write_study(root, tables)


@pytest.fixture(scope="module")
def crafted(tmp_path_factory) -> Loaded:
    root = tmp_path_factory.mktemp("crafted")
    return _load_both(_crafted(root, "regular"), root / "crafted.duckdb", chunk_rows=3)


def _same_everything(loaded: Loaded) -> None:
    for table, report in loaded.report.tables.items():
        _same_report(report, loaded.study.report.tables[table])
    _same_tables(loaded)


def test_crafted_study_every_rule_across_chunks(crafted):
    _same_everything(crafted)
    assert set(crafted.report.failures["rule"]) == {
        "duplicate_row", "duplicate_key", "student_quarantined", "unknown_student", "unknown_instrument",
        "unknown_item", "unknown_wave", "response_outside_scale", "not_number", "missing_required",
        "graduation_after_entry", "sector_when_working", "rater_id_required", "score_within_max"}


@pytest.mark.parametrize("variant", ["blank_line", "quoted_newline_last", "ragged", "parquet"])
def test_crafted_study_through_every_parser(tmp_path, variant):
    loaded = _load_both(_crafted(tmp_path, variant), tmp_path / "crafted.duckdb", chunk_rows=5)
    _same_everything(loaded)
    employment = loaded.report.tables["employment"]
    assert employment.blank_rows == (variant == "blank_line")
    assert ("field_count" in set(employment.failures["rule"])) == (variant == "ragged")
    assert employment.format == ("parquet" if variant == "parquet" else "csv")


def test_duplicates_far_apart_are_found(crafted):
    failures = crafted.report.tables["employment"].failures.set_index("rule")
    assert failures.loc["duplicate_row"].query("row == 22")["message"].item() == (
        "exact duplicate of row 2; the first copy is kept")
    assert failures.loc["duplicate_row"].query("row == 21")["message"].item() == (
        "exact duplicate of row 16; the first copy is kept")
    clash = failures.loc[["duplicate_key"]]
    assert clash["row"].tolist() == [15, 24]
    assert clash["message"].str.endswith("(first on row 15); all are quarantined").all()
    students = crafted.report.tables["students"].failures.set_index("rule")
    assert students.loc[["duplicate_key"]]["row"].tolist() == [6, 15]
    assert students.loc["duplicate_row"]["message"] == "exact duplicate of row 8; the first copy is kept"


def test_quarantined_rows_show_values_as_read_or_typed_as_the_pandas_path(crafted):
    held = execute(open_quarantined(crafted.config, database=crafted.database)["employment"]).set_index("row")
    assert held.loc[15, ["status", "sector"]].tolist() == ["Seeking", ""]  # key rule: as read, empty cell kept
    assert held.loc[17, ["status", "sector", "monthly_salary"]].tolist() == ["employed", "cbec", "7000.5"]  # typed
    assert held.loc[21, "quarantine_rules"] == "duplicate_row;not_number"
    assert not {"S02", " S02 ", "S99"} & set(held["student_id"])  # pseudonyms only


GOOD = {
    "good": "S{s:02d},{m},seeking,,,2024-01-01",
    "good_employed": "S{s:02d},{m},employed,cbec,8000,2024/01/02",
    "good_spaced": " S{s:02d} ,{m},Further_Study,, ,",
}
BAD = {
    "not_integer": "S{s:02d},x{m},seeking,,,",
    "sector_when_working": "S{s:02d},{m},employed,,,",
    "not_date": "S{s:02d},{m},seeking,,,15/03/2024",
    "not_number": "S{s:02d},{m},seeking,,8k,",
    "field_count": "S{s:02d},{m},seeking",
    "quoted_newline": 'S{s:02d},{m},seeking,"cb\nec",,',
    "missing_required": ",{m},seeking,,,",
    "orphan": "S99,{m},seeking,,,",
    "held_student": "S13,{m},seeking,,,",
}
PLAN_KINDS = [*GOOD, *BAD, "blank", "copy", "clash"]


@settings(max_examples=8, deadline=None, database=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plan=st.lists(st.tuples(st.sampled_from(PLAN_KINDS), st.integers(0, 1000)), min_size=1, max_size=24))
def test_random_exports_load_as_load_study_loads_them(tmp_path_factory, plan):
    lines, good = [EMPLOYMENT[0]], []
    for n, (kind, pick) in enumerate(plan):
        if kind in ("copy", "clash") and not good:
            kind = "good"
        if kind == "blank":
            lines.append("")
        elif kind == "copy":
            lines.append(good[pick % len(good)])
        elif kind == "clash":
            lines.append(",".join(good[pick % len(good)].split(",")[:2] + ["not_seeking", "", "", "2025-05-05"]))
        else:
            text = {**GOOD, **BAD}[kind].format(s=1 + pick % 12, m=(6, 12, 36)[n % 3])
            lines.append(text)
            good += [text] if kind in GOOD else []
    if not any(lines[1:]):
        lines.append(GOOD["good"].format(s=1, m=6))  # a file of blank lines only is refused (tested below)
    root = tmp_path_factory.mktemp("random")
    config = _write_study(root, {"students": "\n".join(STUDENTS) + "\n", "employment": "\n".join(lines) + "\n"})
    _same_everything(_load_both(config, root / "random.duckdb", chunk_rows=4))


# --- unusable files: the same errors, nothing written -----------------------------------------


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b"", "the file is empty"),
        (b"student_id,months_after_graduation,status\x00\n", "binary file"),
        (b"student_id,months_after_graduation,status\nS1,6,seeking\n\xff\xff,6,seeking\n", "not UTF-8 or GB18030"),
        (b"\nstudent_id,months_after_graduation,status\n", "line 1 is blank"),
        (b"student_id,months_after_graduation,status\n", "header row but no data rows"),
        (b"student_id,months_after_graduation,status\n\n\n", "header row but no data rows"),
        (b"student_id,status\nS1,seeking\n", "missing required column months_after_graduation"),
    ],
    ids=["empty", "binary", "undecodable", "blank_header", "header_only", "blank_lines_only", "missing_column"],
)
def test_unusable_file_gives_the_pandas_error_and_leaves_nothing(make_study, tmp_path, content, match):
    config = make_study({"students": "\n".join(STUDENTS[:3]) + "\n", "employment": content})
    with pytest.raises(InputFileError, match=match) as pandas_error:
        load_study(config)
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(InputFileError, match=match) as duck_error:
        load_study_into_duckdb(config, tmp_path / "study.duckdb")
    assert str(duck_error.value) == str(pandas_error.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_forced_encoding_is_checked_as_load_study_checks_it(make_study, tmp_path):
    employment = "student_id,months_after_graduation,status\n学生,6,seeking\n".encode("gb18030")
    config = make_study({"students": "\n".join(STUDENTS[:3]) + "\n", "employment": employment},
                        config={"data": {"directory": "data", "students": "students.csv",
                                         "employment": {"path": "employment.csv", "encoding": "utf-8"}}})
    with pytest.raises(InputFileError, match="decodes as GB18030") as pandas_error:
        load_study(config)
    with pytest.raises(InputFileError, match="decodes as GB18030") as duck_error:
        load_study_into_duckdb(config, tmp_path / "study.duckdb")
    assert str(duck_error.value) == str(pandas_error.value)


def test_failure_midway_leaves_no_database_and_an_old_one_untouched(crafted, tmp_path, monkeypatch, snapshot):
    import data_schema.warehouse.parallel as parallel  # where the loader's chunks are validated

    before = snapshot(crafted.database.parent)
    calls = {"n": 0}
    real = parallel.validate_chunk

    def failing(raw, table, *, key):
        calls["n"] += 1
        if calls["n"] == 4:  # in the second file, after the first was loaded
            raise RuntimeError("disk full")
        return real(raw, table, key=key)

    monkeypatch.setattr(parallel, "validate_chunk", failing)
    with pytest.raises(RuntimeError, match="disk full"):
        load_study_into_duckdb(crafted.config, crafted.database, chunk_rows=8)
    assert snapshot(crafted.database.parent) == before
    fresh = tmp_path / "fresh" / "study.duckdb"
    calls["n"] = 0
    with pytest.raises(RuntimeError, match="disk full"):
        load_study_into_duckdb(crafted.config, fresh, chunk_rows=8)
    assert list(fresh.parent.iterdir()) == []


# --- the study config's backend section -------------------------------------------------------


def _count(table) -> int:
    return int(execute(table.count().as_table()).iloc[0, 0])


def _config_with(make_study, backend) -> Path:
    return Path(make_study({"students": "\n".join(STUDENTS[:3]) + "\n"}, config={"backend": backend}))


def test_backend_section_points_at_the_database(make_study):
    config = _config_with(make_study, {"engine": "duckdb", "database": "warehouse/study.duckdb"})
    cfg = load_config(config)
    assert cfg.database_path == (config.parent / "warehouse" / "study.duckdb").resolve()
    with pytest.raises(ConfigError, match="no such database"):
        open_tables(config)
    report = load_study_into_duckdb(config)
    assert cfg.database_path.is_file()
    tables = open_tables(config)
    assert list(tables) == ["students"]
    assert _count(tables["students"]) == report.tables["students"].n_valid == 2
    students = config.parent / "data" / "students.csv"
    students.write_text(students.read_text() + "S20,I1,traditional,2020,2024,domestic\n")
    load_study_into_duckdb(config)  # loaded again while the old tables are still open
    assert _count(open_tables(config)["students"]) == 3
    assert _count(tables["students"]) == 2  # the old handle still reads the old file
    assert read_load_report(cfg.database_path).tables["students"].n_read == 3


@pytest.mark.parametrize(
    ("backend", "match"),
    [
        ({"engine": "postgres"}, r"backend\.engine: Input should be 'pandas', 'duckdb' or 'spark'"),
        ({"engine": "duckdb"}, "engine duckdb needs a database file"),
        ({"engine": "spark"}, "engine spark needs a database file"),
        ({"engine": "pandas", "database": "x.duckdb"}, "is only used with engine duckdb or spark"),
        ({"engine": "duckdb", "database": "x.duckdb", "spark": {}}, "a spark section is only used with engine spark"),
        ({"engine": "spark", "database": "x.duckdb", "spark": {"workers": 3}}, r"spark\.workers: Extra inputs"),
        ({"engine": "duckdb", "database": "x.duckdb", "threads": 2}, r"backend\.threads: Extra inputs"),
        ("duckdb", r"backend: Input should be a valid dictionary"),
    ],
    ids=["unknown_engine", "duckdb_without_database", "spark_without_database", "pandas_with_database",
         "spark_section_without_spark", "unknown_spark_key", "unknown_key", "not_a_mapping"],
)
def test_backend_config_errors(make_study, backend, match):
    with pytest.raises(ConfigError, match=match):
        load_config(_config_with(make_study, backend))


def test_no_database_named(make_study, tmp_path):
    config = _config_with(make_study, {"engine": "pandas"})
    assert load_config(config).database_path is None
    with pytest.raises(ConfigError, match="names no DuckDB database"):
        load_study_into_duckdb(config)
    with pytest.raises(ConfigError, match="names no DuckDB database"):
        open_tables(config)
    with pytest.raises(ConfigError, match="no such database"):
        read_load_report(tmp_path / "missing.duckdb")


@pytest.mark.parametrize(
    ("options", "match"),
    [({"chunk_rows": 0}, r"chunk_rows=0; give a whole number"), ({"chunk_rows": 2.5}, "chunk_rows=2.5"),
     ({"memory_limit": "lots"}, "memory_limit='lots' is not a DuckDB memory size"),
     ({"workers": 0}, r"workers=0; give a whole number of processes")],
)
def test_argument_errors(make_study, tmp_path, options, match):
    config = _config_with(make_study, {"engine": "pandas"})
    with pytest.raises(ArgumentError, match=match):
        load_study_into_duckdb(config, tmp_path / "x.duckdb", **options)
    assert not (tmp_path / "x.duckdb").exists()


def test_analysis_memory_limit(clean):
    """open_tables caps DuckDB's memory (its own default is 80% of the machine); a bad size is refused."""
    config, database = clean.config, clean.database
    tables = open_tables(config, database=database, memory_limit="300MB")
    con = tables["students"]._find_backend().con
    assert con.execute("SELECT current_setting('memory_limit')").fetchone()[0] in ("286.1 MiB", "300.0 MB")
    with pytest.raises(ArgumentError, match="memory_limit='lots' is not a DuckDB memory size"):
        open_tables(config, database=database, memory_limit="lots")


def test_worker_processes_write_the_same_database(messy, tmp_path, monkeypatch):
    """Chunks validated in two worker processes (from the first row on here) give the pandas path's results."""
    monkeypatch.setattr("data_schema.warehouse.parallel.PARALLEL_FROM_ROWS", 0)
    database = tmp_path / "parallel.duckdb"
    report = load_study_into_duckdb(messy.config, database, chunk_rows=500, workers=2)
    _same_everything(Loaded(messy.config, messy.study, database, report))
