"""Closed-form variance, MDES and power of the staggered DiD design (analyses.power.did_design).

References: the textbook two-group two-period DiD variance; a student-level sandwich computed with dense dummy
matrices (an independent algebraic path); Monte-Carlo draws of ``simulate_did`` fitted with ``twfe``; simulated
power from ``did_power``.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

from analyses.did import simulate_did, twfe
from analyses.did.design_warnings import DesignWarning
from analyses.power import did_outcome_sd, did_power
from analyses.power.did_design import DidDesignVariance, did_design_variance, did_mdes, did_power_closed_form
from analyses.tidy import TIDY_COLUMNS
from data_schema.errors import ArgumentError

E_S2 = 13 / 12  # E[s_c^2] of simulate_did's noise factor s_c ~ U(0.5, 1.5): 1/12 + 1


# ---------------------------------------------------------------------------------------------------------------
# 1. two periods, half adopting: the textbook 2x2 DiD variance
# ---------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("n_institutions", "never_share", "students", "programs"),
                         [(10, 0.5, 20, 1), (4, 0.5, 1, 1), (30, 0.5, 7, 1), (10, 0.3, 20, 1), (12, 0.5, 5, 3)])
def test_two_period_design_equals_textbook_two_by_two_variance(n_institutions: int, never_share: float,
                                                               students: int, programs: int) -> None:
    """Two cohorts; ``J P`` institutions adopt in cohort 2, ``J (1-P)`` never do.

    Each institution's change in its cell mean between the cohorts is
    ``(b_c2 - b_c1) + (ebar_c2 - ebar_c1) + tau D``: the institution and programme effects cancel, so the change
    has variance ``2 s^2`` with ``s^2 = cluster_period_sd^2 + noise_sd^2 (13/12) / (n m)`` (``m`` programmes share
    the shock and average their independent noise).  The DiD is the mean change of the ``J P`` adopters minus that
    of the ``J (1-P)`` others, so ``Var = 2 s^2 (1/(J P) + 1/(J (1-P))) = 2 s^2 / (J P (1-P))``: the change-score
    variance ``2 sigma^2 (1 - rho)`` of one pre and one post measure (Frison & Pocock 1992, Statistics in
    Medicine 11(13), 1685-1704) averaged within two groups, the no-timing-variation case that Schochet (2022,
    JEBS 47(4), 367-405) generalises.  With two periods the TWFE coefficient equals this DiD of means.  Exact
    algebra, so the tolerance is rounding (1e-12 relative).
    """
    sb, se, n_periods = 0.2, 1.0, 2
    spec = did_design_variance(n_institutions=n_institutions, n_periods=n_periods, students_per_cell=students,
                               adoption=[2], never_share=never_share, programs_per_institution=programs,
                               cluster_period_sd=sb, noise_sd=se)
    share = (n_institutions - spec.n_never) / n_institutions
    s2 = sb**2 + se**2 * E_S2 / (students * programs)
    textbook = 2 * s2 / (n_institutions * share * (1 - share))
    assert spec.variance_outcome_units == pytest.approx(textbook, rel=1e-12, abs=0)
    assert spec.variance == pytest.approx(textbook / did_outcome_sd(cluster_period_sd=sb, noise_sd=se) ** 2,
                                          rel=1e-12, abs=0)
    assert spec.df == n_institutions - 1


# ---------------------------------------------------------------------------------------------------------------
# 2. staggered designs: a dense student-level sandwich and the simulation path
# ---------------------------------------------------------------------------------------------------------------
def _dense_student_variance(first: np.ndarray, n_periods: int, programs: int, students: int, sb: float,
                            se: float) -> float:
    """(X'X)^-1 X' Sigma X (X'X)^-1 for OLS on students with programme and cohort dummies, Sigma built row by row."""
    n_cl = first.size
    c, _, t, _ = (a.ravel() for a in np.meshgrid(np.arange(n_cl), np.arange(programs), np.arange(1, n_periods + 1),
                                                 np.arange(students), indexing="ij"))
    u = np.repeat(np.arange(n_cl * programs), n_periods * students)
    d = (t >= np.nan_to_num(first[c], nan=np.inf)).astype(float)
    x = np.column_stack([d, np.eye(n_cl * programs)[u], np.eye(n_periods)[t - 1][:, 1:]])
    sigma = sb**2 * ((c[:, None] == c[None, :]) & (t[:, None] == t[None, :])) + se**2 * E_S2 * np.eye(c.size)
    bread = np.linalg.inv(x.T @ x)
    return float((bread @ x.T @ sigma @ x @ bread)[0, 0])


@pytest.mark.parametrize(("n_institutions", "n_periods", "programs", "students", "adoption", "never_share"),
                         [(5, 4, 2, 3, [2, 3], 0.4), (6, 5, 1, 4, None, 0.3), (7, 6, 3, 2, [2, 4, 6], 0.2)])
def test_staggered_variance_equals_dense_student_level_sandwich(n_institutions: int, n_periods: int, programs: int,
                                                                students: int, adoption: list[int] | None,
                                                                never_share: float) -> None:
    # Independent path: OLS on every student with explicit dummies and an explicit student-level covariance
    # (shared institution x cohort shock + (13/12) noise_sd^2 on the diagonal), no cell means and no two-way
    # demeaning.  Both are exact, so they agree to rounding.
    spec = did_design_variance(n_institutions=n_institutions, n_periods=n_periods, students_per_cell=students,
                               adoption=adoption, never_share=never_share, programs_per_institution=programs,
                               cluster_period_sd=0.2, noise_sd=1.0)
    dense = _dense_student_variance(np.array(spec.adoption_periods), n_periods, programs, students, 0.2, 1.0)
    assert spec.variance_outcome_units == pytest.approx(dense, rel=1e-10, abs=0)


@pytest.mark.parametrize(("n_institutions", "n_periods", "adoption", "never_share"),
                         [(20, 8, None, 0.3), (16, 6, None, 0.3), (7, 9, [3, 5], 0.5), (10, 4, [2, 3, 4], 0.0),
                          (9, 5, [4], 1.0), (3, 3, None, 0.3), (25, 10, [2, 2, 7], 0.45)])
def test_adoption_schedule_matches_simulate_did(n_institutions: int, n_periods: int, adoption: list[int] | None,
                                                never_share: float) -> None:
    # simulate_did shuffles which institution gets which period; the multiset of first-treated periods is fixed.
    spec = did_design_variance(n_institutions=n_institutions, n_periods=n_periods, students_per_cell=1,
                               adoption=adoption, never_share=never_share)
    for seed in (0, 1, 2):
        data = simulate_did(n_units=n_institutions, n_periods=n_periods, students_per_cell=1, adoption=adoption,
                            never_share=never_share, seed=seed)
        per_cluster = data.groupby("cluster")["first_treated"].first().to_numpy()
        np.testing.assert_array_equal(np.sort(per_cluster), np.sort(np.array(spec.adoption_periods)))
    assert spec.n_never == int(np.isnan(np.array(spec.adoption_periods)).sum())


@pytest.mark.slow
def test_closed_form_se_matches_monte_carlo_sd_of_twfe_estimates(record_property: pytest.RecordProperty) -> None:
    # Reference: R = 1000 data sets drawn by simulate_did (constant effect 0.3) and fitted by twfe, an independent
    # path (student-level data, analyses.did.ols).  The SD of a sample SD is about SD / sqrt(2 (R - 1)); 4 of those.
    n_cl, n_periods, programs, students, reps = 16, 6, 2, 10, 1000
    spec = did_design_variance(n_institutions=n_cl, n_periods=n_periods, students_per_cell=students,
                               programs_per_institution=programs)
    est, cr1 = np.empty(reps), np.empty(reps)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DesignWarning)
        for r in range(reps):
            data = simulate_did(n_units=n_cl * programs, n_periods=n_periods, units_per_cluster=programs,
                                students_per_cell=students, effect=0.3, effect_growth=0.0, group_spread=0.0,
                                seed=10_000 + r)
            fit = twfe(data, outcome="y", treatment="treated", unit="unit", time="period", cluster="cluster")
            est[r], cr1[r] = fit.estimate, fit.std_error
    closed = np.sqrt(spec.variance_outcome_units)
    empirical = est.std(ddof=1)
    assert abs(empirical - closed) < 4 * empirical / np.sqrt(2 * (reps - 1))
    assert abs(est.mean() - 0.3) < 4 * empirical / np.sqrt(reps)  # TWFE unbiased for a constant effect
    # CR1 is biased down with 16 clusters: reported, not tested.
    record_property("closed_form_se", closed)
    record_property("monte_carlo_sd", empirical)
    record_property("mean_cr1_se", float(cr1.mean()))


# ---------------------------------------------------------------------------------------------------------------
# 3. MDES and power: exact inverse, and simulated power
# ---------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("two_tailed", [True, False])
@pytest.mark.parametrize(("target", "alpha"), [(0.8, 0.05), (0.9, 0.01), (0.5, 0.10)])
def test_power_at_mdes_is_the_requested_power(target: float, alpha: float, two_tailed: bool) -> None:
    # Bloom (1995, 2006): MDES = (t_{1-a/2} + t_power) SE, power = F_t(MDES/SE - t_{1-a/2}); exact inverses.
    design = {"n_institutions": 18, "n_periods": 7, "students_per_cell": 12, "programs_per_institution": 2,
              "adoption": [3, 4, 5]}
    out = did_mdes(power=target, alpha=alpha, two_tailed=two_tailed, **design)
    back = did_power_closed_form(es=out.effect_size, alpha=alpha, two_tailed=two_tailed, **design)
    assert back.power == pytest.approx(target, abs=1e-10)
    assert back.multiplier == pytest.approx(out.multiplier, abs=1e-10)
    spec = did_design_variance(**design)
    assert out.std_error == spec.std_error
    assert out.effect_size == pytest.approx(out.multiplier * spec.std_error, rel=1e-14)
    assert (out.design, out.df, out.n_clusters, out.n_obs) == ("did_twfe", 17, 18.0, 18 * 2 * 7 * 12.0)


def test_negative_effect_has_the_power_of_its_absolute_value() -> None:
    design = {"n_institutions": 12, "n_periods": 5, "students_per_cell": 8}
    assert (did_power_closed_form(es=-0.3, **design).power
            == did_power_closed_form(es=0.3, **design).power)


@pytest.mark.slow
def test_closed_form_power_agrees_with_simulated_twfe_power(record_property: pytest.RecordProperty) -> None:
    # Reference: did_power(estimator="twfe") (simulate_did + twfe, CR1 t(G-1) test) at the closed-form MDES;
    # tolerance 4 binomial SEs of the simulated share at the closed-form power.
    design = {"n_institutions": 16, "n_periods": 6, "students_per_cell": 10, "programs_per_institution": 2}
    n_sims = 600
    mdes = did_mdes(**design)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DesignWarning)
        sim = did_power(effect_sizes=[mdes.effect_size], estimator="twfe", n_sims=n_sims, seed=7, **design)
    assert abs(sim.power[0] - mdes.power) < 4 * np.sqrt(mdes.power * (1 - mdes.power) / n_sims)
    record_property("simulated_power_at_mdes", sim.power[0])


