"""Outcome indicators from tables in a query engine (DuckDB through Ibis) against the pandas path.

The reference is the pandas path on the same rows, itself checked against statsmodels and scipy in
test_outcomes_employment.py and test_outcomes_summarise.py; two figures here are also checked against
scipy directly (a median's distribution-free interval and a t interval).  Counts are integers and must
agree exactly; sums, means and variances are added up in another order by the engine, so those agree to
1e-10 relative (the issue's promise; the measured differences are about 1e-15).  Medians and their
intervals are order statistics, picked not computed, so they agree exactly.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from data_schema.engine import execute
from data_schema.errors import ArgumentError, ColumnError, DataQualityWarning
from data_schema.schemas.employment import EmploymentSchema
from outcomes import (
    INDICATORS,
    certification_indicators,
    employment_indicators,
    nonresponse_bounds,
    nonresponse_table,
    response_rates,
    summarise,
)
from outcomes.employment.definitions import EngineColumns, PandasColumns, employment_definitions

ibis = pytest.importorskip("ibis")
pa = pytest.importorskip("pyarrow")

RTOL = 1e-10


@pytest.fixture(scope="module")
def con():
    return ibis.duckdb.connect()


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    from data_schema import generate_study, load_study

    syn = generate_study(tmp_path_factory.mktemp("engine_study"), n_institutions=4, students_per_class=10,
                         classes_per_cohort=1)
    return load_study(syn.config_path)


@pytest.fixture(scope="module")
def frames(study, con):
    """The employment indicator rows from pandas and, lazily, from DuckDB; and the stored engine rows."""
    cfg = study.config.outcomes
    students = con.create_table("students", study.students.reset_index(drop=True))
    employment = con.create_table("employment", study.employment.reset_index(drop=True))
    local = employment_indicators(study.students, study.employment, as_of=cfg.as_of,
                                  satisfied_from=cfg.satisfied_from)
    lazy = employment_indicators(students, employment, as_of=cfg.as_of, satisfied_from=cfg.satisfied_from)
    return local, lazy, con.create_table("employment_indicators", lazy)


def _codes(name: str) -> list:
    checks = EmploymentSchema.to_schema().columns[name].checks
    return [c for check in checks if check.name == "isin" for c in check.statistics["allowed_values"]]


# --- the definitions ---------------------------------------------------------------------------------

def test_definitions_agree_on_every_code_of_the_codebook(con):
    # every combination of the codebook's codes, missing values (NULL and, for numbers, NaN as Parquet
    # keeps it) and a code outside the codebook
    combos = list(itertools.product(
        [True, False], [*_codes("status"), "unknown", None], [*_codes("sector"), None], [True, False, None],
        ["cn", "CN", "vn", None], [5000.0, None, np.nan], [1, 2, 3, 4, 5, None], [6, 12]))
    grid = pd.DataFrame(combos, columns=["responded", "status", "sector", "field_match", "employer_country",
                                         "monthly_salary", "employer_satisfaction", "months_after_graduation"])
    assert set(_codes("status")) == {"employed", "self_employed", "further_study", "seeking", "not_seeking"}
    local = grid.astype({"field_match": "boolean", "employer_satisfaction": "Int64"})
    table = pa.Table.from_pandas(grid.astype({"employer_satisfaction": "Int64"}), preserve_index=False)
    table = table.set_column(5, "monthly_salary", pa.array([c[5] for c in combos], pa.float64(),
                                                            from_pandas=False))  # keep NaN apart from NULL
    engine = con.create_table("codes", table)
    assert execute(engine.aggregate(nan=engine.monthly_salary.isnan().sum()))["nan"].iloc[0] == len(grid) // 3
    want = employment_definitions(PandasColumns(local), first=6, satisfied_from=4)
    exprs = employment_definitions(EngineColumns(engine), first=6, satisfied_from=4)
    got = execute(engine.mutate(_row=ibis.row_number()).select(
        "_row", **{k: v.cast("float64") for k, v in exprs.items()}).order_by("_row"))
    assert list(want) == [i.name for i in INDICATORS.values() if i.family == "employment"]
    for name, values in want.items():
        np.testing.assert_array_equal(got[name].to_numpy(dtype=float), values, err_msg=name)


# --- employment rows ---------------------------------------------------------------------------------

def test_engine_rows_equal_the_pandas_rows(frames):
    local, lazy, _ = frames
    rows = execute(lazy).sort_values(["student_id", "months_after_graduation"]).reset_index(drop=True)
    assert list(rows.columns) == list(local.columns) and len(rows) == len(local) > 500
    for name in [i for i in INDICATORS if i in local.columns] + ["responded"]:
        np.testing.assert_array_equal(rows[name].to_numpy(dtype=float), local[name].to_numpy(dtype=float),
                                      err_msg=name)
    assert rows["student_id"].tolist() == local["student_id"].tolist()


def test_follow_ups_run_without_an_export_date(con):
    # the hand example of test_outcomes_employment.py: without as_of, a follow-up is due for a class when
    # one of its graduates answered it (I2's 2024 class answered nothing)
    students = pd.DataFrame({"student_id": ["s1", "s2", "s3", "s4", "s5", "s6"],
                             "institution_id": ["I1"] * 5 + ["I2"], "program": "integrated",
                             "graduation_year": pd.array([2023] * 5 + [2024], dtype="Int64")})
    employment = pd.DataFrame({"student_id": ["s1", "s2", "s1"],
                               "months_after_graduation": pd.array([6, 6, 12], dtype="Int64"),
                               "status": ["employed", "seeking", "employed"], "sector": ["cbec", None, "other"]})
    local = employment_indicators(students, employment)
    lazy = employment_indicators(con.create_table("hand_s", students), con.create_table("hand_e", employment))
    rows = execute(lazy).sort_values(["student_id", "months_after_graduation"]).reset_index(drop=True)
    assert len(rows) == len(local) == 10
    pd.testing.assert_frame_equal(summarise(lazy, by=["institution_id"]), summarise(local, by=["institution_id"]))


# --- the summary table -------------------------------------------------------------------------------

DESIGNS = {
    "program": {"by": ["program"]},
    "program x institution, margins": {"by": ["program", "institution_id"], "margins": True},
    "institution x graduation year, 90%": {"by": ["institution_id", "graduation_year"], "level": 0.9,
                                           "indicators": ["employment_rate", "cbec_sector_share",
                                                          "employer_satisfaction", "monthly_salary"]},
}


def _assert_same(engine: pd.DataFrame, local: pd.DataFrame) -> float:
    """Equal tables: exact for everything but estimates and intervals (1e-10 relative); max relative diff."""
    pd.testing.assert_frame_equal(engine, local, check_exact=False, rtol=RTOL, atol=0)
    exact = ["indicator", "n", "numerator", "method", "population"]
    pd.testing.assert_frame_equal(engine.drop(columns=engine.columns.difference(exact)),
                                  local.drop(columns=local.columns.difference(exact)))
    a, b = engine[["estimate", "std_error", "ci_low", "ci_high"]], local[["estimate", "std_error", "ci_low", "ci_high"]]
    a, b = a.to_numpy(dtype=float), b.to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return float(np.nanmax(np.abs(a - b) / np.abs(b)))


@pytest.mark.parametrize("design", list(DESIGNS))
def test_summarise_engine_table_equals_pandas(frames, design):
    local, lazy, stored = frames
    kwargs = DESIGNS[design]
    table = stored if kwargs.get("margins") else lazy  # margins: many queries, so read the stored rows
    want = summarise(local, **kwargs)
    got = summarise(table, **kwargs)
    assert _assert_same(got, want) < 1e-13
    medians = want["method"] == "order statistics"
    assert medians.any()
    pd.testing.assert_frame_equal(got[medians], want[medians])  # order statistics: exactly the same values


def test_certification_rows_and_means_from_the_engine(study, con):
    # the synthetic study's assessments, plus the edge cases: HSK rows without a level, certificate rows
    # without a result, a student with neither, a prior level missing
    extra_students = pd.DataFrame({"student_id": ["x1", "x2", "x3"], "program": "integrated",
                                   "prior_hsk_level": pd.array([2, None, 0], dtype="Int64")})
    extra_rows = pd.DataFrame({"student_id": ["x1", "x1", "x2", "x2"],
                               "assessment": ["hsk", "cbec_certificate", "hsk", "cbec_certificate"],
                               "level": pd.array([None, None, 5, None], dtype="Int64"),
                               "passed": pd.array([None, None, None, False], dtype="boolean")})
    students = pd.concat([study.students, extra_students], ignore_index=True)
    assessments = pd.concat([study.assessments, extra_rows], ignore_index=True)
    local = certification_indicators(students, assessments, hsk_target=4)
    lazy = certification_indicators(con.create_table("cert_s", students), con.create_table("cert_a", assessments),
                                    hsk_target=4)
    rows = execute(lazy).set_index("student_id").loc[local["student_id"]].reset_index()
    assert list(rows.columns) == list(local.columns)
    for name in ("hsk_level", "hsk_gain", "hsk_target_rate", "certificate_pass_rate", "dual_certification_rate"):
        np.testing.assert_array_equal(rows[name].to_numpy(dtype=float), local[name].to_numpy(dtype=float),
                                      err_msg=name)
    assert local["hsk_level"].notna().sum() > 50 and local["certificate_pass_rate"].notna().sum() > 50
    for kwargs in ({"by": ["program", "cohort"], "margins": True}, {"by": []}):
        want = summarise(local, **kwargs)
        got = summarise(lazy, **kwargs)
        assert _assert_same(got, want) < 1e-13
    # scipy.stats.ttest_1samp(...).confidence_interval (scipy 1.17) on every student's HSK level (by=[])
    row = got.loc[(got["indicator"] == "hsk_level")].iloc[0]
    ci = stats.ttest_1samp(local["hsk_level"].dropna(), 0).confidence_interval(0.95)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((ci.low, ci.high), rel=1e-12)


def test_pooled_variances_survive_a_large_mean(con):
    # values near 1e5 with SD 1: the textbook sum-of-squares formula sum(x^2) - (sum x)^2 / n loses about
    # 10 of 16 digits (measured here: SS off by 1e-7 to 5e-6 relative), the engine's variance and the pooled
    # margins keep the pandas two-pass figures (measured: 2e-12 to 4e-12 relative over seeds 0-4; the
    # inputs themselves are only known to 1e-16 x 1e5 = 1e-11 absolute)
    rng = np.random.default_rng(5)
    n = 3000
    rows = pd.DataFrame({"program": rng.choice(["integrated", "traditional"], n),
                         "cohort": pd.array(rng.choice([2019, 2020, 2021], n), dtype="Int64"),
                         "portfolio_score": 1e5 + rng.normal(0, 1, n)})
    want = summarise(rows, by=["program", "cohort"], margins=True)
    got = summarise(con.create_table("offset", rows), by=["program", "cohort"], margins=True)
    assert _assert_same(got, want) < 1e-10


def test_medians_are_the_same_order_statistics(con):
    # groups of 1 to 12 values with ties, odd and even counts, NULL and NaN (too few for an interval below 6)
    rng = np.random.default_rng(11)
    sizes = np.arange(1, 13)
    group = np.repeat([f"g{s:02d}" for s in sizes], sizes + 2)
    salary = rng.choice([4000.0, 5000.0, 5500.0, 6000.0, 9000.0], group.size)
    salary[np.concatenate([[0], np.cumsum(sizes + 2)[:-1]])] = np.nan  # first row of every group: NaN
    salary[np.cumsum(sizes + 2) - 1] = np.nan  # last row: missing as well
    rows = pd.DataFrame({"program": group, "months_after_graduation": 6, "monthly_salary": salary})
    rows.loc[rows["program"] == "g07", "program"] = None  # a missing group label is a group (placed last)
    table = pa.Table.from_pandas(rows, preserve_index=False)
    table = table.set_column(2, "monthly_salary", pa.array(salary.tolist(), pa.float64(), from_pandas=False))
    engine = con.create_table("salaries", table)
    want = summarise(rows, by=["program"], margins=True)
    got = summarise(engine, by=["program"], margins=True)
    pd.testing.assert_frame_equal(got, want)
    assert got["n"].tolist()[:12] == [*sizes[sizes != 7], 7] and got["ci_low"].isna().sum() == 5
    assert got["program"].isna().sum() == 1
    # scipy.stats.quantile_test(x, q=median).confidence_interval (scipy 1.17): the 12 values of g12
    x = salary[group == "g12"]
    x = x[~np.isnan(x)]
    ci = stats.quantile_test(x, q=float(np.median(x))).confidence_interval(0.95)
    assert tuple(got.loc[got["program"] == "g12", ["ci_low", "ci_high"]].iloc[0]) == (ci.low, ci.high)


def test_response_rates_bounds_and_nonresponse_table(frames):
    local, lazy, _ = frames
    by = ["institution_id", "cohort"]
    pd.testing.assert_frame_equal(response_rates(lazy, by=by), response_rates(local, by=by))
    pd.testing.assert_frame_equal(nonresponse_bounds(lazy, "employment_rate", by=by),
                                  nonresponse_bounds(local, "employment_rate", by=by), rtol=RTOL)
    got, want = nonresponse_table(lazy), nonresponse_table(local)
    assert set(want["covariate"]) == {"gender", "student_origin", "cohort", "entrance_score", "prior_hsk_level"}
    pd.testing.assert_frame_equal(got, want, check_exact=False, rtol=RTOL)


# --- errors ------------------------------------------------------------------------------------------

def test_what_cannot_come_from_group_statistics_is_refused(frames, con):
    _, lazy, _ = frames
    with pytest.raises(ArgumentError, match="mean_interval='bootstrap' resamples rows.*'employer_satisfaction'"):
        summarise(lazy, indicators=["employer_satisfaction"], mean_interval="bootstrap", seed=1)
    half = con.create_table("half", pd.DataFrame({"program": ["a", "b"], "hsk_target_rate": [0.5, 1.0]}))
    with pytest.raises(ArgumentError, match="'hsk_target_rate' is a proportion but holds 0.5"):
        summarise(half)
    text = con.create_table("text", pd.DataFrame({"program": ["a"], "hsk_level": ["4"]}))
    with pytest.raises(ArgumentError, match="indicator 'hsk_level' is string in the engine table"):
        summarise(text)
    with pytest.raises(ColumnError, match="indicator table has no column 'gender'"):
        summarise(half, by=["gender"])


def test_bad_employment_tables_are_named(study, con):
    students = con.create_table("students_bad", study.students.reset_index(drop=True))
    employment = study.employment.reset_index(drop=True)
    doubled = pd.concat([employment, employment.iloc[[3]]], ignore_index=True)
    first = employment.iloc[3]
    with pytest.raises(ArgumentError, match=f"1 duplicate student x follow-up row.*student_id='{first['student_id']}'"
                                            f" at {first['months_after_graduation']} months"):
        employment_indicators(students, con.create_table("doubled", doubled))
    with pytest.raises(ArgumentError, match="must both be pandas DataFrames or both tables of one query engine"):
        employment_indicators(students, employment)
    with pytest.raises(ColumnError, match="employment has no column 'status'"):
        employment_indicators(students, con.create_table("no_status", employment.drop(columns="status")))
    orphan = pd.concat([employment, employment.iloc[[0]].assign(months_after_graduation=pd.array([48],
                                                                                                 dtype="Int64"))])
    with pytest.warns(DataQualityWarning, match="1 employment row"):
        employment_indicators(students, con.create_table("orphan", orphan), follow_ups=[6, 12, 36])
    with pytest.warns(DataQualityWarning, match="1 employment row"):
        employment_indicators(study.students, orphan, follow_ups=[6, 12, 36])
