"""Faults of real exports, injected into the clean synthetic tables on disjoint rows.

Each fault touches its own rows (and its own students), so a correct reader
detects every fault exactly once; :func:`inject_faults` returns the expected
counts in the vocabulary of the intake API (rule ids for quarantined rows, fix
ids for repaired values).  Three students are quarantined in the students
table (a missing program, a graduation year before entry and a conflicting
duplicate); every row of theirs in the other tables then fails
``student_quarantined``.

Examples
--------
>>> import pandas as pd
>>> t = pd.DataFrame({"a": ["x", "y"]})
>>> _duplicate_after(t, [0]).to_dict("list")
{'a': ['x', 'x', 'y']}
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from data_schema.synthetic.design import stream

__all__ = ["MessyTables", "inject_faults", "FORMULA_TEXT"]

FORMULA_TEXT = '=HYPERLINK("http://example.invalid","x")'
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉健俊琳雪梅晨宇欣怡子涵浩然思远佳琪诗雨"


@dataclass(frozen=True)
class MessyTables:
    """The faulty export tables and the expected intake outcome.

    Attributes
    ----------
    tables
        Text frames per table, as written (students with extra identifier columns and renamed headers).
    xlsx_text_cells
        Cells of the assessments workbook stored as text that looks like a formula.
    faults
        The manifest written to ``truth.json`` under ``faults``.
    """

    tables: dict[str, pd.DataFrame]
    xlsx_text_cells: dict[tuple[int, str], str]
    faults: dict


def _duplicate_after(frame: pd.DataFrame, positions: list[int]) -> pd.DataFrame:
    order = np.concatenate([np.arange(len(frame)), np.asarray(positions, dtype=float) + 0.5])
    doubled = pd.concat([frame, frame.iloc[positions]], ignore_index=True)
    return doubled.iloc[np.argsort(order, kind="stable")].reset_index(drop=True)


def _pick(rng: np.random.Generator, pool: np.ndarray, k: int, taken: set) -> list[int]:
    free = np.array([p for p in pool if p not in taken], dtype=int)
    chosen = sorted(int(x) for x in rng.choice(free, k, replace=False))
    taken.update(chosen)
    return chosen


def _students(s: pd.DataFrame, bad: list[str], rng: np.random.Generator, fixes: list, quarantine: list) -> pd.DataFrame:
    s = s.copy()
    pos = {sid: i for i, sid in enumerate(s["student_id"])}
    s.loc[pos[bad[0]], "program"] = ""
    quarantine.append({"table": "students", "rule": "missing_required", "rows": 1})
    s.loc[pos[bad[1]], "graduation_year"] = str(int(s.loc[pos[bad[1]], "cohort"]) - 1)
    quarantine.append({"table": "students", "rule": "graduation_after_entry", "rows": 1})
    taken = {pos[b] for b in bad}
    spaced = _pick(rng, np.arange(len(s)), 5, taken)
    s.loc[spaced, "institution_id"] = [
        f" {v}" if i % 2 else f"{v} " for i, v in enumerate(s.loc[spaced, "institution_id"])
    ]
    fixes.append({"table": "students", "column": "institution_id", "fix": "whitespace_trimmed", "count": 5})
    cased = _pick(rng, np.arange(len(s)), 4, taken)
    s.loc[cased, "program"] = s.loc[cased, "program"].str.capitalize()
    fixes.append({"table": "students", "column": "program", "fix": "case_normalised", "count": 4})
    women = _pick(rng, np.flatnonzero((s["gender"] == "female").to_numpy()), 3, taken)
    s.loc[women, "gender"] = "Female"
    fixes.append({"table": "students", "column": "gender", "fix": "case_normalised", "count": 3})
    twin = s.loc[[pos[bad[2]]]].copy()
    twin["entrance_score"] = str(int(twin["entrance_score"].iloc[0]) + 7)
    s = pd.concat([s, twin], ignore_index=True)
    quarantine.append({"table": "students", "rule": "duplicate_key", "rows": 2})
    n = len(s)
    s.insert(
        1, "name", [rng.choice(list(SURNAMES)) + "".join(rng.choice(list(GIVEN), rng.integers(1, 3))) for _ in range(n)]
    )
    s["phone"] = [f"1{rng.choice([3, 5, 8])}{rng.integers(0, 10**9):09d}" for _ in range(n)]
    return s.rename(columns={"student_id": " Student_ID", "program": "Program "})


def _surveys(r: pd.DataFrame, bad: set[str], rng: np.random.Generator, quarantine: list) -> pd.DataFrame:
    r = r.copy()
    ok = ~r["student_id"].isin(bad).to_numpy()
    taken: set = set()
    answered = np.flatnonzero(ok & (r["response"] != "").to_numpy())
    seven = _pick(rng, answered, 3, taken)
    r.loc[seven, "response"] = "7"
    first = np.flatnonzero(ok & ~r.duplicated(["student_id", "instrument", "wave"]).to_numpy())
    unknown = _pick(rng, first, 2, taken)
    r.loc[unknown, "item"] = r.loc[unknown, "item"].str[:2] + "99"
    doubled = _pick(rng, np.flatnonzero(ok), 4, taken)
    r = _duplicate_after(r, doubled)
    quarantine += [
        {"table": "survey_responses", "rule": "response_outside_scale", "rows": 3},
        {"table": "survey_responses", "rule": "unknown_item", "rows": 2},
        {"table": "survey_responses", "rule": "duplicate_row", "rows": 4},
    ]
    return r


def _assessments(
    a: pd.DataFrame, bad: set[str], rng: np.random.Generator, quarantine: list
) -> tuple[pd.DataFrame, dict]:
    a = a.copy()
    ok = ~a["student_id"].isin(bad).to_numpy()
    teacher = np.flatnonzero(ok & (a["rater_role"] == "teacher").to_numpy())
    taken: set = set()
    formula = _pick(rng, teacher, 1, taken)
    no_rater = _pick(rng, teacher, 1, taken)
    a.loc[no_rater, "rater_id"] = ""
    over = _pick(rng, np.flatnonzero(ok), 2, taken)
    a.loc[over, "score"] = [str(int(float(m)) + 5) for m in a.loc[over, "max_score"]]
    quarantine += [
        {"table": "assessments", "rule": "formula_like", "rows": 1},
        {"table": "assessments", "rule": "rater_id_required", "rows": 1},
        {"table": "assessments", "rule": "score_within_max", "rows": 2},
    ]
    return a, {(formula[0], "rater_id"): FORMULA_TEXT}


def _employment(
    e: pd.DataFrame, bad: set[str], rng: np.random.Generator, fixes: list, quarantine: list
) -> pd.DataFrame:
    e = e.copy()
    ok = ~e["student_id"].isin(bad).to_numpy()
    taken: set = set()
    salary = _pick(rng, np.flatnonzero(ok & (e["monthly_salary"] != "").to_numpy()), 1, taken)
    e.loc[salary, "monthly_salary"] = [f"{round(float(v) / 1000)}k" for v in e.loc[salary, "monthly_salary"]]
    slashed = _pick(rng, np.flatnonzero(ok), 3, taken)
    e.loc[slashed, "surveyed_on"] = e.loc[slashed, "surveyed_on"].str.replace("-", "/")
    ambiguous = _pick(rng, np.flatnonzero(ok), 2, taken)
    e.loc[ambiguous, "surveyed_on"] = [f"{v[8:10]}/{v[5:7]}/{v[:4]}" for v in e.loc[ambiguous, "surveyed_on"]]
    sector = _pick(rng, np.flatnonzero(ok & (e["status"] == "employed").to_numpy()), 1, taken)
    e.loc[sector, "sector"] = ""
    orphans = e.loc[_pick(rng, np.flatnonzero(ok), 2, taken)].copy()
    orphans["student_id"] = [f"{v[:4]}99{k + 1:02d}{v[8:]}" for k, v in enumerate(orphans["student_id"])]
    e = pd.concat([e, orphans], ignore_index=True)
    fixes.append({"table": "employment", "column": "surveyed_on", "fix": "date_normalised", "count": 3})
    quarantine += [
        {"table": "employment", "rule": "not_number", "rows": 1},
        {"table": "employment", "rule": "not_date", "rows": 2},
        {"table": "employment", "rule": "sector_when_working", "rows": 1},
        {"table": "employment", "rule": "unknown_student", "rows": 2},
    ]
    return e


def _bad_students(tables: dict[str, pd.DataFrame], rng: np.random.Generator) -> list[str]:
    s = tables["students"]
    present = set.intersection(
        *(set(tables[t]["student_id"]) for t in ("survey_responses", "assessments", "employment"))
    )
    pool = np.array(sorted(sid for sid in s["student_id"] if sid in present), dtype=object)
    return [str(x) for x in rng.choice(pool, 3, replace=False)]


def inject_faults(tables: dict[str, pd.DataFrame], *, seed: int) -> MessyTables:
    """Inject the export faults into clean text tables and return the expected intake counts.

    Parameters
    ----------
    tables
        Clean text frames (:func:`~data_schema.synthetic.writer.as_text`) of the four tables.
    seed
        Seed of the study.

    Returns
    -------
    MessyTables
    """
    rng = stream(seed, 5)
    bad = _bad_students(tables, rng)
    fixes: list[dict] = []
    quarantine: list[dict] = []
    out = {"students": _students(tables["students"], bad, rng, fixes, quarantine)}
    out["survey_responses"] = _surveys(tables["survey_responses"], set(bad), rng, quarantine)
    out["assessments"], cells = _assessments(tables["assessments"], set(bad), rng, quarantine)
    out["employment"] = _employment(tables["employment"], set(bad), rng, fixes, quarantine)
    for table in ("survey_responses", "assessments", "employment"):
        rows = int(tables[table]["student_id"].isin(bad).sum())
        quarantine.append({"table": table, "rule": "student_quarantined", "rows": rows})
    read = {t: len(f) for t, f in out.items()}
    lost = {t: sum(q["rows"] for q in quarantine if q["table"] == t) for t in out}
    faults = {
        "quarantine": quarantine,
        "fixes": fixes,
        "encoding": {
            "students": "gb18030",
            "survey_responses": "utf-8-sig",
            "assessments": None,
            "employment": "utf-8",
        },
        "formats": {"students": "csv", "survey_responses": "csv", "assessments": "xlsx", "employment": "csv"},
        "dropped_columns": {"students": ["name", "phone"]},
        "header_variants": {"students": {" Student_ID": "student_id", "Program ": "program"}},
        "quarantined_students": sorted(bad),
        "read": read,
        "valid": {t: read[t] - lost[t] for t in out},
    }
    return MessyTables(out, cells, faults)
