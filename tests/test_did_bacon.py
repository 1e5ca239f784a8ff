"""Goodman-Bacon (2021) decomposition against R ``bacondecomp``, Stata ``bacondecomp``, pybacondecomp and pyfixest.

Reference data
--------------
``tests/data/castle.csv`` (550 rows: ``state, year, l_homicide, post``; sha256
``1a514dd6e4f3e46f62eb691a67dcaeb433b7725161fcb5d63540bd4325ebe294``) is the castle-doctrine panel of
Cheng & Hoekstra (2013, JHR), 50 states x 2000-2010, the example of Goodman-Bacon (2021), of R
``bacondecomp`` and of the Mixtape (Cunningham, ch. 9).  Columns ``state``, ``year`` and ``l_homicide``
are copied at full printed precision from ``gorgeousfish/wfe:data/castle.csv`` at commit
``8f0f8a317c2cd394381c71b5d316b0a1a69e954f``; ``post`` is that file's ``cdl_binary`` (1 from the first
year with a castle-doctrine law in effect, ``cdl > 0``).  It is the R package's data: the TWFE
coefficient on it, 0.08181161693064606 (pyfixest ``feols("l_homicide ~ post | state + year")``), equals
the printed R value 0.0818116169306475 to 1.4e-15.

``tests/data/bacon_always_never_panel.csv`` (480 rows, sha256
``2b276f5ff36d890f9f48b1534b2246b506c8dc85204c412bc256edece4969638``) is a simulated panel with
always-treated and never-treated units, written by::

    rng = np.random.default_rng(20240607); n, T = 60, 8
    first = rng.choice([1, 3, 4, 6, 0], size=n)          # 1 = treated from the first period, 0 = never
    unit = np.repeat(np.arange(n), T); t = np.tile(np.arange(1, T + 1), n); g = first[unit]
    d = ((g > 0) & (t >= g)).astype(int)
    y = rng.normal(size=n)[unit] + 0.2 * t + d * (1 + 0.3 * (t - g)) + rng.normal(size=n * T)

Its pybacondecomp reference values below were computed once (pybacondecomp 0.1.0, the wheel
``pybacondecomp-0.1.0-py3-none-any.whl``, with pyfixest 0.60 in this venv; the package is not a test
dependency).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyfixest as pf
import pytest

from analyses.did.bacon import COMPARISON_TYPES, BaconDecomposition, bacon_decomposition
from analyses.tidy import TIDY_COLUMNS
from data_schema.errors import ArgumentError, ColumnError, EstimationError

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def castle() -> pd.DataFrame:
    return pd.read_csv(DATA / "castle.csv")


@pytest.fixture(scope="module")
def castle_result(castle: pd.DataFrame) -> BaconDecomposition:
    return bacon_decomposition(castle, outcome="l_homicide", unit="state", time="year", treatment="post")


# --- published output: R bacondecomp on the castle data ---------------------------------------------------------

# CRAN vignette of bacondecomp (https://cran.r-project.org/web/packages/bacondecomp/vignettes/bacon.html;
# source evanjflack/bacondecomp:vignettes/bacon.Rmd):
#   bacon(l_homicide ~ post, data = bacondecomp::castle, id_var = "state", time_var = "year")
#   #>                       type  weight  avg_est
#   #> 1 Earlier vs Later Treated 0.05976 -0.00554
#   #> 2 Later vs Earlier Treated 0.03190  0.07032
#   #> 3     Treated vs Untreated 0.90834  0.08796
#   "Two-way FE estimate = 0.0818"
R_VIGNETTE = {"earlier vs later": (0.05976, -0.00554), "later vs earlier": (0.03190, 0.07032),
              "treated vs never": (0.90834, 0.08796)}


def test_castle_by_type_matches_r_vignette(castle_result: BaconDecomposition) -> None:
    by_type = castle_result.by_type.set_index("type")
    assert list(by_type.index) == ["treated vs never", "earlier vs later", "later vs earlier"]
    for kind, (weight, estimate) in R_VIGNETTE.items():
        # five printed decimals: half a unit in the last place
        assert by_type.loc[kind, "weight"] == pytest.approx(weight, abs=5e-6)
        assert by_type.loc[kind, "estimate"] == pytest.approx(estimate, abs=5e-6)
    assert by_type["n_comparisons"].tolist() == [5, 10, 10]
    assert castle_result.twfe_estimate == pytest.approx(0.0818, abs=5e-5)


def test_castle_matches_r_notebook_digits(castle_result: BaconDecomposition) -> None:
    """evanjflack/bacondecomp:index.ipynb@5a15251cad863ca30ae525af82a4bb9c63bb81ba (bacon 0.1.0 on the same data).

    ``bacon(l_homicide ~ post, data = bacon::castle, id_var = "state", time_var = "year")`` prints the
    weighted sum "Two-way FE estimate = 0.0818116169306475" and weights 0.05976325 (Early vs Late),
    0.03189818 (Late vs Early), 0.90833857 (Treated vs Untreated); ``lm(l_homicide ~ post + factor(state) +
    factor(year))`` prints 0.0818116169306471; ``df_bacon[order(-df_bacon$weight), ][1, ]`` prints treated
    2006, untreated 99999, estimate 0.06823587, weight 0.5923947.  (That old version's avg_estimate column
    repeats one value for both timing types, so only its weights are used.)
    """
    # R's two computations of the same number differ by 4e-16; 16 printed digits
    assert castle_result.twfe_estimate == pytest.approx(0.0818116169306471, abs=1e-14)
    assert castle_result.weighted_sum == pytest.approx(0.0818116169306475, abs=1e-14)
    weights = castle_result.by_type.set_index("type")["weight"]
    assert weights["earlier vs later"] == pytest.approx(0.05976325, abs=5e-9)
    assert weights["later vs earlier"] == pytest.approx(0.03189818, abs=5e-9)
    assert weights["treated vs never"] == pytest.approx(0.90833857, abs=5e-9)
    top = castle_result.comparisons.sort_values("weight").iloc[-1]
    assert (top["treated"], top["control"], top["type"]) == ("2006", "never", "treated vs never")
    assert top["estimate"] == pytest.approx(0.06823587, abs=5e-9)
    assert top["weight"] == pytest.approx(0.5923947, abs=5e-8)


# pybacondecomp 0.1.0 (Stata bacondecomp port; every 2x2 by a pyfixest regression on its subsample):
#   bacondecomp(castle[["sid", "year", "l_homicide", "post"]], "l_homicide", "post", "sid", "year",
#               ddetail=True, n_jobs=1)    # sid = state numbered 1..50 (string ids break its worker)
# rows "treated vs control": (estimate, weight); its "Never" is our "never".
PYBACON_CASTLE = {
    "2005 vs 2006": (-0.08312932298733923, 0.00340456735805573),
    "2006 vs 2005": (-0.1460711809305068, 0.0034045673580557307),
    "2005 vs 2007": (-0.11672375239432285, 0.002095118374188141),
    "2007 vs 2005": (-0.10806147195399264, 0.0016760946993505147),
    "2006 vs 2007": (0.08301581743244749, 0.016341923318667503),
    "2007 vs 2006": (0.12596365064382345, 0.010894615545778332),
    "2005 vs 2008": (-0.14122778971990424, 0.0015713387806411067),
    "2008 vs 2005": (-0.04897832870483988, 0.0009428032683846639),
    "2006 vs 2008": (-0.0084767719874048, 0.016341923318667507),
    "2008 vs 2006": (0.1106904790951623, 0.008170961659333753),
    "2007 vs 2008": (0.10372176340647817, 0.002933165723863398),
    "2008 vs 2007": (0.14479314784208638, 0.0012570710245128852),
    "2005 vs 2009": (0.0971353918313963, 0.0010475591870940711),
    "2009 vs 2005": (0.17952100932597553, 0.00041902367483762846),
    "2006 vs 2009": (-0.0822573002332296, 0.01225644248900063),
    "2009 vs 2006": (0.11209638225726433, 0.004085480829666876),
    "2007 vs 2009": (-0.015983529921090384, 0.002933165723863399),
    "2009 vs 2007": (0.0037309974431956813, 0.000838047349675257),
    "2008 vs 2009": (-0.17988942563534027, 0.0008380473496752564),
    "2009 vs 2008": (-0.13077533245087053, 0.00020951183741881423),
    "2005 vs never": (0.0801665250629427, 0.04556882463859208),
    "2006 vs never": (0.06823586661493662, 0.592394720301697),
    "2007 vs never": (0.1140615299247705, 0.17012361198407705),
    "2008 vs never": (0.1460467659260785, 0.07291011942174735),
    "2009 vs never": (0.21108054837133172, 0.027341294783155248),
}


def test_castle_every_comparison_matches_pybacondecomp(castle_result: BaconDecomposition) -> None:
    table = castle_result.comparisons.set_index("term")
    assert sorted(table.index) == sorted(PYBACON_CASTLE)
    for term, (estimate, weight) in PYBACON_CASTLE.items():
        # full double precision printed; regression vs closed form agree to rounding (measured 2.8e-16)
        assert table.loc[term, "estimate"] == pytest.approx(estimate, abs=1e-12)
        assert table.loc[term, "weight"] == pytest.approx(weight, abs=1e-12)
    expected_type = {t: ("treated vs never" if t.endswith("never") else
                         "earlier vs later" if t[:4] < t[-4:] else "later vs earlier") for t in PYBACON_CASTLE}
    assert table["type"].to_dict() == expected_type


# pybacondecomp 0.1.0 on tests/data/bacon_always_never_panel.csv, default (no ddetail) branch:
#   bacondecomp(panel, "y", "d", "unit", "t", n_jobs=1) -> dd_estimate 0.8251694803393057
# It pools each pair of timing groups into one "Timing groups" 2x2 over the whole panel; by Goodman-Bacon's
# Theorem 1 that pooled estimate is the weight-average of our two directed comparisons, with their summed weight.
PYBACON_ALWAYS_NEVER = {
    ("3", "4"): (1.0316028295976334, 0.017629069976614502),
    ("3", "6"): (0.9678312287647297, 0.0404749055585537),
    ("4", "6"): (1.0199915513359836, 0.1511063140852671),
    ("3", "always"): (0.27663107056570685, 0.028062601187263902),
    ("4", "always"): (0.11275206620203244, 0.16369850692570612),
    ("6", "always"): (-0.5879637632807596, 0.17539125742039938),
    ("3", "never"): (2.014220771824761, 0.03237992444684296),
    ("4", "never"): (1.9113646097225183, 0.1888828926065839),
    ("6", "never"): (1.3062030196630061, 0.20237452779276852),
}


def test_always_and_never_treated_match_pybacondecomp() -> None:
    panel = pd.read_csv(DATA / "bacon_always_never_panel.csv")
    result = bacon_decomposition(panel, outcome="y", unit="unit", time="t", treatment="d")
    assert result.twfe_estimate == pytest.approx(0.8251694803393057, abs=1e-12)
    assert result.weighted_sum == pytest.approx(0.8251694803393057, abs=1e-12)
    table = result.comparisons.set_index(["treated", "control"])
    for (treated, control), (estimate, weight) in PYBACON_ALWAYS_NEVER.items():
        if control in ("always", "never"):
            row = table.loc[(treated, control)]
            assert row["type"] == f"treated vs {control}"
            got_estimate, got_weight = row["estimate"], row["weight"]
        else:
            pair = table.loc[[(treated, control), (control, treated)]]
            got_weight = pair["weight"].sum()
            got_estimate = float(np.sum(pair["weight"] * pair["estimate"]) / got_weight)
        assert got_estimate == pytest.approx(estimate, abs=1e-12)
        assert got_weight == pytest.approx(weight, abs=1e-12)
    assert set(result.by_type["type"]) == set(COMPARISON_TYPES)
    assert result.groups["kind"].tolist() == ["always", "timing", "timing", "timing", "never"]


def test_stata_ddetail_three_unit_example() -> None:
    """Stata ``bacondecomp Y D, ddetail`` on the three-unit example of https://asjadnaqvi.github.io/DiD/docs/code/06_02_bacon/.

    id 1 never treated, id 2 treated from t=5 with effect 2, id 3 from t=8 with effect 4, t = 1..10, Y = D *
    effect.  Output printed in the Statalist thread "Interpretation of bacon decomposition graph"
    (statalist.org/forums/forum/general-stata-discussion/general/1751536): Early_v_Late beta 2 weight
    .1818181841; Late_v_Early 4, .1363636317; Never_v_timing 2.933333323, .6818181841 (Stata floats: ~7
    significant digits).  By hand: raw weights N_k N_l p q = 12, 9, 24 + 21 of 66.
    """
    data = pd.DataFrame({"id": np.repeat([1, 2, 3], 10), "t": np.tile(np.arange(1, 11), 3)})
    data["D"] = (((data["id"] == 2) & (data["t"] >= 5)) | ((data["id"] == 3) & (data["t"] >= 8))).astype(int)
    data["Y"] = data["D"] * data["id"].map({1: 0.0, 2: 2.0, 3: 4.0})
    by_type = bacon_decomposition(data, outcome="Y", unit="id", time="t", treatment="D").by_type.set_index("type")
    assert by_type.loc["earlier vs later", "estimate"] == pytest.approx(2.0, rel=1e-7)
    assert by_type.loc["earlier vs later", "weight"] == pytest.approx(0.1818181841, rel=1e-7)
    assert by_type.loc["later vs earlier", "estimate"] == pytest.approx(4.0, rel=1e-7)
    assert by_type.loc["later vs earlier", "weight"] == pytest.approx(0.1363636317, rel=1e-7)
    assert by_type.loc["treated vs never", "estimate"] == pytest.approx(2.933333323, rel=1e-7)
    assert by_type.loc["treated vs never", "weight"] == pytest.approx(0.6818181841, rel=1e-7)
    # exact fractions of the hand computation
    assert by_type["weight"].to_dict() == pytest.approx({"treated vs never": 45 / 66, "earlier vs later": 12 / 66,
                                                         "later vs earlier": 9 / 66}, abs=1e-15)


# --- the identity against an independent TWFE fit ---------------------------------------------------------------

def _staggered_panel(seed: int, *, never: bool, always: bool, students: bool, weighted: bool) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n_units, n_periods = int(rng.integers(10, 40)), int(rng.integers(4, 12))
    cohorts = rng.choice(np.arange(2, n_periods + 1), size=int(rng.integers(1, min(4, n_periods - 1) + 1)),
                         replace=False)
    if not (never or always) and len(cohorts) == 1:    # one cohort alone identifies nothing
        cohorts = np.array([2, n_periods])
    pool = list(cohorts) + ([0] if never else []) + ([1] if always else [])
    first = np.concatenate([pool, rng.choice(pool, size=n_units - len(pool))])  # every group present
    unit = np.repeat(np.arange(n_units), n_periods)
    t = np.tile(np.arange(1, n_periods + 1), n_units)
    g = first[unit]
    d = ((g > 0) & (t >= g)).astype(int)
    effect = d * (rng.normal(1.0, 0.5, size=n_periods + 2)[g] + 0.2 * (t - g))  # heterogeneous by cohort/time
    frame = pd.DataFrame({"unit": unit, "t": t, "d": d, "g": g})
    frame["y"] = rng.normal(size=n_units)[unit] + rng.normal(size=n_periods)[t - 1] + effect
    if weighted:
        frame["w"] = rng.uniform(0.2, 5.0, size=n_units)[unit]
    if students:
        frame = frame.loc[frame.index.repeat(rng.integers(1, 5, size=len(frame)))].reset_index(drop=True)
        frame["y"] += rng.normal(size=len(frame))
    frame["y"] += rng.normal(scale=0.3, size=len(frame))
    return frame


GRID = [(seed, never, always, students, weighted)
        for seed in (1, 2)
        for never in (True, False) for always in (True, False)
        for students in (False, True) for weighted in (False, True)]


@pytest.mark.filterwarnings("ignore:The inplace keyword in DataFrame:pandas.errors.Pandas4Warning")  # in pyfixest
@pytest.mark.parametrize(("seed", "never", "always", "students", "weighted"), GRID)
def test_weighted_sum_equals_pyfixest_twfe(seed: int, never: bool, always: bool, students: bool,
                                          weighted: bool) -> None:
    frame = _staggered_panel(seed, never=never, always=always, students=students, weighted=weighted)
    weights = "w" if weighted else None
    result = bacon_decomposition(frame, outcome="y", unit="unit", time="t", treatment="d", weights=weights)
    columns = {"y": ("y", "mean"), "d": ("d", "first")} | ({"w": ("w", "first")} if weighted else {})
    cells = frame.groupby(["unit", "t"], as_index=False).agg(**columns)     # independent cell means
    # unit and time effects as dummies: exact least squares, no iterative demeaning tolerance
    fit = pf.feols("y ~ d + C(unit) + C(t)", data=cells, weights="w" if weighted else None)
    reference = float(fit.coef()["d"])
    assert result.weighted_sum == pytest.approx(reference, abs=1e-10)
    assert result.twfe_estimate == pytest.approx(reference, abs=1e-10)
    assert abs(result.identity_difference) < 1e-12
    assert result.weight_sum_unscaled == pytest.approx(1.0, abs=1e-12)
    assert result.comparisons["weight"].sum() == pytest.approx(1.0, abs=1e-12)
    assert (result.comparisons["weight"] > 0).all()
    kinds = set(result.comparisons["type"])
    assert ("treated vs never" in kinds) == never
    assert ("treated vs always" in kinds) == always
    assert result.n_obs == len(frame)


def test_first_treated_gives_the_same_decomposition() -> None:
    frame = _staggered_panel(7, never=True, always=True, students=False, weighted=False)
    frame["first"] = frame["g"].astype(float).where(frame["g"] > 0)        # never as missing
    frame.loc[frame["g"] == 1, "first"] = -5.0                              # adopted before the panel
    by_treatment = bacon_decomposition(frame, outcome="y", unit="unit", time="t", treatment="d")
    by_first = bacon_decomposition(frame, outcome="y", unit="unit", time="t", first_treated="first")
    pd.testing.assert_frame_equal(by_treatment.comparisons, by_first.comparisons)
    assert by_first.twfe_estimate == by_treatment.twfe_estimate
    zero_never = frame.assign(first=frame["first"].fillna(0.0))
    inf_never = frame.assign(first=frame["first"].fillna(np.inf))
    for variant in (zero_never, inf_never):
        again = bacon_decomposition(variant, outcome="y", unit="unit", time="t", first_treated="first")
        pd.testing.assert_frame_equal(again.comparisons, by_first.comparisons)


def test_first_treated_between_or_after_observed_periods() -> None:
    periods = [2000, 2002, 2004, 2006]
    data = pd.DataFrame({"u": np.repeat(list("abcd"), 4), "year": periods * 4})
    data["first"] = data["u"].map({"a": 2001, "b": 2003, "c": 2009, "d": np.nan})   # c adopts after the panel
    data["y"] = np.arange(16.0) ** 1.5
    result = bacon_decomposition(data, outcome="y", unit="u", time="year", first_treated="first")
    assert result.groups["group"].tolist() == ["2002", "2004", "never"]
    assert result.groups["n_units"].tolist() == [1, 1, 2]
    explicit = data.assign(d=((data["u"] == "a") & (data["year"] >= 2002)) | ((data["u"] == "b")
                                                                               & (data["year"] >= 2004)))
    same = bacon_decomposition(explicit, outcome="y", unit="u", time="year", treatment="d")
    pd.testing.assert_frame_equal(result.comparisons, same.comparisons)


def test_hand_computed_two_cohort_example() -> None:
    """Six units x years 1-5: two adopt in 2, two in 4, two never; effects known, so every 2x2 is known.

    Effect of the year-2 cohort 1 + 0.5 (t - 2), of the year-4 cohort 2 + 0.5 (t - 4).  By hand:
    2 vs never = mean(1, 1.5, 2, 2.5) = 1.75; 2 vs 4 (years 1-3) = 1.25; 4 vs 2 (years 2-5) = 2.25 - (2.25 -
    1.25) = 1.25; 4 vs never = 2.25.  Raw weights N_k N_l p q = 16, 8, 16, 24 of 64.
    """
    data = pd.DataFrame([(u, t) for u in range(6) for t in range(1, 6)], columns=["school", "year"])
    adopt = data["school"].map({0: 2, 1: 2, 2: 4, 3: 4, 4: 0, 5: 0})
    treated = (adopt > 0) & (data["year"] >= adopt)
    data["score"] = 0.3 * data["school"] + 0.1 * data["year"] + treated * (1.0 + (adopt == 4)
                                                                          + 0.5 * (data["year"] - adopt))
    data["d"] = treated.astype(int)
    result = bacon_decomposition(data, outcome="score", unit="school", time="year", treatment="d")
    table = result.comparisons.set_index("term")
    expected = {"2 vs never": (1.75, 16 / 64), "2 vs 4": (1.25, 8 / 64), "4 vs 2": (1.25, 16 / 64),
                "4 vs never": (2.25, 24 / 64)}
    for term, (estimate, weight) in expected.items():
        assert table.loc[term, "estimate"] == pytest.approx(estimate, abs=1e-12)
        assert table.loc[term, "weight"] == pytest.approx(weight, abs=1e-15)
    assert table.loc["4 vs 2", ["window_start", "window_end", "n_periods_pre", "n_periods_post"]].tolist() == \
        [2, 5, 2, 2]
    assert table.loc["2 vs 4", "n_cells"] == 4 * 3


def test_students_are_averaged_within_cells() -> None:
    frame = _staggered_panel(11, never=True, always=False, students=True, weighted=False)
    extra = np.flatnonzero(frame.duplicated(["unit", "t"]).to_numpy())   # a cell's second, third... student
    frame.loc[extra[::3], "y"] = np.nan
    result = bacon_decomposition(frame, outcome="y", unit="unit", time="t", treatment="d")
    kept = frame.dropna(subset=["y"])
    cells = kept.groupby(["unit", "t"], as_index=False).agg(y=("y", "mean"), d=("d", "first"))
    on_cells = bacon_decomposition(cells, outcome="y", unit="unit", time="t", treatment="d")
    pd.testing.assert_frame_equal(result.comparisons.drop(columns="n_cells"),
                                  on_cells.comparisons.drop(columns="n_cells"), rtol=1e-12)
    assert (result.n_obs, result.n_dropped) == (len(kept), len(frame) - len(kept))


# --- results API ----------------------------------------------------------------------------------------------

def test_tidy_layout(castle_result: BaconDecomposition) -> None:
    tidy = castle_result.tidy()
    assert list(tidy.columns) == [*TIDY_COLUMNS, "type", "treated", "control", "weight"]
    assert len(tidy) == 25
    assert tidy["term"].iloc[0] == "2005 vs 2006"
    assert "2006 vs never" in set(tidy["term"])
    assert tidy["std_error"].isna().all()
    assert tidy["n_obs"].loc[tidy["term"] == "2006 vs never"].item() == 42 * 11
    assert float(np.sum(tidy["weight"] * tidy["estimate"])) == pytest.approx(castle_result.twfe_estimate, abs=1e-15)


def test_plot_data(castle_result: BaconDecomposition) -> None:
    plot = castle_result.plot_data()
    assert list(plot.columns) == ["term", "type", "treated", "control", "weight", "estimate", "type_estimate",
                                  "twfe_estimate"]
    never = plot[plot["type"] == "treated vs never"]
    assert never["type_estimate"].iloc[0] == pytest.approx(0.08796, abs=5e-6)
    assert (plot["twfe_estimate"] == castle_result.twfe_estimate).all()


def test_summary_and_to_dict(castle_result: BaconDecomposition) -> None:
    text = castle_result.summary()
    assert "Goodman-Bacon (2021)" in text
    assert "0.08181161693" in text
    assert "2006 vs never" in text and "largest 20 of 25 comparisons" in text
    first = json.dumps(castle_result.to_dict(), sort_keys=True)
    again = bacon_decomposition(pd.read_csv(DATA / "castle.csv"), outcome="l_homicide", unit="state",
                                time="year", treatment="post")
    assert json.dumps(again.to_dict(), sort_keys=True) == first
    payload = json.loads(first)
    assert payload["twfe_estimate"] == castle_result.twfe_estimate
    assert len(payload["comparisons"]) == 25 and payload["comparisons"][0]["window_start"] == 2000
    with pytest.raises(dataclasses.FrozenInstanceError, match="cannot assign"):
        castle_result.twfe_estimate = 0.0  # type: ignore[misc]


def test_weighted_summary_names_the_weights() -> None:
    frame = _staggered_panel(3, never=True, always=False, students=False, weighted=True)
    result = bacon_decomposition(frame, outcome="y", unit="unit", time="t", treatment="d", weights="w")
    assert "unit weights 'w'" in result.summary()
    assert result.groups["unit_weight"].sum() == pytest.approx(frame.groupby("unit")["w"].first().sum())


# --- input errors -------------------------------------------------------------------------------------------------

@pytest.fixture
def small() -> pd.DataFrame:
    data = pd.DataFrame({"u": np.repeat(["a", "b", "c"], 4), "t": [1, 2, 3, 4] * 3})
    data["d"] = ((data["u"] == "a") & (data["t"] >= 2) | (data["u"] == "b") & (data["t"] >= 3)).astype(int)
    data["y"] = np.linspace(0.0, 1.0, 12) ** 2
    return data


def test_unbalanced_panel_is_refused(small: pd.DataFrame) -> None:
    with pytest.raises(EstimationError, match=r"balanced panel.*1 of 3 units.*unit 'b' lacks 3, 4.*Drop these"):
        bacon_decomposition(small.drop(index=[6, 7]), outcome="y", unit="u", time="t", treatment="d")
    with pytest.raises(EstimationError, match=r"after dropping 1 rows with missing values"):
        bacon_decomposition(small.assign(y=small["y"].where(small.index != 5)), outcome="y", unit="u", time="t",
                            treatment="d")


def test_non_absorbing_treatment_names_unit_and_period(small: pd.DataFrame) -> None:
    data = small.copy()
    data.loc[3, "d"] = 0                                        # unit a: 0 1 1 0
    with pytest.raises(EstimationError, match=r"not absorbing: unit 'a' is treated in period 3 but untreated in 4"):
        bacon_decomposition(data, outcome="y", unit="u", time="t", treatment="d")


def test_treatment_varying_within_a_cell(small: pd.DataFrame) -> None:
    students = pd.concat([small, small.assign(d=np.where(small.index == 9, 1, small["d"]))], ignore_index=True)
    with pytest.raises(EstimationError, match=r"not constant within unit x period cells: unit 'c' in period 2"):
        bacon_decomposition(students, outcome="y", unit="u", time="t", treatment="d")


def test_treatment_must_be_binary(small: pd.DataFrame) -> None:
    with pytest.raises(EstimationError, match=r"must be 0 or 1; received 2\.0 for unit 'a' in period 4"):
        bacon_decomposition(small.assign(d=small["d"].replace({1: 2}).where(small.index == 3, small["d"])),
                            outcome="y", unit="u", time="t", treatment="d")


def test_exactly_one_adoption_column(small: pd.DataFrame) -> None:
    with pytest.raises(ArgumentError, match=r"exactly one of treatment= .* and first_treated="):
        bacon_decomposition(small, outcome="y", unit="u", time="t")
    with pytest.raises(ArgumentError, match=r"exactly one of treatment="):
        bacon_decomposition(small.assign(g=2), outcome="y", unit="u", time="t", treatment="d", first_treated="g")


def test_missing_column(small: pd.DataFrame) -> None:
    with pytest.raises(ColumnError, match=r"data has no column 'score'"):
        bacon_decomposition(small, outcome="score", unit="u", time="t", treatment="d")


def test_first_treated_checks(small: pd.DataFrame) -> None:
    varying = small.assign(g=np.where(small.index == 0, 3, 2))
    with pytest.raises(EstimationError, match=r"constant within a unit; unit 'a' has values 2\.0 and 3\.0"):
        bacon_decomposition(varying, outcome="y", unit="u", time="t", first_treated="g")
    zero_period = small.assign(t=small["t"] - 1, g=0)
    with pytest.raises(EstimationError, match=r"0 is also a period"):
        bacon_decomposition(zero_period, outcome="y", unit="u", time="t", first_treated="g")
    with pytest.raises(ArgumentError, match=r"numeric time column"):
        bacon_decomposition(small.assign(t=small["t"].map("p{}".format), g=2), outcome="y", unit="u", time="t",
                            first_treated="g")


def test_weights_must_be_unit_weights(small: pd.DataFrame) -> None:
    with pytest.raises(EstimationError, match=r"constant within each unit .* unit 'a' has 1\.0 and 2\.0"):
        bacon_decomposition(small.assign(w=np.where(small.index == 1, 2.0, 1.0)), outcome="y", unit="u", time="t",
                            treatment="d", weights="w")
    with pytest.raises(EstimationError, match=r"positive and finite; received -1\.0"):
        bacon_decomposition(small.assign(w=-1.0), outcome="y", unit="u", time="t", treatment="d", weights="w")


def test_no_variation_in_adoption(small: pd.DataFrame) -> None:
    same_time = small.assign(d=(small["t"] >= 3).astype(int))
    with pytest.raises(EstimationError, match=r"not identified"):
        bacon_decomposition(same_time, outcome="y", unit="u", time="t", treatment="d")
    with pytest.raises(EstimationError, match=r"not identified"):
        bacon_decomposition(small.assign(d=0), outcome="y", unit="u", time="t", treatment="d")