# ---------------------------------------------------------------------------------------------------------------
# 4. design comparisons and bad arguments
# ---------------------------------------------------------------------------------------------------------------
def test_more_institutions_shrink_variance_more_than_more_programmes() -> None:
    base = {"n_periods": 6, "students_per_cell": 10}
    v = {(g, m): did_design_variance(n_institutions=g, programs_per_institution=m, **base).variance
         for g in (20, 40, 80) for m in (1, 2, 4)}
    for g in (20, 40, 80):
        assert v[g, 1] > v[g, 2] > v[g, 4]
    for m in (1, 2, 4):
        assert v[20, m] > v[40, m] > v[80, m]
        # 20, 40, 80 institutions keep the same shares (30% never, half of the rest in cohort 3, half in 4), so
        # D~'D~ doubles with the institutions and the variance halves exactly
        assert v[40, m] == pytest.approx(v[20, m] / 2, rel=1e-12)
        assert v[80, m] == pytest.approx(v[40, m] / 2, rel=1e-12)
    # doubling programmes shrinks only the student-noise part; the institution x cohort shock stays
    assert v[20, 2] > v[40, 1]
    assert v[40, 2] > v[80, 1]
    # with the same number of programmes (and students) in all, spreading them over more institutions wins
    assert v[20, 4] > v[40, 2] > v[80, 1]
    # without the shared shock, doubling programmes also halves the variance
    no_shock = [did_design_variance(n_institutions=20, programs_per_institution=m, cluster_period_sd=0.0,
                                    **base).variance_outcome_units for m in (1, 2)]
    assert no_shock[1] == pytest.approx(no_shock[0] / 2, rel=1e-12)


