"""Report figures drawn from the real analyses of a small synthetic study, and from small hand-made tables.

The checks read what a reader would see: the points, lines, bands and reference lines drawn, the axis
labels and legend entries, the text inside the SVG file (Chinese included), and the alt text's numbers,
which are recomputed here from the input tables.  Saving twice must give the same bytes, and nothing may
change matplotlib's global settings or open a pyplot figure.
"""

from __future__ import annotations

import re
import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PolyCollection
from matplotlib.container import ErrorbarContainer
from matplotlib.patches import Rectangle
from PIL import Image

import outcomes
from analyses import did
from analyses.equivalence import baseline_equivalence
from data_schema import generate_study, load_study
from data_schema.errors import ArgumentError, ColumnError
from reports.figures import (
    FontWarning,
    ReportFigure,
    equivalence_figure,
    event_study_figure,
    figure_theme,
    forest_figure,
    growth_figure,
    reliability_figure,
    save_figure,
    trends_figure,
)
from reports.figures.theme import OKABE_ITO
from surveys.reliability import reliability_table
from surveys.scoring import score

INSTRUMENTS = ("intercultural_competence", "digital_commerce_skills")
ZH = "跨文化交际能力"


# --------------------------------------------------------------------------- fixtures: one small study


@pytest.fixture(scope="module")
def theme():
    """The theme with the project's CJK font (reports.render.fonts finds it)."""
    fonts = pytest.importorskip("reports.render.fonts", reason="reports.render.fonts (the CJK font finder) is absent")
    try:
        font = fonts.cjk_font()
    except Exception as exc:  # FontNotFoundError: no CJK font installed on this machine
        pytest.skip(f"no CJK font to draw Chinese labels with: {exc}")
    return figure_theme(font=font)


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    syn = generate_study(tmp_path_factory.mktemp("figures_study"), n_institutions=4, students_per_class=12,
                         classes_per_cohort=1, n_cohorts=5, first_cohort=2019)
    return load_study(syn.config_path)


@pytest.fixture(scope="module")
def labels(study):
    return {k: f"{b.title['en']} {b.title['zh']}" for k, b in study.codebooks.items()}


@pytest.fixture(scope="module")
def wave2(study):
    """Wave-2 scale scores with the institution's first treated cohort, as tests/test_did_synthetic.py builds them."""
    adoption = study.config.treatment.adoption_year
    responses = study.survey_responses
    frames = {}
    for k in INSTRUMENTS:
        r = responses[(responses["instrument"] == k) & (responses["wave"] == 2)]
        m = score(r, study.codebooks[k]).scores[["student_id", k]].merge(
            study.students[["student_id", "institution_id", "cohort"]], on="student_id")
        m["cohort"] = m["cohort"].astype(int)
        m["first_treated"] = m["institution_id"].map(lambda i: adoption[i] or 0).astype(int)
        m["treated"] = ((m["first_treated"] > 0) & (m["cohort"] >= m["first_treated"])).astype(float)
        frames[k] = m
    return frames


@pytest.fixture(scope="module")
def events(wave2, labels):
    """Stacked event-study tidy tables and their pre-trend tests, from analyses.did.event_study."""
    tables, tests = [], []
    for k, data in wave2.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", did.DesignWarning)
            result = did.event_study(data, outcome=k, unit="institution_id", time="cohort",
                                     first_treated="first_treated", cluster="institution_id")
        tables.append(result.tidy().assign(outcome=k, outcome_label=labels[k]))
        p = result.pretrend
        tests.append({"outcome": k, "statistic": p.statistic, "df_numerator": p.df_numerator,
                      "df_denominator": p.df_denominator, "p_value": p.p_value})
    return pd.concat(tables, ignore_index=True), pd.DataFrame(tests)


@pytest.fixture(scope="module")
def effects(wave2, labels):
    """TWFE effects on the two competency scores, in scale points, and a hand-made one in percentage points."""
    rows = []
    for k, data in wave2.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", did.DesignWarning)
            fit = did.twfe(data, outcome=k, treatment="treated", unit="institution_id", time="cohort",
                           cluster="institution_id").tidy().iloc[0]
        rows.append({"outcome_label": labels[k], "estimate": fit["estimate"], "ci_low": fit["ci_low"],
                     "ci_high": fit["ci_high"], "scale": "scale points (1-5)", "method": "TWFE"})
    rows.append({"outcome_label": "Employment rate", "estimate": 4.2, "ci_low": -1.0, "ci_high": 9.4,
                 "scale": "percentage points", "method": "TWFE"})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def trends_table(study):
    frames = outcomes.study_indicators(study)
    graduates = [f[f["graduation_year"].notna()] for f in frames.values()]
    by = ["program", "graduation_year"]
    table = outcomes.summarise(graduates, by=by, indicators=["employment_rate", "hsk_target_rate"], margins=True)
    return outcomes.protect(table, by=by, additive=["numerator"], separate=["indicator", "months_after_graduation"],
                            min_cell=study.config.privacy.min_cell_size).table


