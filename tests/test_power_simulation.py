"""Power by simulation (analyses.power.simulation) against closed-form t-test power and the nominal size."""

from __future__ import annotations

import json
import warnings
from types import SimpleNamespace

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.power import TTestIndPower

from analyses.did.design_warnings import DesignWarning
from analyses.power import did_outcome_sd, did_power, simulated_power
from analyses.tidy import TIDY_COLUMNS
from data_schema.errors import ArgumentError, EstimationError

N_PER_GROUP = 20


def _two_groups(effect: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    return rng.normal(0.0, 1.0, N_PER_GROUP), rng.normal(effect, 1.0, N_PER_GROUP)


def _t_test(data: tuple[np.ndarray, np.ndarray]) -> SimpleNamespace:
    """Pooled-variance two-sample t test (scipy.stats.ttest_ind's formula, without its per-call overhead)."""
    control, treated = data
    diff = treated.mean() - control.mean()
    pooled = (control.var(ddof=1) + treated.var(ddof=1)) / 2
    t = diff / np.sqrt(pooled * 2 / N_PER_GROUP)
    return SimpleNamespace(p_value=2 * stats.t.sf(abs(t), 2 * N_PER_GROUP - 2), estimate=diff)


def test_t_test_helper_matches_scipy() -> None:
    data = _two_groups(0.4, np.random.default_rng(0))
    assert _t_test(data).p_value == pytest.approx(stats.ttest_ind(data[1], data[0]).pvalue, rel=1e-12)


def _quiet_did(**kwargs: object):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DesignWarning)
        return did_power(**kwargs)


def test_statsmodels_reference_matches_r_power_t_test() -> None:
    # R documentation example, ?power.t.test (stats package): power.t.test(n = 20, delta = 1) prints
    # "power = 0.8689528"; 7 printed digits -> tolerance 1e-6 (R's default strict = FALSE drops the far tail).
    assert TTestIndPower().power(effect_size=1.0, nobs1=20, alpha=0.05) == pytest.approx(0.8689528, abs=1e-6)


def test_simulated_power_reproduces_two_sample_t_test_power() -> None:
    effects = [0.0, 0.5, 1.0]
    out = simulated_power(_two_groups, _t_test, effect_sizes=effects, n_sims=2000, seed=11)
    for i, es in enumerate(effects):
        # closed form: statsmodels TTestIndPower (noncentral t), cross-checked with R above
        exact = TTestIndPower().power(effect_size=es, nobs1=N_PER_GROUP, alpha=0.05) if es else 0.05
        mc_se = np.sqrt(exact * (1 - exact) / 2000)
        assert abs(out.power[i] - exact) < 3 * mc_se
        assert out.ci_low[i] < out.power[i] < out.ci_high[i]
        # the mean difference is unbiased; its SD is sqrt(2/n)
        assert abs(out.bias[i]) < 3 * np.sqrt(2 / N_PER_GROUP) / np.sqrt(2000)
        assert out.sd_estimate[i] == pytest.approx(np.sqrt(2 / N_PER_GROUP), rel=0.06)
    assert out.n_failed == (0, 0, 0)


def test_wilson_interval_and_mc_se_formulas() -> None:
    out = simulated_power(_two_groups, _t_test, effect_sizes=[0.8], n_sims=50, seed=4)
    p, n, z = out.power[0], 50, stats.norm.ppf(0.975)
    assert out.mc_std_error[0] == pytest.approx(np.sqrt(p * (1 - p) / n), rel=1e-12)
    # Wilson (1927) score interval, written out independently
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    assert (out.ci_low[0], out.ci_high[0]) == pytest.approx((centre - half, centre + half), rel=1e-12)


def test_seed_reproducibility() -> None:
    first = simulated_power(_two_groups, _t_test, effect_sizes=[0.3, 0.6], n_sims=100, seed=5)
    again = simulated_power(_two_groups, _t_test, effect_sizes=[0.3, 0.6], n_sims=100, seed=5)
    other = simulated_power(_two_groups, _t_test, effect_sizes=[0.3, 0.6], n_sims=100, seed=6)
    np.testing.assert_array_equal(first.p_values, again.p_values)
    assert first.to_dict() == again.to_dict()
    assert not np.array_equal(first.p_values, other.p_values)


def test_result_tidy_summary_to_dict() -> None:
    out = simulated_power(_two_groups, _t_test, effect_sizes=[0.0, 0.5], n_sims=20, seed=1)
    frame = out.tidy()
    assert tuple(frame.columns[: len(TIDY_COLUMNS)]) == TIDY_COLUMNS
    assert list(frame["effect_size"]) == [0.0, 0.5]
    assert list(frame["estimate"]) == list(out.power)
    assert "power" in out.summary() and "effect 0.5" in out.summary()
    json.dumps(out.to_dict())
    assert "p_values" not in out.to_dict()
    assert out.p_values.shape == (2, 20)


