"""Malformed input files: each is a real file on disk, each gives a clear error or a precise quarantine record.

A file that cannot be used at all raises :class:`InputFileError` naming the file (and the
line, where there is one) and writes nothing; a file that can be read keeps its bad rows
in the quarantine with the file's own line number, the column, the value and the rule.
"""

from __future__ import annotations

import random
import re
import zlib
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from data_schema import InputFileError, load_study, read_table

pytestmark = pytest.mark.filterwarnings("ignore::data_schema.DataQualityWarning")

EMPLOYMENT = "student_id,months_after_graduation,status,sector,monthly_salary,surveyed_on\n"
STUDENTS = "student_id,institution_id,program,cohort,student_origin\n"
HYPERLINK = '=HYPERLINK("http://example.invalid/x","click")'


def _png_bytes() -> bytes:
    """A real, minimal 1x1 PNG image (signature, IHDR, IDAT, IEND)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return len(body).to_bytes(4, "big") + kind + body + zlib.crc32(kind + body).to_bytes(4, "big")

    ihdr = (1).to_bytes(4, "big") * 2 + bytes([8, 0, 0, 0, 0])
    image = chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00\x00")) + chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + image


def _failure(report, row: int) -> pd.DataFrame:
    return report.failures[report.failures["row"] == row]


def _unusable(path: Path, snapshot, match: str, **kwargs) -> InputFileError:
    """Read ``path``, expect an InputFileError matching ``match`` that names the file, and nothing written."""
    folder = path.parent
    before = snapshot(folder)
    with pytest.raises(InputFileError, match=match) as caught:
        read_table(path, kwargs.pop("table", "employment"), key=b"k" * 32, **kwargs)
    assert caught.value.path == str(path)
    assert str(path) in str(caught.value)
    assert snapshot(folder) == before
    return caught.value


# --- files that cannot be used at all -------------------------------------------------------


@pytest.mark.parametrize("content", ["", "\n\n  \n", b"\r\n"], ids=["zero-bytes", "blank-lines", "crlf"])
def test_empty_file_is_refused(write_file, snapshot, content):
    path = write_file("employment.csv", content)
    _unusable(path, snapshot, "the file is empty")


@pytest.mark.parametrize("tail", ["", "\n", "\n\n\n"], ids=["no-newline", "newline", "trailing-blank-lines"])
def test_header_only_is_refused(write_file, snapshot, tail):
    path = write_file("employment.csv", EMPLOYMENT.rstrip("\n") + tail)
    _unusable(path, snapshot, "header row but no data rows")


def test_header_only_xlsx_is_refused(tmp_path, snapshot):
    book = openpyxl.Workbook()
    book.active.title = "follow-up"
    book.active.append(EMPLOYMENT.strip().split(","))
    book.save(tmp_path / "employment.xlsx")
    _unusable(tmp_path / "employment.xlsx", snapshot, r"sheet 'follow-up' has a header row but no data rows")


def test_missing_required_column_is_named(write_file, snapshot):
    path = write_file("employment.csv", "student_id,months_after_graduation,sector\nS1,6,cbec\n")
    err = _unusable(path, snapshot, r"missing required column status for the employment table")
    assert "'sector'" in str(err)  # what was found is listed


def test_several_missing_columns_are_all_named(write_file, snapshot):
    path = write_file("students.csv", "student_id,cohort\nS1,2020\n")
    _unusable(path, snapshot, r"missing required columns institution_id, program, student_origin", table="students")


def test_two_headers_meaning_the_same_column_are_refused(write_file, snapshot):
    path = write_file("employment.csv", "student_id,Status,months_after_graduation, status\nS1,seeking,6,seeking\n")
    _unusable(path, snapshot, r"columns 'Status' and ' status' both mean 'status'")


def test_missing_path(tmp_path, snapshot):
    _unusable(tmp_path / "employment.csv", snapshot, r"no such file\. Fix: check the path")


def test_folder_instead_of_file(tmp_path, snapshot):
    folder = tmp_path / "employment.csv"
    folder.mkdir()
    with pytest.raises(InputFileError, match="this is a folder, not a data file") as caught:
        read_table(folder, "employment", key=b"k" * 32)
    assert caught.value.path == str(folder)


@pytest.mark.parametrize(
    ("name", "match"),
    [
        ("employment.xls", r"unsupported file type '\.xls'\. Fix: save it as \.xlsx"),
        ("employment.json", r"unsupported file type '\.json'\. Fix: use CSV, XLSX, SAV, DTA or Parquet"),
        ("employment", r"unsupported file type '\(no extension\)'"),
    ],
)
def test_unsupported_extension(write_file, snapshot, name, match):
    path = write_file(name, EMPLOYMENT + "S1,6,seeking,,,\n")
    _unusable(path, snapshot, match)


def test_png_saved_as_csv_is_not_a_table(write_file, snapshot):
    path = write_file("employment.csv", _png_bytes())
    _unusable(path, snapshot, r"this is a binary file, not a CSV table")


def test_random_bytes_without_nul_saved_as_csv_name_the_line(write_file, snapshot):
    noise = bytes(b for b in random.Random(7).randbytes(600) if b not in (0,))
    data = EMPLOYMENT.encode() + b"S1,6,seeking,,,\n" + b"\xff" + noise
    path = write_file("employment.csv", data)
    _unusable(path, snapshot, r"not UTF-8 or GB18030 text: byte 0xff at offset \d+ \(line 3\) does not decode")


def test_text_file_named_xlsx_is_not_a_workbook(write_file, snapshot):
    path = write_file("employment.xlsx", EMPLOYMENT + "S1,6,seeking,,,\n")
    _unusable(path, snapshot, r"not a readable XLSX workbook .*Fix: open it in Excel and save it again as \.xlsx")


def test_prose_saved_as_csv_lacks_the_required_columns(write_file, snapshot):
    prose = "Dear colleague,\nplease find attached the graduate survey.\nBest regards, the QA office\n"
    path = write_file("employment.csv", prose)
    _unusable(path, snapshot, r"missing required columns student_id, months_after_graduation, status")


def test_first_line_blank_is_refused(write_file, snapshot):
    path = write_file("employment.csv", "\n" + EMPLOYMENT + "S1,6,seeking,,,\n")
    _unusable(path, snapshot, r"line 1 is blank")


def test_merged_header_cells_in_xlsx(tmp_path, snapshot):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["student_id", "follow-up", None, "sector"])
    sheet.append([None, "months_after_graduation", "status", None])
    sheet.append(["S1", 6, "employed", "cbec"])
    sheet.merge_cells("B1:C1")
    path = tmp_path / "employment.xlsx"
    book.save(path)
    _unusable(path, snapshot, r"has merged cells \(row 1 col 2 to row 1 col 3\)\. Fix: unmerge them")


def test_unknown_table_name(write_file):
    path = write_file("employment.csv", EMPLOYMENT + "S1,6,seeking,,,\n")
    with pytest.raises(ValueError, match=r"unknown table 'graduates'; expected one of students, survey_responses"):
        read_table(path, "graduates", key=b"k" * 32)


# --- encodings -------------------------------------------------------------------------------


def _gb18030_students() -> bytes:
    text = (
        "student_id,institution_id,program,cohort,student_origin,note\n"
        "2019011203,I01,integrated,2019,domestic,\n"
        "2019011204,浙江外国语学院,traditional,2019,domestic,跨境电商方向\n"
    )
    return text.encode("gb18030")


def test_gb18030_csv_is_detected_and_text_survives(write_file, key):
    path = write_file("students.csv", _gb18030_students())
    valid, quarantined, report = read_table(path, "students", key=key)
    assert report.encoding == "gb18030"
    assert quarantined.empty
    assert valid.loc[3, "institution_id"] == "浙江外国语学院"
    assert report.unknown_columns == ("note",)
    assert valid.columns.tolist() == ["student_id", "institution_id", "program", "cohort", "student_origin"]


def test_gb18030_csv_forced_as_utf8_names_gb18030_and_the_line(write_file, snapshot):
    path = write_file("students.csv", _gb18030_students())
    err = _unusable(path, snapshot, r"line 3 is not valid utf-8 .*The file decodes as GB18030", table="students",
                    encoding="utf-8")
    assert ".." not in str(err), "sentence punctuation doubled in the message"


def test_unsupported_forced_encoding(write_file, snapshot):
    path = write_file("employment.csv", EMPLOYMENT + "S1,6,seeking,,,\n")
    _unusable(path, snapshot, r"unsupported encoding 'latin-1'\. Fix: use utf-8 or gb18030", encoding="latin-1")


# --- rows that are quarantined with the exact place and reason -------------------------------


def test_wrong_type_in_numeric_columns(write_file, key):
    path = write_file(
        "employment.csv",
        EMPLOYMENT
        + "S1,6,employed,cbec,8500,2024-03-15\n"
        + "S2,six,seeking,,,2024-03-15\n"
        + "S3,12,employed,cbec,8k,2024-03-15\n"
        + "S4,6.5,seeking,,,\n",
    )
    valid, quarantined, report = read_table(path, "employment", key=key)
    assert valid.index.tolist() == [2]
    assert quarantined.index.tolist() == [3, 4, 5]
    got = report.failures[["row", "column", "value", "rule"]].values.tolist()
    assert got == [
        [3, "months_after_graduation", "six", "not_integer"],
        [4, "monthly_salary", "8k", "not_number"],
        [5, "months_after_graduation", "6.5", "not_integer"],
    ]
    assert quarantined.loc[3, "months_after_graduation"] == "six"  # the value as read
    assert quarantined["quarantine_rules"].tolist() == ["not_integer", "not_number", "not_integer"]
    assert (report.failures["file"] == str(path)).all()
    assert (report.failures["table"] == "employment").all()


def test_quarantine_warns_with_counts(write_file, key):
    path = write_file("employment.csv", EMPLOYMENT + "S1,6,seeking,,,\nS2,x,seeking,,,\n")
    with pytest.warns(UserWarning, match=r"employment\.csv: 1 of 2 rows quarantined; see the report"):
        read_table(path, "employment", key=key)


def test_mixed_date_formats(write_file, key):
    path = write_file(
        "employment.csv",
        EMPLOYMENT
        + "S1,6,seeking,,,2024-03-15\n"
        + "S2,6,seeking,,,2024/03/15\n"
        + "S3,6,seeking,,,15/03/2024\n"
        + "S4,6,seeking,,,03/15/2024\n"
        + "S5,6,seeking,,,2024.3.5\n",
    )
    valid, quarantined, report = read_table(path, "employment", key=key)
    assert valid["surveyed_on"].to_dict() == {
        2: pd.Timestamp("2024-03-15"), 3: pd.Timestamp("2024-03-15"), 6: pd.Timestamp("2024-03-05"),
    }
    assert report.fixes.values.tolist() == [["employment", "surveyed_on", "date_normalised", 2]]
    assert report.failures[["row", "value", "rule"]].values.tolist() == [
        [4, "15/03/2024", "not_date"], [5, "03/15/2024", "not_date"],
    ]
    assert quarantined.loc[4, "surveyed_on"] == "15/03/2024"


def test_impossible_dates_are_not_dates(write_file, key):
    path = write_file("employment.csv", EMPLOYMENT + "S1,6,seeking,,,2024-02-30\nS2,6,seeking,,,2024/13/01\n")
    _, _, report = read_table(path, "employment", key=key)
    assert report.failures[["row", "value", "rule"]].values.tolist() == [
        [2, "2024-02-30", "not_date"], [3, "2024/13/01", "not_date"],
    ]
    assert report.fixes.empty


def test_duplicate_student_quarantines_both_copies(write_file, key, pseudonym):
    path = write_file(
        "students.csv",
        STUDENTS
        + "2019011203,I01,integrated,2019,domestic\n"
        + "2019011204,I01,traditional,2019,domestic\n"
        + "2019011203,I01,traditional,2019,domestic\n",
    )
    valid, quarantined, report = read_table(path, "students", key=key)
    assert valid.index.tolist() == [3]
    assert quarantined.index.tolist() == [2, 4]
    assert set(quarantined["quarantine_rules"]) == {"duplicate_key"}
    failures = report.failures
    assert failures[["row", "column", "rule"]].values.tolist() == [
        [2, "student_id", "duplicate_key"], [4, "student_id", "duplicate_key"],
    ]
    assert (failures["value"] == pseudonym("2019011203")).all()
    assert failures["message"].str.contains("shared by 2 rows .*first on row 2", regex=True).all()


def test_exact_duplicate_row_keeps_the_first_copy(write_file, key):
    row = "2019011203,I01,integrated,2019,domestic\n"
    path = write_file("students.csv", STUDENTS + row + "2019011204,I01,traditional,2019,domestic\n" + row)
    valid, quarantined, report = read_table(path, "students", key=key)
    assert valid.index.tolist() == [2, 3]
    assert quarantined.index.tolist() == [4]
    assert report.failures[["row", "rule"]].values.tolist() == [[4, "duplicate_row"]]
    assert report.failures["message"].str.contains("row 2").all()


def test_rows_with_the_wrong_number_of_fields(write_file, key):
    path = write_file(
        "employment.csv",
        EMPLOYMENT
        + "S1,6,seeking,,,\n"
        + "S2,6,seeking\n"
        + "S3,6,seeking,,,,,,\n"
        + "S4,12,seeking,,,\n",
    )
    valid, quarantined, report = read_table(path, "employment", key=key)
    assert valid.index.tolist() == [2, 5]
    assert quarantined.index.tolist() == [3, 4]
    counted = report.failures[report.failures["rule"] == "field_count"]
    assert counted[["row", "message"]].values.tolist() == [
        [3, "has 3 fields, the header has 6"], [4, "has 9 fields, the header has 6"],
    ]
    assert report.reconciles


def test_blank_lines_and_quoted_newlines_keep_exact_line_numbers(write_file, key):
    lines = [
        EMPLOYMENT.rstrip("\n"),                         # 1
        "S1,6,employed,cbec,8000,2024-01-10",            # 2
        "",                                              # 3
        'S2,6,employed,"cbec\nshop",8000,2024-01-11',    # 4-5 (quoted newline)
        "S3,bad3,seeking,,,2024-01-12",                  # 6
        "   ",                                           # 7 (blank)
        'S4,6,seeking,,"a\n\nb",2024-01-13',             # 8-10
        "S5,bad11,seeking,,,2024-01-14",                 # 11
        "",                                              # 12
        "S6,6,seeking,,,2024-01-15",                     # 13
    ]
    text = "\n".join(lines) + "\n"
    path = write_file("employment.csv", text)
    valid, quarantined, report = read_table(path, "employment", key=key)
    assert valid.index.tolist() == [2, 13]
    assert quarantined.index.tolist() == [4, 6, 8, 11]
    assert report.blank_rows == 3
    assert report.n_read == 6 and report.reconciles
    physical = text.split("\n")
    for row, value in report.failures[["row", "value"]].itertuples(index=False):
        assert physical[row - 1].startswith(f"S{'123456'[[2, 4, 6, 8, 11, 13].index(row)]},"), row
        first_line_of_value = value.split("\n")[0]
        assert first_line_of_value in physical[row - 1]
    assert report.failures.set_index("row").loc[6, "value"] == "bad3"
    assert report.failures.set_index("row").loc[11, "value"] == "bad11"


def test_crlf_line_endings_keep_line_numbers(write_file, key):
    text = EMPLOYMENT.replace("\n", "\r\n") + "S1,6,seeking,,,\r\n\r\nS2,x,seeking,,,\r\n"
    path = write_file("employment.csv", text)
    valid, quarantined, report = read_table(path, "employment", key=key)
    assert valid.index.tolist() == [2]
    assert report.failures[["row", "value", "rule"]].values.tolist() == [[4, "x", "not_integer"]]


# --- formulas are never evaluated ------------------------------------------------------------


def test_formula_text_in_csv_is_quarantined_as_text(write_file, key):
    quoted = '"' + HYPERLINK.replace('"', '""') + '"'
    path = write_file(
        "assessments.csv",
        "student_id,assessment,rater_id,rater_role,score,max_score\n"
        "S1,capstone_portfolio,T01,teacher,80,100\n"
        f"S2,capstone_portfolio,{quoted},teacher,75,100\n"
        "S3,capstone_portfolio,@SUM(A1:A9),teacher,75,100\n",
    )
    valid, quarantined, report = read_table(path, "assessments", key=key)
    assert valid.index.tolist() == [2]
    assert report.failures[["row", "column", "value", "rule"]].values.tolist() == [
        [3, "rater_id", HYPERLINK, "formula_like"],
        [4, "rater_id", "@SUM(A1:A9)", "formula_like"],
    ]
    assert quarantined.loc[3, "rater_id"] == HYPERLINK


def _formula_workbook(path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "assessments"
    sheet.append(["student_id", "assessment", "rater_id", "rater_role", "score", "max_score"])
    sheet.append(["S1", "capstone_portfolio", "T01", "teacher", 80, 100])
    sheet.append(["S2", "capstone_portfolio", HYPERLINK, "teacher", 75, 100])
    sheet.append(["S3", "capstone_portfolio", "T02", "teacher", "=SUM(70,5)", 100])
    book.save(path)


def test_formula_cell_in_xlsx_is_reported_as_its_text(tmp_path, key):
    path = tmp_path / "assessments.xlsx"
    _formula_workbook(path)
    sheet = openpyxl.load_workbook(path)["assessments"]
    assert sheet["C3"].data_type == "f"  # a real formula cell, not text

    valid, quarantined, report = read_table(path, "assessments", key=key)
    assert valid.index.tolist() == [2]
    failures = report.failures[["row", "column", "value", "rule"]].values.tolist()
    assert [3, "rater_id", HYPERLINK, "formula_like"] in failures
    assert quarantined.loc[3, "rater_id"] == HYPERLINK
    # =SUM(70,5) is never computed to 75: the score cell fails as the formula text
    assert quarantined.loc[4, "score"] == "=SUM(70,5)"
    assert _failure(report, 4)["rule"].tolist() == ["not_number"]
    assert "75" not in _failure(report, 4)["value"].tolist()


def test_trailing_row_holding_only_a_formula_is_not_lost(tmp_path, key):
    """A sheet row whose only cell is a formula (no cached value) is a data row: it must be quarantined, not vanish."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["student_id", "months_after_graduation", "status", "employer_country"])
    sheet.append(["S1", 6, "seeking", "cn"])
    sheet["D3"] = HYPERLINK
    path = tmp_path / "employment.xlsx"
    book.save(path)
    valid, quarantined, report = read_table(path, "employment", key=key)
    assert valid.index.tolist() == [2]
    assert quarantined.index.tolist() == [3]
    assert report.n_read == 2
    assert [3, "employer_country", HYPERLINK, "formula_like"] in report.failures[
        ["row", "column", "value", "rule"]].values.tolist()


