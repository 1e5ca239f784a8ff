"""mixed.fit on a table in a query engine (DuckDB through Ibis): the same result as on the rows, from group sums.

The pandas path (rows -> nested engine) is the reference for the engine path (per-group sums computed by DuckDB
-> the same nested engine built from blocks); lme4's, lmerTest's and performance's published output is the
outside reference for both.  Data (provenance in tests/data/hsb.PROVENANCE.md):

- tests/data/sleepstudy.csv: lme4's sleepstudy, sha256 f0b09c94b0d09e94c6446ed1a9efbc3c36cbad23727469fb0556ba4890e0ab70.
- tests/data/hsb.csv: High School and Beyond, 7,185 students in 160 schools, sha256
  d51ef23629a7ca278e5d98e3d40a5209eb821731fbbe218f73ceafcd4a4ec2c0.

Tolerances.  At fixed theta the two paths evaluate the same likelihood from sums added in a different order, so
they agree to rounding (measured <= 1e-13 relative); the test asks 1e-10.  The fitted numbers agree to 1e-10 as
well (measured <= 3e-13, 1.3e-11 for a calendar-year covariate whose row-path QR itself carries ~1e-11): the
optimizers' stopping points differ by ~1e-8 in theta between the paths (the deviance is flat to rounding that
close to the optimum), and the Newton steps guided by the analytic gradient then take both to the same optimum
to ~1e-13.  Satterthwaite's df are second numerical derivatives of the deviance (Richardson-extrapolated
differences), which amplify its last-digit differences to ~1e-7 relative (measured 4e-8): compared at 1e-6, and
their t p-values, d log p / d df times that, at 1e-4.  Profile-interval limits are Brent roots solved to
xtol 1e-8 * max(1, |estimate|) plus rtol 1e-8 on each path: compared to twice that.
"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Callable
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analyses import mixed
from analyses.mixed.nested import NestedDeviance
from analyses.mixed.table_engine import GroupSumsDeviance
from data_schema.errors import ArgumentError, ColumnError, EstimationError

ibis = pytest.importorskip("ibis")

DATA = Path(__file__).parent / "data"
RTOL = 1e-10


def _read(name: str, sha256: str) -> pd.DataFrame:
    path = DATA / name
    assert hashlib.sha256(path.read_bytes()).hexdigest() == sha256
    return pd.read_csv(path)


@pytest.fixture(scope="module")
def frames() -> dict[str, pd.DataFrame]:
    sleep = _read("sleepstudy.csv", "f0b09c94b0d09e94c6446ed1a9efbc3c36cbad23727469fb0556ba4890e0ab70")
    sleep["year"] = 2015 + sleep["Days"]  # a covariate with a large mean: the engine path centres it
    hsb = _read("hsb.csv", "d51ef23629a7ca278e5d98e3d40a5209eb821731fbbe218f73ceafcd4a4ec2c0")
    hsb = hsb.drop(columns=[c for c in hsb.columns if c.startswith("Unnamed")])
    hsb = hsb.rename(columns={"sch.id": "school", "math": "mathach"})
    hsb["mean_ses"] = hsb.groupby("school")["ses"].transform("mean")
    hsb["cses"] = hsb["ses"] - hsb["mean_ses"]
    hsb["sector_name"] = np.where(hsb["sector"] == 1, "Catholic", "Public")
    missing = hsb.copy()
    missing.loc[::97, "ses"] = np.nan
    missing.loc[5::131, "sector_name"] = None
    return {"sleep": sleep, "hsb": hsb, "hsb_missing": missing}


@pytest.fixture(scope="module")
def con():
    return ibis.duckdb.connect()


@pytest.fixture(scope="module")
def tables(con, frames: dict[str, pd.DataFrame]) -> dict[str, object]:
    return {name: con.create_table(name, frame) for name, frame in frames.items()}


GROUPS = {"sleep": "Subject", "hsb": "school", "hsb_missing": "school"}

DESIGNS = {
    "sleep slope REML": ("sleep", "Reaction ~ Days", "~ Days", True),
    "sleep slope ML": ("sleep", "Reaction ~ Days", "~ Days", False),
    "sleep intercept": ("sleep", "Reaction ~ Days", None, True),
    "sleep year, slope only": ("sleep", "Reaction ~ year", "~ 0 + Days", True),
    "hsb null": ("hsb", "mathach ~ 1", None, True),
    "hsb slope": ("hsb", "mathach ~ mean_ses * cses + sector * cses", "~ cses", True),
    "hsb categorical, missing": ("hsb_missing", "mathach ~ ses * sector_name + female + size", None, False),
    "hsb no intercept": ("hsb", "mathach ~ 0 + sector_name + cses", "~ cses", False),
}

Fits = Callable[[str], tuple[mixed.MixedResult, mixed.MixedResult]]


@pytest.fixture(scope="module")
def fits(frames: dict[str, pd.DataFrame], tables: dict[str, object]) -> Fits:
    """``fits(design) -> (pandas fit, DuckDB fit)``, each fitted once."""

    @cache
    def run(design: str) -> tuple[mixed.MixedResult, mixed.MixedResult]:
        data, formula, re_formula, reml = DESIGNS[design]
        kwargs = {"groups": GROUPS[data], "re_formula": re_formula, "reml": reml}
        with warnings.catch_warnings():
            warnings.simplefilter("error", mixed.MixedModelWarning)  # every design here is a clean, regular fit
            return mixed.fit(frames[data], formula, **kwargs), mixed.fit(tables[data], formula, **kwargs)

    return run


def _numeric(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.select_dtypes("number")


# --- the same result ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("design", list(DESIGNS))
def test_engine_fit_equals_pandas_fit(fits: Fits, design: str) -> None:
    rows, engine = fits(design)
    assert isinstance(engine.engine, GroupSumsDeviance) and not isinstance(rows.engine, GroupSumsDeviance)
    for name in ("fixed_names", "theta_names", "levels", "n_obs", "n_dropped", "n_groups", "n_parameters",
                 "response", "formula", "groups", "re_formula", "reml", "vc"):
        assert getattr(engine, name) == getattr(rows, name), name
    for name in ("beta", "vcov", "std_errors", "theta", "sigma", "criterion", "log_likelihood", "aic", "bic"):
        np.testing.assert_allclose(getattr(engine, name), getattr(rows, name), rtol=RTOL, atol=0, err_msg=name)
    for a, b in zip(engine.covariances, rows.covariances, strict=True):
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=0)
    for table in ("tidy", "variance_components"):
        a, b = getattr(engine, table)(), getattr(rows, table)()
        pd.testing.assert_frame_equal(a.drop(columns=_numeric(a).columns), b.drop(columns=_numeric(b).columns))
        pd.testing.assert_frame_equal(_numeric(a), _numeric(b), rtol=RTOL, atol=0)
    assert (engine.convergence.converged, engine.convergence.singular) == (True, False)
    assert engine.method.endswith("group sums computed in duckdb")


def test_missing_values_are_dropped_as_on_the_rows(fits: Fits, frames: dict[str, pd.DataFrame]) -> None:
    rows, engine = fits("hsb categorical, missing")
    used = frames["hsb_missing"][["mathach", "ses", "sector_name", "female", "size", "school"]]
    assert engine.n_dropped == rows.n_dropped == int(used.isna().any(axis=1).sum()) == 130
    assert engine.fixed_names == ("Intercept", "ses", "sector_name[T.Public]", "female", "size",
                                  "ses:sector_name[T.Public]")


@pytest.mark.parametrize("design", ["sleep slope REML", "hsb slope", "hsb categorical, missing", "hsb no intercept",
                                    "sleep year, slope only"])
def test_likelihood_at_fixed_theta_equals_the_row_engine(fits: Fits, design: str) -> None:
    rows, engine = fits(design)
    layout = rows.layout
    rng = np.random.default_rng(9)
    for theta in (rows.theta, layout.start, np.abs(rows.theta * rng.uniform(0.5, 2.0, rows.theta.size)) + 0.05):
        a, b = engine.engine.terms(theta), rows.engine.terms(theta)
        for reml in (True, False):
            np.testing.assert_allclose(a.criterion(reml=reml), b.criterion(reml=reml), rtol=RTOL, atol=0)
            np.testing.assert_allclose(engine.engine.gradient(theta, reml=reml), rows.engine.gradient(theta, reml=reml),
                                       rtol=1e-8, atol=1e-10 * max(1.0, abs(b.criterion(reml=reml))))
        for name in ("logdet_l", "logdet_rx", "pwrss", "beta"):
            np.testing.assert_allclose(getattr(a, name), getattr(b, name), rtol=RTOL, atol=0, err_msg=name)
        # X'V^-1X has exact zeros between indicators of exclusive levels: compared relative to its largest element
        np.testing.assert_allclose(a.xtvx, b.xtvx, rtol=RTOL, atol=RTOL * np.abs(b.xtvx).max())
        assert a.n_obs == b.n_obs


# --- outside references, on the engine path ----------------------------------------------------------------------


def test_engine_sleepstudy_matches_lme4(fits: Fits) -> None:
    _, fm1 = fits("sleep slope REML")
    # lme4/lme4 : tests/lmer-1.R, fm1 <- lmer(Reaction ~ Days + (Days | Subject), sleepstudy):
    # stopifnot(all.equal(fixef(fm1), c(251.405104848485, 10.467285959595), tolerance = 1e-13))
    np.testing.assert_allclose(fm1.beta, [251.405104848485, 10.467285959595], atol=1e-6)
    # lme4/lme4 : tests/lmer-1.Rout.save, print(fm1): Subject (Intercept) 24.74, Days 5.92, Residual 25.59, Corr 0.07
    vc = fm1.variance_components()
    np.testing.assert_allclose(vc.loc[vc["kind"] == "variance", "std_dev"], [24.74, 5.92, 25.59], atol=0.005)
    assert vc.loc[vc["kind"] == "covariance", "correlation"].item() == pytest.approx(0.07, abs=0.005)
    # lme4 summary(fm1): REML criterion 1743.6; statsmodels 0.15 MixedLM REML -2 llf 1743.6283
    assert fm1.criterion == pytest.approx(1743.6283, abs=1e-4)
    _, ml = fits("sleep slope ML")
    # lme4/lme4 : tests/lmer-1.Rout.save, ML fit: AIC 1764; statsmodels ML deviance 1751.9393
    assert ml.aic == pytest.approx(1764, abs=0.5)
    assert ml.criterion == pytest.approx(1751.9393, abs=1e-4)


def test_engine_hsb_matches_lme4(fits: Fits) -> None:
    _, null = fits("hsb null")
    # lmer(mathach ~ 1 + (1 | school)) as printed in public lme4 course notes: REML criterion 47116.8; school
    # (Intercept) 8.614, Residual 39.148; (Intercept) 12.6370, SE 0.2444 (Raudenbush & Bryk 2002, Table 4.2)
    np.testing.assert_allclose(null.variance_components()["estimate"], [8.614, 39.148], atol=5e-4)
    assert (null.beta[0], null.std_errors[0]) == (pytest.approx(12.6370, abs=5e-5), pytest.approx(0.2444, abs=5e-5))
    assert null.criterion == pytest.approx(47116.8, abs=0.05)
    _, slope = fits("hsb slope")
    # gmonette/cv : articles/cv-mixed.md @ 326bdff177430c6ae1653d7f3d09dedd207c7ccf,
    # lmer(mathach ~ mean.ses * cses + sector * cses + (cses | school), data = HSB): REML criterion 46504; school
    # (Intercept) 2.380, cses 0.101, Residual 36.721; Corr 0.39; fixed 12.128, 5.333, 2.945, 1.227, 1.039, -1.643
    vc = slope.variance_components()
    np.testing.assert_allclose(vc.loc[vc["kind"] == "variance", "estimate"], [2.380, 0.101, 36.721], atol=5e-4)
    assert vc.loc[vc["kind"] == "covariance", "correlation"].item() == pytest.approx(0.39, abs=0.005)
    assert slope.criterion == pytest.approx(46504, abs=0.5)
    names = [tuple(sorted(n.split(":"))) for n in slope.fixed_names]
    order = [names.index(tuple(sorted(n.split(":")))) for n in
             ("Intercept", "mean_ses", "cses", "sector", "mean_ses:cses", "cses:sector")]
    np.testing.assert_allclose(slope.beta[order], [12.128, 5.333, 2.945, 1.227, 1.039, -1.643], atol=5e-4)


def test_engine_satterthwaite_matches_lmertest_and_the_row_path(fits: Fits) -> None:
    rows, engine = fits("sleep slope REML")
    sat, ref = mixed.satterthwaite(engine), mixed.satterthwaite(rows)
    # lmerTest for fm1 (lme4/lme4 issue #562, easystats/insight PR #561): DenDF 17 for both effects, F 45.853 for Days
    np.testing.assert_allclose(sat.df, [17.0, 17.0], atol=5e-4)
    assert sat.statistic[1] ** 2 == pytest.approx(45.853, abs=5e-4)
    np.testing.assert_allclose(sat.df, ref.df, rtol=1e-6)
    np.testing.assert_allclose(sat.p_value, ref.p_value, rtol=1e-4)
    np.testing.assert_allclose(sat.estimate, ref.estimate, rtol=RTOL)
    np.testing.assert_allclose(sat.std_error, ref.std_error, rtol=RTOL)


def test_engine_r2_and_design_effect_from_sums(fits: Fits, frames: dict[str, pd.DataFrame],
                                               tables: dict[str, object]) -> None:
    rows, engine = fits("sleep slope REML")
    r2 = mixed.r2_nakagawa(tables["sleep"], engine)
    # performance::r2_nakagawa (easystats/performance issue #428): Conditional R2 0.799, Marginal R2 0.279
    np.testing.assert_allclose([r2.conditional, r2.marginal], [0.799, 0.279], atol=5e-4)
    ref = mixed.r2_nakagawa(frames["sleep"], rows)
    for name in ("marginal", "conditional", "var_fixed", "var_random", "var_residual"):
        np.testing.assert_allclose(getattr(r2, name), getattr(ref, name), rtol=RTOL, err_msg=name)
    rows, engine = fits("hsb categorical, missing")
    np.testing.assert_allclose(mixed.r2_nakagawa(tables["hsb_missing"], engine).marginal,
                               mixed.r2_nakagawa(frames["hsb_missing"], rows).marginal, rtol=RTOL)
    deff = mixed.design_effect(tables["hsb_missing"], engine)
    ref_deff = mixed.design_effect(frames["hsb_missing"], rows)
    assert deff.n_obs == ref_deff.n_obs == 7055
    np.testing.assert_allclose([deff.design_effect, deff.effective_n, *deff.mean_sizes],
                               [ref_deff.design_effect, ref_deff.effective_n, *ref_deff.mean_sizes], rtol=RTOL)
    # The pandas rows of an engine-fitted model still rebuild its design (they are the same rows).
    np.testing.assert_allclose(mixed.r2_nakagawa(frames["sleep"], fits("sleep slope REML")[1]).marginal, r2.marginal,
                               rtol=RTOL)


def test_engine_results_feed_lrt_and_icc(fits: Fits) -> None:
    (rows0, engine0), (rows1, engine1) = fits("sleep intercept"), fits("sleep slope REML")
    lrt, ref = mixed.likelihood_ratio_test(engine0, engine1), mixed.likelihood_ratio_test(rows0, rows1)
    np.testing.assert_allclose([lrt.statistic, lrt.p_value, lrt.p_value_mixture],
                               [ref.statistic, ref.p_value, ref.p_value_mixture], rtol=1e-8)
    rows, engine = fits("hsb null")
    out, want = mixed.icc(engine), mixed.icc(rows)
    # Raudenbush & Bryk (2002, Table 4.2): tau00 8.61, sigma^2 39.15, so rho = 8.61 / 47.76 = 0.180
    assert out.icc[0] == pytest.approx(0.180, abs=5e-4)
    np.testing.assert_allclose(out.icc, want.icc, rtol=RTOL)
    for lim in ("ci_low", "ci_high"):
        got, exp = getattr(out, lim), getattr(want, lim)
        np.testing.assert_allclose(got, exp, rtol=0, atol=2 * (1e-8 + 1e-8 * float(np.abs(exp).max())))


def test_engine_result_reports(fits: Fits) -> None:
    rows, engine = fits("hsb slope")
    text = engine.summary()
    assert "group sums computed in duckdb" in text and "Number of obs: 7185" in text
    out = engine.to_dict()
    assert out["n_groups"] == [160] and out["method"] == engine.method
    assert [r["term"] for r in out["fixed_effects"]] == [r["term"] for r in rows.to_dict()["fixed_effects"]]


def test_only_group_level_numbers_leave_the_engine(monkeypatch: pytest.MonkeyPatch,
                                                   tables: dict[str, object]) -> None:
    import analyses.mixed.table_design as table_design
    import analyses.mixed.table_engine as table_engine
    import data_schema.engine.sums as sums

    sizes: list[int] = []
    original = sums.execute

    def spy(expr):
        out = original(expr)
        sizes.append(len(out))
        return out

    for module in (sums, table_engine, table_design):
        monkeypatch.setattr(module, "execute", spy)
    result = mixed.fit(tables["hsb_missing"], "mathach ~ ses * sector_name + female + size", groups="school",
                       reml=False)
    assert result.n_obs == 7055 and len(sizes) == 3  # levels, counts and means, group sums
    assert max(sizes) == 160  # one row a school; 7,185 rows stay in DuckDB


def test_singular_engine_fit_warns_at_the_caller(tables: dict[str, object]) -> None:
    with pytest.warns(mixed.SingularFitWarning, match="perfectly correlated") as record:
        result = mixed.fit(tables["hsb_missing"], "mathach ~ ses * sector_name + female", groups="school",
                           re_formula="~ ses")
    assert result.convergence.singular
    assert all(Path(r.filename) == Path(__file__) for r in record)


# --- what the engine path does not do ----------------------------------------------------------------------------


def test_engine_path_rejects_what_needs_rows(con, fits: Fits, frames: dict[str, pd.DataFrame],
                                             tables: dict[str, object]) -> None:
    hsb = tables["hsb"]
    with pytest.raises(ArgumentError, match="variance components nested in the groups are fitted from the rows"):
        mixed.fit(hsb, "mathach ~ ses", groups="school", vc={"sector": "sector"})
    with pytest.raises(ArgumentError, match="evaluates in Python"):
        mixed.fit(hsb, "mathach ~ np.log(size)", groups="school")
    with pytest.raises(ArgumentError, match="evaluates in Python"):
        mixed.fit(hsb, "mathach ~ C(sector)", groups="school")
    with pytest.raises(ArgumentError, match="random slopes must be numeric"):
        mixed.fit(hsb, "mathach ~ ses", groups="school", re_formula="~ sector_name")
    with pytest.raises(ArgumentError, match="gives no random effect"):
        mixed.fit(hsb, "mathach ~ ses", groups="school", re_formula="~ 0")
    with pytest.raises(ArgumentError, match="has no response"):
        mixed.fit(hsb, "~ ses", groups="school")
    with pytest.raises(ColumnError, match="no column 'sex'"):
        mixed.fit(hsb, "mathach ~ sex", groups="school")
    dated = con.create_table("dated", frames["hsb"].assign(day=pd.Timestamp("2024-01-01")))
    with pytest.raises(ArgumentError, match="has type date|has type timestamp"):
        mixed.fit(dated, "mathach ~ day", groups="school")
    rows, engine = fits("sleep slope REML")
    with pytest.raises(ArgumentError, match="row by row"):
        mixed.growth_trajectories(tables["sleep"], engine, time="Days", program="Subject")
    with pytest.raises(ArgumentError, match="fitted to a pandas DataFrame"):
        mixed.r2_nakagawa(tables["sleep"], rows)
    with pytest.raises(ArgumentError, match="not the table the model was fitted to"):
        mixed.r2_nakagawa(tables["sleep"].filter(tables["sleep"].Days > 0), engine)
    with pytest.raises(ArgumentError, match="fitted to a pandas DataFrame"):
        mixed.design_effect(tables["hsb"], fits("hsb null")[0])
    # The same table reached through another expression is accepted (its rows per group are checked).
    same = mixed.r2_nakagawa(con.table("sleep"), engine)
    assert same.marginal == mixed.r2_nakagawa(tables["sleep"], engine).marginal


def test_engine_path_estimation_errors(con, frames: dict[str, pd.DataFrame]) -> None:
    hsb = frames["hsb"]
    table = con.create_table("hsb_errors", hsb.assign(ses2=2.0 * hsb["ses"], one="x", empty=np.nan,
                                                      label=pd.Series([None] * len(hsb), dtype="str")))
    with pytest.raises(EstimationError, match="'ses2' is a linear combination"):
        mixed.fit(table, "mathach ~ ses + ses2", groups="school")
    with pytest.raises(EstimationError, match="has 1 group"):
        mixed.fit(table, "mathach ~ ses", groups="one")
    with pytest.raises(EstimationError, match="no row of the table"):
        mixed.fit(table, "mathach ~ empty", groups="school")
    with pytest.raises(EstimationError, match="no row of the table"):
        mixed.fit(table, "mathach ~ label", groups="school")
    small = con.create_table("tiny", pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0], "x": [0.0, 1.0, 0.0, 1.0],
                                                    "g": ["a", "a", "b", "b"]}))
    with pytest.raises(EstimationError, match="cannot be told apart from the residual"):
        mixed.fit(small, "y ~ 1", groups="g", re_formula="~ x")


def test_group_blocks_need_one_level() -> None:
    layout = mixed.ThetaLayout((mixed.RandomLevel("g", ("Intercept",)), mixed.RandomLevel("c", ("Intercept",))))
    with pytest.raises(EstimationError, match="one grouping level"):
        NestedDeviance.from_group_blocks(np.ones((1, 1, 3)), np.ones((1, 2, 3)), np.eye(2), np.eye(1), np.zeros(1),
                                         10, layout)
