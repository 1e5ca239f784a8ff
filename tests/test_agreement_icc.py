"""Intraclass correlations against Shrout & Fleiss (1979) as printed by R psych::ICC, and against pingouin.

SOURCES
- surveys/example_data/shrout_fleiss_1979.csv (surveys.examples.shrout_fleiss):
  byte copy of shared/reference-data/shrout_fleiss_1979.csv
  (sha256 e7936cd14adc95ccb846e475956fc5ccc72a73b87f9c5056bce92625e2fd74f5), the matrix ``sf`` of the
  examples in cran/psych : man/ICC.Rd @ 25172c9977973ca091bb0d9d111343863e1d4661; the same six targets x
  four judges are inline in raphaelvallat/pingouin : tests/test_reliability.py
  @ 0d02947c5922adb171ebdf2a2e8d406b0bd27096 (``test_intraclass_corr``, "Compare to the ICC function of
  the R package psych"), which is where the printed values below come from.
- Unrounded ICCs to 7 decimals: shared/reference-data/SOURCES.md (pingouin 0.7, matching an R ``icc()``).
- pingouin.intraclass_corr (0.7) is an independent implementation (ANOVA through pingouin.anova).
"""

import json
import time

import numpy as np
import pandas as pd
import pingouin as pg
import pytest

from data_schema.errors import EstimationError
from surveys.agreement import TIDY_COLUMNS, icc, icc_from_matrix
from surveys.examples import DATA_DIR

# pingouin 0.7 calls DataFrame.dropna(inplace=True), deprecated in pandas 3.1; only its own warning is ignored.
PINGOUIN_INPLACE = pytest.mark.filterwarnings(
    "ignore:The inplace keyword in DataFrame.dropna:pandas.errors.Pandas4Warning"
)
SF_CSV = DATA_DIR / "shrout_fleiss_1979.csv"
TERMS = ["ICC(1,1)", "ICC(2,1)", "ICC(3,1)", "ICC(1,k)", "ICC(2,k)", "ICC(3,k)"]


@pytest.fixture(scope="module")
def sf_wide() -> pd.DataFrame:
    return pd.read_csv(SF_CSV, index_col="target")


@pytest.fixture(scope="module")
def sf_long(sf_wide) -> pd.DataFrame:
    return sf_wide.reset_index().melt(id_vars="target", var_name="judge", value_name="rating")


def _random_long(n=40, k=5, seed=0, rater_sd=0.7):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 1)) + rng.normal(scale=rater_sd, size=(1, k)) + rng.normal(size=(n, k))
    return pd.DataFrame({"t": np.repeat(np.arange(n), k), "r": np.tile([f"R{j}" for j in range(k)], n),
                         "y": x.ravel()})


def test_shrout_fleiss_values_as_printed_by_psych(sf_long):
    res = icc(sf_long, target="target", rater="judge", rating="rating")
    t = res.tidy()
    assert t["term"].tolist() == TERMS
    assert t["psych_type"].tolist() == ["ICC1", "ICC2", "ICC3", "ICC1k", "ICC2k", "ICC3k"]
    # pingouin tests/test_reliability.py, from psych::ICC, printed to 2 decimals
    assert t["estimate"].to_numpy() == pytest.approx([0.17, 0.29, 0.71, 0.44, 0.62, 0.91], abs=0.005)
    # F printed to 1 decimal; df exact
    assert t["statistic"].to_numpy() == pytest.approx([1.8, 11.0, 11.0, 1.8, 11.0, 11.0], abs=0.05)
    assert t["df"].tolist() == [5] * 6
    assert t["df_denom"].tolist() == [18, 15, 15, 18, 15, 15]
    # p-values as pingouin lists them, checked there with decimal=4; we use 1e-4
    assert t["p_value"].to_numpy() == pytest.approx([0.16472, 0.00013, 0.00013, 0.16472, 0.00013, 0.00013],
                                                    abs=1e-4)
    # 95% CIs printed to 2 decimals (the ICC(2,x) ones use the Satterthwaite-type df)
    assert t["ci_low"].to_numpy() == pytest.approx([-0.13, 0.02, 0.34, -0.88, 0.07, 0.68], abs=0.005)
    assert t["ci_high"].to_numpy() == pytest.approx([0.72, 0.76, 0.95, 0.91, 0.93, 0.99], abs=0.005)


