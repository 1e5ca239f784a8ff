"""The figures the documents show, drawn from the result tables: :func:`make_figures`.

A figure whose table is absent, empty or wholly hidden by small-cell suppression is not drawn; the
documents then say why (:func:`figure_gap`), from the analyses that could not run.

Examples
--------
>>> FIGURES[:3]
('event_study', 'effects_forest', 'brief_effects')
>>> label("baseline_equivalence")
'fig-baseline-equivalence'
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from reports.documents.wording import lower_first
from reports.figures import (
    ReportFigure,
    Theme,
    equivalence_figure,
    event_study_figure,
    forest_figure,
    growth_figure,
    reliability_figure,
    trends_figure,
)
from reports.study_results import StudyResults

__all__ = ["FIGURES", "METHOD_LABELS", "figure_gap", "headline_outcome", "label", "make_figures", "points_factor"]

FIGURES = ("event_study", "effects_forest", "brief_effects", "employment_trends", "certification_trends",
           "reliability", "baseline_equivalence", "growth")
"""Every figure :func:`make_figures` can draw, in document order (file stems in the bundle)."""

SOURCES = {"event_study": "event_study", "effects_forest": "effects", "brief_effects": "effects",
           "employment_trends": "trends", "certification_trends": "trends", "reliability": "reliability",
           "baseline_equivalence": "equivalence", "growth": "competency_scores"}
"""The result table each figure is drawn from."""

METHOD_LABELS = {"TWFE": "Two-way fixed effects (wild bootstrap interval)",
                 "Callaway-Sant'Anna": "Callaway-Sant'Anna (staggered adoption)"}
"""Display names of the ``method`` values of the ``effects`` table."""

_PROPORTION = "proportion"


def label(name: str) -> str:
    """The cross-reference label of figure ``name`` (``fig-`` and the name with hyphens)."""
    return "fig-" + name.replace("_", "-")


def _table(results: StudyResults, name: str) -> pd.DataFrame | None:
    frame = results.tables.get(name)
    return None if frame is None or frame.empty else frame


def _published(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows not hidden by small-cell suppression."""
    if "suppressed" not in frame.columns:
        return frame
    return frame[~frame["suppressed"].eq(True)].reset_index(drop=True)


def _has_estimate(frame: pd.DataFrame | None, column: str = "estimate") -> bool:
    return frame is not None and not frame.empty and bool(np.isfinite(frame[column].to_numpy(dtype=float)).any())


def headline_outcome(results: StudyResults) -> str | None:
    """The outcome the documents feature: the headline's, else the first compared outcome, else None."""
    if results.headline is not None:
        return results.headline.outcome
    compared = [o.strip() for o in results.notes.get("compared_outcomes", "").split(",") if o.strip()]
    if compared:
        return compared[0]
    effects = _table(results, "effects")
    return None if effects is None else str(effects["outcome"].iloc[0])


def points_factor(results: StudyResults, outcome: str) -> tuple[float, str]:
    """Multiplier and unit that put an outcome's raw DiD numbers in display units.

    A rate (``did_estimates.unit`` a proportion) is shown in percentage points (x 100); a score keeps its
    own unit.
    """
    did = _table(results, "did_estimates")
    if did is None or outcome not in set(did["outcome"]):
        return 1.0, ""
    unit = str(did.loc[did["outcome"] == outcome, "unit"].iloc[0])
    if unit.startswith(_PROPORTION):
        return 100.0, "percentage points"
    return 1.0, unit


def _order(results: StudyResults, outcomes: list[str]) -> list[str]:
    compared = [o.strip() for o in results.notes.get("compared_outcomes", "").split(",") if o.strip()]
    ranked = [o for o in compared if o in outcomes] + sorted(o for o in outcomes if o not in compared)
    top = headline_outcome(results)
    return ([top] if top in ranked else []) + [o for o in ranked if o != top]


