"""Krippendorff's alpha against published examples and the independent ``krippendorff`` package.

SOURCES
- pln-fing-udelar/fast-krippendorff : tests/test_krippendorff.py @ 13c1938f1297dc013b12e2655d2b8e01f1efc0d0
  holds the data inline and the values checked there:
  * the Wikipedia example (3 coders x 15 units): nominal 0.691358 and interval 0.810845 (``round(res, 6)``);
  * Krippendorff's (2011) 4 coders x 12 units example: ordinal 0.815 and ratio 0.797 (``round(res, 3)``).
  shared/reference-data/SOURCES.md lists these as verified.
- The ``krippendorff`` package (0.9.0, PyPI; the same project) is an independent implementation used on
  random data with missing values for all four levels.
"""

import json

import krippendorff
import numpy as np
import pandas as pd
import pytest

from data_schema.errors import EstimationError
from surveys.agreement import TIDY_COLUMNS, krippendorff_alpha, krippendorff_alpha_from_matrix
from surveys.agreement.krippendorff import _alpha_of_weights, _pairable, _patterns

NAN = np.nan
WIKIPEDIA = [
    [NAN, NAN, NAN, NAN, NAN, 3, 4, 1, 2, 1, 1, 3, 3, NAN, 3],
    [1, NAN, 2, 1, 3, 3, 4, 3, NAN, NAN, NAN, NAN, NAN, NAN, NAN],
    [NAN, NAN, 2, 1, 3, 4, 4, NAN, 2, 1, 1, 3, 3, NAN, 4],
]
KRIPPENDORFF_2011 = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, NAN, NAN, NAN],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NAN, 3],
    [NAN, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NAN],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NAN],
]
LEVELS = ["nominal", "ordinal", "interval", "ratio"]


def _long(matrix) -> pd.DataFrame:
    x = np.asarray(matrix, dtype=float)
    raters, units = np.nonzero(~np.isnan(x))
    return pd.DataFrame({"unit": units, "coder": [f"c{r}" for r in raters], "value": x[raters, units]})


def _random_matrix(seed, raters=4, units=60, values=5, missing=0.3):
    rng = np.random.default_rng(seed)
    truth = rng.integers(1, values + 1, units)
    x = np.where(rng.random((raters, units)) < 0.6, truth, rng.integers(1, values + 1, (raters, units))).astype(float)
    x[rng.random(x.shape) < missing] = np.nan
    return x


@pytest.mark.parametrize(
    ("data", "level", "printed"),
    [
        (WIKIPEDIA, "nominal", "0.691358"),
        (WIKIPEDIA, "interval", "0.810845"),
        (KRIPPENDORFF_2011, "ordinal", "0.815"),
        (KRIPPENDORFF_2011, "ratio", "0.797"),
    ],
)
def test_published_examples(data, level, printed):
    tol = 0.5 * 10.0 ** -len(printed.split(".")[1])
    assert krippendorff_alpha_from_matrix(data, level=level, n_boot=0).estimate == pytest.approx(float(printed),
                                                                                                  abs=tol)
    long = krippendorff_alpha(_long(data), unit="unit", rater="coder", value="value", level=level, n_boot=0)
    assert long.estimate == pytest.approx(float(printed), abs=tol)


def test_wikipedia_counts_and_coincidences():
    res = krippendorff_alpha_from_matrix(WIKIPEDIA, level="nominal", n_boot=0)
    # 15 units: unit 2 and 14 have no value, unit 1 has a single one -> 12 pairable units, 3 dropped
    assert (res.n_units, res.n_units_dropped, res.n_raters) == (12, 3, 3)
    o = res.coincidence_matrix()
    assert o.index.tolist() == [1.0, 2.0, 3.0, 4.0]
    assert o.to_numpy().sum() == pytest.approx(res.n_pairable)
    np.testing.assert_allclose(o.to_numpy(), o.to_numpy().T)


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_matches_the_krippendorff_package_on_random_data(level, seed):
    x = _random_matrix(seed, raters=3 + seed, units=40 + 30 * seed, values=4 + seed)
    ours = krippendorff_alpha_from_matrix(x, level=level, n_boot=0).estimate
    assert ours == pytest.approx(krippendorff.alpha(reliability_data=x, level_of_measurement=level), abs=1e-12)


@pytest.mark.parametrize("level", LEVELS)
def test_bootstrap_replicates_are_alpha_of_the_resampled_units(level):
    # The vectorised replicate must equal alpha recomputed from scratch (by the krippendorff package)
    # on the units it resampled, including the replicate's own mid-ranks for ordinal data.
    x = _random_matrix(7, raters=4, units=50, values=6)
    codes = pd.Series(x.T.ravel()).pipe(lambda s: pd.factorize(s, sort=True))
    matrix = codes[0].reshape(x.shape[1], x.shape[0])
    pair_codes, values, _ = _pairable(matrix, np.asarray(codes[1]))
    patterns, group, _ = _patterns(pair_codes, values.size)
    m = np.asarray(patterns.sum(axis=1)).ravel()
    rng = np.random.default_rng(0)
    pairable = (~np.isnan(x)).sum(axis=0) >= 2
    units = x[:, pairable]
    for _ in range(5):
        draw = rng.integers(0, units.shape[1], units.shape[1])
        weights = np.bincount(group[draw], minlength=len(m)).astype(float)[None, :]
        ours = _alpha_of_weights(weights, patterns, m, values, level)[0]
        assert ours == pytest.approx(krippendorff.alpha(reliability_data=units[:, draw], level_of_measurement=level),
                                     abs=1e-12)