# --- cross-table faults (load_study) ---------------------------------------------------------


SURVEY = "student_id,instrument,wave,item,response\n"


def test_likert_answer_outside_the_scale(make_study):
    config = make_study({
        "students": STUDENTS + "S1,I01,integrated,2020,domestic\n",
        "survey_responses": SURVEY
        + "S1,intercultural_competence,0,ic01,4\n"
        + "S1,intercultural_competence,0,ic02,7\n"
        + "S1,intercultural_competence,0,ic03,0\n"
        + "S1,intercultural_competence,0,ic04,\n",
    })
    study = load_study(config)
    assert study.survey_responses.index.tolist() == [2, 5]
    failures = study.report.tables["survey_responses"].failures
    assert failures[["row", "column", "value", "rule"]].values.tolist() == [
        [3, "response", "7", "response_outside_scale"],
        [4, "response", "0", "response_outside_scale"],
    ]
    assert failures["message"].str.contains("outside the 1-5 scale of intercultural_competence").all()
    assert study.quarantined["survey_responses"]["quarantine_rules"].tolist() == ["response_outside_scale"] * 2
    assert study.report.reconciles


def test_orphan_student_in_employment(make_study, study_key, pseudonym):
    config = make_study({
        "students": STUDENTS + "S1,I01,integrated,2020,domestic\n",
        "employment": "student_id,months_after_graduation,status\nS1,6,seeking\nS9,6,seeking\n",
    })
    study = load_study(config)
    assert study.employment.index.tolist() == [2]
    failures = study.report.tables["employment"].failures
    assert failures[["row", "column", "rule"]].values.tolist() == [[3, "student_id", "unknown_student"]]
    assert failures["value"].tolist() == [pseudonym("S9", study_key)]
    assert study.quarantined["employment"].loc[3, "student_id"] == pseudonym("S9", study_key)
    assert study.report.tables["employment"].n_quarantined == 1


