"""The progeval command line: exit codes, messages, written files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from data_schema.synthetic import generate_study
from reports.cli import app

runner = CliRunner()
SMALL = {"n_institutions": 6, "students_per_class": 10, "classes_per_cohort": 1, "n_cohorts": 6,
         "first_cohort": 2017}


@pytest.fixture(scope="module")
def clean_study(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_study(tmp_path_factory.mktemp("clean"), seed=5, **SMALL).config_path


@pytest.fixture(scope="module")
def messy_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_study(tmp_path_factory.mktemp("messy"), seed=5, messy=True, **SMALL).root


@pytest.fixture
def messy_study(messy_source: Path, tmp_path: Path) -> Path:
    target = tmp_path / "study"
    shutil.copytree(messy_source, target)
    return target / "study.yaml"


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.startswith("progeval 0.")


def test_clean_study_validates_with_exit_0_and_an_empty_failure_table(clean_study: Path) -> None:
    result = runner.invoke(app, ["validate", str(clean_study), "--strict"])
    assert result.exit_code == 0, result.output
    assert "No row broke a rule." in result.output
    failures = pd.read_csv(clean_study.parent / "validation" / "failures.csv")
    assert list(failures.columns) == ["file", "table", "row", "column", "value", "rule", "message"]
    assert failures.empty


def test_messy_study_exit_code_depends_on_strict(messy_study: Path) -> None:
    relaxed = runner.invoke(app, ["validate", str(messy_study)])
    assert relaxed.exit_code == 0, relaxed.output
    strict = runner.invoke(app, ["validate", str(messy_study), "--strict"])
    assert strict.exit_code == 1
    assert "response_outside_scale" in strict.output


def test_failure_csv_neutralises_formulas_and_holds_no_raw_ids(messy_study: Path, tmp_path: Path) -> None:
    target = tmp_path / "out" / "failures.csv"
    result = runner.invoke(app, ["validate", str(messy_study), "--failures", str(target)])
    assert result.exit_code == 0, result.output
    text = target.read_text(encoding="utf-8")
    assert "'=HYPERLINK(" in text
    assert ",=HYPERLINK(" not in text
    raw_ids = pd.read_csv(messy_study.parent / "data" / "employment.csv", dtype=str)["student_id"].str.strip()
    leaked = [i for i in raw_ids.dropna().unique() if i in text]
    assert leaked == []
    assert (tmp_path / "out" / "quarantined_students.csv").exists()


def test_missing_config_is_one_message_and_exit_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", str(tmp_path / "nowhere.yaml")])
    assert result.exit_code == 2
    assert "study config not found" in result.output
    assert "Traceback" not in result.output


def test_missing_key_is_exit_2_and_writes_nothing(messy_study: Path) -> None:
    (messy_study.parent / "pseudonym.key").unlink()
    result = runner.invoke(app, ["validate", str(messy_study)])
    assert result.exit_code == 2
    assert "key file" in result.output
    assert "not found" in result.output
    assert not (messy_study.parent / "validation").exists()


def test_unusable_table_is_exit_2_naming_the_file(messy_study: Path) -> None:
    (messy_study.parent / "data" / "employment.csv").write_bytes(b"")
    result = runner.invoke(app, ["validate", str(messy_study)])
    assert result.exit_code == 2
    assert "employment.csv: the file is empty" in " ".join(result.output.split())
    assert not (messy_study.parent / "validation").exists()


def test_debug_shows_the_exception(tmp_path: Path) -> None:
    result = runner.invoke(app, ["--debug", "validate", str(tmp_path / "nowhere.yaml")])
    assert result.exit_code != 0
    assert type(result.exception).__name__ == "ConfigError"


def test_synth_writes_a_study(tmp_path: Path) -> None:
    result = runner.invoke(app, ["synth", str(tmp_path / "s"), "--institutions", "6", "--students-per-class", "8"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "s" / "study.yaml").exists()
    assert "students:" in result.output


def test_synth_rejects_impossible_sizes(tmp_path: Path) -> None:
    result = runner.invoke(app, ["synth", str(tmp_path / "s"), "--institutions", "2"])
    assert result.exit_code == 2
    assert "Traceback" not in result.output


@pytest.mark.slow
def test_demo_finds_every_injected_fault_and_renders_the_reports(tmp_path: Path) -> None:
    result = runner.invoke(app, ["demo", "--dir", str(tmp_path / "demo"), "--engine", "builtin"])
    assert result.exit_code == 0, result.output
    flat = " ".join(result.output.split())
    assert "every fault found with its exact count: yes" in flat
    assert (tmp_path / "demo" / "study" / "validation" / "failures.csv").exists()
    documents = tmp_path / "demo" / "results" / "documents"
    for name in ("annual", "brief"):
        for fmt in ("html", "pdf", "docx"):
            assert str(documents / f"{name}.{fmt}") in flat
            assert (documents / f"{name}.{fmt}").stat().st_size > 10_000
