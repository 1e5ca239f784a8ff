"""Reliability: alpha, omega and item analysis against published values and independent implementations."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pingouin as pg
import pytest

from data_schema.codebook import builtin_codebooks
from data_schema.errors import EstimationError, EstimationWarning
from surveys.examples import realstats_items
from surveys.reliability import cronbach_alpha, item_analysis, mcdonald_omega, one_factor_ml, reliability_table
from surveys.reliability.alpha import _boot_complete, _boot_pairwise, alpha_from_cov


def _normal_items(n=400, k=6, seed=0, missing=0.0):
    rng = np.random.default_rng(seed)
    lam = np.linspace(0.5, 0.9, k)
    x = rng.standard_normal((n, 1)) * lam + rng.standard_normal((n, k)) * np.sqrt(1 - lam**2)
    x[rng.random(x.shape) < missing] = np.nan
    return pd.DataFrame(x, columns=[f"q{i}" for i in range(k)])


def test_alpha_matches_the_published_realstats_example():
    # pingouin tests/test_reliability.py (checked against R psych::alpha): alpha 0.592, 95% CI [0.195, 0.840];
    # pingouin 0.7 unrounded: 0.5917188 (/work/shared/reference-data/SOURCES.md).
    result = cronbach_alpha(realstats_items(), n_boot=0)
    assert result.alpha == pytest.approx(0.5917188, abs=5e-8)
    assert (result.ci_low, result.ci_high) == pytest.approx((0.195, 0.840), abs=5e-4)
    assert (result.n, result.k) == (15, 10)


@pytest.mark.parametrize("missing", [0.0, 0.08])
def test_alpha_and_feldt_interval_match_pingouin(missing):
    # pingouin.cronbach_alpha: an independent implementation (pairwise covariances, Feldt interval).
    items = _normal_items(missing=missing, seed=3)
    alpha, (low, high) = pg.cronbach_alpha(data=items, ci=0.95)
    result = cronbach_alpha(items, n_boot=0)
    # pingouin keeps every row as n; we leave out respondents with fewer than two answers (none here)
    assert result.n == len(items)
    assert result.alpha == pytest.approx(alpha, abs=1e-12)
    # pingouin rounds its interval to 3 decimals
    assert (result.ci_low, result.ci_high) == pytest.approx((low, high), abs=5e-4)


def test_listwise_drops_and_counts_incomplete_respondents():
    items = _normal_items(missing=0.05, seed=4)
    complete = items.dropna()
    result = cronbach_alpha(items, missing="listwise", n_boot=0)
    assert (result.n, result.n_dropped) == (len(complete), len(items) - len(complete))
    assert result.alpha == pytest.approx(alpha_from_cov(np.cov(complete.to_numpy(), rowvar=False)), abs=1e-12)


@pytest.mark.parametrize(("missing", "boot"), [(0.0, _boot_complete), (0.1, _boot_pairwise)])
def test_vectorised_bootstrap_equals_resampling_row_by_row(missing, boot):
    x = _normal_items(n=120, k=5, missing=missing, seed=5).to_numpy()
    x = x[(~np.isnan(x)).sum(axis=1) >= 2]
    fast = boot(x, 70, np.random.default_rng(9))
    rng = np.random.default_rng(9)
    slow = []
    for _ in range(70):
        counts = np.bincount(rng.integers(0, len(x), len(x)), minlength=len(x))
        slow.append(alpha_from_cov(pd.DataFrame(np.repeat(x, counts, axis=0)).cov().to_numpy()))
    np.testing.assert_allclose(fast, slow, rtol=1e-10)


def test_bootstrap_interval_is_reproducible_and_brackets_alpha():
    items = _normal_items(seed=6)
    a = cronbach_alpha(items, n_boot=500, seed=11)
    b = cronbach_alpha(items, n_boot=500, seed=11)
    assert a == b
    assert a.boot_ci_low < a.alpha < a.boot_ci_high
    assert list(a.tidy()["method"]) == ["feldt", "bootstrap"]
    assert json.loads(json.dumps(a.to_dict()))["alpha"] == a.alpha


@pytest.mark.slow
def test_alpha_standard_error_matches_its_sampling_distribution():
    # van Zyl, Neudecker & Nel (2000) normal-theory SE vs the SD of alpha over 2,000 simulated samples.
    rng = np.random.default_rng(12)
    lam = np.array([0.4, 0.5, 0.6, 0.7, 0.8])
    draws, ses = [], []
    for _ in range(2000):
        x = rng.standard_normal((200, 1)) * lam + rng.standard_normal((200, 5)) * np.sqrt(1 - lam**2)
        r = cronbach_alpha(x, n_boot=0)
        draws.append(r.alpha)
        ses.append(r.std_error)
    # Monte-Carlo error of an SD from 2,000 draws is about 1.6%; allow 3 of them.
    assert np.mean(ses) == pytest.approx(np.std(draws, ddof=1), rel=0.05)


def test_one_factor_ml_is_exact_for_three_items():
    # Three items: the one-factor model is just identified, so lambda_1^2 = s12 s13 / s23 (and cyclically),
    # and omega = (sum lambda)^2 / 1'S1 (the model reproduces S exactly).
    x = _normal_items(n=250, k=3, seed=8).to_numpy()
    s = np.cov(x, rowvar=False)
    lam = np.sqrt([s[0, 1] * s[0, 2] / s[1, 2], s[0, 1] * s[1, 2] / s[0, 2], s[0, 2] * s[1, 2] / s[0, 1]])
    n = len(x)
    fit = one_factor_ml(s, n=n)
    np.testing.assert_allclose(fit.loadings, lam * np.sqrt((n - 1) / n), rtol=1e-6)
    assert fit.chi_square == pytest.approx(0, abs=1e-8)
    result = mcdonald_omega(x)
    assert result.omega == pytest.approx(lam.sum() ** 2 / s.sum(), rel=1e-6)
    assert result.df == 0 and np.isnan(result.p_value)


def test_omega_recovers_a_known_population_value():
    lam = np.array([0.8, 0.7, 0.6, 0.7, 0.5])
    psi = 1 - lam**2
    truth = lam.sum() ** 2 / (lam.sum() ** 2 + psi.sum())
    rng = np.random.default_rng(21)
    x = rng.standard_normal((20000, 1)) * lam + rng.standard_normal((20000, 5)) * np.sqrt(psi)
    result = mcdonald_omega(x)
    assert result.converged and not result.heywood
    assert result.ci_low < truth < result.ci_high
    assert result.omega == pytest.approx(truth, abs=4 * result.std_error)


@pytest.mark.slow
def test_omega_wald_standard_error_matches_its_sampling_distribution():
    lam = np.array([0.8, 0.7, 0.6, 0.5])
    rng = np.random.default_rng(22)
    draws, ses = [], []
    for _ in range(1000):
        x = rng.standard_normal((300, 1)) * lam + rng.standard_normal((300, 4)) * np.sqrt(1 - lam**2)
        r = mcdonald_omega(x)
        draws.append(r.omega)
        ses.append(r.std_error)
    # Monte-Carlo error of an SD from 1,000 draws is about 2.2%; allow 3 of them.
    assert np.mean(ses) == pytest.approx(np.std(draws, ddof=1), rel=0.07)


def test_omega_refuses_fewer_than_three_items():
    with pytest.raises(EstimationError, match="at least 3 items"):
        mcdonald_omega(_normal_items(k=2))


def test_item_analysis_matches_brute_force():
    items = _normal_items(n=300, k=5, seed=7).round(0).clip(-2, 2)
    table = item_analysis(items, scale_min=-2, scale_max=2).set_index("item")
    for col in items:
        rest = items.drop(columns=col)
        assert table.loc[col, "item_total_r"] == pytest.approx(items[col].corr(rest.sum(axis=1)), abs=1e-12)
        assert table.loc[col, "alpha_if_deleted"] == pytest.approx(pg.cronbach_alpha(rest)[0], abs=1e-12)
        assert table.loc[col, "floor_share"] == pytest.approx((items[col] == -2).mean())
        assert table.loc[col, "ceiling_share"] == pytest.approx((items[col] == 2).mean())
        assert table.loc[col, "mean"] == pytest.approx(items[col].mean())


def test_synthetic_instruments_are_as_reliable_as_built(clean_study):
    syn, study = clean_study
    books = builtin_codebooks()
    built = syn.truth["surveys"]["reliability"]["alpha"]
    table = reliability_table(study.survey_responses, {k: books[k] for k in built}, by=["wave"], subscales=False,
                              n_boot=0).scales
    assert len(table) == sum(len(w) for w in built.values())
    for row in table.itertuples():
        population = built[row.instrument][str(row.wave)]
        # the generator's population alpha lies inside the sample's Feldt interval
        assert row.alpha_ci_low < population < row.alpha_ci_high, (row.instrument, row.wave)
        assert 0.85 < row.alpha < 0.95


def test_reliability_table_by_program_and_cohort_with_subscales(clean_study):
    _, study = clean_study
    book = builtin_codebooks()["intercultural_competence"]
    result = reliability_table(study.survey_responses, book, students=study.students, by=["program", "wave"],
                               n_boot=0)
    scales = result.scales
    assert set(scales["scale"]) == {"total", "engagement", "respect", "effectiveness"}
    assert set(scales["program"]) == {"integrated", "traditional"}
    assert len(scales) == 4 * 2 * 3
    assert scales["omega"].notna().all() and scales["alpha"].notna().all()
    assert set(result.items["item"]) == set(book.item_ids)
    tiny = reliability_table(study.survey_responses[:40], book, by=["wave"], n_boot=0).scales
    assert tiny["note"].str.contains("fewer than 10 respondents").all()


def test_grouping_column_must_exist(clean_study):
    _, study = clean_study
    book = builtin_codebooks()["intercultural_competence"]
    with pytest.raises(KeyError, match="pass students="):
        reliability_table(study.survey_responses, book, by=["program"])


def test_heywood_case_is_reported_not_hidden():
    rng = np.random.default_rng(30)
    f = rng.standard_normal(500)
    x = np.column_stack([f, 0.7 * f + 0.7 * rng.standard_normal(500), 0.6 * f + 0.8 * rng.standard_normal(500),
                         0.5 * f + 0.9 * rng.standard_normal(500)])
    with pytest.warns(EstimationWarning, match="Heywood case"):
        result = mcdonald_omega(pd.DataFrame(x, columns=["a", "b", "c", "d"]))
    assert result.heywood == ("a",)
    assert result.converged


@pytest.mark.parametrize("items", [["x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9"], ["x4", "x5", "x6", "x7"]])
def test_omega_matches_the_lavaan_checked_cfa_engine(items):
    # Independent implementation: surveys.invariance.cfa (marker identification, Newton/Fisher scoring), whose
    # Holzinger-Swineford fits match lavaan's printed output (tests/test_invariance.py).  omega is semTools'
    # omega_1 (Raykov 2001): (sum lambda)^2 psi / ((sum lambda)^2 psi + sum theta).
    from surveys.invariance import cfa

    hs = pd.read_csv(Path(__file__).parent / "data" / "invariance" / "HolzingerSwineford1939.csv")
    fit = cfa(hs, factors={"f": items})
    lam, theta, phi = fit.loadings()["f"], fit.residual_variances(), float(fit.factor_covariance().iloc[0, 0])
    expected = lam.sum() ** 2 * phi / (lam.sum() ** 2 * phi + theta.sum())
    result = mcdonald_omega(hs[items])
    assert result.omega == pytest.approx(expected, abs=1e-7)
    assert result.chi_square == pytest.approx(fit.fit.chisq, rel=1e-6)