def test_shrout_fleiss_unrounded_values(sf_wide):
    # shared/reference-data/SOURCES.md: pingouin 0.7 values printed to 7 decimals
    res = icc_from_matrix(sf_wide)
    expected = [0.1657418, 0.2897638, 0.7148407, 0.4427971, 0.6200505, 0.9093155]
    assert [f.estimate for f in res.forms] == pytest.approx(expected, abs=1e-7)


def test_long_and_wide_inputs_agree(sf_wide, sf_long):
    a = icc(sf_long, target="target", rater="judge", rating="rating").tidy()
    b = icc_from_matrix(sf_wide).tidy()
    pd.testing.assert_frame_equal(a, b)


@PINGOUIN_INPLACE
@pytest.mark.parametrize(("n", "k", "seed"), [(40, 5, 0), (15, 2, 1), (200, 3, 2), (8, 7, 3)])
def test_matches_pingouin_on_random_data(n, k, seed, monkeypatch):
    monkeypatch.setitem(pg.options, "round.column.CI95", None)  # pingouin rounds its CIs to 2 decimals by default
    long = _random_long(n, k, seed)
    ours = icc(long, target="t", rater="r", rating="y").tidy()
    ref = pg.intraclass_corr(data=long, targets="t", raters="r", ratings="y")
    np.testing.assert_allclose(ours["estimate"], ref["ICC"], rtol=0, atol=1e-10)
    np.testing.assert_allclose(ours["statistic"], ref["F"], rtol=1e-10, atol=0)
    np.testing.assert_array_equal(ours["df"], ref["df1"])
    np.testing.assert_array_equal(ours["df_denom"], ref["df2"])
    np.testing.assert_allclose(ours["p_value"], ref["pval"], rtol=1e-8, atol=1e-14)
    ci = np.vstack(ref["CI95"].to_numpy())
    np.testing.assert_allclose(ours["ci_low"], ci[:, 0], atol=1e-10)
    np.testing.assert_allclose(ours["ci_high"], ci[:, 1], atol=1e-10)


@PINGOUIN_INPLACE
def test_complete_targets_matches_pingouin_listwise_omit():
    long = _random_long(30, 4, seed=5)
    long.loc[[3, 17, 50], "y"] = np.nan  # three targets lose one rating each
    long = long.drop(index=[90])  # and a fourth has no row at all for one rater
    ours = icc(long, target="t", rater="r", rating="y", missing="complete_targets")
    assert (ours.n_targets, ours.n_targets_dropped) == (26, 4)
    ref = pg.intraclass_corr(data=long.dropna(), targets="t", raters="r", ratings="y", nan_policy="omit")
    np.testing.assert_allclose([f.estimate for f in ours.forms], ref["ICC"], atol=1e-10)
    assert ours.tidy()["n_dropped"].eq(4).all()


def test_missing_ratings_are_refused_by_default_with_counts_per_rater(sf_long):
    broken = sf_long.drop(index=sf_long.index[(sf_long["judge"] == "J2") & sf_long["target"].isin(["S1", "S3"])])
    broken.loc[(broken["judge"] == "J4") & (broken["target"] == "S5"), "rating"] = np.nan
    with pytest.raises(EstimationError, match=r"3 of 6 targets lack ratings \(missing: 2 from rater 'J2', "
                                              r"1 from rater 'J4'.*missing='complete_targets'"):
        icc(broken, target="target", rater="judge", rating="rating")
    res = icc(broken, target="target", rater="judge", rating="rating", missing="complete_targets")
    assert (res.n_targets, res.n_targets_dropped) == (3, 3)


def test_result_is_invariant_to_row_order(sf_long):
    shuffled = sf_long.sample(frac=1, random_state=4)
    a = icc(sf_long, target="target", rater="judge", rating="rating").tidy()
    b = icc(shuffled, target="target", rater="judge", rating="rating").tidy()
    pd.testing.assert_frame_equal(a, b)