def _event_study(results: StudyResults, theme: Theme) -> ReportFigure | None:
    table, outcome = _table(results, "event_study"), headline_outcome(results)
    if table is None or outcome is None:
        return None
    rows = _published(table[table["outcome"] == outcome])
    if not _has_estimate(rows[~rows["reference"]] if len(rows) else None):
        return None
    factor, unit = points_factor(results, outcome)
    rows = rows.assign(**{c: rows[c] * factor for c in ("estimate", "ci_low", "ci_high")}, scale=unit)
    pretrend = _table(results, "pretrend")
    test = None if pretrend is None else pretrend[pretrend["outcome"] == outcome]
    test = None if test is None or test.empty or not np.isfinite(float(test["p_value"].iloc[0])) else test
    return event_study_figure(rows, pretrend=test, theme=theme,
                              title=f"Effect of the integrated program by time since adoption: "
                                    f"{rows['outcome_label'].iloc[0]}")


def _effects(results: StudyResults, theme: Theme, *, brief: bool) -> ReportFigure | None:
    table = _table(results, "effects")
    if table is None:
        return None
    rows = _published(table)
    rows = rows[np.isfinite(rows["estimate"].to_numpy(dtype=float))]
    if brief:
        rows = rows[rows["method"] == "TWFE"]
    if rows.empty:
        return None
    order = {o: i for i, o in enumerate(_order(results, list(dict.fromkeys(rows["outcome"]))))}
    rows = rows.assign(_rank=rows["outcome"].map(order)).sort_values(["_rank", "method"], kind="stable",
                                                                    ascending=[True, False])
    if brief:
        return forest_figure(rows.drop(columns=["method"]), theme=theme, name="brief_effects",
                             title="Difference between integrated and traditional programs, with 95% intervals")
    return forest_figure(rows, theme=theme, labels=METHOD_LABELS)


def _trends(results: StudyResults, theme: Theme, basis: str, name: str) -> ReportFigure | None:
    table = _table(results, "trends")
    if table is None:
        return None
    rows = table[table["cohort_basis"] == basis]
    if rows.empty or not _has_estimate(_published(rows)):
        return None
    graduation = basis == "graduation year"
    return trends_figure(rows, theme=theme, name=name,
                         x_label="Graduation year" if graduation else "Entry cohort",
                         title=("Employment indicators by program and graduation year" if graduation else
                                "Certification indicators by program and entry cohort"))


def _instrument_labels(frame: pd.DataFrame, theme: Theme) -> dict[str, str]:
    """Instrument id -> English label, with the Chinese label when the theme has a CJK font."""
    out = {}
    for row in frame.drop_duplicates("instrument").itertuples():
        zh = str(getattr(row, "instrument_label_zh", "") or "")
        english = str(row.instrument_label or row.instrument)
        out[str(row.instrument)] = f"{english} {zh}" if zh and theme.font_family else english
    return out


def _wave_labels(frame: pd.DataFrame) -> dict[int, str]:
    pairs = frame.drop_duplicates("wave")[["wave", "wave_label"]]
    return {int(w): str(lab) for w, lab in zip(pairs["wave"], pairs["wave_label"], strict=True) if str(lab)}


def _reliability(results: StudyResults, theme: Theme) -> ReportFigure | None:
    table = _table(results, "reliability")
    if table is None:
        return None
    rows = _published(table[table["scale"] == "total"])
    if not _has_estimate(rows, "alpha"):
        return None
    return reliability_figure(rows, wave_labels=_wave_labels(rows), theme=theme,
                              labels=_instrument_labels(rows, theme))