@pytest.fixture(scope="module")
def reliability(study):
    books = {k: study.codebooks[k] for k in INSTRUMENTS}
    return reliability_table(study.survey_responses, books, by=["wave"], n_boot=0, subscales=False).scales


@pytest.fixture(scope="module")
def growth(study):
    parts = []
    for k in INSTRUMENTS:
        r = study.survey_responses[study.survey_responses["instrument"] == k]
        m = score(r, study.codebooks[k]).scores.merge(study.students[["student_id", "program"]], on="student_id")
        g = m.groupby(["wave", "program"])[k].agg(["mean", "std", "count"]).reset_index()
        half = 1.96 * g["std"] / np.sqrt(g["count"])
        parts.append(pd.DataFrame({"instrument": k, "wave": g["wave"].astype(int), "program": g["program"],
                                   "estimate": g["mean"], "ci_low": g["mean"] - half, "ci_high": g["mean"] + half}))
    return pd.concat(parts, ignore_index=True)


@pytest.fixture(scope="module")
def equivalence(study):
    return baseline_equivalence(study.students, group="program", treated="integrated",
                                covariates=["entrance_score", "student_origin", "prior_hsk_level"],
                                adjusted=["entrance_score"]).tidy()


# --------------------------------------------------------------------------- helpers


def errorbar_points(ax) -> int:
    return sum(len(c.lines[0].get_xdata()) for c in ax.containers if isinstance(c, ErrorbarContainer))


def legend_texts(fig: ReportFigure) -> list[str]:
    return [t.get_text() for legend in fig.figure.legends for t in legend.get_texts()]


def svg_text(path) -> str:
    """The texts matplotlib keeps beside the glyph outlines (XML comments), joined."""
    return "\n".join(re.findall(r"<!-- (.*?) -->", path.read_text(encoding="utf-8")))


def f2(x: float) -> str:
    return f"{x:.2f}".replace("-0.00", "0.00")


# --------------------------------------------------------------------------- the six figures


def test_event_study_from_the_real_fit(events, theme, labels):
    table, tests = events
    fig = event_study_figure(table, pretrend=tests, theme=theme)
    axes = fig.figure.axes
    assert len(axes) == len(INSTRUMENTS)
    for ax, k in zip(axes, INSTRUMENTS, strict=True):
        rows = table[table["outcome"] == k]
        assert errorbar_points(ax) == len(rows)  # every estimated event time, with its interval
        hollow = [ln for ln in ax.get_lines() if ln.get_markerfacecolor() == "white"]
        assert [list(ln.get_xdata()) for ln in hollow] == [[-1.0]] and list(hollow[0].get_ydata()) == [0.0]
        assert any(list(ln.get_xdata()) == [-0.5, -0.5] for ln in ax.get_lines())  # adoption line
        assert any(list(ln.get_ydata()) == [0.0, 0.0] for ln in ax.get_lines())  # zero line
        t = tests[tests["outcome"] == k].iloc[0]
        p = f"p = {t.p_value:.3f}" if t.p_value < 0.01 else f"p = {t.p_value:.2f}"
        title = ax.get_title(loc="left")
        assert labels[k].split()[0] in title and f"pre-trend test F({t.df_numerator}, {t.df_denominator:g}) = " in title
        assert title.endswith(p)
        assert ax.get_ylabel() == "Estimated effect"
    assert legend_texts(fig) == ["before adoption (leads)", "from adoption (lags)", "reference period"]
    for k in INSTRUMENTS:
        pre = table[(table["outcome"] == k) & (table["event_time"] < 0)]["estimate"]
        post = table[(table["outcome"] == k) & (table["event_time"] >= 0)]["estimate"]
        t = tests[tests["outcome"] == k].iloc[0]
        assert (f"between {f2(pre.min())} and {f2(pre.max())} (pre-trend test F({t.df_numerator}, "
                f"{t.df_denominator:g})") in fig.alt_text
        assert f"range from {f2(post.min())} to {f2(post.max())}" in fig.alt_text


