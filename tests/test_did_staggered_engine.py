"""Callaway & Sant'Anna from an engine table (DuckDB through Ibis) against the pandas path on the same rows.

REFERENCES
- The pandas path of ``staggered()`` on the same data, to 1e-10 relative (issue 9: results identical whichever
  backend ran).  That path is itself checked against R ``did`` and two independent Python ports in
  tests/test_did_staggered.py.
- Once directly against the ports, for repeated cross-sections without covariates on R did's ``mpdta``
  (tests/data/mpdta.csv, see tests/data/mpdta.PROVENANCE.md): csdid 0.4.3
  ``ATTgt(yname="lemp", tname="year", idname=None, gname="first.treat", data=mpdta, panel=False)
  .fit(est_method="dr", bstrap=False)`` and ``.aggte(typec=..., bstrap=False, cband=False)``, and moderndid 0.2.0
  ``att_gt(mpdta, yname="lemp", tname="year", gname="first.treat", panel=False, boot=False)``, which agree to
  1e-15; values printed to 12 significant digits (tolerance 1e-10), as recorded in tests/test_did_staggered.py
  ``PORTS["rc_nocov"]``.
"""

import warnings

import ibis
import numpy as np
import pandas as pd
import pytest

from analyses.did import simulate_did
from analyses.did.design_warnings import DesignWarning
from analyses.did.staggered import aggregate, simulate_staggered, staggered
from analyses.did.staggered.multiplier import cluster_sums
from data_schema.errors import ArgumentError, EstimationError

MPDTA = "tests/data/mpdta.csv"
COLS = dict(outcome="lemp", unit="countyreal", time="year", first_treated="first.treat", panel=False)
SIM = dict(outcome="y", unit="unit", time="period", first_treated="first_treated", panel=False)
RTOL = 1e-10  # issue 9: identical to 1e-10 relative; sums in another order differ by ~1e-15 relative
KINDS = ("simple", "group", "dynamic", "calendar")
AGG_FIELDS = ("estimate", "std_error", "statistic", "p_value", "ci_low", "ci_high", "critical_value")
TEXT_COLS = ("group", "time", "event", "base_period", "post", "n_treated", "n_control", "problem")


@pytest.fixture(scope="module")
def con():
    return ibis.duckdb.connect()


@pytest.fixture(scope="module")
def mpdta():
    data = pd.read_csv(MPDTA)
    data["state"] = data["countyreal"] // 1000
    data["w"] = 0.5 + (data["countyreal"] % 7) / 4  # a sampling weight constant within county
    return data


@pytest.fixture(scope="module")
def mpdta_table(con, mpdta):
    return con.create_table("mpdta", mpdta)


@pytest.fixture(scope="module")
def graduates():
    """Graduates observed once, in 60 programmes of 30 institutions (labels sort differently as text)."""
    data = simulate_did(n_units=60, n_periods=8, units_per_cluster=2, students_per_cell=15, effect=0.4,
                        effect_growth=0.5, seed=5)
    data["institution"] = "inst-" + data["cluster"].astype(str)
    data["w"] = 0.5 + (data["student"] % 5) / 4
    return data


def both(data, table, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DesignWarning)
        return staggered(data, **kwargs), staggered(table, **kwargs)


def _close(actual, expected, rtol=RTOL):
    np.testing.assert_allclose(np.asarray(actual, dtype=float), np.asarray(expected, dtype=float), rtol=rtol,
                               atol=0, equal_nan=True)


def _same_influence(local, engine):
    """Cluster sums (clustered) or cross-products (unclustered) of the influence functions agree."""
    if local.row_cluster is None:
        a, b = local.influence.T @ local.influence, engine.influence.T @ engine.influence
    else:
        a = cluster_sums(local.influence, local.row_cluster, local.n_clusters)
        b = cluster_sums(engine.influence, engine.row_cluster, engine.n_clusters)
    # entries near zero (sums of positive and negative terms) are compared on the scale of their column
    np.testing.assert_allclose(b, a, rtol=RTOL, atol=RTOL * np.abs(a).max())


