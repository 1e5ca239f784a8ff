"""Cohen's and Fleiss' kappa against R irr output, a SAS printout and statsmodels.

SOURCES
- statsmodels/statsmodels : statsmodels/stats/tests/test_inter_rater.py
  @ 99d59e3d5fa8283e1cdd1bc0b55bb78221ee2f57 holds, inline,
  * ``diagnoses``: irr's ``diagnoses`` data (Fleiss 1971; 30 patients x 6 raters, categories 1-5) and the
    output of ``kappam.fleiss(diagnoses)`` in R: value 0.4302445, statistic 17.65183;
  * ``anxiety``: irr's ``anxiety`` data (20 subjects x 3 raters) and the output of
    ``kappa2(anxiety[,2:3])``, ``kappa2(anxiety[,2:3], "equal")`` and ``kappa2(anxiety[,2:3], "squared")``;
  * ``table10``: a 3 x 3 table with the SAS PROC FREQ printout of its simple and weighted kappa
    (Kappa, ASE, ASE under H0, Z, p-values, 4 decimals);
  * ``table1``: the Wikipedia Fleiss' kappa example (10 subjects, 14 raters), kappa 0.210.
- statsmodels.stats.inter_rater (0.15) is an independent Python implementation (cohens_kappa, fleiss_kappa).
- Tolerances are half a unit in the last printed digit (R prints 7 significant digits).
"""

import json

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.inter_rater import cohens_kappa as sm_cohens_kappa
from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss_kappa

from data_schema.errors import EstimationError
from surveys.agreement import (
    TIDY_COLUMNS,
    cohen_kappa,
    cohen_kappa_from_table,
    fleiss_kappa,
    fleiss_kappa_from_counts,
)

