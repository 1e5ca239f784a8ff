"""Pseudonyms: HMAC-SHA256 of the student number under a secret key; the raw number never leaves the loader."""

from __future__ import annotations

import hashlib
import hmac

import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from data_schema import ConfigError, PseudonymKeyError, load_key, load_study, pseudonymise, read_table

pytestmark = pytest.mark.filterwarnings("ignore::data_schema.DataQualityWarning")

STUDENTS = "student_id,institution_id,program,cohort,student_origin\n"


# --- the keyed hash --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "message", "digest"),
    [
        # RFC 4231 §4.2, test case 1: key = 0x0b x 20, data = "Hi There"
        (b"\x0b" * 20, "Hi There", "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
        # RFC 4231 §4.7, test case 6: key = 0xaa x 131, data = "Test Using Larger Than Block-Size Key - Hash Key First"
        (b"\xaa" * 131, "Test Using Larger Than Block-Size Key - Hash Key First",
         "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
    ],
    ids=["rfc4231-tc1", "rfc4231-tc6"],
)
def test_pseudonym_is_the_first_128_bits_of_hmac_sha256(key, message, digest):
    """Published HMAC-SHA-256 test vectors (RFC 4231); HMAC as defined in RFC 2104 and FIPS 198-1."""
    assert pseudonymise(pd.Series([message]), key).tolist() == [digest[:32]]


@settings(max_examples=200, deadline=None)
@given(key=st.binary(min_size=16, max_size=200), ids=st.lists(st.text(min_size=1, max_size=80), min_size=1, max_size=5))
def test_precomputed_pads_equal_the_standard_library_hmac(key, ids):
    """The pad states are hashed once per key (RFC 2104); every key length, including over one block."""
    want = [hmac.new(key, i.encode("utf-8"), hashlib.sha256).hexdigest()[:32] for i in ids]
    assert pseudonymise(pd.Series(ids), key).tolist() == want


def test_pseudonym_matches_an_independent_hmac(key, pseudonym):
    ids = pd.Series(["2019011203", "2019011204", None, "2019011203", "学号001"], index=[5, 6, 7, 8, 9])
    out = pseudonymise(ids, key)
    assert out.index.tolist() == [5, 6, 7, 8, 9]
    assert out[5] == pseudonym("2019011203") == out[8]
    assert out[9] == pseudonym("学号001")
    assert pd.isna(out[7])
    assert out[5] != out[6]


def test_another_key_gives_other_pseudonyms(key):
    ids = pd.Series(["2019011203"])
    assert pseudonymise(ids, key)[0] != pseudonymise(ids, bytes(reversed(key)))[0]


@pytest.mark.parametrize("bad", [b"", b"0123456789abcde", "a-string-key-of-32-characters!!!"])
def test_pseudonymise_refuses_weak_or_wrong_keys(bad):
    with pytest.raises(PseudonymKeyError, match="at least 16 bytes"):
        pseudonymise(pd.Series(["1"]), bad)


# --- load_key --------------------------------------------------------------------------------


def test_key_from_environment(monkeypatch):
    monkeypatch.setenv("PROGEVAL_TEST_KEY", "  " + "k" * 32 + "\n")
    assert load_key(key_env="PROGEVAL_TEST_KEY", key_file=None) == b"k" * 32


def test_environment_variable_unset(monkeypatch):
    monkeypatch.delenv("PROGEVAL_TEST_KEY", raising=False)
    with pytest.raises(PseudonymKeyError, match="environment variable PROGEVAL_TEST_KEY is not set"):
        load_key(key_env="PROGEVAL_TEST_KEY", key_file=None)


def test_environment_variable_unset_falls_back_to_the_key_file(monkeypatch, tmp_path):
    monkeypatch.delenv("PROGEVAL_TEST_KEY", raising=False)
    (tmp_path / "k.key").write_text("f" * 40 + "\n")
    assert load_key(key_env="PROGEVAL_TEST_KEY", key_file=tmp_path / "k.key") == b"f" * 40


def test_key_file_missing(tmp_path):
    with pytest.raises(PseudonymKeyError, match=r"key file .*absent\.key not found"):
        load_key(key_env=None, key_file=tmp_path / "absent.key")


@pytest.mark.parametrize("content", [b"", b"short\n", b"  0123456789abcde  \n"])
def test_key_too_short(tmp_path, content):
    (tmp_path / "k.key").write_bytes(content)
    with pytest.raises(PseudonymKeyError, match=r"is \d+ bytes; at least 16 are needed"):
        load_key(key_env=None, key_file=tmp_path / "k.key")


def test_short_environment_key(monkeypatch):
    monkeypatch.setenv("PROGEVAL_TEST_KEY", "abc")
    with pytest.raises(PseudonymKeyError, match="environment variable PROGEVAL_TEST_KEY is 3 bytes"):
        load_key(key_env="PROGEVAL_TEST_KEY", key_file=None)


def test_key_file_inside_the_data_folder(tmp_path):
    data = tmp_path / "data"
    (data / "keys").mkdir(parents=True)
    (data / "keys" / "k.key").write_text("k" * 32)
    with pytest.raises(PseudonymKeyError, match="lies inside the data folder"):
        load_key(key_env=None, key_file=data / "keys" / "k.key", data_dir=data)


def test_no_key_source():
    with pytest.raises(PseudonymKeyError, match="no pseudonymisation key"):
        load_key(key_env=None, key_file=None)


# --- through load_study ----------------------------------------------------------------------


def test_study_without_a_key_source_is_a_config_error(make_study):
    config = make_study({"students": STUDENTS + "S1,I01,integrated,2020,domestic\n"}, privacy={"min_cell_size": 5})
    with pytest.raises(ConfigError, match=r"privacy: .*name a key source"):
        load_study(config)


def test_study_key_env_unset(make_study, monkeypatch):
    monkeypatch.delenv("PROGEVAL_UNSET_KEY", raising=False)
    config = make_study({"students": STUDENTS + "S1,I01,integrated,2020,domestic\n"},
                        privacy={"key_env": "PROGEVAL_UNSET_KEY"})
    with pytest.raises(PseudonymKeyError, match="PROGEVAL_UNSET_KEY is not set"):
        load_study(config)


def test_study_key_file_in_data_folder(make_study):
    config = make_study({"students": STUDENTS + "S1,I01,integrated,2020,domestic\n"},
                        privacy={"key_file": "data/pseudonym.key"})
    (config.parent / "data" / "pseudonym.key").write_text("k" * 32)
    with pytest.raises(PseudonymKeyError, match="inside the data folder"):
        load_study(config)


def test_study_key_from_environment(make_study, monkeypatch, pseudonym):
    monkeypatch.setenv("PROGEVAL_TEST_KEY", "e" * 32)
    config = make_study({"students": STUDENTS + "S1,I01,integrated,2020,domestic\n"},
                        privacy={"key_env": "PROGEVAL_TEST_KEY"})
    assert load_study(config).students["student_id"].tolist() == [pseudonym("S1", b"e" * 32)]


def test_same_student_same_pseudonym_across_tables_and_formats(make_study, tmp_path, study_key, pseudonym):
    book = openpyxl.Workbook()
    book.active.append(["student_id", "assessment", "rater_role", "score", "max_score"])
    book.active.append([2019011203, "hsk", "external_exam", 180, 300])  # a number in Excel
    book.active.append(["2019011204", "hsk", "external_exam", 200, 300])
    book.save(tmp_path / "assessments.xlsx")
    config = make_study({
        "students": STUDENTS + "2019011203,I01,integrated,2019,domestic\n2019011204,I01,traditional,2019,domestic\n",
        "employment": "student_id,months_after_graduation,status\n2019011204,6,seeking\n 2019011203 ,6,seeking\n",
        "assessments": ("assessments.xlsx", (tmp_path / "assessments.xlsx").read_bytes()),
    })
    study = load_study(config)
    assert study.report.n_quarantined == 0
    a, b = pseudonym("2019011203", study_key), pseudonym("2019011204", study_key)
    assert study.students["student_id"].tolist() == [a, b]
    assert study.employment["student_id"].tolist() == [b, a]
    assert study.assessments["student_id"].tolist() == [a, b]


def test_no_raw_id_anywhere_after_loading(make_study):
    ids = [f"20190112{n:02d}" for n in range(10)]
    students = STUDENTS + "".join(f"{i},I01,integrated,2019,domestic\n" for i in ids)
    students += f"{ids[0]},I01,traditional,2019,domestic\n"  # conflicting duplicate
    students += "2019011299,I01,unknown_program,2019,domestic\n"  # allowed_values
    employment = "student_id,months_after_graduation,status,monthly_salary\n"
    employment += "".join(f"{i},6,seeking,\n" for i in ids)
    employment += "2019011277,6,seeking,\n"  # orphan
    employment += f"{ids[2]},12,seeking,8k\n"  # not_number
    employment += f"{ids[0]},12,seeking,\n"  # student quarantined
    study = load_study(make_study({"students": students, "employment": employment}))
    assert study.report.n_quarantined > 0
    frames = [*study.tables.values(), *study.quarantined.values(), study.report.failures]
    raw = [*ids, "2019011299", "2019011277"]
    for frame in frames:
        text = frame.astype("str").to_csv()
        assert not [i for i in raw if i in text]
    assert not [i for i in raw if i in study.report.summary()]
    assert not [i for i in raw if i in str(study.report.to_dict())]


def test_read_table_pseudonymises_quarantined_rows_too(write_file, key, pseudonym):
    path = write_file("employment.csv", "student_id,months_after_graduation,status\n2019011203,x,seeking\n")
    _, quarantined, report = read_table(path, "employment", key=key)
    assert quarantined["student_id"].tolist() == [pseudonym("2019011203")]
    assert "2019011203" not in report.failures.astype("str").to_csv()
