"""Readers: every supported format and encoding gives the same typed table, with the file's own row numbers."""

from __future__ import annotations

import codecs

import numpy as np
import openpyxl
import pandas as pd
import pyreadstat
import pytest

from data_schema import read_table
from data_schema.readers import read_csv, read_raw

pytestmark = pytest.mark.filterwarnings("ignore::data_schema.DataQualityWarning")

STUDENT_ROWS = [
    ["2019011203", "I01", "integrated", "2019", "domestic", "王伟"],
    ["2019011204", "浙江外国语学院", "traditional", "2020", "international", "Li Na"],
    ["2019011205", "I02", "integrated", "2021", "domestic", "张静"],
]
STUDENT_HEADER = ["student_id", "institution_id", "program", "cohort", "student_origin", "name"]
CANONICAL = ["student_id", "institution_id", "program", "cohort", "student_origin"]


def _csv(delimiter: str = ",", header: list[str] = STUDENT_HEADER, rows: list[list[str]] = STUDENT_ROWS) -> str:
    return "\n".join(delimiter.join(r) for r in [header, *rows]) + "\n"


def _expected(pseudonym) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "student_id": [pseudonym(r[0]) for r in STUDENT_ROWS],
            "institution_id": [r[1] for r in STUDENT_ROWS],
            "program": [r[2] for r in STUDENT_ROWS],
            "cohort": pd.array([2019, 2020, 2021], dtype="Int64"),
            "student_origin": [r[4] for r in STUDENT_ROWS],
        },
        index=pd.Index([2, 3, 4], name="row", dtype="int64"),
    )
    return frame.astype({c: "str" for c in CANONICAL if c != "cohort"})


# --- CSV -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "prefix", "detected"),
    [("utf-8", b"", "utf-8"), ("utf-8", codecs.BOM_UTF8, "utf-8-sig"), ("gb18030", b"", "gb18030")],
    ids=["utf-8", "utf-8-bom", "gb18030"],
)
def test_csv_encodings_give_the_same_table(write_file, key, pseudonym, encoding, prefix, detected):
    path = write_file("students.csv", prefix + _csv().encode(encoding))
    valid, quarantined, report = read_table(path, "students", key=key)
    assert report.encoding == detected
    assert report.format == "csv" and report.row_kind == "line"
    assert quarantined.empty
    pd.testing.assert_frame_equal(valid, _expected(pseudonym), check_dtype=False)
    assert valid["cohort"].dtype == "Int64"
    assert report.renamed_columns == {}  # no BOM left on the first header cell


@pytest.mark.parametrize(
    ("delimiter", "suffix"),
    [(";", ".csv"), ("\t", ".csv"), ("\t", ".tsv"), ("|", ".txt")],
    ids=["semicolon", "tab", "tsv", "bar"],
)
def test_csv_delimiters_are_sniffed(write_file, key, pseudonym, delimiter, suffix):
    path = write_file("students" + suffix, _csv(delimiter))
    valid, quarantined, report = read_table(path, "students", key=key)
    assert quarantined.empty
    pd.testing.assert_frame_equal(valid, _expected(pseudonym), check_dtype=False)


def test_semicolon_file_with_decimal_commas_keeps_them_as_text(write_file, key):
    """European exports: ``;`` separates fields, so ``8,5`` is one (non-numeric) value, never split."""
    text = "student_id;months_after_graduation;status;monthly_salary\nS1;6;seeking;\nS2;6;seeking;8,5\n"
    _, _, report = read_table(write_file("employment.csv", text), "employment", key=key)
    assert report.failures[["row", "value", "rule"]].values.tolist() == [[3, "8,5", "not_number"]]


def test_fast_and_slow_csv_parsers_agree(write_file):
    body = "".join(f"S{i},{i % 7},seeking,,\n" for i in range(50))
    header = "student_id,months_after_graduation,status,sector,monthly_salary\n"
    regular = read_csv(write_file("a.csv", header + body))
    blank = read_csv(write_file("b.csv", header + body.replace("S10,", "\nS10,", 1)))
    assert regular.frame.index.tolist() == list(range(2, 52))
    assert blank.blank_rows == 1
    assert blank.frame.index.tolist() == list(range(2, 12)) + list(range(13, 53))
    pd.testing.assert_frame_equal(regular.frame.reset_index(drop=True), blank.frame.reset_index(drop=True),
                                  check_dtype=False)


# --- XLSX ------------------------------------------------------------------------------------