def assert_same(local, engine, kinds=KINDS, **aggregate_options):
    _close(engine.att_gt.drop(columns=list(TEXT_COLS)), local.att_gt.drop(columns=list(TEXT_COLS)))
    pd.testing.assert_frame_equal(engine.att_gt[list(TEXT_COLS)], local.att_gt[list(TEXT_COLS)])
    _close([engine.critical_value, engine.pretest_statistic, engine.pretest_p_value, *engine.cohort_shares],
           [local.critical_value, local.pretest_statistic, local.pretest_p_value, *local.cohort_shares])
    for name in ("pretest_df", "pretest_note", "n_obs", "n_units", "n_clusters", "cluster_label", "periods",
                 "cohorts", "notes", "panel", "method"):
        assert getattr(engine, name) == getattr(local, name), name
    tidy_a, tidy_b = local.tidy(), engine.tidy()
    numeric = tidy_a.select_dtypes("number").columns
    _close(tidy_b[numeric], tidy_a[numeric])
    pd.testing.assert_frame_equal(tidy_b.drop(columns=numeric), tidy_a.drop(columns=numeric))
    assert engine.to_dict().keys() == local.to_dict().keys()
    assert engine.summary() == local.summary()  # printed to 4 decimals
    _same_influence(local, engine)
    for kind in kinds:
        a, b = local.aggregate(kind, **aggregate_options), engine.aggregate(kind, **aggregate_options)
        _close([getattr(b, f) for f in AGG_FIELDS], [getattr(a, f) for f in AGG_FIELDS])
        _close(b.components.to_numpy(dtype=float), a.components.to_numpy(dtype=float))
        assert (b.notes, b.n_obs, b.n_clusters, b.method) == (a.notes, a.n_obs, a.n_clusters, a.method)


# ---------------------------------------------------------------------------------------------------------
# the same result from DuckDB as from pandas


DESIGNS = {
    "unclustered": dict(n_boot=0),
    "cluster_state_boot": dict(cluster="state", n_boot=299, seed=4),
    "weights": dict(weights="w", n_boot=0),
    "weights_cluster_notyet": dict(weights="w", cluster="countyreal", control_group="not_yet", n_boot=199),
    "universal_anticipation": dict(base_period="universal", anticipation=1, weights="w", cluster="state",
                                   n_boot=199),
    "notyet_universal_unclustered": dict(control_group="not_yet", base_period="universal", n_boot=0),
    "ipw_anticipation_notyet": dict(est_method="ipw", anticipation=1, control_group="not_yet", n_boot=0),
}


@pytest.mark.parametrize("name", DESIGNS)
def test_mpdta_as_cross_sections_engine_equals_pandas(mpdta, mpdta_table, name):
    local, engine = both(mpdta, mpdta_table, **COLS, **DESIGNS[name])
    assert local.influence_rows == "rows"
    assert engine.influence_rows == ("moment_factors" if "cluster" not in DESIGNS[name] else "cluster_sums")
    assert_same(local, engine)


def test_engine_matches_the_ports_on_mpdta(mpdta_table):
    # csdid 0.4.3 / moderndid 0.2.0, repeated cross-sections without covariates (module docstring)
    att = [-0.010503246221, -0.0704231581031, -0.137258738889, -0.100811363085, 0.00652011242423,
           -0.00275081875052, -0.00459460695286, -0.0412244715462, 0.0305066555833, -0.00272589288612,
           -0.0310871193897, -0.0260544107192]
    se = [0.475829450302, 0.482269906979, 0.485621314713, 0.47895451383, 0.30410516345, 0.306865431334,
          0.311269143692, 0.312469760365, 0.221894496895, 0.223304583335, 0.223643361692, 0.223221502794]
    res = staggered(mpdta_table, **COLS, n_boot=0)
    _close(res.att_gt["estimate"], att, rtol=1e-10)
    _close(res.att_gt["std_error"], se, rtol=1e-10)
    assert res.pretest_statistic == pytest.approx(0.0387610693243, rel=1e-10)
    for kind, (estimate, std_error) in {"simple": (-0.0399512751552, 0.162099949578),
                                        "group": (-0.0310182822287, 0.16788440745),
                                        "dynamic": (-0.0772398214573, 0.252113689698),
                                        "calendar": (-0.0417004321313, 0.247653400428)}.items():
        agg = res.aggregate(kind)
        assert (agg.estimate, agg.std_error) == pytest.approx((estimate, std_error), rel=1e-10), kind


