"""read_table: rules, reports and the nothing-lost guarantee (every data line is valid or quarantined, once)."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from data_schema import InputFileError, PseudonymKeyError, TableRead, read_table

pytestmark = pytest.mark.filterwarnings("ignore::data_schema.DataQualityWarning")

EMPLOYMENT = "student_id,months_after_graduation,status,sector,monthly_salary,surveyed_on"


def _read(write_file, table: str, text: str, key: bytes) -> TableRead:
    return read_table(write_file(f"{table}.csv", text), table, key=key)


def _rules(report) -> list[list]:
    return report.failures[["row", "column", "rule"]].values.tolist()


# --- the API shape ---------------------------------------------------------------------------


def test_table_read_unpacks_and_is_indexed_by_file_rows(write_file, key):
    result = _read(write_file, "employment", f"{EMPLOYMENT}\nS1,6,seeking,,,\nS2,x,seeking,,,\n", key)
    valid, quarantined, report = result
    assert result.valid is valid and result.report is report
    assert valid.index.name == "row" and quarantined.index.name == "row"
    assert quarantined.columns[-1] == "quarantine_rules"
    assert (report.n_read, report.n_valid, report.n_quarantined, report.reconciles) == (2, 1, 1, True)
    assert report.failures.columns.tolist() == ["file", "table", "row", "column", "value", "rule", "message"]


def test_key_is_required_and_checked(write_file):
    path = write_file("employment.csv", f"{EMPLOYMENT}\nS1,6,seeking,,,\n")
    with pytest.raises(TypeError, match="key"):
        read_table(path, "employment")  # type: ignore[call-arg]
    with pytest.raises(PseudonymKeyError, match="at least 16 bytes"):
        read_table(path, "employment", key=b"short")


def test_report_dict_is_json_and_summary_reads(write_file, key):
    _, _, report = _read(write_file, "employment",
                         f"{EMPLOYMENT}\nS1,6,Seeking,,,2024/01/02\nS2,x,seeking,,,\n\nS3,6,seeking,,,\n", key)
    record = json.loads(json.dumps(report.to_dict()))
    assert record["failures_by_rule"] == {"not_integer": 1}
    assert record["fixes"] == [
        {"table": "employment", "column": "status", "fix": "case_normalised", "count": 1},
        {"table": "employment", "column": "surveyed_on", "fix": "date_normalised", "count": 1},
    ]
    assert record["blank_rows"] == 1 and record["reconciles"] is True
    summary = report.summary()
    assert "3 rows read = 2 valid + 1 quarantined" in summary
    assert "quarantined: not_integer: 1 rows" in summary


# --- single-table rules ----------------------------------------------------------------------


def test_range_allowed_values_and_pattern(write_file, key):
    text = (
        "student_id,months_after_graduation,status,sector,employer_country,employer_satisfaction\n"
        "S1,130,seeking,,cn,\n"
        "S2,6,retired,,cn,\n"
        "S3,6,employed,cbec,CHN,\n"
        "S4,6,employed,cbec,cn,6\n"
        "S5,-1,seeking,,,\n"
    )
    _, quarantined, report = _read(write_file, "employment", text, key)
    failures = report.failures.set_index("row")
    assert _rules(report) == [
        [2, "months_after_graduation", "range"],
        [3, "status", "allowed_values"],
        [4, "employer_country", "pattern"],
        [5, "employer_satisfaction", "range"],
        [6, "months_after_graduation", "range"],
    ]
    assert failures.loc[2, "message"] == "must be <= 120"
    assert failures.loc[6, "message"] == "must be >= 0"
    assert failures.loc[3, "message"].startswith("must be one of: employed, self_employed, further_study")
    assert failures.loc[4, "value"] == "chn"  # lower-cased code, as checked
    assert quarantined.loc[4, "employer_country"] == "CHN"  # the value as read


def test_missing_required_value(write_file, key):
    _, _, report = _read(write_file, "employment", f"{EMPLOYMENT}\n,6,seeking,,,\nS2,,seeking,,,\n", key)
    assert _rules(report) == [[2, "student_id", "missing_required"],
                              [3, "months_after_graduation", "missing_required"]]


def test_a_cell_that_failed_coercion_is_not_reported_twice(write_file, key):
    _, quarantined, report = _read(write_file, "employment", f"{EMPLOYMENT}\nS1,six,seeking,,,15/03/2024\n", key)
    assert _rules(report) == [[2, "months_after_graduation", "not_integer"], [2, "surveyed_on", "not_date"]]
    assert quarantined.loc[2, "quarantine_rules"] == "not_date;not_integer"
    counts = report.failure_counts()
    assert counts.values.tolist() == [["employment", "not_date", 1], ["employment", "not_integer", 1]]


@pytest.mark.parametrize(
    ("table", "text", "expected"),
    [
        ("students",
         "student_id,institution_id,program,cohort,graduation_year,student_origin\n"
         "S1,I01,integrated,2020,2019,domestic\nS2,I01,integrated,2020,2024,domestic\n",
         [[2, "graduation_year", "graduation_after_entry"]]),
        ("assessments",
         "student_id,assessment,rater_id,rater_role,score,max_score\n"
         "S1,module_exam,T1,teacher,105,100\nS1,internship,,enterprise_mentor,80,100\nS1,hsk,,external_exam,200,300\n",
         [[2, "score", "score_within_max"], [3, "rater_id", "rater_id_required"]]),
        ("employment",
         "student_id,months_after_graduation,status\nS1,6,employed\nS2,6,self_employed\nS3,6,seeking\n",
         [[2, "sector", "sector_when_working"], [3, "sector", "sector_when_working"]]),
    ],
    ids=["graduation_after_entry", "score_and_rater", "sector_when_working_without_column"],
)
def test_row_rules(write_file, key, table, text, expected):
    _, _, report = _read(write_file, table, text, key)
    assert _rules(report) == expected


def test_survey_duplicate_key_never_shows_the_raw_id(write_file, key, pseudonym):
    text = ("student_id,instrument,wave,item,response\n"
            "2019011203,intercultural_competence,0,ic01,4\n"
            "2019011203,intercultural_competence,0,ic01,5\n")
    _, quarantined, report = _read(write_file, "survey_responses", text, key)
    assert _rules(report) == [[2, "student_id", "duplicate_key"], [3, "student_id", "duplicate_key"]]
    assert report.failures["value"].str.contains(pseudonym("2019011203")).all()
    for frame in (quarantined, report.failures):
        assert "2019011203" not in frame.astype("str").to_string()


# --- nothing lost ----------------------------------------------------------------------------

GOOD = {
    "good": "S{n},6,seeking,,,2024-01-01",
    "good_employed": "S{n},12,employed,cbec,8000,2024/01/02",
    "good_spaced": " S{n} ,36,Further_Study,, ,",
}
BAD = {
    "not_integer": "S{n},x{n},seeking,,,",
    "allowed_values": "S{n},6,retired,,,",
    "sector_when_working": "S{n},6,employed,,,",
    "not_date": "S{n},6,seeking,,,15/03/2024",
    "not_number": "S{n},6,seeking,,8k,",
    "formula_like": "S{n},6,seeking,=HYPERLINK(\"\"x\"\"),,",
    "field_count": "S{n},6,seeking",
    "quoted_newline": 'S{n},6,seeking,"cb\nec",,',
    "missing_required": ",6,seeking,,,",
}
KINDS = [*GOOD, *BAD, "blank", "copy", "clash"]


@settings(max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plan=st.lists(st.tuples(st.sampled_from(KINDS), st.integers(0, 1000)), min_size=1, max_size=30))
def test_every_data_line_is_valid_or_quarantined_exactly_once(tmp_path, key, plan):
    lines = [EMPLOYMENT]
    records: list[tuple[int, str, str]] = []  # (first line, kind, text)
    for n, (kind, pick) in enumerate(plan):
        good_before = [r for r in records if r[1] in GOOD]
        if kind in ("copy", "clash") and not good_before:
            kind = "good"
        if kind == "blank":
            lines.append("")
            continue
        if kind == "copy":
            text = good_before[pick % len(good_before)][2]
        elif kind == "clash":
            original = good_before[pick % len(good_before)][2]
            fields = original.split(",")
            text = ",".join([fields[0], fields[1], "not_seeking", "", "", "2025-05-05"])
        else:
            text = {**GOOD, **BAD}[kind].format(n=n)
        records.append((len(lines) + 1, kind, text))
        lines.extend(text.split("\n"))
    path = tmp_path / "employment.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    if not records:
        with pytest.raises(InputFileError, match="header row but no data rows"):
            read_table(path, "employment", key=key)
        return
    valid, quarantined, report = read_table(path, "employment", key=key)

    starts = {r[0] for r in records}
    assert report.n_read == len(records) == len(valid) + len(quarantined)
    assert report.reconciles and report.n_valid == len(valid) and report.n_quarantined == len(quarantined)
    assert set(valid.index).isdisjoint(quarantined.index)
    assert set(valid.index) | set(quarantined.index) == starts
    assert set(report.failures["row"]) == set(quarantined.index)

    # which rows must be quarantined: the bad kinds, later exact copies, every row of a clashing key
    seen: dict[str, int] = {}
    key_groups: dict[str, set[str]] = {}
    expected_bad = set()
    for start, kind, text in records:
        if kind in BAD:
            expected_bad.add(start)
            continue
        if text in seen:
            expected_bad.add(start)
        seen.setdefault(text, start)
        fields = text.split(",")
        key_groups.setdefault(f"{fields[0].strip()}|{fields[1]}", set()).add(text)
    for start, kind, text in records:
        fields = text.split(",")
        if kind not in BAD and len(key_groups[f"{fields[0].strip()}|{fields[1]}"]) > 1:
            expected_bad.add(start)
    assert set(quarantined.index) == expected_bad
    for start, kind, _ in records:
        if kind in BAD:
            rules = quarantined.loc[start, "quarantine_rules"].split(";")
            assert kind in rules or (kind == "quoted_newline" and rules == ["allowed_values"]), (kind, rules)