def test_failed_analyses_are_counted_and_warned() -> None:
    def sometimes_fails(data: tuple[np.ndarray, np.ndarray]) -> SimpleNamespace:
        if data[0][0] > 1.0:
            raise EstimationError("first value above 1")
        return _t_test(data)

    with pytest.warns(DesignWarning, match="warnings or failures in 40 simulated analyses"):
        out = simulated_power(_two_groups, sometimes_fails, effect_sizes=[0.0, 0.5], n_sims=20, seed=2)
    assert out.n_failed[0] == out.n_failed[1] > 0  # common random numbers: the same draws fail
    assert out.n_valid[0] + out.n_failed[0] == 20
    assert "analysis failed: first value above 1" in out.notes[0]


def test_argument_errors() -> None:
    with pytest.raises(ArgumentError, match="n_sims=1 must be a whole number of at least 2"):
        simulated_power(_two_groups, _t_test, effect_sizes=[0.5], n_sims=1)
    with pytest.raises(ArgumentError, match="alpha=1.5 must lie strictly between 0 and 1"):
        simulated_power(_two_groups, _t_test, effect_sizes=[0.5], alpha=1.5)
    with pytest.raises(ArgumentError, match="effect_sizes=\\[\\] must be a non-empty sequence"):
        simulated_power(_two_groups, _t_test, effect_sizes=[])
    with pytest.raises(ArgumentError, match="without a p_value attribute"):
        simulated_power(_two_groups, lambda d: 0.5, effect_sizes=[0.5], n_sims=2)
    with pytest.raises(ArgumentError, match="estimator"):
        did_power(n_institutions=10, n_periods=4, students_per_cell=5, effect_sizes=[0.2],
                  estimator="ols")  # type: ignore[arg-type]
    with pytest.raises(ArgumentError, match="need at least 2 institutions"):
        did_power(n_institutions=1, n_periods=4, students_per_cell=5, effect_sizes=[0.2])


def test_did_outcome_sd_matches_simulated_data() -> None:
    from analyses.did import simulate_did

    data = simulate_did(n_units=400, n_periods=4, students_per_cell=50, effect=0.0, seed=3)
    within_period_sd = data.groupby("period")["y"].std().mean()
    # 400 clusters: the SD of the cluster-level components is known to a few per cent
    assert within_period_sd == pytest.approx(did_outcome_sd(), rel=0.05)


@pytest.mark.slow
def test_did_power_twfe_size() -> None:
    size = _quiet_did(n_institutions=30, n_periods=6, students_per_cell=20, effect_sizes=[0.0], n_sims=400, seed=1)
    assert abs(size.power[0] - 0.05) < 3 * np.sqrt(0.05 * 0.95 / 400)
    assert abs(size.mean_estimate[0]) < 3 * size.sd_estimate[0] / np.sqrt(400)


def test_did_power_twfe_monotone_power() -> None:
    curve = _quiet_did(n_institutions=30, n_periods=6, students_per_cell=20, effect_sizes=[0.05, 0.15, 0.3],
                       n_sims=60, seed=2)
    assert curve.power[0] < curve.power[1] < curve.power[2]
    assert curve.power[2] > 0.9
    assert dict(curve.assumptions)["outcome_sd"] == pytest.approx(did_outcome_sd())
    assert curve.n_obs == 30 * 6 * 20 and curve.n_clusters == 30


def test_did_power_warns_once_about_few_clusters() -> None:
    with pytest.warns(DesignWarning, match="simulated analyses; most frequent: 12 clusters"):
        out = did_power(n_institutions=12, n_periods=4, students_per_cell=5, effect_sizes=[0.2], n_sims=5)
    assert any("12 clusters" in n for n in out.notes)


@pytest.mark.slow
def test_did_power_wild_bootstrap_size() -> None:
    out = _quiet_did(n_institutions=12, n_periods=6, students_per_cell=20, effect_sizes=[0.0, 0.4], n_sims=200,
                     estimator="wild_bootstrap", n_boot=199, seed=3)
    assert abs(out.power[0] - 0.05) < 3 * np.sqrt(0.05 * 0.95 / 200)
    assert out.power[1] > out.power[0]


@pytest.mark.slow
def test_did_power_staggered_size() -> None:
    out = _quiet_did(n_institutions=40, n_periods=6, students_per_cell=20, effect_sizes=[0.0, 0.3], n_sims=200,
                     estimator="staggered", seed=4)
    assert abs(out.power[0] - 0.05) < 3 * np.sqrt(0.05 * 0.95 / 200)
    assert out.power[1] > 0.5
    assert abs(out.bias[0]) < 3 * out.sd_estimate[0] / np.sqrt(200)