def test_students_and_shock_move_the_variance_the_expected_way() -> None:
    base = {"n_institutions": 14, "n_periods": 6}
    small, big = (did_design_variance(students_per_cell=n, **base).variance_outcome_units for n in (5, 50))
    assert small > big
    # the variance is the shock part plus the student-noise part, the latter proportional to 1 / students
    both, shock, noise, noise_x5 = (did_design_variance(students_per_cell=n, noise_sd=e, cluster_period_sd=b,
                                                        **base).variance_outcome_units
                                    for n, e, b in ((10, 1.0, 0.2), (10, 0.0, 0.2), (10, 1.0, 0.0), (50, 1.0, 0.0)))
    assert both == pytest.approx(shock + noise, rel=1e-12)
    assert noise_x5 == pytest.approx(noise / 5, rel=1e-12)
    # cluster_sd and unit_sd are absorbed: they change the outcome SD, not the raw variance
    a = did_design_variance(students_per_cell=10, cluster_sd=0.0, unit_sd=0.0, **base)
    b = did_design_variance(students_per_cell=10, cluster_sd=2.0, unit_sd=1.0, **base)
    assert a.variance_outcome_units == pytest.approx(b.variance_outcome_units, rel=1e-14)
    assert a.variance > b.variance


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"n_institutions": 1}, r"n_institutions=1 must be a whole number of at least 2"),
    ({"n_institutions": 10.0}, r"n_institutions=10.0 must be a whole number"),
    ({"n_periods": True}, r"n_periods=True must be a whole number"),
    ({"students_per_cell": 0}, r"students_per_cell=0 must be a whole number of at least 1"),
    ({"programs_per_institution": 0}, r"programs_per_institution=0 must be a whole number of at least 1"),
    ({"adoption": [1, 3]}, r"adoption=\[1, 3\] must be a non-empty sequence of whole periods in 2\.\.6"),
    ({"adoption": [7]}, r"whole periods in 2\.\.6.*raise never_share"),
    ({"adoption": [2.5]}, r"whole periods"),
    ({"adoption": []}, r"non-empty"),
    ({"never_share": 1.5}, r"never_share=1\.5 must lie in \[0, 1\]"),
    ({"never_share": float("nan")}, r"never_share=nan"),
    ({"noise_sd": -1.0}, r"noise_sd=-1\.0 must be a finite standard deviation"),
    ({"cluster_sd": float("inf")}, r"cluster_sd=inf must be a finite"),
    ({"noise_sd": 0.0, "cluster_period_sd": 0.0}, r"without sampling error"),
])
def test_bad_design_arguments_raise(kwargs: dict, match: str) -> None:
    design = {"n_institutions": 10, "n_periods": 6, "students_per_cell": 10, **kwargs}
    with pytest.raises(ArgumentError, match=match):
        did_design_variance(**design)
    with pytest.raises(ArgumentError, match=match):
        did_mdes(**design)