def test_event_study_of_one_outcome_puts_the_test_in_the_subtitle(events, theme):
    table, tests = events
    one = table[table["outcome"] == INSTRUMENTS[1]].drop(columns=["outcome", "outcome_label"])
    t = tests.iloc[1]
    fig = event_study_figure(one, pretrend=tests.iloc[[1]].drop(columns="outcome"), theme=theme)
    expected_f = f"F({t.df_numerator}, {t.df_denominator:g}) = "
    assert fig.subtitle.startswith(f"Pre-trend test (every lead is zero): {expected_f}")
    assert fig.figure.get_suptitle().startswith("Pre-trend test")
    assert fig.figure.axes[0].get_xlabel() == "Cohorts relative to adoption (0 = first integrated cohort)"


def test_event_study_marks_binned_endpoints_from_the_event_table(theme):
    data = did.simulate_did(n_units=24, n_periods=8, units_per_cluster=2, effect=0.5, seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", did.DesignWarning)
        result = did.event_study(data, outcome="y", unit="unit", time="period", first_treated="first_treated",
                                 cluster="cluster", leads=2, lags=2)
    fig = event_study_figure(result.event_table(), theme=theme)
    ticks = [t.get_text() for t in fig.figure.axes[0].get_xticklabels()]
    assert ticks[0] == "\u2264\u22122" and ticks[-1] == "\u22652"
    assert errorbar_points(fig.figure.axes[0]) == len(result.tidy())


def test_forest_plot_gives_each_scale_its_own_axis(effects, theme):
    fig = forest_figure(effects, theme=theme)
    axes = fig.figure.axes
    assert [ax.get_xlabel() for ax in axes] == ["Effect in scale points (1-5)", "Effect in percentage points"]
    assert [errorbar_points(ax) for ax in axes] == [2, 1]
    ticks = [t.get_text().replace("\n", " ") for t in axes[0].get_yticklabels()]
    assert ticks == list(effects["outcome_label"][:2])
    notes = [t.get_text() for t in axes[1].texts]
    assert notes == ["4.20 [\u22121.00, 9.40]"]
    a, b = effects.iloc[0], effects.iloc[1]
    lo, hi = (a, b) if a["estimate"] <= b["estimate"] else (b, a)
    assert f"from {f2(lo['estimate'])} ({lo['outcome_label']}, TWFE, 95% CI {f2(lo['ci_low'])}" in fig.alt_text
    assert f"to {f2(hi['estimate'])} ({hi['outcome_label']}, TWFE" in fig.alt_text
    assert "In percentage points: 4.20 for Employment rate, TWFE (95% CI -1.00 to 9.40), an interval that includes " \
           "zero." in fig.alt_text
    assert fig.figure.legends == []  # one method: no legend


def test_forest_plot_sets_methods_side_by_side():
    effects = pd.DataFrame({"outcome_label": ["Employment rate"] * 2 + ["Field match"] * 2,
                            "estimate": [4.0, 3.0, -1.0, -0.5], "ci_low": [1.0, 0.5, -3.0, -2.0],
                            "ci_high": [7.0, 5.5, 1.0, 1.0], "scale": "percentage points",
                            "method": ["twfe", "cs", "twfe", "cs"]})
    fig = forest_figure(effects, labels={"twfe": "TWFE", "cs": "Callaway & Sant'Anna"})
    assert legend_texts(fig) == ["TWFE", "Callaway & Sant'Anna"]
    ys = sorted(y for c in fig.figure.axes[0].containers for y in c.lines[0].get_ydata())
    assert len(ys) == 4 and len(set(ys)) == 4  # dodged, never on top of each other
    assert "2 of 4 intervals exclude zero" in fig.alt_text


def test_trends_leave_out_suppressed_cells_and_say_so(trends_table, theme):
    fig = trends_figure(trends_table, time="graduation_year", months=12, theme=theme)
    table = trends_table[(trends_table["program"] != "All") & (trends_table["graduation_year"] != "All")]
    table = table[table["months_after_graduation"].isna() | (table["months_after_graduation"] == 12)]
    assert len(fig.figure.axes) == table["indicator"].nunique() == 2
    assert [ax.get_title(loc="left").replace("\n", " ") for ax in fig.figure.axes] == [
        "Employment rate, 12 months after graduation", "HSK target level reached"]
    drawn = sum(int(np.isfinite(ln.get_ydata()).sum()) for ax in fig.figure.axes for ln in ax.get_lines()
                if not ln.get_label().startswith("_"))
    hidden = int(table["suppressed"].sum())
    assert hidden > 0 and drawn == len(table) - hidden
    assert f"{hidden} cells hidden by small-cell suppression are left out." in fig.alt_text
    assert f"{hidden} cells hidden by small-cell suppression not shown" in fig.subtitle
    assert fig.figure.axes[0].yaxis.get_major_formatter().__class__.__name__ == "PercentFormatter"
    for ax in fig.figure.axes:
        for band in (c for c in ax.collections if isinstance(c, PolyCollection)):
            assert band.get_facecolor()[0][:3].round(3).tolist() in (
                [round(int(h[i:i + 2], 16) / 255, 3) for i in (1, 3, 5)]
                for h in (OKABE_ITO["blue"], OKABE_ITO["orange"]))


def test_trends_alt_text_from_a_hand_made_table():
    table = pd.DataFrame({
        "indicator": ["hsk_target_rate"] * 6, "program": ["integrated"] * 3 + ["traditional"] * 3,
        "cohort": [2021, 2022, 2023] * 2, "n": [24, 4, 30, 40, 41, 39],
        "estimate": [0.8, np.nan, 0.86, 0.7, 0.72, 0.71], "ci_low": [0.6, np.nan, 0.7, 0.55, 0.57, 0.56],
        "ci_high": [0.91, np.nan, 0.94, 0.82, 0.84, 0.83], "suppressed": [False, True, False, False, False, False]})
    fig = trends_figure(table, labels={"hsk_target_rate": "HSK 4 or above", "integrated": "integrated"})
    assert fig.alt_text == (
        "Indicators by program and cohort, with 95% intervals. HSK 4 or above: integrated 80.0% (cohort 2021) to "
        "86.0% (cohort 2023); traditional 70.0% (cohort 2021) to 71.0% (cohort 2023). 1 cell hidden by small-cell "
        "suppression is left out.")
    integrated = next(ln for ln in fig.figure.axes[0].get_lines() if ln.get_label() == "integrated")
    assert np.isnan(integrated.get_ydata()).tolist() == [False, True, False]  # a gap, not a line through 2022


def test_reliability_overview(reliability, theme, labels, study):
    fig = reliability_figure(reliability, wave_labels=study.config.waves, theme=theme, labels=labels)
    alpha_ax, omega_ax = fig.figure.axes
    assert (alpha_ax.get_xlabel(), omega_ax.get_xlabel()) == ("Cronbach's alpha", "McDonald's omega")
    assert errorbar_points(alpha_ax) == int(np.isfinite(reliability["alpha"]).sum())
    assert errorbar_points(omega_ax) == int(np.isfinite(reliability["omega"]).sum())
    verticals = sorted(ln.get_xdata()[0] for ln in alpha_ax.get_lines() if len(set(ln.get_xdata())) == 1
                       and list(ln.get_ydata()) == [0, 1])
    assert verticals == [0.7, 0.8]
    waves = sorted(reliability["wave"].unique())
    assert legend_texts(fig) == [f"Wave {w} ({study.config.waves[w]})" for w in waves]
    assert [t.get_text().replace("\n", " ") for t in alpha_ax.get_yticklabels()] == [labels[k] for k in INSTRUMENTS]
    lo = reliability["alpha"].min()
    assert f"Cronbach's alpha ranges from {f2(lo)}" in fig.alt_text
    assert f"of {int(np.isfinite(reliability['alpha']).sum())} estimates reach 0.8" in fig.alt_text


def test_growth_trajectories(growth, theme, labels, study):
    fig = growth_figure(growth, wave_labels=study.config.waves, theme=theme, labels=labels)
    assert [ax.get_title(loc="left").replace("\n", " ") for ax in fig.figure.axes] == [labels[k] for k in INSTRUMENTS]
    for ax in fig.figure.axes:
        named = [ln for ln in ax.get_lines() if not ln.get_label().startswith("_")]
        assert [ln.get_label() for ln in named] == ["Integrated (CBEC-ICE)", "Traditional"]
        assert [ln.get_color() for ln in named] == [OKABE_ITO["blue"], OKABE_ITO["orange"]]
        assert all(len(ln.get_xdata()) == growth["wave"].nunique() for ln in named)
        assert sum(isinstance(c, PolyCollection) for c in ax.collections) == 2  # one band a program
    ticks = [t.get_text() for t in fig.figure.axes[-1].get_xticklabels()]
    assert ticks[0] == f"0\n{study.config.waves[0]}"
    first = growth[(growth["instrument"] == INSTRUMENTS[0]) & (growth["program"] == "integrated")].sort_values("wave")
    assert (f"integrated {f2(first['estimate'].iloc[0])} ({study.config.waves[0]}) to "
            f"{f2(first['estimate'].iloc[-1])}") in fig.alt_text


def test_baseline_equivalence_love_plot(equivalence, theme):
    fig = equivalence_figure(equivalence, theme=theme, labels={"entrance_score": "Entrance score 入学成绩"})
    (ax,) = fig.figure.axes
    points = [ln for ln in ax.get_lines() if ln.get_linestyle() == "None"]
    assert sum(len(ln.get_xdata()) for ln in points) == len(equivalence)
    bands = sorted(round(p.get_width(), 6) for p in ax.patches if isinstance(p, Rectangle) and p.get_width() < 1)
    assert bands == [0.1, 0.5]  # +-0.05 and +-0.25 SD shaded
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    assert ticks[0] == "Entrance score 入学成绩" and "Prior HSK level" in ticks
    sizes = equivalence["estimate"].abs()
    assert f"{int((sizes <= 0.05).sum())} within 0.05 SD (satisfied)" in fig.alt_text
    assert f"{int((sizes > 0.25).sum())} beyond 0.25 SD" in fig.alt_text
    assert set(legend_texts(fig)) >= {"within \u00b10.05 SD", "within \u00b10.25 SD"}


# --------------------------------------------------------------------------- saving


def test_svg_holds_the_labels_and_the_png_is_a_picture(events, theme, tmp_path):
    table, tests = events
    saved = save_figure(event_study_figure(table, pretrend=tests, theme=theme), tmp_path)
    assert saved.to_dict()["files"] == {"svg": "event_study.svg", "png": "event_study.png"}
    text = svg_text(saved.paths["svg"])
    for expected in (ZH, "Intercultural Communication", "before adoption (leads)", "Estimated effect", "adoption"):
        assert expected in text
    raw = saved.paths["svg"].read_text(encoding="utf-8")
    assert f"<dc:description>{saved.alt_text}</dc:description>" in raw and "<title>" in raw
    image = Image.open(saved.paths["png"])
    assert image.format == "PNG" and image.size[0] == round(theme.width * theme.dpi)
    assert image.info["Description"] == saved.alt_text and "Software" not in image.info
    pixels = np.asarray(image.convert("L"))
    assert pixels.min() < 80 and pixels.max() == 255  # ink on a white page


def test_saving_twice_gives_the_same_bytes(effects, growth, theme, tmp_path):
    builds = {"forest": lambda: forest_figure(effects, theme=theme),
              "growth": lambda: growth_figure(growth, theme=theme)}
    for kind, build in builds.items():
        first = save_figure(build(), tmp_path / "a" / kind)
        second = save_figure(build(), tmp_path / "b" / kind)
        for fmt in ("svg", "png"):
            assert first.paths[fmt].read_bytes() == second.paths[fmt].read_bytes()
        raw = first.paths["svg"].read_text(encoding="utf-8")
        assert str(tmp_path) not in raw and "Matplotlib v" not in raw and "<dc:date>" not in raw
        assert theme.font_path not in raw
        folder = first.paths["svg"].parent
        assert sorted(p.name for p in folder.iterdir()) == sorted(first.to_dict()["files"].values())


def test_no_global_state_changes(effects, growth, equivalence, theme, tmp_path):
    import matplotlib.pyplot as plt

    before = {k: v for k, v in matplotlib.rcParams.items()}
    figs = [forest_figure(effects, theme=theme), growth_figure(growth, theme=theme),
            equivalence_figure(equivalence, theme=theme)]
    for fig in figs:
        save_figure(fig, tmp_path)
    assert {k: v for k, v in matplotlib.rcParams.items()} == before
    assert plt.get_fignums() == []


def test_chinese_without_a_cjk_font_warns_once(tmp_path):
    effects = pd.DataFrame({"outcome_label": [f"Intercultural competence {ZH}"], "estimate": [0.3],
                            "ci_low": [0.1], "ci_high": [0.5], "scale": "SD units"})
    with pytest.warns(FontWarning, match="no CJK font was given") as caught:
        fig = forest_figure(effects, theme=figure_theme())
    assert len(caught) == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib's one warning per missing glyph is not repeated on saving
        save_figure(fig, tmp_path, formats=["png"])
        latin = forest_figure(effects.assign(outcome_label="Intercultural competence"), theme=figure_theme())
    assert latin.theme.families == ["DejaVu Sans"]


# --------------------------------------------------------------------------- bad input


def test_empty_and_malformed_tables_are_refused():
    good = pd.DataFrame({"outcome_label": ["Employment rate"], "estimate": [4.0], "ci_low": [1.0],
                         "ci_high": [7.0], "scale": ["percentage points"]})
    with pytest.raises(ArgumentError, match="effects is empty; expected at least one row"):
        forest_figure(good.iloc[0:0])
    with pytest.raises(ColumnError, match="effects has no column 'scale'"):
        forest_figure(good.drop(columns="scale"))
    with pytest.raises(ArgumentError, match="column 'estimate' must hold numbers; row 0 holds 'large'"):
        forest_figure(good.assign(estimate=["large"]))
    with pytest.raises(ArgumentError, match="ci_low=7.0 above ci_high=1.0"):
        forest_figure(good.assign(ci_low=7.0, ci_high=1.0))
    with pytest.raises(ArgumentError, match="must be a pandas DataFrame; received list"):
        growth_figure([1, 2])
    with pytest.raises(ArgumentError, match="no row with an estimate"):
        forest_figure(good.assign(estimate=np.nan, ci_low=np.nan, ci_high=np.nan))


def test_each_figure_names_what_is_missing(events):
    table, tests = events
    with pytest.raises(ColumnError, match="event-study table has no column 'event_time'"):
        event_study_figure(table.drop(columns="event_time"))
    with pytest.raises(ArgumentError, match="add an 'outcome' column to pretrend"):
        event_study_figure(table, pretrend=tests.drop(columns="outcome"))
    with pytest.raises(ColumnError, match="reliability table has no column 'alpha_ci_low'"):
        reliability_figure(pd.DataFrame({"instrument": ["x"], "alpha": [0.8], "wave": [0]}))
    with pytest.raises(ArgumentError, match="needs 'term' and 'estimate'"):
        equivalence_figure(pd.DataFrame({"name": ["x"]}))
    with pytest.raises(ArgumentError, match="needs a column naming the instrument"):
        growth_figure(pd.DataFrame({"wave": [0], "program": ["integrated"], "estimate": [3.0]}))
    all_hidden = pd.DataFrame({"indicator": ["employment_rate"], "program": ["integrated"], "cohort": [2021],
                               "estimate": [np.nan], "ci_low": [np.nan], "ci_high": [np.nan], "suppressed": [True]})
    with pytest.raises(ArgumentError, match="every one of the 1 cells of the indicator table is suppressed"):
        trends_figure(all_hidden)
    with pytest.raises(ArgumentError, match="indicators names 'salary'"):
        trends_figure(all_hidden, indicators=["salary"])


def test_bad_theme_and_save_options(tmp_path, effects):
    with pytest.raises(ArgumentError, match="is not a font file"):
        figure_theme(font=tmp_path / "none.otf")
    (tmp_path / "broken.ttf").write_bytes(b"not a font")
    with pytest.raises(ArgumentError, match="cannot be read as a font"):
        figure_theme(font=tmp_path / "broken.ttf")
    with pytest.raises(ArgumentError, match="base_size=30 is outside 6-14 points"):
        figure_theme(base_size=30)
    fig = forest_figure(effects.iloc[[2]])
    with pytest.raises(ArgumentError, match="format='pdf' is not a valid choice"):
        save_figure(fig, tmp_path, formats=["pdf"])
    with pytest.raises(ArgumentError, match="at most once"):
        save_figure(fig, tmp_path, formats=["svg", "svg"])
    with pytest.raises(ArgumentError, match="must be a ReportFigure"):
        save_figure(fig.figure, tmp_path)
    with pytest.raises(ArgumentError, match="must be lower-case letters"):
        forest_figure(effects, name="Effects Forest")
    assert not list(tmp_path.glob("*.part"))
