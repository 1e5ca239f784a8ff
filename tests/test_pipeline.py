"""``progeval run``: the study pipeline end to end — bundle, manifest, documents, reproducibility, safety.

Issue 8's promises checked here on the synthetic study (messy, so the data-quality appendix has
content): the bundle holds the manifest (SHA-256 of every input file, resolved config, versions, seed),
tables as CSV and Parquet and figures as SVG and PNG; a second run gives the same bytes in every file;
no raw student id, phone number or name of the input appears in any output (every file scanned, PDF and DOCX
through their text); ``--out`` refuses another study's results without ``--force``; a failure leaves the
earlier results untouched; an analysis that cannot run is named in the documents with its reason.
"""

from __future__ import annotations

import hashlib
import json
import re
import zipfile
from html import unescape
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml
from typer.testing import CliRunner

from data_schema import generate_study
from data_schema.config import load_config
from data_schema.errors import ConfigError
from reports.bundle import BundleExistsError
from reports.cli import app
from reports.pipeline import run_study

pypdf = pytest.importorskip("pypdf")
runner = CliRunner()
pytestmark = pytest.mark.slow  # two full pipeline runs with rendering


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    return generate_study(tmp_path_factory.mktemp("pipeline_study") / "study", seed=8, messy=True,
                          n_institutions=8, students_per_class=12, classes_per_cohort=1)


@pytest.fixture(scope="module")
def runs(synthetic, tmp_path_factory):
    """The pipeline run twice into one folder (the second time through the CLI); the bytes after each run."""
    out = tmp_path_factory.mktemp("pipeline_out") / "results"
    first = run_study(synthetic.config_path, out, formats=["html", "pdf", "docx"], engine="builtin")
    before = {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
    second = runner.invoke(app, ["run", str(synthetic.config_path), "--out", str(out), "--format", "html,pdf,docx",
                                 "--engine", "builtin"])
    after = {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
    return out, first, second, before, after


def test_bundle_layout(runs):
    out, first, *_ = runs
    names = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert "manifest.json" in names
    tables = {Path(n).stem for n in names if n.startswith("tables/")}
    assert {"profile", "employment", "did_estimates", "data_quality"} <= tables
    for table in tables:
        assert {f"tables/{table}.csv", f"tables/{table}.parquet"} <= names
    figures = {Path(n).stem for n in names if n.startswith("figures/")}
    assert figures and all({f"figures/{f}.svg", f"figures/{f}.png"} <= names for f in figures)
    for kind in ("annual", "brief"):
        assert {f"documents/{kind}.html", f"documents/{kind}.pdf", f"documents/{kind}.docx"} <= names
    assert first.documents["annual_report"]["pdf"] == out / "documents" / "annual.pdf"
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".results")]  # no staging left


