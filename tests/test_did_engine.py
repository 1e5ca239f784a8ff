"""TWFE, event study and wild cluster bootstrap on an engine table (DuckDB through Ibis) against the DataFrame path.

The engine path sends one grouped query to DuckDB for the unit x period cell sums (count, sum of weights,
sum of weight x outcome, keyed by the treatment, cluster and cell-level covariates) and solves with the
numpy code of the DataFrame path's cell shortcut; issue 9 promises the two agree to 1e-10 relative in
every number (estimates, SEs, statistics, p-values, intervals) and exactly in every count.  The DataFrame
path is itself checked against pyfixest, statsmodels, fwildclusterboot and wildboottest in
tests/test_did_twfe.py and tests/test_did_wild_bootstrap.py; here one engine fit is also checked
directly against a statsmodels dummy-variable regression on R ``did``'s ``mpdta``
(tests/data/mpdta.csv, provenance beside it).
"""

from __future__ import annotations

import math
import sys
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import data_schema.engine.sums as sums_module
from analyses.did.design_warnings import DesignWarning, FewTreatedClustersWarning
from analyses.did.event_study import event_study
from analyses.did.simulate import simulate_did
from analyses.did.twfe import twfe
from analyses.did.wild_bootstrap import wild_cluster_bootstrap
from data_schema.errors import ArgumentError, ColumnError, EstimationError

ibis = pytest.importorskip("ibis")

RTOL = 1e-10  # issue 9: "identical (to 1e-10 relative) whichever backend ran"
DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def con():
    return ibis.duckdb.connect()


def _table(con, frame: pd.DataFrame):
    return con.create_table(f"t{id(frame)}_{len(frame)}", frame, overwrite=True)


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    """Students in 60 units (3 per cluster) x 8 staggered cohorts, weights, missing values in several columns."""
    data = simulate_did(n_units=60, n_periods=8, units_per_cluster=3, students_per_cell=12, effect=0.4,
                        effect_growth=0.2, seed=11)
    rng = np.random.default_rng(11)
    data["w"] = rng.uniform(0.5, 2.0, len(data))
    data["rate"] = rng.normal(size=(60, 8))[data["unit"], data["period"] - 1]  # a cell-level covariate
    data.loc[rng.random(len(data)) < 0.02, "y"] = np.nan
    data.loc[rng.random(len(data)) < 0.01, "w"] = np.nan
    data["inst"] = data["cluster"].astype(float)
    data.loc[rng.random(len(data)) < 0.01, "inst"] = np.nan
    return data


@pytest.fixture(scope="module")
def mpdta() -> pd.DataFrame:
    """R did's mpdta with string county ids, a state cluster, a post indicator and four missing values."""
    data = pd.read_csv(DATA / "mpdta.csv")
    data["county"] = "c" + data["countyreal"].astype(str)
    data["state"] = data["countyreal"] // 1000
    data["post"] = ((data["first.treat"] > 0) & (data["year"] >= data["first.treat"])).astype(float)
    data["lpop_trend"] = data["lpop"] * (data["year"] - 2003)  # varies by county x year: a cell-level covariate
    return data


def _missing(data: pd.DataFrame) -> pd.DataFrame:
    out = data.copy()
    out.loc[[3, 50, 77], "lemp"] = np.nan
    out.loc[[10], "county"] = None
    return out


def _quiet(fn: Callable, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DesignWarning)
        return fn(*args, **kwargs)


def _assert_same(engine: object, frame: object, path: str = "result") -> None:
    """Every number within RTOL relative (NaN equals NaN), every count, label and flag equal."""
    if isinstance(frame, dict):
        assert engine.keys() == frame.keys(), path
        for key in frame:
            _assert_same(engine[key], frame[key], f"{path}.{key}")
    elif isinstance(frame, list | tuple):
        assert len(engine) == len(frame), path
        for i, (a, b) in enumerate(zip(engine, frame, strict=True)):
            _assert_same(a, b, f"{path}[{i}]")
    elif isinstance(frame, float) and not isinstance(engine, bool):
        assert engine == pytest.approx(frame, rel=RTOL, abs=0, nan_ok=True), path
    else:
        assert type(engine) is type(frame) and engine == frame, path


# ---------------------------------------------------------------------------------------------- TWFE
TWFE_DESIGNS = {
    "unweighted, clusters of units": ("panel", dict(cluster="cluster")),
    "weighted, missing clusters": ("panel", dict(cluster="inst", weights="w")),
    "weighted, unit clusters, cell covariate": ("panel", dict(weights="w", covariates=["rate"])),
    "mpdta, string units, state clusters": ("mpdta", dict(cluster="state")),
    "mpdta, cell covariate, missing values": ("mpdta_missing", dict(covariates=["lpop_trend"])),
}