def test_string_labels_and_ordered_categories():
    labels = [["pos", "neg", "neu", None], ["pos", "neg", "neu", "pos"], ["pos", "neg", "pos", "pos"]]
    # fast-krippendorff tests/test_krippendorff.py @ 13c1938f: test_string_labels_nominal -> 0.722222
    assert krippendorff_alpha_from_matrix(labels, level="nominal", n_boot=0).estimate == pytest.approx(0.722222,
                                                                                                       abs=5e-7)
    order = ["low", "mid", "high", "top"]
    long = _long(KRIPPENDORFF_2011).assign(value=lambda d: pd.Categorical(
        [order[int(v) - 1] if v < 5 else "top" for v in d["value"]], categories=order, ordered=True))
    long["value"] = long["value"].cat.set_categories(["low", "mid", "high", "top", "max"], ordered=True)
    # value 5 -> "top" and 4 -> "top" merge, so compare with the merged numeric coding
    merged = np.where(np.asarray(KRIPPENDORFF_2011) == 5, 4, KRIPPENDORFF_2011)
    expected = krippendorff.alpha(reliability_data=merged, level_of_measurement="ordinal")
    res = krippendorff_alpha(long, unit="unit", rater="coder", value="value", level="ordinal", n_boot=0)
    assert res.estimate == pytest.approx(expected, abs=1e-12)
    assert res.values == ("low", "mid", "high", "top")


def test_bootstrap_interval_contains_the_estimate_and_is_reproducible():
    a = krippendorff_alpha_from_matrix(KRIPPENDORFF_2011, level="interval", n_boot=1000, seed=5)
    b = krippendorff_alpha(_long(KRIPPENDORFF_2011), unit="unit", rater="coder", value="value", level="interval",
                           n_boot=1000, seed=5)
    c = krippendorff_alpha_from_matrix(KRIPPENDORFF_2011, level="interval", n_boot=1000, seed=6)
    assert a.ci_low <= a.estimate <= a.ci_high
    assert (a.ci_low, a.ci_high, a.std_error) == (b.ci_low, b.ci_high, b.std_error)
    assert (a.ci_low, a.ci_high) != (c.ci_low, c.ci_high)
    x = _random_matrix(3, raters=5, units=400)
    for level in LEVELS:
        r = krippendorff_alpha_from_matrix(x, level=level, n_boot=500, seed=1)
        assert r.ci_low <= r.estimate <= r.ci_high
        assert r.n_boot_failed == 0


def test_tidy_and_to_dict():
    res = krippendorff_alpha_from_matrix(WIKIPEDIA, level="interval", n_boot=200, seed=2)
    t = res.tidy()
    assert list(t.columns[: len(TIDY_COLUMNS)]) == list(TIDY_COLUMNS)
    assert t.loc[0, ["statistic", "df", "p_value"]].isna().all()
    assert (t.loc[0, "n_obs"], t.loc[0, "n_dropped"]) == (12, 3)
    d = json.loads(json.dumps(res.to_dict(), allow_nan=False))
    assert d["values"] == [1.0, 2.0, 3.0, 4.0] and len(d["coincidences"]) == 4
    assert "interval" in res.summary()


@pytest.mark.parametrize(
    ("frame", "level", "match"),
    [
        (pd.DataFrame({"u": [1, 1, 1], "c": ["a", "a", "b"], "v": [1, 2, 1]}), "nominal",
         r"1 \(unit, rater\) pairs appear more than once"),
        (pd.DataFrame({"u": [1, 2, 3], "c": ["a", "b", "a"], "v": [1, 2, 1]}), "nominal",
         "no unit has values from two or more raters"),
        (pd.DataFrame({"u": [1, 1, 2, 2], "c": ["a", "b", "a", "b"], "v": [3, 3, 3, 3]}), "interval",
         r"every pairable value is the same \(3\.0\)"),
        (pd.DataFrame({"u": [1, 1, 2, 2], "c": ["a", "b", "a", "b"], "v": [-1, 2, 3, 3]}), "ratio",
         "needs non-negative values"),
        (pd.DataFrame({"u": [1, 1, 2, 2], "c": ["a", "b", "a", "b"], "v": ["x", "y", "x", "x"]}), "interval",
         "column 'v' must hold numbers"),
        (pd.DataFrame({"u": [1, 1, 2, 2], "c": ["a", "b", "a", "b"],
                       "v": pd.Categorical(["x", "y", "x", "x"])}), "ordinal", "unordered categorical"),
    ],
)
def test_refuses_bad_input(frame, level, match):
    with pytest.raises(EstimationError, match=match):
        krippendorff_alpha(frame, unit="u", rater="c", value="v", level=level)


def test_bad_arguments():
    with pytest.raises(ValueError, match="level='bipolar' is not a valid choice"):
        krippendorff_alpha_from_matrix(WIKIPEDIA, level="bipolar")
    with pytest.raises(EstimationError, match="matrix must be raters x units"):
        krippendorff_alpha_from_matrix([1, 2, 3])
    many = np.vstack([np.arange(1200.0), np.arange(1200.0) + 0.5])
    with pytest.raises(EstimationError, match="take 2400 distinct values"):
        krippendorff_alpha_from_matrix(many, level="interval")