def test_manifest_records_inputs_config_versions_seed(runs, synthetic):
    out, first, *_ = runs
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest == first.manifest
    config = load_config(synthetic.config_path)
    for table in config.tables():
        path = config.table_path(table)
        entry = manifest["inputs"][path.relative_to(synthetic.root).as_posix()]
        assert entry["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert "study.yaml" in manifest["inputs"]
    assert not any("key" in name for name in manifest["inputs"])  # the secret key is not recorded
    assert manifest["seed"] == config.seed == 8
    assert manifest["study"]["config"]["privacy"]["min_cell_size"] == config.privacy.min_cell_size
    assert manifest["packages"]["progeval"] == manifest["progeval"]
    assert {"python", "numpy", "pandas", "statsmodels", "typst"} <= set(manifest["packages"])
    for name, digest in {**manifest["outputs"], **manifest["documents"]}.items():
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == digest, name
    assert str(out) not in json.dumps(manifest) and str(synthetic.root) not in json.dumps(manifest)
    # the annual report prints the results digest
    text = "".join(page.extract_text() for page in pypdf.PdfReader(out / "documents" / "annual.pdf").pages)
    assert manifest["results_digest"][:12] in text.replace("\n", "")


def test_tables_csv_and_parquet_agree(runs):
    out, first, *_ = runs
    for name, frame in first.results.tables.items():
        parquet = pq.read_table(out / "tables" / f"{name}.parquet").to_pandas()
        pd.testing.assert_frame_equal(parquet, frame.reset_index(drop=True), check_dtype=False, obj=name)
        csv = pd.read_csv(out / "tables" / f"{name}.csv", encoding="utf-8-sig", keep_default_na=False)
        assert list(csv.columns) == list(frame.columns) and len(csv) == len(frame), name


def test_second_run_gives_the_same_bytes(runs):
    *_, before, after = runs
    assert sorted(before) == sorted(after)
    changed = [name for name in before if before[name] != after[name]]
    assert changed == []


def _text_of(path: Path) -> str:
    if path.suffix == ".pdf":
        return "\n".join(page.extract_text() for page in pypdf.PdfReader(path).pages)
    if path.suffix == ".docx":
        with zipfile.ZipFile(path) as archive:
            return "\n".join(archive.read(n).decode("utf-8", "replace") for n in archive.namelist()
                             if n.endswith(".xml"))
    if path.suffix == ".parquet":
        return pq.read_table(path).to_pandas().to_csv(index=False)
    if path.suffix == ".png":
        return ""  # pixels: the figures are drawn from the tables scanned here
    return path.read_bytes().decode("utf-8", "replace")


def _raw_students(path: Path) -> pd.DataFrame:
    for encoding in ("utf-8-sig", "gb18030"):  # the messy study writes some exports in GB18030
        try:
            raw = pd.read_csv(path, dtype=str, encoding=encoding)
        except UnicodeDecodeError:
            continue
        raw.columns = [c.strip().lower() for c in raw.columns]
        return raw
    raise AssertionError(f"{path}: neither UTF-8 nor GB18030")


def test_no_raw_identifier_in_any_output(runs, synthetic):
    out, *_ = runs
    raw = _raw_students(synthetic.root / "data" / "students.csv")
    numbers = {v.strip() for v in pd.concat([raw["student_id"], raw["phone"]]).dropna() if len(v.strip()) >= 6}
    names = {v.strip() for v in raw["name"].dropna() if len(v.strip()) >= 3}  # two-character names match words
    assert len(numbers) > 500 and len(names) > 100
    secrets = numbers | names
    pattern = re.compile("|".join(sorted(map(re.escape, secrets), key=len, reverse=True)))
    leaks = {}
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        found = pattern.findall(_text_of(path))
        if found:
            leaks[path.relative_to(out).as_posix()] = found[:3]
    assert leaks == {}


def test_documents_state_what_could_not_run(synthetic, tmp_path):
    config = yaml.safe_load(synthetic.config_path.read_text(encoding="utf-8"))
    config["treatment"]["adoption_year"] = dict.fromkeys(config["treatment"]["adoption_year"])  # nobody adopts
    config["title"] = "No adoption"
    (synthetic.root / "never.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    run = run_study(synthetic.root / "never.yaml", tmp_path / "never", formats=["html"], engine="builtin",
                    documents=["annual_report"])
    reasons = {n.analysis: n.reason for n in run.results.not_run}
    assert "did" in reasons and "adoption" in reasons["did"]
    html = (tmp_path / "never" / "documents" / "annual.html").read_text(encoding="utf-8")
    text = " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())
    for reason in reasons.values():
        assert " ".join(reason.split())[:60] in text
    assert run.manifest["not_run"] == [{"analysis": a, "reason": r} for a, r in reasons.items()]


def test_out_never_replaces_another_study_without_force(runs, synthetic, tmp_path):
    out, *_ = runs
    other = yaml.safe_load(synthetic.config_path.read_text(encoding="utf-8"))
    other["title"] = "Another study"
    (synthetic.root / "other.yaml").write_text(yaml.safe_dump(other, allow_unicode=True), encoding="utf-8")
    before = (out / "manifest.json").read_bytes()
    with pytest.raises(BundleExistsError, match="holds the results of another study"):
        run_study(synthetic.root / "other.yaml", out, formats=["html"], engine="builtin")
    assert (out / "manifest.json").read_bytes() == before
    result = runner.invoke(app, ["run", str(synthetic.root / "other.yaml"), "--out", str(out), "--format", "html"])
    assert result.exit_code == 2 and "another study" in " ".join(result.output.split())
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "mine.txt").write_text("keep me")
    with pytest.raises(BundleExistsError, match="holds no progeval results"):
        run_study(synthetic.config_path, tmp_path / "notes", formats=["html"], engine="builtin")
    assert (tmp_path / "notes" / "mine.txt").read_text() == "keep me"


def test_failure_leaves_the_earlier_results(runs, synthetic, monkeypatch):
    out, *_ = runs
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}

    def broken(*args, **kwargs):
        raise RuntimeError("renderer crashed")

    monkeypatch.setattr("reports.pipeline.render", broken)
    with pytest.raises(RuntimeError, match="renderer crashed"):
        run_study(synthetic.config_path, out, formats=["html"], engine="builtin")
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".results")]


def test_cli_run_prints_the_documents(runs, synthetic, tmp_path):
    out, _, second, *_ = runs
    assert second.exit_code == 0, second.output
    flat = " ".join(second.output.split())
    assert f"Results bundle: {out}" in flat and "annual.pdf" in flat and "brief.docx" in flat
    bad = runner.invoke(app, ["run", str(synthetic.config_path), "--out", str(tmp_path / "r"), "--format", "odt"])
    assert bad.exit_code == 2 and "html, pdf, docx" in " ".join(bad.output.split())
    assert not (tmp_path / "r").exists()


def test_engine_backends_are_refused_before_anything_is_read(synthetic, tmp_path):
    config = yaml.safe_load(synthetic.config_path.read_text(encoding="utf-8"))
    config["backend"] = {"engine": "duckdb", "database": "study.duckdb"}
    (synthetic.root / "duck.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError, match="progeval run reads the study into memory, and this config's backend is "
                                          "duckdb"):
        run_study(synthetic.root / "duck.yaml", tmp_path / "r")
    assert not (tmp_path / "r").exists()
