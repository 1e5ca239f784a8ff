"""``did.adoption_columns``: treatment timing from a study's adoption years, on DataFrames and engine tables.

The rule is the data contract's (``treatment.adoption_year`` is the first cohort taught in the integrated
program; null = never) and the staggered estimator's convention (``first_treated`` = 0 for never-treated
units, Callaway and Sant'Anna 2021); the expected values below are worked by hand from it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analyses.did import adoption_columns
from data_schema.engine import execute
from data_schema.errors import ArgumentError, ColumnError

ibis = pytest.importorskip("ibis")

ROWS = pd.DataFrame({"institution_id": ["A", "A", "A", "B", "B", "C"],
                     "cohort": [2018, 2019, 2020, 2018, 2021, None]}).astype({"cohort": "Int64"})
YEARS = {"A": 2019, "B": None, "C": 2020}


def test_hand_worked_rows():
    out = adoption_columns(ROWS, YEARS)
    assert out["first_treated"].tolist() == [2019, 2019, 2019, 0, 0, 2020]
    np.testing.assert_array_equal(out["treated"].to_numpy(), [0.0, 1.0, 1.0, 0.0, 0.0, np.nan])
    assert list(out.columns[:2]) == ["institution_id", "cohort"] and len(out) == len(ROWS)


def test_engine_table_gives_the_same_rows():
    table = ibis.duckdb.connect().create_table("rows", ROWS)
    got = execute(adoption_columns(table, YEARS)).sort_values(["institution_id", "cohort"], ignore_index=True)
    want = adoption_columns(ROWS, YEARS).sort_values(["institution_id", "cohort"], ignore_index=True)
    assert got["first_treated"].tolist() == want["first_treated"].tolist()
    np.testing.assert_array_equal(got["treated"].to_numpy(float), want["treated"].to_numpy(float))


@pytest.mark.parametrize("engine", [False, True])
def test_institution_without_adoption_year(engine):
    data = ibis.duckdb.connect().create_table("rows", ROWS) if engine else ROWS
    with pytest.raises(ArgumentError, match=r"1 institution\(s\) in column 'institution_id' have no adoption "
                                            r"year: 'C'; add them to treatment.adoption_year"):
        adoption_columns(data, {"A": 2019, "B": None})


@pytest.mark.parametrize("year", [0, -3, 2019.5, "2019", True])
def test_bad_adoption_year(year):
    with pytest.raises(ArgumentError, match="adoption year of 'A' is .*expected a positive whole cohort year"):
        adoption_columns(ROWS, {**YEARS, "A": year})


@pytest.mark.parametrize("engine", [False, True])
def test_missing_column(engine):
    frame = ROWS.rename(columns={"cohort": "year"})
    data = ibis.duckdb.connect().create_table("rows", frame) if engine else frame
    with pytest.raises(ColumnError, match="cohort"):
        adoption_columns(data, YEARS)