def test_unknown_instrument_item_and_wave(make_study):
    config = make_study({
        "students": STUDENTS + "S1,I01,integrated,2020,domestic\n",
        "survey_responses": SURVEY
        + "S1,intercultural_competence,0,ic01,4\n"
        + "S1,no_such_scale,0,ic01,4\n"
        + "S1,intercultural_competence,0,ic99,4\n"
        + "S1,intercultural_competence,9,ic01,4\n",
    })
    study = load_study(config)
    got = study.report.tables["survey_responses"].failures[["row", "rule"]].values.tolist()
    assert got == [[3, "unknown_instrument"], [4, "unknown_item"], [5, "unknown_wave"]]


def test_bad_file_in_a_study_stops_the_load_and_writes_nothing(make_study, snapshot):
    config = make_study({"students": STUDENTS, "employment": "student_id,months_after_graduation,status\nS1,6,x\n"})
    before = snapshot(config.parent)
    with pytest.raises(InputFileError, match=re.escape(str(config.parent / "data" / "students.csv"))):
        load_study(config)
    assert snapshot(config.parent) == before


def test_undecodable_byte_after_a_character_split_across_16_mb_is_reported_exactly(write_file, snapshot):
    """Large files are checked for UTF-8 in pieces; a character straddling two pieces must not shift the offset."""
    piece = 1 << 24
    header = EMPLOYMENT.encode()
    filler = b"S1,6,seeking,,,\n" * ((piece - len(header)) // 16)
    pad = b"x" * (piece - 1 - len(header) - len(filler))
    data = header + filler + pad + "é".encode() + b"\n\xffbad\n"
    assert data[piece - 1:piece + 1] == "é".encode() and data[piece + 2] == 0xFF
    line = data.count(b"\n", 0, piece + 2) + 1
    path = write_file("employment.csv", data)
    _unusable(path, snapshot, rf"byte 0xff at offset {piece + 2} \(line {line}\) does not decode")
