"""The synthetic-study generator: determinism, config, design facts, clean contract, messy manifest, truth."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from data_schema.codebook import load_codebooks
from data_schema.config import load_config
from data_schema.errors import ConfigError
from data_schema.synthetic import generate_study

SMALL = {"n_institutions": 6, "students_per_class": 6, "classes_per_cohort": 1}
TABLES = ("students", "survey_responses", "assessments", "employment")
ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _read(path: Path, encoding: str = "utf-8") -> pd.DataFrame:
    if path.suffix == ".xlsx":
        return pd.read_excel(path, dtype=object, engine="openpyxl").fillna("").astype(str)
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding=encoding)


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    return generate_study(tmp_path_factory.mktemp("clean"))


@pytest.fixture(scope="module")
def clean_tables(clean):
    return {t: _read(clean.table_path(t)) for t in TABLES}


@pytest.fixture(scope="module")
def messy(tmp_path_factory):
    return generate_study(tmp_path_factory.mktemp("messy"), messy=True, **SMALL)


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("messy_flag", [False, True])
def test_same_arguments_write_byte_identical_files(tmp_path, messy_flag):
    a = generate_study(tmp_path / "a", messy=messy_flag, **SMALL)
    b = generate_study(tmp_path / "b", messy=messy_flag, **SMALL)
    files_a, files_b = _files(a.root), _files(b.root)
    assert set(files_a) == set(files_b) and len(files_a) == 6 + 4 + 3
    assert all(files_a[k] == files_b[k] for k in files_a)
    assert a.truth == b.truth


def test_another_seed_draws_other_data(tmp_path):
    a = generate_study(tmp_path / "a", **SMALL)
    b = generate_study(tmp_path / "b", seed=7, **SMALL)
    assert a.survey_responses_path.read_bytes() != b.survey_responses_path.read_bytes()
    assert (a.root / "pseudonym.key").read_text() != (b.root / "pseudonym.key").read_text()


@pytest.mark.parametrize("bad", [{"n_institutions": 2}, {"students_per_class": 0}, {"first_cohort": 2024},
                                 {"n_cohorts": 2.5}])
def test_sizes_out_of_range_raise(tmp_path, bad):
    with pytest.raises(ConfigError, match="must be an integer|enters after"):
        generate_study(tmp_path, **bad)


def test_config_loads_and_names_the_files(clean):
    cfg = load_config(clean.config_path)
    assert cfg.seed == 20261122 and cfg.currency == "CNY"
    assert cfg.privacy.key_file == "pseudonym.key"
    assert cfg.waves == {0: "entry", 1: "mid-program", 2: "graduation", 3: "employer follow-up"}
    for table in TABLES:
        assert cfg.table_path(table) == clean.table_path(table).resolve()
    assert cfg.treatment.adoption_year == clean.truth["design"]["adoption_year"]
    key = (clean.root / cfg.privacy.key_file).read_text().strip()
    assert re.fullmatch(r"[0-9a-f]{64}", key)
    assert cfg.data_dir not in (clean.root / cfg.privacy.key_file).resolve().parents


def test_instrument_copies_load(clean):
    books = load_codebooks(clean.root / "instruments")
    assert len(books) == 6


def test_design_facts(clean, clean_tables):
    s = clean_tables["students"]
    design = clean.truth["design"]
    assert 6 <= s["institution_id"].nunique() == design["n_institutions"] <= 12
    assert set(s["cohort"].astype(int)) == set(range(2016, 2024))
    adoption = design["adoption_year"]
    never = [k for k, v in adoption.items() if v is None]
    assert 2 <= len(never) <= 3
    assert len({v for v in adoption.values() if v is not None}) >= 2
    g = s["institution_id"].map(adoption)
    expected = np.where(g.notna() & (s["cohort"].astype(int) >= g.fillna(9999)), "integrated", "traditional")
    assert (s["program"] == expected).all()
    assert s["student_id"].is_unique
    assert (s["student_id"].str[:4] == s["cohort"]).all()
    cells = s.groupby(["institution_id", "class_id"]).agg(cohorts=("cohort", "nunique"), n=("student_id", "size"))
    assert (cells["cohorts"] == 1).all() and (cells["n"] == 30).all()
    intl = s["student_origin"] == "international"
    assert 0.25 < intl.mean() < 0.45
    assert s.loc[intl, "prior_hsk_level"].astype(int).between(1, 4).all()
    assert (s.loc[~intl, "prior_hsk_level"] == "0").all() and (s.loc[~intl, "nationality"] == "cn").all()
    grad = s["graduation_year"].replace("", np.nan).astype(float)
    lag = grad - s["cohort"].astype(int)
    assert set(lag.dropna()) == {4.0, 5.0}
    assert grad.max() <= 2026 and grad.isna().any()


def test_clean_students_keep_the_contract(clean_tables):
    s = clean_tables["students"]
    for col in ("student_id", "institution_id", "program", "cohort", "student_origin"):
        assert (s[col] != "").all()
    assert s["program"].isin(["integrated", "traditional"]).all()
    assert s["gender"].isin(["female", "male", "other", "unknown"]).all()
    assert s["birth_year"].astype(int).between(1950, 2015).all()
    assert (s["entrance_score"].astype(float) >= 0).all()
    assert s["nationality"].str.fullmatch(r"[a-z]{2}").all()


def test_clean_surveys_keep_the_contract(clean, clean_tables):
    r = clean_tables["survey_responses"]
    books = load_codebooks(clean.root / "instruments")
    assert r["student_id"].isin(clean_tables["students"]["student_id"]).all()
    assert r["instrument"].isin(list(books)).all()
    for book_id, rows in r.groupby("instrument"):
        assert rows["item"].isin(books[book_id].item_ids).all()
    answered = r.loc[r["response"] != "", "response"].astype(int)
    assert answered.between(1, 5).all() and (r["response"] == "").mean() < 0.06
    assert not r.duplicated(["student_id", "instrument", "wave", "item"]).any()
    assert set(r["wave"].astype(int)) == {0, 1, 2, 3}
    assert set(r.loc[r["wave"] == "3", "instrument"]) == {"employer_feedback"}
    assert set(r.loc[r["instrument"] == "programme_satisfaction", "wave"]) == {"2"}
    assert r["response_date"].str.fullmatch(ISO.pattern).all()


def test_clean_assessments_keep_the_contract(clean_tables):
    a = clean_tables["assessments"]
    assert a["rater_role"].isin(["teacher", "enterprise_mentor", "peer", "self", "external_exam"]).all()
    score, top = a["score"].astype(float), a["max_score"].astype(float)
    assert ((score >= 0) & (score <= top) & (top > 0)).all()
    named = a["rater_role"].isin(["teacher", "enterprise_mentor", "peer"])
    assert (a.loc[named, "rater_id"] != "").all()
    assert not a["rater_id"].str.match(r"[=@+\-\t\r]").any()
    hsk = a[a["assessment"] == "hsk"]
    assert hsk["level"].astype(int).between(1, 9).all() and (hsk["max_score"] == "300").all()
    assert set(a.loc[a["assessment"] == "cbec_certificate", "passed"]) == {"true", "false"}
    cap = a[a["assessment"] == "capstone_portfolio"]
    assert set(cap["rater_role"]) == {"teacher", "enterprise_mentor", "peer", "self"}
    assert set(a["assessment"]) == {"capstone_portfolio", "module_exam", "internship", "hsk", "cbec_certificate"}
    assert a["assessed_on"].str.fullmatch(ISO.pattern).all()
    intl = clean_tables["students"].set_index("student_id")["student_origin"]
    assert (hsk["student_id"].map(intl) == "international").all()


def test_clean_employment_keeps_the_contract(clean_tables):
    e = clean_tables["employment"]
    assert e["student_id"].isin(clean_tables["students"]["student_id"]).all()
    assert not e.duplicated(["student_id", "months_after_graduation"]).any()
    assert set(e["months_after_graduation"].astype(int)) == {6, 12, 36}
    assert e["status"].isin(["employed", "self_employed", "further_study", "seeking", "not_seeking"]).all()
    working = e["status"].isin(["employed", "self_employed"])
    assert e.loc[working, "sector"].isin(["cbec", "cultural_exchange", "other"]).all()
    assert (e.loc[~working, "sector"] == "").all()
    salary = e.loc[e["monthly_salary"] != "", "monthly_salary"].astype(float)
    assert (salary > 0).all() and 3000 < salary.median() < 12000
    sat = e.loc[e["employer_satisfaction"] != "", "employer_satisfaction"].astype(int)
    assert sat.between(1, 5).all()
    assert e["surveyed_on"].str.fullmatch(ISO.pattern).all()
    assert e.loc[e["employer_country"] != "", "employer_country"].str.fullmatch(r"[a-z]{2}").all()


def test_clean_text_has_no_stray_whitespace(clean_tables):
    for table, frame in clean_tables.items():
        for col in frame.columns:
            assert (frame[col] == frame[col].str.strip()).all(), (table, col)


def test_clean_study_records_no_faults(clean):
    faults = clean.truth["faults"]
    assert faults["quarantine"] == [] and faults["fixes"] == []
    assert faults["read"] == faults["valid"] == clean.truth["counts"]


def test_truth_has_every_effect(clean):
    t = clean.truth
    assert set(t) == {"design", "variance_components", "competencies", "items", "surveys",
                      "programme_satisfaction", "assessments", "employment", "counts", "faults"}
    assert abs(sum(v for k, v in t["variance_components"].items() if k != "student_shared_ability_share") - 1) < 1e-12
    ic = t["competencies"]["instruments"]["intercultural_competence"]
    cells = ic["att_wave2_by_group_cohort"]
    assert {c["adoption_year"] for c in cells} <= {g for g in t["design"]["adoption_year"].values() if g}
    assert len({round(c["att_latent"], 9) for c in cells}) > 3
    n = sum(c["n_students"] for c in cells)
    assert n == ic["att_wave2_overall"]["n_students"]
    overall = sum(c["att_latent"] * c["n_students"] for c in cells) / n
    assert overall == pytest.approx(ic["att_wave2_overall"]["att_latent"])
    assert t["assessments"]["capstone_portfolio"]["leniency_offsets"] == {
        "teacher": 0.0, "enterprise_mentor": -3.0, "peer": 4.0, "self": 8.0}
    rates = pd.DataFrame(t["employment"]["rates"])
    assert (rates["response_rate"] < 1).all()
    assert (rates["working_rate_respondents"] != rates["working_rate_graduates"]).any()


def test_counts_match_the_files(clean, clean_tables):
    assert {t: len(f) for t, f in clean_tables.items()} == clean.truth["counts"]


def test_messy_manifest_is_consistent(messy):
    faults = messy.truth["faults"]
    for table in TABLES:
        lost = sum(q["rows"] for q in faults["quarantine"] if q["table"] == table)
        assert faults["read"][table] == faults["valid"][table] + lost
    rules = {(q["table"], q["rule"]) for q in faults["quarantine"]}
    assert len(rules) == len(faults["quarantine"])
    assert all(q["rows"] > 0 for q in faults["quarantine"])
    assert {r for _, r in rules} >= {"missing_required", "graduation_after_entry", "duplicate_key", "duplicate_row",
                                     "response_outside_scale", "unknown_item", "formula_like", "score_within_max",
                                     "rater_id_required", "unknown_student", "not_number", "not_date",
                                     "sector_when_working", "student_quarantined"}
    fixes = {(f["table"], f["column"], f["fix"]) for f in faults["fixes"]}
    assert ("employment", "surveyed_on", "date_normalised") in fixes
    assert ("students", "program", "case_normalised") in fixes


def test_messy_files_hold_the_faults(messy):
    faults = messy.truth["faults"]
    raw = messy.students_path.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    s = _read(messy.students_path, "gb18030")
    assert {" Student_ID", "Program ", "name", "phone"} <= set(s.columns)
    assert s["class_id"].str.contains("级").all()
    assert messy.survey_responses_path.read_bytes().startswith(b"\xef\xbb\xbf")
    r = _read(messy.survey_responses_path, "utf-8-sig")
    assert (r["response"] == "7").sum() == 3 and r.duplicated().sum() == 4
    assert messy.assessments_path.suffix == ".xlsx" and zipfile.is_zipfile(messy.assessments_path)
    a = _read(messy.assessments_path)
    assert a["rater_id"].str.startswith("=HYPERLINK").sum() == 1
    e = _read(messy.employment_path)
    assert e["surveyed_on"].str.fullmatch(r"\d{4}/\d\d/\d\d").sum() == 3
    assert e["surveyed_on"].str.fullmatch(r"\d\d/\d\d/\d{4}").sum() == 2
    assert e["monthly_salary"].str.endswith("k").sum() == 1
    read = {"students": len(s), "survey_responses": len(r), "assessments": len(a), "employment": len(e)}
    assert read == faults["read"]
    bad = set(faults["quarantined_students"])
    counts = {q["table"]: q["rows"] for q in faults["quarantine"] if q["rule"] == "student_quarantined"}
    assert counts == {"survey_responses": int(r["student_id"].isin(bad).sum()),
                      "assessments": int(a["student_id"].isin(bad).sum()),
                      "employment": int(e["student_id"].isin(bad).sum())}
    orphans = ~e["student_id"].isin(s[" Student_ID"])
    assert orphans.sum() == 2


# --- recovery of the built-in effects from a large draw -------------------------------------------


def _ols(y: np.ndarray, x: np.ndarray, clusters: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """OLS by lstsq with cluster-robust (CR1) standard errors."""
    beta, *_ = np.linalg.lstsq(x, y, rcond=None)
    resid = y - x @ beta
    bread = np.linalg.pinv(x.T @ x)
    _, idx = np.unique(clusters, return_inverse=True)
    scores = np.zeros((idx.max() + 1, x.shape[1]))
    np.add.at(scores, idx, x * resid[:, None])
    g, n, k = idx.max() + 1, len(y), np.linalg.matrix_rank(x)
    cov = bread @ (scores.T @ scores) @ bread * g / (g - 1) * (n - 1) / (n - k)
    return beta, np.sqrt(np.diag(cov))


@pytest.fixture(scope="module")
def large(tmp_path_factory):
    study = generate_study(tmp_path_factory.mktemp("large"), students_per_class=150)
    return study, {t: _read(study.table_path(t)) for t in TABLES}


@pytest.mark.slow
@pytest.mark.parametrize("instrument", ["intercultural_competence", "digital_commerce_skills"])
def test_large_draw_recovers_the_competency_att(large, instrument):
    """2 x 2-style DiD: the earliest adoption group vs the never adopters, institution and cohort FE.

    With one adoption year and never-treated controls the TWFE coefficient estimates the
    observation-weighted mean of that group's ATT(g, t) over its post-adoption cohorts.
    """
    study, tables = large
    truth = study.truth
    book = load_codebooks(study.root / "instruments", [instrument])[instrument]
    r = tables["survey_responses"]
    r = r[(r["instrument"] == instrument) & (r["wave"] == "2") & (r["response"] != "")].copy()
    value = r["response"].astype(int)
    r["value"] = np.where(r["item"].isin(book.reverse_items), 6 - value, value)
    per = r.groupby("student_id")["value"].agg(["mean", "size"])
    per = per[per["size"] >= 0.8 * len(book.items)]
    s = tables["students"].set_index("student_id").join(per, how="inner")
    adoption = truth["design"]["adoption_year"]
    g = min(v for v in adoption.values() if v is not None)
    keep = [k for k, v in adoption.items() if v in (g, None)]
    s = s[s["institution_id"].isin(keep)]
    d = (s["program"] == "integrated").to_numpy(dtype=float)
    x = np.column_stack([d, pd.get_dummies(s["institution_id"], dtype=float).to_numpy(),
                         pd.get_dummies(s["cohort"], drop_first=True, dtype=float).to_numpy()])
    clusters = (s["institution_id"] + "/" + s["class_id"]).to_numpy()
    beta, se = _ols(s["mean"].to_numpy(), x, clusters)
    cells = {c["cohort"]: c["att_scale_score"] for c in
             truth["competencies"]["instruments"][instrument]["att_wave2_by_group_cohort"] if c["adoption_year"] == g}
    treated = s[d == 1]
    target = float(np.mean([cells[int(c)] for c in treated["cohort"]]))
    assert target > 0.1
    assert abs(beta[0] - target) < 4 * se[0], (beta[0], target, se[0])


@pytest.mark.slow
def test_large_draw_recovers_rater_leniency(large):
    """Mean within-portfolio differences between roles; SEs clustered on the portfolio's teacher."""
    study, tables = large
    offsets = study.truth["assessments"]["capstone_portfolio"]["leniency_offsets"]
    a = tables["assessments"]
    cap = a[a["assessment"] == "capstone_portfolio"]
    wide = cap.pivot(index="student_id", columns="rater_role", values="score").astype(float)
    teacher = cap[cap["rater_role"] == "teacher"].set_index("student_id")["rater_id"].reindex(wide.index)
    for role in ("self", "peer"):
        diff = (wide[role] - wide["teacher"]).to_numpy()
        beta, se = _ols(diff, np.ones((len(diff), 1)), teacher.to_numpy())
        assert abs(beta[0] - (offsets[role] - offsets["teacher"])) < 4 * se[0], role
    diff = (wide["self"] - wide["peer"]).to_numpy()
    assert abs(diff.mean() - (offsets["self"] - offsets["peer"])) < 4 * diff.std(ddof=1) / np.sqrt(len(diff))


@pytest.mark.slow
def test_large_draw_recovers_the_cbec_sector_effect(large):
    """Sector depends on the program only, so shares among working respondents are unbiased."""
    study, tables = large
    probs = study.truth["employment"]["sector_model"]["probabilities_given_working"]
    e = tables["employment"]
    program = tables["students"].set_index("student_id")["program"]
    work = e[e["status"].isin(["employed", "self_employed"])].assign(program=lambda f: f["student_id"].map(program))
    share = work.groupby("program")["sector"].apply(lambda x: (x == "cbec").mean())
    n = work["program"].value_counts()
    diff = share["integrated"] - share["traditional"]
    target = probs["integrated"]["cbec"] - probs["traditional"]["cbec"]
    se = np.sqrt(sum(share[p] * (1 - share[p]) / n[p] for p in ("integrated", "traditional")))
    assert target > 0.15
    assert abs(diff - target) < 4 * se