@pytest.fixture
def workbook(tmp_path):
    """Two sheets: ``notes`` (a title only) and ``students`` (two blank rows, header on row 3, a blank row 5)."""
    book = openpyxl.Workbook()
    book.active.title = "notes"
    book.active.append(["Exported from the student information system"])
    sheet = book.create_sheet("students")
    sheet.append([])
    sheet.append([])
    sheet.append(STUDENT_HEADER)
    sheet.append([int(STUDENT_ROWS[0][0]), *STUDENT_ROWS[0][1:3], 2019, *STUDENT_ROWS[0][4:]])
    sheet.append([])
    for row in STUDENT_ROWS[1:]:
        sheet.append([row[0], *row[1:3], int(row[3]), *row[4:]])
    path = tmp_path / "students.xlsx"
    book.save(path)
    return path


@pytest.mark.parametrize("sheet", ["students", 1], ids=["by-name", "by-index"])
def test_xlsx_sheet_by_name_or_index(workbook, key, pseudonym, sheet):
    valid, quarantined, report = read_table(workbook, "students", key=key, sheet=sheet)
    assert report.sheet == "students"
    assert report.format == "xlsx" and report.row_kind == "sheet row"
    assert report.blank_rows == 1
    assert quarantined.empty
    expected = _expected(pseudonym)
    expected.index = pd.Index([4, 6, 7], name="row", dtype="int64")  # the sheet's own row numbers
    pd.testing.assert_frame_equal(valid, expected, check_dtype=False)


def test_xlsx_numeric_student_number_gets_the_text_pseudonym(workbook, key, pseudonym):
    """Excel stores 2019011203 as a number; its pseudonym must equal that of the text "2019011203"."""
    valid, _, _ = read_table(workbook, "students", key=key, sheet="students")
    assert valid.loc[4, "student_id"] == pseudonym("2019011203")


def test_xlsx_default_is_the_first_sheet(workbook, key):
    with pytest.raises(ValueError, match=r"sheet 'notes' has a header row but no data rows"):
        read_table(workbook, "students", key=key)


@pytest.mark.parametrize(
    ("sheet", "match"),
    [("Students", r"no sheet named 'Students'; the workbook has \['notes', 'students'\]"),
     (2, r"sheet number 2 does not exist \(2 sheets\)")],
)
def test_xlsx_missing_sheet(workbook, key, sheet, match):
    with pytest.raises(ValueError, match=match):
        read_table(workbook, "students", key=key, sheet=sheet)


def test_xlsx_typed_cells(tmp_path, key):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["student_id", "months_after_graduation", "status", "sector", "field_match", "monthly_salary"])
    sheet.append(["S1", 6, "Employed", "CBEC", True, 8200.5])
    sheet.append(["S2", 12.0, "seeking", None, False, None])
    sheet.append(["S3", 6.5, "seeking", None, None, None])
    path = tmp_path / "employment.xlsx"
    book.save(path)
    valid, quarantined, report = read_table(path, "employment", key=key)
    assert valid["months_after_graduation"].tolist() == [6, 12]
    assert valid["field_match"].tolist() == [True, False]
    assert valid.loc[2, "monthly_salary"] == 8200.5
    assert valid.loc[2, ["status", "sector"]].tolist() == ["employed", "cbec"]
    assert report.failures[["row", "value", "rule"]].values.tolist() == [[4, "6.5", "not_integer"]]


# --- SPSS, Stata, Parquet --------------------------------------------------------------------


def _coded_students() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "student_id": ["2019011203", "2019011204", "2019011205"],
            "institution_id": ["I01", "I01", "I02"],
            "program": [1.0, 2.0, 1.0],
            "cohort": [2019.0, 2020.0, 2021.0],
            "student_origin": [1.0, 2.0, 1.0],
            "email": ["a@example.invalid", "b@example.invalid", "c@example.invalid"],
        }
    )


LABELS = {"program": {1: "integrated", 2: "traditional"}, "student_origin": {1: "domestic", 2: "international"}}


@pytest.mark.parametrize("writer", ["sav", "dta"])
def test_spss_and_stata_value_labels_are_applied(tmp_path, key, pseudonym, writer):
    path = tmp_path / f"students.{writer}"
    write = pyreadstat.write_sav if writer == "sav" else pyreadstat.write_dta
    write(_coded_students(), str(path), variable_value_labels=LABELS)
    valid, quarantined, report = read_table(path, "students", key=key)
    assert report.format == writer and report.row_kind == "case"
    assert quarantined.empty
    assert valid.index.tolist() == [1, 2, 3]
    assert valid["program"].tolist() == ["integrated", "traditional", "integrated"]
    assert valid["student_origin"].tolist() == ["domestic", "international", "domestic"]
    assert valid["cohort"].tolist() == [2019, 2020, 2021]
    assert valid["student_id"].tolist() == [pseudonym(s) for s in _coded_students()["student_id"]]
    assert report.dropped_columns == ("email",)


