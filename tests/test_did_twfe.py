"""Two-way fixed effects, event studies and the 2x2 DiD against independent implementations.

References
----------
- pyfixest 0.60 ``feols`` (py-econometrics/pyfixest; its test suite checks it against R fixest):
  coefficients and CR1 SEs.  Its K for the (n-1)/(n-K) factor equals ours (Stata reghdfe's count: fixed
  effects nested in the cluster cost nothing, plus one for the constant) for ``| unit + period``; pyfixest
  0.60's count changes with the order of the fixed effects in its formula (``| period + unit`` with
  ``CRV1: unit`` gives K = 2), so the tests use the order that follows its documented rule.
- statsmodels 0.15 OLS with explicit dummies and ``cov_type="cluster"``: CR1 with every dummy in K (the
  count of Stata's ``regress``/``areg``), an implementation that shares no code with ours or pyfixest's.
Floating-point agreement is required to 1e-10 (coefficients) and 1e-9 relative (SEs): the references
compute the same closed-form quantities in double precision.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from analyses.did.design import two_way_design
from analyses.did.design_warnings import DesignWarning, FewTreatedClustersWarning
from analyses.did.event_study import event_study
from analyses.did.simulate import simulate_did
from analyses.did.twfe import twfe
from analyses.did.two_by_two import two_by_two
from data_schema.errors import ArgumentError, ColumnError, EstimationError

pf = pytest.importorskip("pyfixest")

# pyfixest 0.60 calls DataFrame.reset_index(inplace=True), deprecated in pandas 3.1; the reference, not ours.
pytestmark = pytest.mark.filterwarnings("ignore:The inplace keyword in DataFrame:pandas.errors.Pandas4Warning")


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    data = simulate_did(n_units=60, n_periods=8, units_per_cluster=3, students_per_cell=12, effect=0.4,
                        effect_growth=0.2, seed=11)
    rng = np.random.default_rng(11)
    data["x"] = rng.normal(size=len(data))
    data["w"] = rng.uniform(0.5, 2.0, len(data))
    data["y"] += 0.3 * data["x"]
    return data


def _fit(data: pd.DataFrame, **kw: object):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DesignWarning)
        return twfe(data, outcome="y", treatment="treated", unit="unit", time="period", **kw)


@pytest.mark.parametrize(("covariates", "weights"), [((), None), (("x",), None), ((), "w"), (("x",), "w")])
def test_twfe_matches_pyfixest_with_clusters_containing_units(panel, covariates, weights):
    result = _fit(panel, cluster="cluster", covariates=covariates, weights=weights)
    fml = "y ~ treated" + "".join(f" + {c}" for c in covariates) + " | unit + period"
    ref = pf.feols(fml, data=panel, vcov={"CRV1": "cluster"}, weights=weights)
    tidy = result.tidy().set_index("term")
    for term in ["treated", *covariates]:
        assert tidy.loc[term, "estimate"] == pytest.approx(ref.coef()[term], abs=1e-10)
        assert tidy.loc[term, "std_error"] == pytest.approx(ref.se()[term], rel=1e-9)
        assert tidy.loc[term, "p_value"] == pytest.approx(ref.pvalue()[term], rel=1e-8)
        assert tidy.loc[term, "ci_low"] == pytest.approx(ref.confint().loc[term].iloc[0], rel=1e-8)
    assert result.df == 19
    assert result.cells is (not covariates)
    assert result.k_small_sample == 1 + len(covariates) + 8


@pytest.mark.parametrize("cluster", ["unit", "period"])
def test_twfe_k_matches_pyfixest_when_the_cluster_is_a_fixed_effect(panel, cluster):
    result = _fit(panel, cluster=cluster)
    ref = pf.feols("y ~ treated | unit + period", data=panel, vcov={"CRV1": cluster})
    assert result.k_small_sample == ref._df_k == (1 + 7 + 1 if cluster == "unit" else 1 + 59 + 1)
    assert result.estimate == pytest.approx(ref.coef()["treated"], abs=1e-10)
    assert result.std_error == pytest.approx(ref.se()["treated"], rel=1e-9)


def test_twfe_meat_matches_statsmodels_with_explicit_dummies(panel):
    result = _fit(panel, cluster="cluster")
    X = pd.get_dummies(panel[["unit", "period"]].astype(str), drop_first=True, dtype=float)
    X.insert(0, "treated", panel["treated"])
    X = sm.add_constant(X)
    ref = sm.OLS(panel["y"], X).fit(cov_type="cluster", cov_kwds={"groups": panel["cluster"]})
    n, k_all = len(panel), X.shape[1]
    rescale = np.sqrt((n - result.k_small_sample) / (n - k_all))
    assert result.estimate == pytest.approx(ref.params["treated"], abs=1e-10)
    assert result.std_error * rescale == pytest.approx(ref.bse["treated"], rel=1e-8)


def test_cells_give_the_same_fit_as_student_rows(panel):
    cells = two_way_design(panel, outcome="y", regressors=["treated"], unit="unit", time="period", cluster="cluster")
    rows = two_way_design(panel.assign(noise=np.arange(len(panel)) * 0.0 + panel["student"] % 2),
                          outcome="y", regressors=["treated", "noise"], unit="unit", time="period",
                          cluster="cluster")
    assert cells.cells and not rows.cells
    assert cells.X.shape[0] == 60 * 8 and rows.X.shape[0] == len(panel)
    assert cells.n_obs == rows.n_obs == len(panel)


def test_missing_rows_are_dropped_and_counted(panel):
    data = panel.copy()
    data.loc[[0, 5, 9], "y"] = np.nan
    result = _fit(data, cluster="cluster")
    assert result.n_dropped == 3 and result.n_obs == len(panel) - 3
    ref = pf.feols("y ~ treated | unit + period", data=data, vcov={"CRV1": "cluster"})
    assert result.estimate == pytest.approx(ref.coef()["treated"], abs=1e-10)


def test_event_study_matches_pyfixest_and_the_wald_statistic(panel):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DesignWarning)
        result = event_study(panel, outcome="y", unit="unit", time="period", first_treated="first_treated",
                             cluster="cluster", leads=3, lags=2)
    e = (panel["period"] - panel["first_treated"]).clip(-3, 2)
    data = panel.copy()
    names = []
    for v in result.event_times:
        name = f"ev_{'m' if v < 0 else 'p'}{abs(v)}"
        data[name] = (e == v).astype(float)
        names.append(name)
    ref = pf.feols("y ~ " + " + ".join(names) + " | unit + period", data=data, vcov={"CRV1": "cluster"})
    np.testing.assert_allclose([c.estimate for c in result.coefficients], ref.coef().to_numpy(), atol=1e-10)
    np.testing.assert_allclose([c.std_error for c in result.coefficients], ref.se().to_numpy(), rtol=1e-9)
    leads = [n for n in names if n.startswith("ev_m")]
    R = np.zeros((len(leads), len(names)))
    for i, n in enumerate(leads):
        R[i, names.index(n)] = 1.0
    chi2 = ref.wald_test(R=R)["statistic"]
    assert result.pretrend.statistic * result.pretrend.df_numerator == pytest.approx(chi2, rel=1e-9)
    assert result.pretrend.df_denominator == 19
    table = result.event_table()
    assert table.loc[table["event_time"] == -1, "estimate"].item() == 0.0
    assert table["binned"].tolist() == [True, False, False, False, False, True]
    assert result.binned_low and result.binned_high


def test_event_study_without_never_treated_needs_two_references():
    data = simulate_did(n_units=30, n_periods=8, never_share=0.0, students_per_cell=3, seed=4)
    data = data[data["first_treated"].notna()]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DesignWarning)
        with pytest.raises(EstimationError, match="collinear"):
            event_study(data, outcome="y", unit="unit", time="period", first_treated="first_treated")
        ok = event_study(data, outcome="y", unit="unit", time="period", first_treated="first_treated",
                         reference=(-1, int(-(data["period"] - data["first_treated"]).min())))
    assert len(ok.reference) == 2


@pytest.mark.parametrize(("cluster", "weights"), [(None, None), ("cluster", None), ("cluster", "w"), (None, "w")])
def test_two_by_two_matches_the_interaction_regression(panel, cluster, weights):
    data = panel[panel["period"].isin([2, 7])].assign(
        g=lambda d: d["first_treated"].notna().astype(int), post=lambda d: (d["period"] == 7).astype(int))
    result = two_by_two(data, outcome="y", treated="g", post="post", cluster=cluster, weights=weights)
    ref = pf.feols("y ~ g * post", data=data, vcov={"CRV1": cluster} if cluster else "HC1", weights=weights)
    assert result.estimate == pytest.approx(ref.coef()["g:post"], abs=1e-10)
    assert result.std_error == pytest.approx(ref.se()["g:post"], rel=1e-9)
    assert result.p_value == pytest.approx(ref.pvalue()["g:post"], rel=1e-8)
    means = data.groupby(["g", "post"])["y"].mean() if not weights else None
    if means is not None:
        assert result.means[1][1] == pytest.approx(means.loc[(1, 1)], abs=1e-12)


def test_two_by_two_rejects_an_empty_cell_and_a_non_binary_group():
    data = pd.DataFrame({"y": [1.0, 2.0, 3.0], "g": [0, 0, 1], "post": [0, 1, 0]})
    with pytest.raises(EstimationError, match="treated/after"):
        two_by_two(data, outcome="y", treated="g", post="post")
    with pytest.raises(EstimationError, match="must be 0/1; row 2 has 2"):
        two_by_two(data.assign(g=[0, 0, 2]), outcome="y", treated="g", post="post")


def test_twfe_errors_name_the_problem(panel):
    with pytest.raises(ColumnError, match="no column 'dose'"):
        twfe(panel, outcome="y", treatment="dose", unit="unit", time="period")
    with pytest.raises(EstimationError, match="does not vary within units"):
        _fit(panel.assign(treated=panel["first_treated"].notna().astype(float)), cluster="cluster")
    with pytest.raises(EstimationError, match="collinear"):
        _fit(panel.assign(x2=2 * panel["x"]), cluster="cluster", covariates=("x", "x2"))
    with pytest.raises(EstimationError, match="must be numeric"):
        _fit(panel.assign(treated="yes"), cluster="cluster")
    with pytest.raises(EstimationError, match="at least 2"):
        _fit(panel.assign(one=1), cluster="one")
    with pytest.raises(ArgumentError, match="absorb='both'"):
        two_way_design(panel, outcome="y", regressors=["treated"], unit="unit", time="period", cluster="unit",
                       absorb="both")


def test_event_study_rejects_first_treated_varying_within_a_unit(panel):
    data = panel.copy()
    data.loc[data.index[0], "first_treated"] = 3.0
    with pytest.raises(EstimationError, match="differs within unit 0"):
        event_study(data, outcome="y", unit="unit", time="period", first_treated="first_treated")


def test_design_warnings_say_why_inference_is_weak():
    data = simulate_did(n_units=10, n_periods=6, adoption=[4], never_share=0.9, students_per_cell=5, seed=1)
    with pytest.warns(FewTreatedClustersWarning, match="only one cluster is ever treated"):
        result = twfe(data, outcome="y", treatment="treated", unit="unit", time="period")
    assert result.n_treated_clusters == 1 and "only one cluster" in result.notes[0]
    staggered = simulate_did(n_units=40, n_periods=8, seed=2, students_per_cell=3)
    with pytest.warns(DesignWarning, match="staggered adoption"):
        twfe(staggered, outcome="y", treatment="treated", unit="unit", time="period")


def test_results_serialise_and_read(panel):
    result = _fit(panel, cluster="cluster", covariates=("x",))
    as_dict = result.to_dict()
    assert as_dict["coefficients"][0]["term"] == "treated"
    assert "Two-way fixed effects DiD" in result.summary()
    assert list(result.tidy()["term"]) == ["treated", "x"]
