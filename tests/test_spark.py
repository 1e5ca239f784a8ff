"""One study analysed on pandas, on DuckDB and on Spark (local mode): the same numbers from all three.

Issue 9 asks for ``backend: spark`` against a Spark session and for "a test [that] runs one full analysis
on both DuckDB and Spark and compares".  The analysis here is the employment chain of the annual report:
validate the exports (``load_study_into_duckdb``, which for ``engine: spark`` also writes the Parquet
tables Spark reads), employment indicators at the 12-month follow-up, their summary by program and
cohort, then the integrated-vs-traditional comparison of the employment rate: TWFE with CR1 by
institution, the event study, Callaway-Sant'Anna (simple and dynamic aggregates) and the wild cluster
bootstrap, and a random-intercept model by institution.  The reference is the pandas path on the
``load_study`` DataFrames (itself checked against R, Stata and independent Python implementations in the
estimator test files); the engines add sums up in another order, so numbers agree to 1e-10 relative
(the issue's promise) and counts exactly.

Spark needs Java; the test skips with that reason when there is none.  Starting the local session takes
some 20 s, so the file is marked slow.
"""

from __future__ import annotations

import shutil
import warnings

import numpy as np
import pandas as pd
import pytest

from analyses import did, mixed
from analyses.did.design_warnings import DesignWarning
from data_schema import load_config, load_study
from data_schema.engine import execute, is_engine_table
from data_schema.errors import ConfigError
from data_schema.synthetic import generate_study
from data_schema.warehouse import load_study_into_duckdb, open_tables
from outcomes import employment_indicators, summarise

pytest.importorskip("pyspark", reason="pyspark is not installed (pip install 'progeval[spark]')")
if shutil.which("java") is None:
    pytest.skip("Spark needs a Java runtime (java is not on PATH)", allow_module_level=True)

pytestmark = pytest.mark.slow
RTOL = 1e-10  # issue 9: "identical (to 1e-10 relative) whichever backend ran"
SPARK = ("backend:\n  engine: spark\n  database: study.duckdb\n"
         "  spark: {master: 'local[2]', tables: validated, conf: {spark.sql.shuffle.partitions: '4'}}\n")


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    syn = generate_study(tmp_path_factory.mktemp("spark_study"), seed=5, n_institutions=12, students_per_class=12,
                         classes_per_cohort=1, n_cohorts=6, first_cohort=2017)
    with open(syn.config_path, "a", encoding="utf-8") as stream:
        stream.write(SPARK)
    report = load_study_into_duckdb(syn.config_path)
    return syn, report


@pytest.fixture(scope="module")
def session(study):
    from data_schema.warehouse import spark_session

    spark = spark_session(study[0].config_path)
    spark.sparkContext.setLogLevel("ERROR")
    yield spark
    spark.stop()


def _follow_up(rows, months: int):
    if is_engine_table(rows):
        return rows.filter(rows["months_after_graduation"] == months)
    return rows[rows["months_after_graduation"] == months].reset_index(drop=True)


def analyse(tables: dict, config) -> dict[str, pd.DataFrame]:
    """The employment chain of the annual report on one backend's tables."""
    indicators = employment_indicators(tables["students"], tables["employment"], as_of=config.outcomes.as_of,
                                       satisfied_from=config.outcomes.satisfied_from)
    rows = did.adoption_columns(_follow_up(indicators, 12), config.treatment.adoption_year)
    design = dict(outcome="employment_rate", unit="institution_id", time="cohort", cluster="institution_id")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DesignWarning)  # 12 institutions: the few-cluster warnings are expected
        fits = {
            "summary": summarise(indicators, by=["program", "cohort"], indicators=[
                "employment_rate", "cbec_sector_share", "field_match_rate", "monthly_salary"]),
            "twfe": did.twfe(rows, treatment="treated", **design).tidy(),
            "event_study": did.event_study(rows, first_treated="first_treated", **design).tidy(),
            "wild": pd.DataFrame([did.wild_cluster_bootstrap(rows, treatment="treated", seed=7, **design).to_dict()]),
            "mixed": mixed.fit(rows, "employment_rate ~ treated", groups="institution_id").tidy(),
        }
        cs = did.staggered(rows, first_treated="first_treated", panel=False, seed=7, **design)
        fits["staggered_simple"] = did.aggregate(cs, "simple").tidy()
        fits["staggered_dynamic"] = did.aggregate(cs, "dynamic").tidy()
    return fits


@pytest.fixture(scope="module")
def results(study, session) -> dict[str, dict[str, pd.DataFrame]]:
    syn, _ = study
    config = load_config(syn.config_path)
    loaded = load_study(syn.config_path)
    frames = {"students": loaded.students, "employment": loaded.employment}
    return {
        "pandas": analyse(frames, config),
        "duckdb": analyse(open_tables(config, engine="duckdb"), config),
        "spark": analyse(open_tables(config, session=session), config),
    }


def _assert_same(got: pd.DataFrame, want: pd.DataFrame, what: str) -> None:
    assert list(got.columns) == list(want.columns), what
    assert len(got) == len(want), what
    for column in want.columns:
        g, w = got[column], want[column]
        if pd.api.types.is_float_dtype(w):
            np.testing.assert_allclose(g.to_numpy(float), w.to_numpy(float), rtol=RTOL, atol=0,
                                       equal_nan=True, err_msg=f"{what}: {column}")
        else:
            assert g.astype(str).tolist() == w.astype(str).tolist(), f"{what}: {column}"


@pytest.mark.parametrize("backend", ["duckdb", "spark"])
@pytest.mark.parametrize("analysis", ["summary", "twfe", "event_study", "wild", "mixed", "staggered_simple",
                                      "staggered_dynamic"])
def test_backend_gives_the_pandas_numbers(results, backend: str, analysis: str) -> None:
    _assert_same(results[backend][analysis], results["pandas"][analysis], f"{backend} {analysis}")


def test_the_analysis_is_not_empty(results) -> None:
    # guards the comparison above against agreeing on nothing
    twfe = results["pandas"]["twfe"].set_index("term")
    assert twfe.loc["treated", "n_clusters"] == 12
    assert np.isfinite(twfe.loc["treated", "std_error"]) and twfe.loc["treated", "std_error"] > 0
    assert results["pandas"]["summary"]["n"].sum() > 0
    assert len(results["pandas"]["event_study"]) >= 4
    assert results["spark"]["wild"]["p_value"].between(0, 1).all()


def test_spark_tables_are_the_valid_rows(study, session) -> None:
    syn, report = study
    tables = open_tables(syn.config_path, session=session)
    counts = report.counts().set_index("table")["valid"]
    for name, table in tables.items():
        assert int(execute(table.count())) == counts[name], name


def test_spark_backend_config_errors(study, tmp_path) -> None:
    syn, _ = study
    config = load_config(syn.config_path)
    moved = config.model_copy(update={"root": tmp_path})
    with pytest.raises(ConfigError, match="no Parquet export of table students"):
        open_tables(moved, engine="spark")
    duckdb_only = config.model_copy(update={"backend": config.backend.model_copy(
        update={"engine": "duckdb", "spark": None})})
    with pytest.raises(ConfigError, match="has no spark backend"):
        open_tables(duckdb_only, engine="spark")


def test_reloading_replaces_the_export_whole(study, tmp_path) -> None:
    syn, _ = study
    folder = syn.root / "validated"
    before = sorted(p.name for p in folder.iterdir())
    load_study_into_duckdb(syn.config_path)
    assert sorted(p.name for p in folder.iterdir()) == before
    assert not [p for p in syn.root.iterdir() if p.name.startswith(".validated")]