def test_wider_level_gives_wider_intervals(sf_wide):
    narrow = icc_from_matrix(sf_wide, ci_level=0.80).tidy()
    wide = icc_from_matrix(sf_wide, ci_level=0.99).tidy()
    assert (wide["ci_low"] < narrow["ci_low"]).all()
    assert (wide["ci_high"] > narrow["ci_high"]).all()
    assert wide["ci_level"].eq(0.99).all()


def test_tidy_and_to_dict(sf_wide):
    res = icc_from_matrix(sf_wide)
    t = res.tidy()
    assert list(t.columns[: len(TIDY_COLUMNS)]) == list(TIDY_COLUMNS)
    assert t["mcgraw_wong"].iloc[1] == "two-way random, absolute agreement, single rater"
    d = json.loads(json.dumps(res.to_dict(), allow_nan=False))
    assert d["forms"][2]["term"] == "ICC(3,1)"
    assert d["n_targets"] == 6
    assert res.get("ICC2k") == res.get("ICC(2,k)")
    with pytest.raises(KeyError, match="no ICC form 'ICC4'"):
        res.get("ICC4")
    assert "6 targets x 4 raters" in res.summary()


def test_twenty_thousand_targets_in_well_under_a_second():
    long = _random_long(20_000, 4, seed=9)
    start = time.perf_counter()
    res = icc(long, target="t", rater="r", rating="y")
    assert time.perf_counter() - start < 1.0
    assert res.n_targets == 20_000


@pytest.mark.parametrize(
    ("frame", "match"),
    [
        (pd.DataFrame({"t": [1, 1, 1, 2, 2], "r": ["a", "b", "a", "a", "b"], "y": [1.0, 2, 3, 4, 5]}),
         r"1 \(target, rater\) pairs appear more than once, e\.g\. \(1, 'a'\)"),
        (pd.DataFrame({"t": [1, 2, 3], "r": ["a", "a", "a"], "y": [1.0, 2, 3]}),
         r"at least 2 raters, got 1 \('a'\)"),
        (pd.DataFrame({"t": [1, 1], "r": ["a", "b"], "y": [1.0, 2]}),
         "at least 2 targets rated by every rater, got 1"),
        (pd.DataFrame({"t": [1, 1, 2, 2], "r": ["a", "b", "a", "b"], "y": [3.0, 3, 3, 3]}),
         "all 4 ratings are equal"),
        (pd.DataFrame({"t": [1, 1, 2, 2, 3, 3], "r": ["a", "b"] * 3, "y": [1.0, 2, 4, 5, 2, 3]}),
         "no residual variation"),
        (pd.DataFrame({"t": [1, 1, 2, 2], "r": ["a", "b", "a", "b"], "y": ["low", "high", "low", "low"]}),
         "column 'y' must hold numbers"),
        (pd.DataFrame({"t": [1, None, 2, 2], "r": ["a", "b", "a", "b"], "y": [1.0, 2, 3, 4]}),
         "1 of 4 rows have no target id"),
    ],
)
def test_malformed_designs_are_refused(frame, match):
    with pytest.raises(EstimationError, match=match):
        icc(frame, target="t", rater="r", rating="y")


def test_refused_when_complete_targets_leaves_too_few():
    frame = pd.DataFrame({"t": [1, 1, 2, 2, 3], "r": ["a", "b", "a", "b", "a"], "y": [1.0, 2, 3, np.nan, 5]})
    with pytest.raises(EstimationError, match="got 1 after dropping 2 incomplete targets"):
        icc(frame, target="t", rater="r", rating="y", missing="complete_targets")


def test_bad_arguments(sf_long):
    with pytest.raises(ValueError, match="missing='pairwise' is not a valid choice"):
        icc(sf_long, target="target", rater="judge", rating="rating", missing="pairwise")
    with pytest.raises(KeyError, match="data has no column 'score'"):
        icc(sf_long, target="target", rater="judge", rating="score")
    with pytest.raises(ValueError, match="ci_level=95 must lie strictly between 0 and 1"):
        icc(sf_long, target="target", rater="judge", rating="rating", ci_level=95)
    with pytest.raises(EstimationError, match="matrix must be targets x raters"):
        icc_from_matrix(pd.DataFrame(index=[1, 2]))