@pytest.mark.parametrize(("call", "match"), [
    (lambda d: did_mdes(power=1.0, **d), r"power=1\.0 must lie strictly between 0 and 1"),
    (lambda d: did_mdes(alpha=0.0, **d), r"alpha=0\.0 must lie strictly between 0 and 1"),
    (lambda d: did_power_closed_form(es=float("nan"), **d), r"es=nan must be a finite effect size"),
    (lambda d: did_power_closed_form(es=0.2, alpha=5, **d), r"alpha=5 must lie strictly between 0 and 1"),
])
def test_bad_test_arguments_raise(call, match: str) -> None:
    with pytest.raises(ArgumentError, match=match):
        call({"n_institutions": 10, "n_periods": 6, "students_per_cell": 10})


def test_results_tidy_summary_and_json() -> None:
    design = {"n_institutions": 12, "n_periods": 6, "students_per_cell": 10, "adoption": [3, 5]}
    spec = did_design_variance(**design)
    assert isinstance(spec, DidDesignVariance)
    frame = spec.tidy()
    assert tuple(frame.columns[:len(TIDY_COLUMNS)]) == TIDY_COLUMNS
    assert list(frame["term"]) == ["variance", "std_error"]
    assert frame.loc[1, "estimate"] == spec.std_error
    assert "did_twfe" in spec.summary() and "adopting_in_period_5=4" in spec.summary()
    payload = json.loads(json.dumps(spec.to_dict()))
    assert payload["adoption_periods"][-1] is None and payload["parameters"]["adopting_in_period_3"] == 4.0
    for out in (did_mdes(**design), did_power_closed_form(es=0.3, **design)):
        assert tuple(out.tidy().columns[:len(TIDY_COLUMNS)]) == TIDY_COLUMNS
        assert json.loads(json.dumps(out.to_dict()))["design"] == "did_twfe"
        assert "did_twfe" in out.summary()
    with pytest.raises(AttributeError, match="cannot assign"):
        spec.variance = 0.0  # type: ignore[misc]