# statsmodels test_inter_rater.py @ 99d59e3d: irr's `diagnoses`
DIAGNOSES = np.array([
    [4, 4, 4, 4, 4, 4], [2, 2, 2, 5, 5, 5], [2, 3, 3, 3, 3, 5], [5, 5, 5, 5, 5, 5], [2, 2, 2, 4, 4, 4],
    [1, 1, 3, 3, 3, 3], [3, 3, 3, 3, 5, 5], [1, 1, 3, 3, 3, 4], [1, 1, 4, 4, 4, 4], [5, 5, 5, 5, 5, 5],
    [1, 4, 4, 4, 4, 4], [1, 2, 4, 4, 4, 4], [2, 2, 2, 3, 3, 3], [1, 4, 4, 4, 4, 4], [2, 2, 4, 4, 4, 5],
    [3, 3, 3, 3, 3, 5], [1, 1, 1, 4, 5, 5], [1, 1, 1, 1, 1, 2], [2, 2, 4, 4, 4, 4], [1, 3, 3, 5, 5, 5],
    [5, 5, 5, 5, 5, 5], [2, 4, 4, 4, 4, 4], [2, 2, 4, 5, 5, 5], [1, 1, 4, 4, 4, 4], [1, 4, 4, 4, 4, 5],
    [2, 2, 2, 2, 2, 4], [1, 1, 1, 1, 5, 5], [2, 2, 4, 4, 4, 4], [1, 3, 3, 3, 3, 3], [5, 5, 5, 5, 5, 5],
])
# statsmodels test_inter_rater.py @ 99d59e3d: irr's `anxiety` (column-major, 20 x 3)
ANXIETY = np.array([
    3, 3, 3, 4, 5, 5, 2, 3, 5, 2, 2, 6, 1, 5, 2, 2, 1, 2, 4, 3, 3, 6, 4,
    6, 2, 4, 2, 4, 3, 3, 2, 3, 3, 3, 2, 2, 1, 3, 3, 4, 2, 1, 4, 4, 3, 2,
    1, 6, 1, 1, 1, 2, 3, 3, 1, 1, 3, 3, 2, 2,
]).reshape(20, 3, order="F")
# statsmodels test_inter_rater.py @ 99d59e3d: the SAS example
TABLE10 = [[0, 4, 1], [0, 8, 0], [0, 1, 5]]
# statsmodels test_inter_rater.py @ 99d59e3d: the Wikipedia example (table0[:, 1:-1])
WIKI_FLEISS = [[0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
               [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7]]


def printed(text: str) -> tuple[float, float]:
    """A printed number and half a unit of its last digit (the tolerance it supports)."""
    decimals = len(text.split(".")[1]) if "." in text else 0
    return float(text), 0.5 * 10.0**-decimals


def _anxiety() -> pd.DataFrame:
    return pd.DataFrame(ANXIETY, columns=["rater1", "rater2", "rater3"])


def _diagnoses_long() -> pd.DataFrame:
    n, m = DIAGNOSES.shape
    return pd.DataFrame({"patient": np.repeat(np.arange(1, n + 1), m), "rater": np.tile(np.arange(1, m + 1), n),
                         "diagnosis": DIAGNOSES.ravel()})


@pytest.mark.parametrize(
    ("weights", "value", "z", "p"),
    [
        # kappa2(anxiety[,2:3])
        ("unweighted", "-0.006289308", "-0.0604067", "0.9518317"),
        # kappa2(anxiety[,2:3], "equal")
        ("linear", "0.1459075", "1.282472", "0.1996772"),
        # kappa2(anxiety[,2:3], "squared")
        ("quadratic", "0.2520325", "1.437451", "0.1505898"),
    ],
)
def test_cohen_kappa_matches_irr_kappa2_on_anxiety(weights, value, z, p):
    res = cohen_kappa(_anxiety(), rater_a="rater2", rater_b="rater3", weights=weights, n_boot=0)
    for got, text in [(res.estimate, value), (res.statistic, z), (res.p_value, p)]:
        expected, tol = printed(text)
        assert got == pytest.approx(expected, abs=tol)
    # irr uses the observed levels only: 5 is never used, so 1, 2, 3, 4, 6 are spaced evenly
    assert res.categories == (1, 2, 3, 4, 6)


@pytest.mark.parametrize(
    ("weights", "kappa", "ase", "ase0", "z", "p2"),
    [
        # SAS "Simple Kappa Coefficient" printout
        ("unweighted", "0.4842", "0.1380", "0.1484", "3.2626", "0.0011"),
        # SAS "Weighted Kappa Coefficient" (Cicchetti-Allison = linear weights)
        ("linear", "0.4701", "0.1457", "0.1426", "3.2971", "0.0010"),
    ],
)
def test_cohen_kappa_standard_errors_match_sas(weights, kappa, ase, ase0, z, p2):
    res = cohen_kappa_from_table(TABLE10, weights=weights, n_boot=0)
    got = [res.estimate, res.std_error, res.std_error_null, res.statistic, res.p_value]
    for value, text in zip(got, [kappa, ase, ase0, z, p2], strict=True):
        expected, tol = printed(text)
        assert value == pytest.approx(expected, abs=tol)


@pytest.mark.parametrize(("weights", "wt"), [("unweighted", None), ("linear", "linear"), ("quadratic", "quadratic")])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_cohen_kappa_matches_statsmodels_on_random_tables(weights, wt, seed):
    rng = np.random.default_rng(seed)
    k = 3 + seed
    table = rng.integers(0, 15, size=(k, k)) + np.diag(rng.integers(5, 25, size=k))
    ours = cohen_kappa_from_table(table, weights=weights, n_boot=0)
    ref = sm_cohens_kappa(table, wt=wt)
    np.testing.assert_allclose(
        [ours.estimate, ours.std_error, ours.std_error_null, ours.statistic, ours.p_value],
        [ref.kappa, ref.std_kappa, ref.std_kappa0, ref.z_value, ref.pvalue_two_sided],
        rtol=1e-10, atol=1e-14,
    )


def test_long_rows_and_table_give_the_same_kappa():
    rng = np.random.default_rng(4)
    a = rng.integers(1, 5, 300)
    b = np.where(rng.random(300) < 0.6, a, rng.integers(1, 5, 300))
    res = cohen_kappa(pd.DataFrame({"a": a, "b": b}), rater_a="a", rater_b="b", weights="linear", n_boot=0)
    table = pd.crosstab(a, b).to_numpy()
    assert res.estimate == pytest.approx(cohen_kappa_from_table(table, weights="linear", n_boot=0).estimate,
                                         abs=1e-15)


def test_missing_ratings_are_dropped_and_counted():
    data = _anxiety().astype(float)
    data.loc[[0, 5], "rater2"] = np.nan
    data.loc[7, "rater3"] = np.nan
    res = cohen_kappa(data, rater_a="rater2", rater_b="rater3", n_boot=0)
    complete = cohen_kappa(data.dropna(), rater_a="rater2", rater_b="rater3", n_boot=0)
    assert (res.n_subjects, res.n_dropped) == (17, 3)
    assert res.estimate == complete.estimate
    assert res.tidy()["n_dropped"].iloc[0] == 3


def test_categories_keep_the_spacing_of_unused_levels():
    default = cohen_kappa(_anxiety(), rater_a="rater2", rater_b="rater3", weights="linear", n_boot=0)
    full = cohen_kappa(_anxiety(), rater_a="rater2", rater_b="rater3", weights="linear", categories=range(1, 7),
                       n_boot=0)
    # statsmodels on the 6 x 6 table with the empty level 5 kept (its own convention)
    table = pd.crosstab(ANXIETY[:, 1], ANXIETY[:, 2]).reindex(index=range(1, 7), columns=range(1, 7), fill_value=0)
    assert full.estimate == pytest.approx(sm_cohens_kappa(table.to_numpy(), wt="linear").kappa, abs=1e-14)
    assert full.estimate != pytest.approx(default.estimate, abs=1e-3)
    ordered = _anxiety().astype({"rater2": pd.CategoricalDtype(range(1, 7), ordered=True)})
    assert cohen_kappa(ordered, rater_a="rater2", rater_b="rater3", weights="linear",
                       n_boot=0).estimate == pytest.approx(full.estimate, abs=1e-15)


def test_text_categories_unweighted_and_ordered():
    data = pd.DataFrame({"a": ["lo", "mid", "hi", "mid", "lo", "hi", "mid"],
                         "b": ["lo", "mid", "mid", "mid", "lo", "hi", "hi"]})
    unweighted = cohen_kappa(data, rater_a="a", rater_b="b", n_boot=0)
    codes = data.replace({"lo": 0, "mid": 1, "hi": 2}).astype(int)
    numeric = cohen_kappa(codes, rater_a="a", rater_b="b", n_boot=0)
    assert unweighted.estimate == pytest.approx(numeric.estimate, abs=1e-15)
    weighted = cohen_kappa(data, rater_a="a", rater_b="b", weights="quadratic", categories=["lo", "mid", "hi"],
                           n_boot=0)
    assert weighted.estimate == pytest.approx(
        cohen_kappa(codes, rater_a="a", rater_b="b", weights="quadratic", n_boot=0).estimate, abs=1e-15)


def test_fleiss_kappa_matches_irr_kappam_fleiss_on_diagnoses():
    res = fleiss_kappa(_diagnoses_long(), subject="patient", rater="rater", rating="diagnosis", n_boot=0)
    value, tol_v = printed("0.4302445")  # kappam.fleiss(diagnoses)$value
    z, tol_z = printed("17.65183")  # kappam.fleiss(diagnoses)$statistic
    assert res.estimate == pytest.approx(value, abs=tol_v)
    assert res.statistic == pytest.approx(z, abs=tol_z)
    assert res.p_value < 1e-16  # R prints 0
    assert (res.n_subjects, res.n_raters, res.n_dropped) == (30, 6, 0)


def test_fleiss_kappa_wikipedia_example():
    expected, tol = printed("0.210")
    assert fleiss_kappa_from_counts(WIKI_FLEISS, n_boot=0).estimate == pytest.approx(expected, abs=tol)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_fleiss_kappa_matches_statsmodels_on_random_counts(seed):
    rng = np.random.default_rng(seed)
    shares = rng.dirichlet(np.ones(4), size=60)
    counts = np.vstack([rng.multinomial(5 + seed, p) for p in shares])
    assert fleiss_kappa_from_counts(counts, n_boot=0).estimate == pytest.approx(sm_fleiss_kappa(counts), abs=1e-13)


def test_fleiss_kappa_drops_subjects_missing_a_rating():
    long = _diagnoses_long()
    long.loc[long.index[3], "diagnosis"] = np.nan  # patient 1, rater 4
    long = long.drop(index=long.index[(long["patient"] == 9) & (long["rater"] == 2)])
    res = fleiss_kappa(long, subject="patient", rater="rater", rating="diagnosis", n_boot=0)
    keep = np.ones(30, dtype=bool)
    keep[[0, 8]] = False
    counts = np.stack([(DIAGNOSES[keep] == c).sum(axis=1) for c in range(1, 6)], axis=1)
    assert (res.n_subjects, res.n_dropped) == (28, 2)
    assert res.estimate == pytest.approx(sm_fleiss_kappa(counts), abs=1e-14)


def test_bootstrap_interval_contains_the_estimate_and_is_reproducible():
    data = _anxiety()
    a = cohen_kappa(data, rater_a="rater1", rater_b="rater2", weights="quadratic", n_boot=1000, seed=11)
    b = cohen_kappa(data, rater_a="rater1", rater_b="rater2", weights="quadratic", n_boot=1000, seed=11)
    c = cohen_kappa(data, rater_a="rater1", rater_b="rater2", weights="quadratic", n_boot=1000, seed=12)
    assert a.ci_low <= a.estimate <= a.ci_high
    assert (a.ci_low, a.ci_high) == (b.ci_low, b.ci_high)
    assert (a.ci_low, a.ci_high) != (c.ci_low, c.ci_high)
    f1 = fleiss_kappa(_diagnoses_long(), subject="patient", rater="rater", rating="diagnosis", n_boot=500, seed=3)
    f2 = fleiss_kappa(_diagnoses_long(), subject="patient", rater="rater", rating="diagnosis", n_boot=500, seed=3)
    assert f1.ci_low <= f1.estimate <= f1.ci_high
    assert (f1.ci_low, f1.ci_high, f1.std_error) == (f2.ci_low, f2.ci_high, f2.std_error)


def test_unseeded_bootstrap_records_its_seed():
    first = fleiss_kappa(_diagnoses_long(), subject="patient", rater="rater", rating="diagnosis", n_boot=200)
    again = fleiss_kappa(_diagnoses_long(), subject="patient", rater="rater", rating="diagnosis", n_boot=200,
                         seed=first.seed)
    assert (first.ci_low, first.ci_high) == (again.ci_low, again.ci_high)


def test_bootstrap_spread_agrees_with_the_large_sample_standard_error():
    # Large n: the bootstrap SD of kappa and the Fleiss-Cohen-Everitt SE estimate the same thing.
    rng = np.random.default_rng(21)
    a = rng.integers(0, 4, 3000)
    b = np.where(rng.random(3000) < 0.5, a, rng.integers(0, 4, 3000))
    res = cohen_kappa(pd.DataFrame({"a": a, "b": b}), rater_a="a", rater_b="b", weights="linear", n_boot=4000, seed=2)
    half_width = (res.ci_high - res.ci_low) / 2
    assert half_width == pytest.approx(1.959964 * res.std_error, rel=0.08)


def test_tidy_and_to_dict():
    res = cohen_kappa(_anxiety(), rater_a="rater1", rater_b="rater2", n_boot=200, seed=1)
    t = res.tidy()
    assert list(t.columns[: len(TIDY_COLUMNS)]) == list(TIDY_COLUMNS)
    assert t.loc[0, "ci_method"] == "percentile bootstrap over subjects"
    assert np.isnan(t.loc[0, "df"])
    d = json.loads(json.dumps(res.to_dict(), allow_nan=False))
    assert d["method"] == "Cohen's kappa" and d["n_boot"] == 200 and d["seed"] == 1
    assert "z = " in res.summary()
    no_boot = cohen_kappa(_anxiety(), rater_a="rater1", rater_b="rater2", n_boot=0)
    assert no_boot.tidy().loc[0, "ci_method"] == "none"
    assert json.loads(json.dumps(no_boot.to_dict(), allow_nan=False))["ci_low"] is None


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda d: cohen_kappa(d, rater_a="rater1", rater_b="rater2", weights="cubic"), ValueError,
         "weights='cubic' is not a valid choice; use one of: 'unweighted', 'linear', 'quadratic'"),
        (lambda d: cohen_kappa(d, rater_a="rater1", rater_b="nurse"), KeyError, "data has no column 'nurse'"),
        (lambda d: cohen_kappa(d, rater_a="rater1", rater_b="rater2", categories=[1, 2, 3]), EstimationError,
         r"ratings 4, 5, 6 are not among categories=\[1, 2, 3\]"),
        (lambda d: cohen_kappa(d, rater_a="rater1", rater_b="rater2", categories=[1, 1, 2]), ValueError,
         "has duplicates"),
        (lambda d: cohen_kappa(d, rater_a="rater1", rater_b="rater2", n_boot=50), ValueError,
         "n_boot=50 must be 0"),
        (lambda d: cohen_kappa(d, rater_a="rater1", rater_b="rater2", seed=-1), ValueError,
         "seed=-1 must be a non-negative integer"),
        (lambda d: cohen_kappa(d.head(1), rater_a="rater1", rater_b="rater2"), EstimationError,
         "at least 2 subjects rated by both raters, got 1"),
        (lambda d: cohen_kappa(d.assign(rater1=2, rater2=2), rater_a="rater1", rater_b="rater2"), EstimationError,
         "chance agreement is 1"),
        (lambda d: cohen_kappa(d.assign(rater1=["a", 1] * 10), rater_a="rater1", rater_b="rater2", weights="linear"),
         EstimationError, "cannot be put in order, which weights='linear' needs"),
        (lambda d: cohen_kappa_from_table([[1, 2, 3], [4, 5, 6]]), EstimationError, "must be a square K x K table"),
        (lambda d: cohen_kappa_from_table([[1.5, 2], [4, 5]]), EstimationError, "non-negative whole counts"),
    ],
)
def test_cohen_kappa_refuses_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call(_anxiety())


@pytest.mark.parametrize(
    ("frame", "match"),
    [
        (pd.DataFrame({"s": [1, 1, 1, 2, 2], "r": ["a", "a", "b", "a", "b"], "y": ["x", "y", "x", "x", "y"]}),
         r"1 \(subject, rater\) pairs appear more than once, e\.g\. \(1, 'a'\)"),
        (pd.DataFrame({"s": [1, 1, 2], "r": ["a", "b", "a"], "y": ["x", "y", "x"]}),
         r"at least 2 subjects .* got 1 complete subjects with 2 ratings each \(1 subjects with fewer ratings"),
        (pd.DataFrame({"s": [1, 1, 2, 2], "r": ["a", "b", "a", "b"], "y": ["x", "x", "x", "x"]}),
         r"every rating is in one category \('x'\)"),
    ],
)
def test_fleiss_kappa_refuses_bad_input(frame, match):
    with pytest.raises(EstimationError, match=match):
        fleiss_kappa(frame, subject="s", rater="r", rating="y")


def test_fleiss_counts_must_have_equal_row_totals():
    with pytest.raises(EstimationError, match="row totals range from 3 to 4"):
        fleiss_kappa_from_counts([[3, 0], [2, 2]])