def test_parquet_rows_are_numbered_from_one(tmp_path, key, pseudonym):
    frame = pd.DataFrame(
        {
            "student_id": np.array([2019011203, 2019011204], dtype="int64"),
            "months_after_graduation": np.array([6, 12], dtype="int64"),
            "status": ["employed", "seeking"],
            "sector": ["cbec", None],
            "surveyed_on": pd.to_datetime(["2024-03-15", "2024-09-01"]),
        }
    )
    path = tmp_path / "employment.parquet"
    frame.to_parquet(path)
    valid, quarantined, report = read_table(path, "employment", key=key)
    assert report.format == "parquet" and report.row_kind == "row"
    assert quarantined.empty
    assert valid.index.tolist() == [1, 2]
    assert valid["student_id"].tolist() == [pseudonym("2019011203"), pseudonym("2019011204")]
    assert valid["surveyed_on"].tolist() == [pd.Timestamp("2024-03-15"), pd.Timestamp("2024-09-01")]


@pytest.mark.parametrize(("suffix", "match"), [(".sav", "not a readable SPSS"), (".dta", "not a readable Stata"),
                                               (".parquet", "not a readable Parquet")])
def test_statistics_files_that_are_not(write_file, key, suffix, match):
    path = write_file("students" + suffix, _csv())
    with pytest.raises(ValueError, match=match):
        read_table(path, "students", key=key)


# --- header matching, identifiers, extra columns ---------------------------------------------


def test_headers_match_case_and_whitespace_insensitively(write_file, key):
    header = [" Student_ID ", "INSTITUTION_ID", "Program ", "cohort", "Student Origin"]
    path = write_file("students.csv", _csv(header=header, rows=[r[:5] for r in STUDENT_ROWS]))
    valid, _, report = read_table(path, "students", key=key)
    assert valid.columns.tolist() == CANONICAL
    assert report.renamed_columns == {
        " Student_ID ": "student_id", "INSTITUTION_ID": "institution_id", "Program ": "program",
        "Student Origin": "student_origin",
    }


IDENTIFIERS = {
    "name": "Zhang Wei", "national_id": "11010519491231002X", "passport_no": "E12345678",
    "phone": "13800138000", "email": "zhang.wei@example.invalid", "姓名": "张伟", "手机号": "13911112222",
}


def test_identifier_columns_are_dropped_everywhere(write_file, key):
    header = ["student_id", "Name", *list(IDENTIFIERS)[1:], "program", "institution_id", "cohort", "student_origin"]
    good = ["2019011203", IDENTIFIERS["name"], *list(IDENTIFIERS.values())[1:], "integrated", "I01", "2019",
            "domestic"]
    bad = ["2019011204", "Li Na", "110105", "E0", "13000000000", "li@example.invalid", "李娜", "13000000001",
           "neither", "I01", "2019", "domestic"]
    path = write_file("students.csv", _csv(header=header, rows=[good, bad]))
    valid, quarantined, report = read_table(path, "students", key=key)
    assert sorted(report.dropped_columns) == sorted(["Name", *list(IDENTIFIERS)[1:]])
    assert report.unknown_columns == ()
    assert len(valid) == 1 and len(quarantined) == 1
    for frame in (valid, quarantined, report.failures):
        assert not set(frame.columns) & {*IDENTIFIERS, "Name"}
        text = frame.astype("str").to_string()
        for value in [*good[1:8], *bad[1:8]]:
            assert value not in text
    assert "Zhang Wei" not in report.summary()


def test_unknown_columns_are_listed_and_kept_out(write_file, key):
    header = [*STUDENT_HEADER[:5], "dormitory", "备注"]
    rows = [[*r[:5], "B-101", "转专业"] for r in STUDENT_ROWS]
    valid, _, report = read_table(write_file("students.csv", _csv(header=header, rows=rows)), "students", key=key)
    assert report.unknown_columns == ("dormitory", "备注")
    assert valid.columns.tolist() == CANONICAL
    assert "extra columns kept out of the analysis: dormitory, 备注" in report.summary()


def test_absent_optional_columns_are_listed(write_file, key):
    path = write_file("employment.csv", "student_id,months_after_graduation,status\nS1,6,seeking\n")
    _, _, report = read_table(path, "employment", key=key)
    assert report.absent_optional_columns == (
        "sector", "field_match", "monthly_salary", "employer_country", "employer_satisfaction", "surveyed_on",
    )


def test_read_raw_keeps_values_as_read(write_file):
    raw = read_raw(write_file("t.csv", "a,b\n 007 ,=1+1\n"))
    assert raw.frame.loc[2].tolist() == [" 007 ", "=1+1"]
    assert raw.n_rows == 1 and raw.encoding == "utf-8"