SIM_DESIGNS = {
    "institutions_boot": dict(cluster="institution", n_boot=999, seed=11),
    "weights_institutions_notyet": dict(weights="w", cluster="institution", control_group="not_yet", n_boot=499),
    "weights_unclustered_universal": dict(weights="w", base_period="universal", n_boot=0),
    "programmes_anticipation": dict(cluster="unit", anticipation=1, n_boot=299),
}


@pytest.mark.parametrize("name", SIM_DESIGNS)
def test_simulated_graduates_engine_equals_pandas(con, graduates, name):
    table = con.create_table(f"graduates_{name}", graduates)
    local, engine = both(graduates, table, **SIM, **SIM_DESIGNS[name])
    assert_same(local, engine)
    dyn = dict(min_e=-2, max_e=2) if "anticipation" in name else dict(balance_e=1)
    a, b = aggregate(local, "dynamic", **dyn), aggregate(engine, "dynamic", **dyn)
    _close([getattr(b, f) for f in AGG_FIELDS], [getattr(a, f) for f in AGG_FIELDS])
    _close(b.components.to_numpy(dtype=float), a.components.to_numpy(dtype=float))


def test_panel_simulation_read_as_cross_sections(con):
    sim = simulate_staggered(n_units=300, n_periods=6, n_cohorts=3, n_institutions=40, seed=8)
    local, engine = both(sim.data, con.create_table("sim_panel", sim.data), outcome="y", unit="unit", time="time",
                         first_treated="first_treated", panel=False, cluster="institution", n_boot=299)
    assert_same(local, engine, kinds=("group", "dynamic"))


def test_large_outcome_level_keeps_precision(con, mpdta):
    """Moment sums are taken around the mean outcome: with a level of 1e4 the unclustered SEs still agree to
    1e-10 (uncentred sums of w^2 y^2 would lose about 1e-8).  The estimates are means of values near 1e4, so
    both paths carry rounding of about 1e4 x 2.2e-16 = 2e-12 in absolute terms; they are compared absolutely."""
    shifted = mpdta.assign(lemp=mpdta["lemp"] + 1e4)
    local, engine = both(shifted, con.create_table("shifted", shifted), **COLS, weights="w", n_boot=0)
    np.testing.assert_allclose(engine.att_gt["estimate"], local.att_gt["estimate"], rtol=0, atol=1e-10)
    _close(engine.att_gt["std_error"], local.att_gt["std_error"])
    _close(engine.pretest_statistic, local.pretest_statistic, rtol=1e-8)  # a quadratic form in the estimates
    _same_influence(local, engine)
    for kind in ("simple", "dynamic"):
        _close(engine.aggregate(kind).std_error, local.aggregate(kind).std_error)


# ---------------------------------------------------------------------------------------------------------
# data cleaning: the same rows dropped, notes and warnings as the pandas path


def test_missing_values_and_never_treated_codes(con, mpdta):
    data = mpdta.copy()
    data.loc[[3, 50], "lemp"] = np.nan
    data.loc[7, "w"] = np.inf
    data.loc[[9, 11], "state"] = np.nan
    data["first.treat"] = data["first.treat"].astype(float)
    data.loc[data["countyreal"] % 3 == 0, "first.treat"] = data["first.treat"].replace(0, np.nan)
    data.loc[data["countyreal"] % 3 == 1, "first.treat"] = data["first.treat"].replace(0, 2030)
    local, engine = both(data, con.create_table("holes", data), **COLS, weights="w", cluster="state", n_boot=99)
    assert engine.notes[0] == "dropped 5 rows with a missing outcome, time, unit, covariate, weight or cluster"
    assert engine.n_obs == 2495
    assert_same(local, engine, kinds=("group",))


def test_no_never_treated_and_early_cohort(con, mpdta):
    data = mpdta[mpdta["first.treat"] > 0].copy()
    data.loc[data["countyreal"] % 5 == 0, "first.treat"] = 2003  # treated in the first period: dropped
    local, engine = both(data, con.create_table("treated_only", data), **COLS, control_group="not_yet",
                         cluster="state", n_boot=99)
    assert engine.cohorts == (2004.0, 2006.0) and engine.periods == (2003.0, 2004.0, 2005.0, 2006.0)
    assert any("serves only as comparison" in n for n in engine.notes)
    assert any(n.startswith("dropped") and "already treated in the first period 2003" in n for n in engine.notes)
    assert_same(local, engine, kinds=("group", "calendar"))


