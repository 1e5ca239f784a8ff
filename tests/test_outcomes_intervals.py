"""Confidence intervals of the outcome tables against published tables and independent implementations."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize, stats
from statsmodels.stats.proportion import proportion_confint

from data_schema.errors import ArgumentError
from outcomes.intervals import (
    bootstrap_mean_interval,
    bootstrap_mean_intervals,
    imbens_manski_critical_value,
    imbens_manski_interval,
    manski_bounds,
    median_interval,
    median_interval_ranks,
    median_intervals,
    t_interval,
    wilson_interval,
)

LEVELS = st.sampled_from([0.5, 0.8, 0.9, 0.95, 0.99, 0.999])

# ----------------------------------------------------------------------------- Wilson


@pytest.mark.parametrize(("x", "n", "low", "high"), [
    # Newcombe (1998) Stat Med 17:857-872, Table I, method 3 (score method without continuity correction),
    # printed to 4 decimals.  Read from a public transcription of the table (the original PDF was not at hand);
    # statsmodels' proportion_confint(method="wilson") rounds to the same digits.
    (81, 263, 0.2553, 0.3662),
    (15, 148, 0.0624, 0.1605),
    (0, 20, 0.0000, 0.1611),
    (1, 29, 0.0061, 0.1718),
])
def test_wilson_matches_newcombe_table_1(x, n, low, high):
    got_low, got_high = wilson_interval(x, n)
    assert float(got_low) == pytest.approx(low, abs=5e-5)
    assert float(got_high) == pytest.approx(high, abs=5e-5)


@settings(max_examples=300, deadline=None)
@given(n=st.integers(1, 10**7), share=st.floats(0, 1), level=LEVELS)
def test_wilson_equals_statsmodels(n, share, level):
    x = min(n, int(share * (n + 1)))
    low, high = wilson_interval(x, n, level=level)
    ref_low, ref_high = proportion_confint(x, n, alpha=1 - level, method="wilson")
    assert float(low) == pytest.approx(ref_low, abs=1e-12)
    assert float(high) == pytest.approx(ref_high, abs=1e-12)


def test_wilson_is_vectorised_and_nan_for_empty_groups():
    x = np.array([[0, 0, 5], [4, 0, 7]])
    n = np.array([10, 0, 7])  # broadcasts over the rows
    low, high = wilson_interval(x, n)
    assert low.shape == high.shape == (2, 3)
    assert np.isnan(low[:, 1]).all() and np.isnan(high[:, 1]).all()
    ref = proportion_confint(x[:, [0, 2]], n[[0, 2]], method="wilson")
    np.testing.assert_allclose(low[:, [0, 2]], ref[0], atol=1e-12)
    np.testing.assert_allclose(high[:, [0, 2]], ref[1], atol=1e-12)
    assert np.isnan(wilson_interval(np.nan, 10)[0])


@pytest.mark.parametrize(("x", "n", "message"), [
    (11, 10, r"0 <= successes <= n; received successes=11, n=10"),
    ([1, -1], 5, r"successes=-1, n=5 at index \(1,\)"),
    (0, -2, r"successes=0, n=-2"),
])
def test_wilson_rejects_impossible_counts(x, n, message):
    with pytest.raises(ArgumentError, match=message):
        wilson_interval(x, n)


@pytest.mark.parametrize("level", [0, 1, 95, -0.5, True])
def test_level_must_lie_strictly_between_0_and_1(level):
    with pytest.raises(ArgumentError, match=r"level=.* strictly between 0 and 1"):
        wilson_interval(1, 2, level=level)


# ----------------------------------------------------------------------------- t interval


def test_t_interval_matches_r_on_the_sleep_data():
    # R datasets::sleep, t.test(extra ~ group, data = sleep, paired = TRUE) prints
    # "95 percent confidence interval: -2.4598858 -0.7001142" (8 significant digits).
    group1 = np.array([0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0])
    group2 = np.array([1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4])
    d = group1 - group2
    low, high = t_interval(d.mean(), d.std(ddof=1), d.size)
    assert float(low) == pytest.approx(-2.4598858, abs=5e-8)
    assert float(high) == pytest.approx(-0.7001142, abs=5e-8)


@settings(max_examples=100, deadline=None)
@given(n=st.integers(2, 300), level=LEVELS, seed=st.integers(0, 2**32 - 1))
def test_t_interval_equals_scipy_ttest_1samp(n, level, seed):
    x = np.random.default_rng(seed).gamma(2.0, 3.0, n)
    ref = stats.ttest_1samp(x, 0.0).confidence_interval(confidence_level=level)
    low, high = t_interval(x.mean(), x.std(ddof=1), n, level=level)
    assert float(low) == pytest.approx(ref.low, rel=1e-12, abs=1e-12)
    assert float(high) == pytest.approx(ref.high, rel=1e-12, abs=1e-12)


def test_t_interval_is_vectorised_and_nan_below_two():
    low, high = t_interval([1.0, 2.0, 3.0], [1.0, 1.0, 1.0], [0, 1, 4])
    assert np.isnan(low[:2]).all() and np.isnan(high[:2]).all()
    assert (float(low[2]), float(high[2])) == pytest.approx(3 + np.array([-1, 1]) * stats.t.ppf(0.975, 3) / 2,
                                                            abs=1e-12)


def test_t_interval_rejects_negative_sd():
    with pytest.raises(ArgumentError, match=r"must not be negative; received sd=-1, n=5"):
        t_interval(0.0, -1.0, 5)


# ----------------------------------------------------------------------------- bootstrap


def test_bootstrap_is_deterministic_given_the_seed_and_equals_the_grouped_form():
    x = np.random.default_rng(3).exponential(size=60)
    a = bootstrap_mean_interval(x, n_boot=400, seed=5)
    assert a == bootstrap_mean_interval(x, n_boot=400, seed=5)
    assert a != bootstrap_mean_interval(x, n_boot=400, seed=6)
    low, high = bootstrap_mean_intervals(x, np.zeros(x.size, dtype=int), 1, n_boot=400, seed=5)
    assert (float(low[0]), float(high[0])) == a


def test_grouped_bootstrap_follows_its_documented_draws():
    # The Notes: sort by (group, value); each slot draws rng.integers(0, size of its group) within its group.
    rng_data = np.random.default_rng(4)
    x = rng_data.normal(size=40)
    codes = rng_data.integers(0, 4, 40)
    codes[codes == 2] = 3  # group 2 empty
    low, high = bootstrap_mean_intervals(x, codes, 5, n_boot=300, seed=9)
    order = np.lexsort((x, codes))
    xs, cs = x[order], codes[order]
    sizes = np.bincount(cs, minlength=5)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    rng = np.random.default_rng(9)
    draws = starts[cs] + rng.integers(0, sizes[cs], size=(300, 40))
    for g in range(5):
        if sizes[g] == 0:
            assert np.isnan(low[g]) and np.isnan(high[g])
            continue
        means = xs[draws[:, cs == g]].mean(axis=1)
        np.testing.assert_allclose([low[g], high[g]], np.quantile(means, [0.025, 0.975]), rtol=1e-12)


def test_bootstrap_of_a_constant_or_a_single_value_has_zero_width():
    low, high = bootstrap_mean_intervals([2.0, 2.0, 2.0, 5.0], [0, 0, 0, 1], 2, n_boot=50, seed=1)
    assert low.tolist() == high.tolist() == [2.0, 5.0]
    assert all(np.isnan(bootstrap_mean_interval([], n_boot=10, seed=1)))


def test_bootstrap_agrees_with_the_t_interval_for_large_n():
    # Normal data, n = 5000: the percentile bootstrap of the mean targets xbar -/+ 1.96 s/sqrt(n) (plug-in sd);
    # the t interval uses t(4999) = 1.9604 and s with n-1, a difference of 3e-4 standard errors.  Monte Carlo
    # error of an estimated 2.5% quantile from B resamples: sqrt(q(1-q)/B) / phi(1.96) = 2.67/sqrt(B) standard
    # errors of the mean, 0.042 for B = 4000; we allow four of them (0.17 standard errors).
    x = np.random.default_rng(11).normal(50, 10, 5000)
    se = x.std(ddof=1) / np.sqrt(x.size)
    boot = bootstrap_mean_interval(x, n_boot=4000, seed=2)
    t_low, t_high = t_interval(x.mean(), x.std(ddof=1), x.size)
    assert boot == pytest.approx((float(t_low), float(t_high)), abs=0.17 * se)


def test_bootstrap_agrees_with_scipy_percentile_bootstrap():
    # scipy.stats.bootstrap(method="percentile") estimates the same quantiles of the same bootstrap distribution
    # with another random stream.  Each estimate has Monte Carlo SE 2.67 sigma_b / sqrt(B) (see above), so the
    # difference of the two has SE sqrt(2) * 2.67 / sqrt(20000) sigma_b = 0.027 sigma_b; allow four SEs.
    x = np.random.default_rng(12).lognormal(size=400)
    sigma_b = x.std(ddof=0) / np.sqrt(x.size)
    ref = stats.bootstrap((x,), np.mean, n_resamples=20000, method="percentile",
                          rng=np.random.default_rng(1)).confidence_interval
    ours = bootstrap_mean_interval(x, n_boot=20000, seed=3)
    assert ours == pytest.approx((ref.low, ref.high), abs=4 * 0.027 * sigma_b)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"values": [1.0, np.nan], "codes": [0, 0], "n_groups": 1}, r"values has 1 missing and 0 infinite values"),
    ({"values": [1.0, 2.0], "codes": [0, 2], "n_groups": 2}, r"codes must be integers from 0 to n_groups - 1 = 1"),
    ({"values": [1.0, 2.0], "codes": [0], "n_groups": 1}, r"codes has shape \(1,\); expected .* shape \(2,\)"),
    ({"values": [1.0, 2.0], "codes": [0.0, 1.0], "n_groups": 2}, r"received dtype float64"),
    ({"values": [[1.0]], "codes": [0], "n_groups": 1}, r"values must be one-dimensional"),
])
def test_bootstrap_rejects_bad_input(kwargs, message):
    with pytest.raises(ArgumentError, match=message):
        bootstrap_mean_intervals(**kwargs, n_boot=10, seed=1)


def test_bootstrap_rejects_a_bad_number_of_resamples():
    with pytest.raises(ArgumentError, match=r"n_boot=0 must be a positive integer"):
        bootstrap_mean_interval([1.0, 2.0], n_boot=0, seed=1)


# ----------------------------------------------------------------------------- medians

# Table A.7, "Confidence Intervals for the Population Median" (textbook table reproduced at
# coursehero.com/file/5646626/A7): for each n the order statistics [x(l), x(u)] and the confidence level in
# percent to one decimal.  Rows listed: the shortest interval in the table with level >= 95%.
TABLE_A7 = [
    (6, 1, 6, 96.9), (7, 1, 7, 98.4), (8, 1, 8, 99.2), (9, 2, 8, 96.1), (10, 2, 9, 97.9),
    (11, 2, 10, 98.8), (12, 3, 10, 96.1), (13, 3, 11, 97.8), (14, 3, 12, 98.7), (15, 4, 12, 96.5),
    (16, 4, 13, 97.9), (17, 5, 13, 95.1), (18, 5, 14, 96.9), (19, 5, 15, 98.1), (20, 6, 15, 95.9),
]


@pytest.mark.parametrize(("n", "rank_low", "rank_high", "percent"), TABLE_A7)
def test_median_ranks_match_the_published_table(n, rank_low, rank_high, percent):
    lower, upper, coverage = median_interval_ranks(n)
    assert (float(lower), float(upper)) == (rank_low, rank_high)
    assert 100 * float(coverage) == pytest.approx(percent, abs=0.05)


def test_median_interval_does_not_exist_for_five_or_fewer_at_95_percent():
    # Table A.7: n = 5 gives at most [x(1), x(5)] at 93.8% < 95%.
    lower, upper, coverage = median_interval_ranks(5)
    assert np.isnan([lower, upper, coverage]).all()
    assert 100 * (1 - 2 * 0.5**5) == pytest.approx(93.8, abs=0.05)
    med, low, high = median_interval([3.0, 1.0, 2.0, 5.0, 4.0])
    assert med == 3.0 and np.isnan(low) and np.isnan(high)


@settings(max_examples=200, deadline=None)
@given(n=st.integers(1, 2000), level=LEVELS)
def test_median_ranks_reach_the_level_and_are_the_shortest_that_do(n, level):
    lower, upper, coverage = (float(v) for v in median_interval_ranks(n, level=level))
    binom = stats.binom(n, 0.5)
    if np.isnan(lower):
        assert 1 - 2 * binom.cdf(0) < level
        return
    assert upper == n + 1 - lower
    assert coverage == pytest.approx(1 - 2 * binom.cdf(lower - 1), abs=1e-14)
    assert coverage >= level
    # one rank narrower at each end would either cross over or fall below the level
    assert lower + 1 > n - lower or 1 - 2 * binom.cdf(lower) < level


def test_median_interval_matches_statpsych_ci_median_example():
    # R package statpsych, ci.median(.05, y) documentation example: "Estimate 20.7 ... LL 10.8 UL 30.9".
    # statpsych chooses ranks by a normal approximation; for n = 19 they are the exact ranks 5 and 15 (Table A.7).
    y = [30.2, 20.4, 15.1, 10.2, 10.5, 60.8, 20.8, 25.0, 20.7, 30.9, 10.8, 5.1, 50.9, 40.0, 20.9, 10.8, 0, 20.5,
         50.8]
    assert median_interval(y) == (20.7, 10.8, 30.9)


@pytest.mark.parametrize("level", [0.8, 0.9, 0.95, 0.99])
def test_median_interval_equals_scipy_quantile_test_at_usual_levels(level):
    # scipy takes lower rank ppf(a) (smallest k with P(B <= k) >= a, a = (1 - level)/2) and upper rank isf(a) + 1;
    # by the symmetry of Binomial(n, 1/2) the upper rank is ours, n + 1 - l, and the lower ranks agree unless
    # P(B <= k) = a exactly, which needs a = j / 2**n; 0.1, 0.05, 0.025 and 0.005 are not dyadic fractions.
    rng = np.random.default_rng(int(level * 1000))
    for n in range(1, 201):
        x = rng.normal(size=n)
        ref = stats.quantile_test(x, q=np.median(x), p=0.5).confidence_interval(confidence_level=level)
        _, low, high = median_interval(x, level=level)
        np.testing.assert_equal([low, high], [ref.low, ref.high])


def test_median_interval_differs_from_scipy_only_at_a_dyadic_level():
    # level 1 - 1/32 with n = 6: a = 1/64 = P(B <= 0) exactly, so [x(1), x(6)] has coverage exactly the level.
    # We publish it; scipy asks for P(B <= l - 1) < a strictly at the lower end and gives no lower bound.
    x = np.arange(1.0, 7.0)
    level = 1 - 1 / 32
    assert median_interval(x, level=level) == (3.5, 1.0, 6.0)
    ref = stats.quantile_test(x, q=3.5, p=0.5).confidence_interval(confidence_level=level)
    assert np.isnan(ref.low) and ref.high == 6.0


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_groups=st.integers(1, 12), level=LEVELS)
def test_grouped_medians_equal_one_group_at_a_time(seed, n_groups, level):
    rng = np.random.default_rng(seed)
    size = int(rng.integers(0, 200))
    x = rng.integers(0, 30, size).astype(float)  # ties on purpose
    codes = rng.integers(0, n_groups, size)
    med, low, high = median_intervals(x, codes, n_groups, level=level)
    for g in range(n_groups):
        part = x[codes == g]
        if part.size == 0:
            assert np.isnan([med[g], low[g], high[g]]).all()
            continue
        assert med[g] == np.median(part)
        np.testing.assert_equal((med[g], low[g], high[g]), median_interval(part, level=level))
        lower, upper, _ = median_interval_ranks(part.size, level=level)
        if not np.isnan(lower):
            srt = np.sort(part)
            assert (low[g], high[g]) == (srt[int(lower) - 1], srt[int(upper) - 1])


def test_empty_groups_and_empty_input_give_nan_not_errors():
    med, low, high = median_intervals(np.array([]), np.array([], dtype=int), 2)
    assert np.isnan([med, low, high]).all() and med.shape == (2,)
    assert [a.shape for a in median_intervals(np.array([]), np.array([], dtype=int), 0)] == [(0,)] * 3
    assert np.isnan(median_interval([])).all()
    low, high = bootstrap_mean_intervals(np.array([1.0, 3.0]), np.array([1, 1]), 3, n_boot=20, seed=0)
    assert np.isnan(low[[0, 2]]).all() and np.isnan(high[[0, 2]]).all() and 1 <= low[1] <= high[1] <= 3


@pytest.mark.parametrize(("n", "message"), [(-1, r"non-negative integers; received n=-1"),
                                            (2.5, r"non-negative integers; received n=2.5")])
def test_median_ranks_reject_bad_sizes(n, message):
    with pytest.raises(ArgumentError, match=message):
        median_interval_ranks(n)


# ----------------------------------------------------------------------------- Imbens-Manski and Manski bounds


def _im_root(spread, level):
    """Independent root of Phi(c + spread) - Phi(-c) = level (Imbens & Manski 2004, eq. for C_N)."""
    return optimize.brentq(lambda c: stats.norm.cdf(c + spread) - stats.norm.cdf(-c) - level, 0.0, 10.0,
                           xtol=1e-14)


@settings(max_examples=200, deadline=None)
@given(spread=st.floats(0, 50), level=LEVELS)
def test_critical_value_solves_the_imbens_manski_equation(spread, level):
    assert float(imbens_manski_critical_value(spread, level=level)) == pytest.approx(_im_root(spread, level),
                                                                                      abs=1e-10)


@pytest.mark.parametrize("level", [0.9, 0.95, 0.99])
def test_critical_value_runs_from_two_sided_to_one_sided(level):
    # Imbens & Manski (2004), section 4: Delta = 0 gives the two-sided normal value (1.96 at 95%), a set much
    # wider than its standard errors the one-sided value (1.645 at 95%).
    c = imbens_manski_critical_value([0.0, 1e-9, 40.0, np.inf], level=level)
    two, one = stats.norm.ppf((1 + level) / 2), stats.norm.ppf(level)
    np.testing.assert_allclose(c, [two, two, one, one], atol=1e-8)
    assert np.all(np.diff(imbens_manski_critical_value(np.linspace(0, 5, 50), level=level)) < 0)


def test_imbens_manski_interval_values():
    low, high = imbens_manski_interval([0.5, 0.2, 0.3, np.nan], [0.5, 0.8, 0.4, 0.5], [0.1, 0.1, 0.0, 0.1],
                                       [0.1, 0.05, 0.0, 0.1])
    z = stats.norm.ppf(0.975)
    c = _im_root(0.6 / 0.1, 0.95)
    np.testing.assert_allclose(low[:3], [0.5 - z * 0.1, 0.2 - c * 0.1, 0.3], atol=1e-12)
    np.testing.assert_allclose(high[:3], [0.5 + z * 0.1, 0.8 + c * 0.05, 0.4], atol=1e-12)
    assert np.isnan(low[3]) and np.isnan(high[3])


@pytest.mark.parametrize(("args", "message"), [
    ((0.6, 0.5, 0.1, 0.1), r"need lower <= upper .* received lower=0.6, upper=0.5"),
    ((0.4, 0.5, -0.1, 0.1), r"se_lower=-0.1"),
])
def test_imbens_manski_rejects_inverted_bounds(args, message):
    with pytest.raises(ArgumentError, match=message):
        imbens_manski_interval(*args)


def test_manski_bounds_by_hand():
    # 30 of 40 respondents employed, 10 non-respondents: N = 50, bounds 30/50 and 40/50.
    b = manski_bounds([30, 5, 0], [40, 5, 0], [10, 0, 0])
    np.testing.assert_allclose(b.lower[:2], [0.6, 1.0])
    np.testing.assert_allclose(b.upper[:2], [0.8, 1.0])
    np.testing.assert_allclose(b.se_lower[:2], [np.sqrt(0.6 * 0.4 / 50), 0.0])
    np.testing.assert_allclose(b.se_upper[:2], [np.sqrt(0.8 * 0.2 / 50), 0.0])
    assert b.n.tolist() == [50, 5, 0]
    assert np.isnan([b.lower[2], b.upper[2], b.se_lower[2], b.se_upper[2]]).all()
    assert b.to_dict()["lower"] == [0.6, 1.0, None]
    low, high = imbens_manski_interval(b.lower, b.upper, b.se_lower, b.se_upper)
    assert low[0] < 0.6 and high[0] > 0.8 and (low[1], high[1]) == (1.0, 1.0)


@pytest.mark.parametrize(("args", "message"), [
    ((6, 5, 0), r"successes <= respondents; received successes=6, respondents=5, nonrespondents=0"),
    ((1, 5, -2), r"nonrespondents=-2"),
])
def test_manski_bounds_reject_impossible_counts(args, message):
    with pytest.raises(ArgumentError, match=message):
        manski_bounds(*args)


@pytest.mark.slow
def test_imbens_manski_covers_the_worst_case_parameter_at_the_one_sided_rate():
    # A cohort of 400 with 15% non-response, the true rate at the lower bound (every non-respondent failed), the
    # least favourable point.  The set is wide (Delta / se about 6), so IM's c is the one-sided 1.645 and the
    # interval misses the truth almost only when the lower Wald bound exceeds it.  Reference: the exact coverage
    # of that one-sided Wald bound, summed over the Binomial(400, 0.595) distribution of the lower bound's
    # numerator (0.943 here; 0.95 asymptotically).  The naive union of two 95% intervals would give 0.971.
    # 20000 replications: Monte Carlo SE sqrt(0.943 * 0.057 / 20000) = 0.0016; allow four.
    rng = np.random.default_rng(2024)
    reps, n, p_resp, p_success = 20000, 400, 0.85, 0.7
    truth = p_resp * p_success
    k = np.arange(n + 1) / n
    covered = (k - stats.norm.ppf(0.95) * np.sqrt(k * (1 - k) / n)) <= truth
    exact = stats.binom.pmf(np.arange(n + 1), n, truth)[covered].sum()
    respond = rng.binomial(n, p_resp, reps)
    success = rng.binomial(respond, p_success)
    b = manski_bounds(success, respond, n - respond)
    low, high = imbens_manski_interval(b.lower, b.upper, b.se_lower, b.se_upper)
    coverage = np.mean((low <= truth) & (truth <= high))
    assert coverage == pytest.approx(exact, abs=4 * 0.0016)
    assert exact == pytest.approx(0.943, abs=5e-4)
