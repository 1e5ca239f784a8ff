"""Study config and instrument codebook errors: each names the file and the setting at fault."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
import yaml

from data_schema import CodebookError, ConfigError, load_codebook, load_codebooks, load_config, load_study
from data_schema.codebook import BUILTIN_DIR

BASE = {"title": "Demo", "data": {"directory": "data", "students": "students.csv"},
        "privacy": {"key_env": "PROGEVAL_KEY"}, "seed": 1}


def _config(tmp_path, settings: dict | str):
    path = tmp_path / "study.yaml"
    path.write_text(settings if isinstance(settings, str) else yaml.safe_dump(settings), encoding="utf-8")
    return path


def _with(**changes) -> dict:
    settings = copy.deepcopy(BASE)
    for dotted, value in changes.items():
        *parents, last = dotted.split("__")
        target = settings
        for p in parents:
            target = target.setdefault(p, {})
        if value is None:
            target.pop(last, None)
        else:
            target[last] = value
    return settings


def test_valid_config_loads(tmp_path):
    cfg = load_config(_config(tmp_path, BASE))
    assert cfg.table_path("students") == (tmp_path / "data" / "students.csv").resolve()
    assert cfg.tables() == ("students",)
    assert cfg.waves == {0: "entry", 1: "mid-program", 2: "graduation"}
    assert load_config(tmp_path).title == "Demo"  # the folder works too


@pytest.mark.parametrize(
    ("settings", "match"),
    [
        (_with(seeed=1), r"seeed: Extra inputs are not permitted"),
        (_with(privacy__key_envv="X"), r"privacy\.key_envv: Extra inputs are not permitted"),
        (_with(data__students={"path": "s.csv", "sheets": 1}), r"data\.students\.sheets: Extra inputs"),
        (_with(seed="twelve"), r"seed: Input should be a valid integer"),
        (_with(privacy__min_cell_size=0), r"privacy\.min_cell_size: Input should be greater than or equal to 1"),
        (_with(reports={"formats": ["html", "pptx"]}), r"reports\.formats\.1: Input should be 'html', 'pdf' or 'docx'"),
        (_with(privacy=None), r"privacy: Field required"),
        (_with(privacy={"min_cell_size": 5}), r"privacy: Value error, name a key source"),
        (_with(data__students=None), r"data\.students: Field required"),
        (_with(title=None), r"title: Field required"),
        (_with(treatment={"integrated_program": "x", "comparison_program": "x"}),
         r"treatment: Value error, integrated_program and comparison_program are both 'x'"),
        (_with(treatment={"adoption_year": {"I01": 20}}), r"treatment: Value error, adoption_year \{'I01': 20\} is "
                                                          r"not a cohort year"),
        (_with(treatment={"adoption_year": {"I01": "soon"}}), r"treatment\.adoption_year\.I01: Input should be a "
                                                              r"valid integer"),
        (_with(treatment={"adopt_year": {}}), r"treatment\.adopt_year: Extra inputs are not permitted"),
    ],
    ids=["unknown-top", "unknown-privacy", "unknown-table-file", "seed-type", "min-cell", "format",
         "no-privacy", "no-key-source", "no-students", "no-title", "same-programs", "adoption-not-a-year",
         "adoption-text", "treatment-typo"],
)
def test_config_errors_name_the_setting(tmp_path, settings, match):
    path = _config(tmp_path, settings)
    with pytest.raises(ConfigError, match=re.escape(str(path)) + r": invalid study config: .*" + match):
        load_config(path)


@pytest.mark.parametrize(
    ("text", "match"),
    [("title: [unclosed\n", "not a readable YAML file"), ("- a\n- b\n", "must be a YAML mapping"),
     ("root: /etc\n" + yaml.safe_dump(BASE), "'root' is set by progeval")],
    ids=["bad-yaml", "a-list", "root"],
)
def test_config_file_errors(tmp_path, text, match):
    with pytest.raises(ConfigError, match=match):
        load_config(_config(tmp_path, text))


def test_commented_example_config_loads():
    """examples/study.yaml documents every setting; it must stay a valid config."""
    cfg = load_config(Path(__file__).parents[1] / "examples" / "study.yaml")
    assert cfg.tables() == ("students", "survey_responses", "assessments", "employment")
    assert cfg.treatment.adoption_year == {"I01": 2020, "I02": 2021, "I03": None}
    assert "跨境电商" in cfg.title and cfg.backend.engine == "pandas"


def test_missing_config(tmp_path):
    with pytest.raises(ConfigError, match=r"study\.yaml: study config not found"):
        load_study(tmp_path)


def test_table_not_named(tmp_path):
    with pytest.raises(ConfigError, match="names no file for table 'employment'"):
        load_config(_config(tmp_path, BASE)).table_path("employment")


# --- codebooks -------------------------------------------------------------------------------


def _builtin(name: str = "intercultural_competence") -> dict:
    return yaml.safe_load((BUILTIN_DIR / f"{name}.yaml").read_text(encoding="utf-8"))


def _codebook(tmp_path, book: dict | str, name: str = "intercultural_competence"):
    path = tmp_path / f"{name}.yaml"
    path.write_text(book if isinstance(book, str) else yaml.safe_dump(book, allow_unicode=True), encoding="utf-8")
    return path


def test_builtin_codebook_round_trips(tmp_path):
    book = load_codebook(_codebook(tmp_path, _builtin()))
    assert book.scale.min == 1 and book.scale.max == 5
    assert book.item_ids == tuple(item["id"] for item in _builtin()["items"])
    assert book.item_ids[0] == "ic01"


def _broken(change) -> dict:
    book = _builtin()
    change(book)
    return book


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda b: b["items"][0].update(subscale="openness"),
         r"item 'ic01' names subscale 'openness', which is not among the declared subscales"),
        (lambda b: b["items"].append(copy.deepcopy(b["items"][3])), r"item id 'ic04' appears more than once"),
        (lambda b: b["scale"].update(min=5, max=5, labels={}), r"scale min \(5\) must be below max \(5\)"),
        (lambda b: b["scale"].update(min=7, max=1, labels={}), r"scale min \(7\) must be below max \(1\)"),
        (lambda b: b["scale"]["labels"].update({6: {"en": "x", "zh": "x"}}), r"value labels \[6\] lie outside"),
        (lambda b: b["items"][1]["text"].pop("zh"), r"item 'ic02' has no text in \['zh'\]"),
        (lambda b: b.update(scoring={"method": "median"}), r"scoring\.method: Input should be 'mean' or 'sum'"),
        (lambda b: b.update(scoring={"min_answered": 1.5}), r"scoring\.min_answered: Input should be less than"),
        (lambda b: b.update(itemz=[]), r"itemz: Extra inputs are not permitted"),
        (lambda b: b.update(items=[]), r"items: Tuple should have at least 1 item"),
    ],
    ids=["unknown-subscale", "duplicate-item", "min-equals-max", "min-above-max", "label-outside", "missing-text",
         "scoring-method", "min-answered", "unknown-key", "no-items"],
)
def test_codebook_errors_name_the_file_and_field(tmp_path, change, match):
    path = _codebook(tmp_path, _broken(change))
    with pytest.raises(CodebookError, match=re.escape(str(path)) + r": invalid codebook: .*" + match):
        load_codebook(path)


def test_codebook_id_must_match_file_name(tmp_path):
    path = _codebook(tmp_path, _builtin(), name="ic_v2")
    with pytest.raises(CodebookError, match=r"codebook id 'intercultural_competence' must match the file name 'ic_v2'"):
        load_codebook(path)


@pytest.mark.parametrize(("text", "match"), [("id: [x\n", "not a readable YAML file"),
                                             ("- 1\n", "a codebook must be a YAML mapping, got list")])
def test_codebook_file_errors(tmp_path, text, match):
    with pytest.raises(CodebookError, match=match):
        load_codebook(_codebook(tmp_path, text))


def test_missing_codebooks(tmp_path):
    with pytest.raises(CodebookError, match="instrument folder not found"):
        load_codebooks(tmp_path / "instruments")
    with pytest.raises(CodebookError, match=r"no_such\.yaml: codebook file not found"):
        load_codebooks(BUILTIN_DIR, ["no_such"])


def test_study_with_a_broken_codebook_fails_before_reading_data(make_study, tmp_path):
    folder = tmp_path / "instruments"
    folder.mkdir()
    _codebook(folder, _broken(lambda b: b["items"].append(copy.deepcopy(b["items"][0]))))
    config = make_study({"students": "student_id,institution_id,program,cohort,student_origin\n"},
                        config={"instruments": {"directory": str(folder)}})
    with pytest.raises(CodebookError, match="item id 'ic01' appears more than once"):
        load_study(config)