def _twfe_args(name: str, panel: pd.DataFrame, mpdta: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    source, kw = TWFE_DESIGNS[name]
    if source == "panel":
        return panel, dict(outcome="y", treatment="treated", unit="unit", time="period", **kw)
    data = mpdta if source == "mpdta" else _missing(mpdta)
    return data, dict(outcome="lemp", treatment="post", unit="county", time="year", **kw)


@pytest.mark.parametrize("name", list(TWFE_DESIGNS))
def test_twfe_engine_equals_dataframe(con, panel, mpdta, name):
    data, kw = _twfe_args(name, panel, mpdta)
    frame = _quiet(twfe, data, **kw)
    engine = _quiet(twfe, _table(con, data), **kw)
    _assert_same(engine.to_dict(), frame.to_dict())
    assert engine.cells and frame.cells
    assert (engine.n_obs, engine.n_dropped) == (frame.n_obs, frame.n_dropped)
    assert engine.n_obs + engine.n_dropped == len(data)
    if "missing" in name:
        assert engine.n_dropped > 0


def test_twfe_engine_matches_statsmodels_dummy_regression_on_mpdta(con, mpdta):
    # Independent implementation run here: statsmodels 0.15 OLS of lemp on post, a constant and explicit
    # county and year dummies, cov_type="cluster" by county (CR1 with every dummy in K, the count of
    # Stata's regress; ours leaves out the county effects nested in the clusters, as reghdfe and fixest,
    # so the SE is rescaled by sqrt((n - K_ours) / (n - K_all))).  Same closed form in double precision:
    # 1e-10 absolute for the coefficient and 1e-8 relative for the SE, as in tests/test_did_twfe.py.
    # The first 200 counties (1000 rows) keep the dense dummy regression quick.
    sm = pytest.importorskip("statsmodels.api")
    data = mpdta[mpdta["countyreal"].isin(mpdta["countyreal"].unique()[:200])].reset_index(drop=True)
    X = pd.get_dummies(data[["countyreal", "year"]].astype(str), drop_first=True, dtype=float)
    X.insert(0, "post", data["post"])
    ref = sm.OLS(data["lemp"], sm.add_constant(X)).fit(method="qr", cov_type="cluster",
                                                       cov_kwds={"groups": data["countyreal"]})
    result = _quiet(twfe, _table(con, data), outcome="lemp", treatment="post", unit="countyreal", time="year")
    n, k_all = len(data), X.shape[1] + 1
    assert (result.n_obs, result.n_clusters, result.k_small_sample, k_all) == (1000, 200, 6, 205)
    assert result.estimate == pytest.approx(ref.params["post"], abs=1e-10)
    assert result.std_error * np.sqrt((n - 6) / (n - k_all)) == pytest.approx(ref.bse["post"], rel=1e-8)


def test_engine_warnings_point_at_the_caller(con, panel):
    table = _table(con, panel)
    with pytest.warns(DesignWarning) as record:
        result = twfe(table, outcome="y", treatment="treated", unit="unit", time="period", cluster="cluster")
    assert [w.filename for w in record] == [__file__] * 2
    assert "20 clusters" in str(record[0].message) and "staggered adoption" in str(record[1].message)
    assert result.notes == _quiet(twfe, panel, outcome="y", treatment="treated", unit="unit", time="period",
                                  cluster="cluster").notes


# --------------------------------------------------------------------------------------- event study
EVENT_DESIGNS = {
    "every event time": ("panel", dict(cluster="cluster")),
    "binned window, weights, missing clusters": ("panel", dict(cluster="inst", weights="w", leads=3, lags=2)),
    "two references, cell covariate": ("panel", dict(weights="w", reference=(-1, -4), covariates=["rate"])),
    "mpdta, 0 = never treated, missing values": ("mpdta_missing", dict(cluster="state")),
}


@pytest.mark.parametrize("name", list(EVENT_DESIGNS))
def test_event_study_engine_equals_dataframe(con, panel, mpdta, name):
    source, kw = EVENT_DESIGNS[name]
    if source == "panel":
        data, cols = panel, dict(outcome="y", unit="unit", time="period", first_treated="first_treated")
    else:
        data, cols = _missing(mpdta), dict(outcome="lemp", unit="county", time="year", first_treated="first.treat")
    frame = _quiet(event_study, data, **cols, **kw)
    engine = _quiet(event_study, _table(con, data), **cols, **kw)
    _assert_same(engine.to_dict(), frame.to_dict())
    assert engine.n_treated_obs == frame.n_treated_obs and engine.pretrend is not None
    assert (engine.binned_low, engine.binned_high) == (frame.binned_low, frame.binned_high)


# ---------------------------------------------------------------------------------- wild bootstrap
BOOT_DESIGNS = {
    "WCR, Rademacher draws, weights": dict(cluster="cluster", weights="w", B=999, seed=7),
    "WCU, Webb, equal-tailed, cell covariate": dict(cluster="inst", covariates=["rate"], bootstrap="unrestricted",
                                                    weight_type="webb", p_value_type="equal-tailed", B=499, seed=3),
    "enumerated signs, period dummy": dict(cluster="cluster", weight_type="rademacher", B=999, term="period=5",
                                           subset=9),
}


@pytest.mark.parametrize("name", list(BOOT_DESIGNS))
def test_wild_bootstrap_engine_equals_dataframe(con, panel, name):
    kw = dict(BOOT_DESIGNS[name])
    data = panel[panel["cluster"] < kw.pop("subset")] if "subset" in kw else panel  # 2^G <= B: enumerated
    args = dict(outcome="y", treatment="treated", unit="unit", time="period", **kw)
    frame = _quiet(wild_cluster_bootstrap, data, **args)
    engine = _quiet(wild_cluster_bootstrap, _table(con, data), **args)
    _assert_same(engine.to_dict(), frame.to_dict())
    np.testing.assert_allclose(engine.t_boot, frame.t_boot, rtol=RTOL, atol=0)
    assert engine.enumerated is ("subset" in BOOT_DESIGNS[name])
    assert math.isfinite(engine.ci_low) and engine.draws == frame.draws


# ----------------------------------------------------------------------------- only cells come back
@pytest.fixture
def result_sizes(monkeypatch) -> list[int]:
    """Rows of every result the engine sends back (spying on the one function that runs engine queries)."""
    sizes: list[int] = []
    original = sums_module.execute

    def spy(expr):
        out = original(expr)
        sizes.append(len(out) if isinstance(out, pd.DataFrame) else 1)
        return out

    for module in ("data_schema.engine.sums", "analyses.did.cells", "analyses.did.event_study"):
        monkeypatch.setattr(sys.modules[module], "execute", spy)
    return sizes


def test_only_cell_level_results_leave_the_engine(con, panel, result_sizes):
    table = _table(con, panel)
    n_cells = panel["unit"].nunique() * panel["period"].nunique()
    _quiet(twfe, table, outcome="y", treatment="treated", unit="unit", time="period", cluster="inst", weights="w")
    _quiet(event_study, table, outcome="y", unit="unit", time="period", first_treated="first_treated")
    _quiet(wild_cluster_bootstrap, table, outcome="y", treatment="treated", unit="unit", time="period",
           cluster="cluster", B=99)
    # two queries a fit: count(*) or the (unit, first treated, period) counts, then the cell sums
    assert len(result_sizes) == 6 and max(result_sizes) <= n_cells < len(panel) / 10
    _quiet(twfe, table, outcome="y", treatment="treated", unit="unit", time="period", covariates=["rate"])
    assert len(result_sizes) == 8 and result_sizes[-2] == 1  # covariates: one guard query (one row) first


# -------------------------------------------------------------------------------------------- errors
def test_values_varying_within_cells_need_the_row_path(con, panel, result_sizes):
    data = panel.assign(score=np.random.default_rng(1).normal(size=len(panel)),
                        dose=panel["treated"] * (panel["student"] % 2),
                        mixed=panel["cluster"] + 100 * (panel["student"] % 2 == 0))
    table = _table(con, data)
    args = dict(outcome="y", unit="unit", time="period")
    with pytest.raises(ArgumentError, match=r"'score' varies within unit x period cells.*pass a pandas DataFrame"):
        twfe(table, treatment="treated", covariates=["score"], **args)
    assert result_sizes == [1]  # refused by the guard query: no student-level groups left the engine
    with pytest.raises(ArgumentError, match=r"'score' varies within unit x period cells"):
        event_study(table, first_treated="first_treated", covariates=["score"], **args)
    with pytest.raises(ArgumentError, match=r"'dose' varies within unit x period cells \(e\.g\. unit=\d+, "):
        wild_cluster_bootstrap(table, treatment="dose", cluster="unit", **args)
    with pytest.raises(ArgumentError, match="'mixed' varies within unit x period cells"):
        event_study(table, first_treated="first_treated", cluster="mixed", **args)
    assert max(result_sizes) <= 2 * 60 * 8  # the keyed cell sums: at most two values a cell here
    # The DataFrame path fits the student rows instead.
    assert not _quiet(twfe, data, treatment="treated", covariates=["score"], **args).cells


def test_first_treated_varying_within_a_unit_fails_on_both_paths(con, panel):
    data = panel.copy()
    data.loc[data["unit"] == 4, "first_treated"] = np.where(data.loc[data["unit"] == 4, "period"] > 3, 5.0, 6.0)
    message = r"first_treated 'first_treated' differs within unit 4 \((5, 6|6, 5)\)"
    for source in (data, _table(con, data)):
        with pytest.raises(EstimationError, match=message):
            event_study(source, outcome="y", unit="unit", time="period", first_treated="first_treated")


@pytest.mark.parametrize("fn", ["twfe", "event_study"])
def test_invalid_inputs_fail_alike_on_both_paths(con, panel, fn):
    call = {"twfe": lambda d, **k: twfe(d, treatment="treated", **k),
            "event_study": lambda d, **k: event_study(d, first_treated="first_treated", **k)}[fn]
    args = dict(outcome="y", unit="unit", time="period")
    negative = panel.assign(w=panel["w"] - 1.0)
    never = panel.assign(treated=0.0, first_treated=np.nan)
    empty = panel.assign(y=np.nan)
    for data, kw, error, message in [
        (negative, dict(weights="w"), EstimationError, "weights column 'w' has negative values"),
        (empty, {}, EstimationError, "every row has a missing value"),
        (panel, dict(cluster="nope"), ColumnError, "no column 'nope'"),
    ] + ([(never, {}, EstimationError, "no unit is ever treated")] if fn == "event_study" else []):
        for source in (data, _table(con, data)):
            with pytest.raises(error, match=message):
                _quiet(call, source, **args, **kw)


def test_engine_type_errors(con, panel):
    data = panel.assign(label=panel["y"].astype(str), when=panel["period"].astype(str))
    table = _table(con, data)
    with pytest.raises(EstimationError, match="outcome column 'label' must be numeric"):
        twfe(table, outcome="label", treatment="treated", unit="unit", time="period")
    with pytest.raises(ArgumentError, match="time 'when' and first_treated 'first_treated' must be numeric"):
        event_study(table, outcome="y", unit="unit", time="when", first_treated="first_treated")


def test_nan_in_the_engine_is_missing_as_in_pandas(con, panel):
    # SQL engines keep NaN as a value (only NULL is missing); the DataFrame path drops it.  A DuckDB-made
    # NaN (not converted from pandas, which stores NULL) must be dropped and counted too.
    source = _table(con, panel[["unit", "period", "cluster", "treated", "student", "y"]])
    con.raw_sql("create or replace table nan_rows as select unit, period, cluster, treated, case when student % 7 "
                "= 0 then 'NaN'::double else y end as y, case when student % 11 = 0 then 'NaN'::double else "
                "cluster end as inst from " + source.get_name())
    table = con.table("nan_rows")
    frame = sums_module.execute(table)
    assert frame["y"].isna().sum() > 0
    args = dict(outcome="y", treatment="treated", unit="unit", time="period", cluster="inst")
    engine, rows = _quiet(twfe, table, **args), _quiet(twfe, frame, **args)
    _assert_same(engine.to_dict(), rows.to_dict())
    assert engine.n_dropped == int((frame["y"].isna() | frame["inst"].isna()).sum()) > 0


def test_wild_bootstrap_engine_refuses_unnested_units(con, panel):
    data = panel.assign(bad=(panel["unit"] + panel["period"]) % 3)  # constant in cells, units span clusters
    for source in (data, _table(con, data)):
        with pytest.raises(EstimationError, match="not nested in the clusters of 'bad'"):
            wild_cluster_bootstrap(source, outcome="y", treatment="treated", unit="unit", time="period",
                                   cluster="bad", B=99)


def test_one_treated_cluster_warns_on_the_engine_path(con):
    data = simulate_did(n_units=10, n_periods=6, adoption=[4], never_share=0.9, students_per_cell=5, seed=1)
    with pytest.warns(FewTreatedClustersWarning, match="only 1 of"):
        result = wild_cluster_bootstrap(_table(con, data), outcome="y", treatment="treated", unit="unit",
                                        time="period", cluster="cluster", B=99, interval=False)
    assert result.n_treated_clusters == 1