def _equivalence(results: StudyResults, theme: Theme) -> ReportFigure | None:
    table, outcome = _table(results, "equivalence"), headline_outcome(results)
    if table is None or outcome is None:
        return None
    rows = _published(table[table["outcome"] == outcome])
    if not _has_estimate(rows, "effect_size"):
        return None
    labels = {}
    for row in rows.itertuples():
        text = str(row.characteristic_label or row.characteristic)
        labels[str(row.characteristic)] = text[:1].upper() + text[1:]
    return equivalence_figure(rows, theme=theme, labels=labels,
                              title=f"Baseline equivalence of the integrated and traditional groups: "
                                    f"{rows['outcome_label'].iloc[0]}")


def _growth(results: StudyResults, theme: Theme) -> ReportFigure | None:
    table = _table(results, "competency_scores")
    if table is None:
        return None
    growth = _table(results, "growth")
    if growth is not None:
        keep = set(growth["instrument"])
    else:
        waves = table.groupby("instrument")["wave"].nunique()
        keep = set(waves[waves >= 2].index)
    rows = table[table["instrument"].isin(keep)]
    rows = rows.assign(estimate=rows["estimate"].where(~rows["suppressed"].eq(True)))
    if not _has_estimate(rows):
        return None
    return growth_figure(rows, wave_labels=_wave_labels(rows), theme=theme, labels=_instrument_labels(rows, theme))


def make_figures(results: StudyResults, *, theme: Theme) -> list[ReportFigure]:
    """Draw every figure of :data:`FIGURES` that the result tables support.

    Parameters
    ----------
    results
        What :func:`reports.study_results.run_analyses` returned.
    theme
        From :func:`reports.figures.figure_theme`; give it the CJK font
        (``figure_theme(font=reports.render.cjk_font())``) so that Chinese instrument names are drawn.

    Returns
    -------
    list of ReportFigure
        In the order of :data:`FIGURES`, leaving out each figure whose table is absent, empty or wholly
        hidden by small-cell suppression (:func:`figure_gap` says why in words).

    Examples
    --------
    >>> from reports.figures import figure_theme
    >>> from reports.study_results import StudyResults
    >>> make_figures(StudyResults(tables={}, not_run=(), headline=None), theme=figure_theme())
    []
    """
    drawers: dict[str, Callable[[], ReportFigure | None]] = {
        "event_study": lambda: _event_study(results, theme),
        "effects_forest": lambda: _effects(results, theme, brief=False),
        "brief_effects": lambda: _effects(results, theme, brief=True),
        "employment_trends": lambda: _trends(results, theme, "graduation year", "employment_trends"),
        "certification_trends": lambda: _trends(results, theme, "entry cohort", "certification_trends"),
        "reliability": lambda: _reliability(results, theme),
        "baseline_equivalence": lambda: _equivalence(results, theme),
        "growth": lambda: _growth(results, theme),
    }
    drawn = [drawers[name]() for name in FIGURES]
    return [figure for figure in drawn if figure is not None]


def figure_gap(results: StudyResults, name: str) -> str:
    """Why figure ``name`` was not drawn, as one sentence for the document.

    Examples
    --------
    >>> from reports.study_results import NotRun, StudyResults
    >>> r = StudyResults(tables={}, not_run=(NotRun("reliability", "The study has no survey responses."),),
    ...                  headline=None)
    >>> figure_gap(r, "reliability")
    'The figure could not be drawn: the study has no survey responses.'
    """
    source = SOURCES[name]
    prefixes = {"event_study": ("event_study", "did"), "effects": ("did", "effects"),
                "trends": ("trends", "employment", "hsk", "certificates"),
                "equivalence": ("equivalence", "did"), "competency_scores": ("competency_scores", "growth")}
    wanted = prefixes.get(source, (source,))
    reasons = [n.reason for n in results.not_run if n.analysis.split(":")[0] in wanted]
    if reasons:
        return f"The figure could not be drawn: {lower_first(reasons[0])}"
    if _table(results, source) is None:
        return "The figure could not be drawn: the analysis it shows produced no table for these data."
    return ("The figure could not be drawn: every cell it would show is hidden by small-cell suppression or has "
            "no estimate.")
