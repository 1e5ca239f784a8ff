"""The backend seam: group counts, sums and cross-products agree between pandas and DuckDB (through Ibis).

The pandas path is the reference (plain numpy sums by group); the DuckDB path runs the same request as SQL
inside the engine.  Floating-point sums depend on the order of addition, so agreement is to 1e-12
relative, far inside the 1e-10 the estimators promise.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from data_schema.engine import execute, group_sums, is_engine_table, table_columns, to_pandas
from data_schema.errors import ArgumentError, ColumnError

ibis = pytest.importorskip("ibis")


@pytest.fixture(scope="module")
def con():
    return ibis.duckdb.connect()


def _rows(seed: int = 1, n: int = 20_000) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"institution": rng.choice([f"I{i:02d}" for i in range(25)], n),
                          "year": rng.integers(2015, 2025, n), "y": rng.normal(3.0, 2.0, n),
                          "w": rng.uniform(0.5, 2.0, n), "big": rng.integers(2**40, 2**41, n)})
    frame.loc[rng.random(n) < 0.03, "y"] = np.nan
    frame.loc[rng.random(n) < 0.01, "year"] = None
    return frame.astype({"year": "Int64"})


SUMS = {"w": ("w",), "wy": ("w", "y"), "wyy": ("w", "y", "y"), "big2": ("big", "big")}


def test_pandas_and_duckdb_agree(con) -> None:
    rows = _rows()
    table = con.create_table("rows_a", rows)
    assert is_engine_table(table) and not is_engine_table(rows)
    local = group_sums(rows, ["institution", "year"], sums=SUMS)
    engine = group_sums(table, ["institution", "year"], sums=SUMS)
    assert list(engine.columns) == ["institution", "year", "n", *SUMS]
    assert engine[["institution"]].equals(local[["institution"]])
    np.testing.assert_array_equal(engine["year"].to_numpy(dtype="int64"), local["year"].to_numpy(dtype="int64"))
    np.testing.assert_array_equal(engine["n"].to_numpy(), local["n"].to_numpy())
    for name in SUMS:
        np.testing.assert_allclose(engine[name].to_numpy(), local[name].to_numpy(), rtol=1e-12, atol=0)


def test_complete_cases_and_counts_by_hand() -> None:
    rows = pd.DataFrame({"g": ["a", "a", "a", "b"], "y": [1.0, np.nan, 3.0, 5.0], "x": [2.0, 1.0, np.nan, 1.0]})
    out = group_sums(rows, ["g"], sums={"y": ("y",)})
    assert out.to_dict("list") == {"g": ["a", "b"], "n": [2, 1], "y": [4.0, 5.0]}
    # A product uses both columns: only complete rows count.
    out = group_sums(rows, ["g"], sums={"xy": ("x", "y")})
    assert out.to_dict("list") == {"g": ["a", "b"], "n": [1, 1], "xy": [2.0, 5.0]}
    out = group_sums(rows, [], sums={"y": ("y",)}, required=["x"])
    assert out.to_dict("list") == {"n": [2], "y": [6.0]}


def test_integer_products_do_not_overflow(con) -> None:
    rows = pd.DataFrame({"g": [1, 1], "big": np.array([2**40, 2**41], dtype="int64")})
    expected = float(2**80 + 2**82)
    assert group_sums(rows, ["g"], sums={"b2": ("big", "big")})["b2"].iloc[0] == expected
    assert group_sums(con.create_table("big", rows), ["g"], sums={"b2": ("big", "big")})["b2"].iloc[0] == expected


def test_helpers_and_errors(con) -> None:
    rows = _rows(n=50)
    table = con.create_table("rows_b", rows)
    assert table_columns(table) == table_columns(rows)
    pd.testing.assert_frame_equal(to_pandas(table, ["w"]), to_pandas(rows, ["w"]))
    assert int(execute(table.count().as_table()).iloc[0, 0]) == 50
    with pytest.raises(ColumnError, match="salary"):
        group_sums(table, ["institution"], sums={"s": ("salary",)})
    with pytest.raises(ArgumentError, match="repeat a grouping column"):
        group_sums(rows, ["institution"], sums={"institution": ("y",)})
    with pytest.raises(ArgumentError, match="tuple of column names"):
        group_sums(rows, ["institution"], sums={"s": "y"})
    with pytest.raises(ArgumentError, match="pandas DataFrame or an Ibis table"):
        group_sums([1, 2], ["g"])


def test_nan_stored_in_the_engine_is_missing(con) -> None:
    """DuckDB keeps NaN distinct from NULL; both must count as missing, as pandas counts NaN."""
    rows = pd.DataFrame({"g": ["a", "a", "b"], "y": [1.0, 2.0, 3.0]})
    table = con.create_table("nan_rows", rows)
    table = table.mutate(y=ibis.ifelse(table.y == 2.0, ibis.literal(float("nan")), table.y))
    out = group_sums(table, ["g"], sums={"y": ("y",)})
    assert out.to_dict("list") == {"g": ["a", "b"], "n": [1, 1], "y": [1.0, 3.0]}