def test_small_cohort_and_cells_without_treated_rows(con, mpdta):
    keep = mpdta.loc[mpdta["first.treat"] == 2004, "countyreal"].unique()[:3]
    data = mpdta[(mpdta["first.treat"] != 2004) | mpdta["countyreal"].isin(keep)]
    data = data[~((data["first.treat"] == 2004) & (data["year"] == 2005))]
    local, engine = both(data, con.create_table("sparse", data), **COLS, cluster="countyreal", n_boot=99)
    assert engine.att_gt["estimate"].isna().tolist() == [False, True] + [False] * 10
    assert any("very few units: first treated 2004" in n for n in engine.notes)
    assert_same(local, engine, kinds=(), na_rm=True)
    for kind in KINDS:
        a, b = aggregate(local, kind, na_rm=True), aggregate(engine, kind, na_rm=True)
        _close([getattr(b, f) for f in AGG_FIELDS], [getattr(a, f) for f in AGG_FIELDS])


def test_warnings_point_at_the_caller(con, mpdta):
    table = con.create_table("two_missing", mpdta.assign(lemp=mpdta["lemp"].where(mpdta.index > 1)))
    with pytest.warns(DesignWarning) as record:
        staggered(table, **COLS, cluster="state", n_boot=0)
    assert [str(w.message)[:22] for w in record] == ["dropped 2 rows with a ", "only 29 clusters ('sta"]
    assert all(w.filename == __file__ for w in record)


# ---------------------------------------------------------------------------------------------------------
# what an engine table cannot do, and bad data


@pytest.mark.parametrize(("kwargs", "match"), [
    (dict(panel=None), r"panel=None with an engine table: .* pass panel=False .* or a pandas DataFrame"),
    (dict(panel=True), r"panel=True with an engine table"),
    (dict(panel=False, covariates=["lpop"]), r"covariates=\['lpop'\] with an engine table: .* pass a pandas"),
    (dict(panel=False, n_boot=99), r"n_boot=99 without a cluster .* pass cluster= .* or n_boot=0"),
])
def test_unsupported_options(mpdta_table, kwargs, match):
    cols = {k: v for k, v in COLS.items() if k != "panel"}
    with pytest.raises(ArgumentError, match=match):
        staggered(mpdta_table, **cols, **kwargs)


def test_bootstrap_of_an_unclustered_engine_result_is_refused(mpdta_table):
    res = staggered(mpdta_table, **COLS, n_boot=0)
    assert res.aggregate("group").n_boot == 0
    with pytest.raises(ArgumentError, match=r"n_boot=99: .* engine table without a cluster.* pass n_boot=0"):
        res.aggregate("group", n_boot=99)


@pytest.mark.parametrize(("change", "kwargs", "error", "match"), [
    (lambda d: d, dict(outcome="nope"), KeyError, "data has no column 'nope'"),
    (lambda d: d.assign(label="a"), dict(outcome="label"), ArgumentError, "outcome column 'label' must be numeric"),
    (lambda d: d.assign(lemp=np.nan), {}, EstimationError, "no rows left after dropping rows with missing values"),
    (lambda d: d.assign(**{"first.treat": d["first.treat"].where(d.index != 4, -1)}), {}, EstimationError,
     "first_treated column 'first.treat' has negative values"),
    (lambda d: d.assign(w=d["w"].where(d.index != 4, -1.0)), dict(weights="w"), ArgumentError,
     "weights column 'w' must be non-negative"),
    (lambda d: d[d["first.treat"] > 0], {}, EstimationError, "no never-treated units.*control_group='not_yet'"),
])
def test_bad_data_raises_as_in_pandas(con, mpdta, change, kwargs, error, match):
    data = change(mpdta)
    table = con.create_table("bad", data, overwrite=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DesignWarning)  # rows dropped before the error
        for source in (data, table):
            with pytest.raises(error, match=match):
                staggered(source, **{**COLS, **kwargs}, n_boot=0)


def test_first_treated_varying_within_unit(con, mpdta):
    bad = mpdta.copy()
    bad.loc[0, "first.treat"] = 2006
    bad.loc[1, "first.treat"] = 0
    match = r"varies within unit 8001 \(values 0, 2006, 2007; 0 = never\)"
    with pytest.raises(EstimationError, match=match):
        staggered(bad, **COLS, n_boot=0)
    with pytest.raises(EstimationError, match=match):
        staggered(con.create_table("varying", bad), **COLS, n_boot=0)
