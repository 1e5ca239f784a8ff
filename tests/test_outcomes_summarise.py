"""summarise(): groups, margins, the interval of each kind of indicator, determinism and bad arguments."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from data_schema.errors import ArgumentError, ColumnError
from outcomes import INDICATORS, indicator_table, summarise


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    n = 400
    program = rng.choice(["integrated", "traditional"], n)
    cohort = rng.choice([2019, 2020], n)
    return pd.DataFrame({
        "program": program, "cohort": pd.array(cohort, dtype="Int64"),
        "hsk_target_rate": np.where(rng.random(n) < 0.1, np.nan, (rng.random(n) < 0.6).astype(float)),
        "hsk_level": rng.integers(1, 10, n).astype(float),
        "monthly_salary": np.round(np.exp(rng.normal(8.7, 0.35, n)), -1),
        "months_after_graduation": pd.array(rng.choice([6, 12], n), dtype="Int64"),
    })


def test_columns_and_order(frame):
    t = summarise(frame, by=["program", "cohort"])
    assert list(t.columns) == ["indicator", "program", "cohort", "months_after_graduation", "n", "numerator",
                               "estimate", "std_error", "ci_low", "ci_high", "ci_level", "method", "population"]
    # catalogue order, not frame order; salary is an employment indicator, so per follow-up
    assert t["indicator"].unique().tolist() == ["monthly_salary", "hsk_level", "hsk_target_rate"]
    assert t.loc[t["indicator"] == "monthly_salary", "months_after_graduation"].notna().all()
    assert t.loc[t["indicator"] == "hsk_level", "months_after_graduation"].isna().all()


def test_each_interval_against_scipy(frame):
    t = summarise(frame, by=["program"])
    x = frame[frame["program"] == "integrated"]
    # t interval: scipy.stats.ttest_1samp(...).confidence_interval (scipy >= 1.10), independent code
    row = t[(t["indicator"] == "hsk_level") & (t["program"] == "integrated")].iloc[0]
    ci = stats.ttest_1samp(x["hsk_level"], 0).confidence_interval(0.95)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((ci.low, ci.high), abs=1e-10)
    assert row["std_error"] == pytest.approx(stats.sem(x["hsk_level"]), rel=1e-12)
    # median: order statistics of the 6-month salaries; scipy.stats.quantile_test's interval (scipy >= 1.11)
    s = x.loc[x["months_after_graduation"] == 6, "monthly_salary"]
    row = t[(t["indicator"] == "monthly_salary") & (t["program"] == "integrated")
            & (t["months_after_graduation"] == 6)].iloc[0]
    ref = stats.quantile_test(s, q=float(np.median(s))).confidence_interval(0.95)
    assert row["estimate"] == np.median(s)
    assert (row["ci_low"], row["ci_high"]) == (ref.low, ref.high)
    # proportion: numerator and n count the known values only
    row = t[(t["indicator"] == "hsk_target_rate") & (t["program"] == "integrated")].iloc[0]
    assert (row["n"], row["numerator"]) == (x["hsk_target_rate"].notna().sum(), x["hsk_target_rate"].sum())


def test_margins_add_up(frame):
    t = summarise(frame, by=["program", "cohort"], indicators=["hsk_target_rate"], margins=True)
    cells = t[(t["program"] != "All") & (t["cohort"] != "All")]
    total = t[(t["program"] == "All") & (t["cohort"] == "All")].iloc[0]
    assert cells["n"].sum() == total["n"] and cells["numerator"].sum() == total["numerator"]
    by_program = t[(t["program"] != "All") & (t["cohort"] == "All")].set_index("program")["n"]
    assert by_program.to_dict() == cells.groupby("program")["n"].sum().to_dict()
    assert len(t) == 4 + 2 + 2 + 1


def test_bootstrap_is_seeded_and_close_to_t(frame):
    a = summarise(frame, by=["program"], indicators=["hsk_level"], mean_interval="bootstrap", seed=3)
    b = summarise(frame, by=["program"], indicators=["hsk_level"], mean_interval="bootstrap", seed=3)
    pd.testing.assert_frame_equal(a, b)
    t = summarise(frame, by=["program"], indicators=["hsk_level"])
    # n ~ 200, SD ~ 2.6: half-width ~ 0.36; percentile and t intervals agree to Monte Carlo error (~0.05)
    assert np.abs(a[["ci_low", "ci_high"]].to_numpy() - t[["ci_low", "ci_high"]].to_numpy()).max() < 0.1


def test_bad_arguments(frame):
    with pytest.raises(ArgumentError, match="mean_interval='bootstrap' needs seed="):
        summarise(frame, mean_interval="bootstrap")
    with pytest.raises(ArgumentError, match="indicator='salary' is not a valid choice"):
        summarise(frame, indicators=["salary"])
    with pytest.raises(ArgumentError, match="no frame holds the indicator\\(s\\) 'hsk_gain'"):
        summarise(frame, indicators=["hsk_gain"])
    with pytest.raises(ColumnError, match="indicator frame has no column 'institution_id'"):
        summarise(frame, by=["institution_id"])
    with pytest.raises(ArgumentError, match="is a proportion but holds 2.0"):
        summarise(frame.assign(hsk_target_rate=2.0), indicators=["hsk_target_rate"])
    with pytest.raises(ArgumentError, match="level=95 must lie strictly between 0 and 1"):
        summarise(frame, level=95)


def test_catalogue_is_complete_and_in_the_readme():
    from pathlib import Path

    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    table = indicator_table()
    assert len(table) == len(INDICATORS)
    for row in table.itertuples():
        line = f"| `{row.indicator}` | {row.label} | {row.kind} | {row.population} | {row.definition} |"
        assert line in readme, row.indicator
