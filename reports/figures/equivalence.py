"""Baseline equivalence (Love plot): each baseline difference in SD units against the WWC bands.

The input is :func:`analyses.equivalence.baseline_equivalence`'s ``.tidy()`` (``term, estimate``, ``band``,
``adjusted``, ``status``) or its ``.table`` (``characteristic, level, effect_size, ...``).  The band up to
0.05 SD (equivalence satisfied) and the band up to 0.25 SD (satisfied if the impact model adjusts for the
characteristic) are shaded; a marker's colour and shape give the characteristic's status.

Examples
--------
>>> import textwrap
>>> import pandas as pd
>>> tidy = pd.DataFrame({"term": ["entrance_score", "gender=female", "student_origin=international"],
...                      "estimate": [0.31, -0.03, 0.12], "adjusted": [False, False, True],
...                      "status": ["not satisfied", "satisfied", "satisfied by adjustment"]})
>>> fig = equivalence_figure(tidy)
>>> print(textwrap.fill(fig.alt_text, 100))
Baseline differences between the integrated and traditional groups for 3 characteristics, in SD
units: 1 within 0.05 SD (satisfied), 1 between 0.05 and 0.25 SD (1 satisfied by adjustment) and 1
beyond 0.25 SD (not satisfied). The largest is Entrance score at +0.31 SD.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from analyses.equivalence import BANDS, wwc_band
from data_schema.errors import ArgumentError
from reports.figures.checks import check_name, check_table, display_label, numeric_column
from reports.figures.layout import finish, panel_grid, shared_legend, wrap
from reports.figures.result import ReportFigure
from reports.figures.theme import OKABE_ITO, Theme, figure_theme
from reports.figures.wording import fmt, join_words, plural

__all__ = ["equivalence_figure"]

_STATUS_STYLE = {
    "satisfied": (OKABE_ITO["bluish_green"], "o"),
    "satisfied by adjustment": (OKABE_ITO["blue"], "s"),
    "not satisfied (not adjusted)": (OKABE_ITO["vermillion"], "D"),
    "not satisfied": (OKABE_ITO["vermillion"], "X"),
    "not estimable": ("0.5", "x"),
}


def _rows(table: pd.DataFrame, labels: Mapping[str, str] | None) -> pd.DataFrame:
    if "term" in table.columns and "estimate" in table.columns:
        terms = table["term"].astype(str)
        size = numeric_column(table, "estimate", what="equivalence table")
    elif "characteristic" in table.columns and "effect_size" in table.columns:
        level = table["level"].fillna("").astype(str) if "level" in table.columns else pd.Series("", index=table.index)
        terms = pd.Series([c if not lv else f"{c}={lv}" for c, lv in zip(table["characteristic"].astype(str), level,
                                                                          strict=True)], index=table.index)
        size = numeric_column(table, "effect_size", what="equivalence table")
    else:
        have = ", ".join(repr(str(c)) for c in table.columns)
        raise ArgumentError(f"equivalence table needs 'term' and 'estimate' (EquivalenceResult.tidy()) or "
                            f"'characteristic' and 'effect_size' (EquivalenceResult.table); its columns are: {have}")
    adjusted = table["adjusted"].eq(True).to_numpy(dtype=bool) if "adjusted" in table.columns else \
        np.zeros(len(table), dtype=bool)
    status = table["status"].astype(str).to_numpy() if "status" in table.columns else np.array(
        [_status(wwc_band(s), a) for s, a in zip(size, adjusted, strict=True)], dtype=object)
    return pd.DataFrame({"label": [_label(t, labels) for t in terms], "size": size, "adjusted": adjusted,
                         "status": status})


def _status(band: str, adjusted: bool) -> str:
    if band == "requires adjustment":
        return "satisfied by adjustment" if adjusted else "not satisfied (not adjusted)"
    return band


def _label(term: str, labels: Mapping[str, str] | None) -> str:
    if labels and term in labels:
        return str(labels[term])
    name, _, level = term.partition("=")
    return display_label(name, labels) + (f" = {display_label(level, labels, level)}" if level else "")


def _sentence(data: pd.DataFrame) -> str:
    size = data["size"].abs()
    inner = int((size <= BANDS[0]).sum())
    middle = data[(size > BANDS[0]) & (size <= BANDS[1])]
    outer = int((size > BANDS[1]).sum())
    fixed = int((middle["status"] == "satisfied by adjustment").sum())
    parts = [f"{inner} within {BANDS[0]:g} SD (satisfied)",
             f"{len(middle)} between {BANDS[0]:g} and {BANDS[1]:g} SD ({fixed} satisfied by adjustment)",
             f"{outer} beyond {BANDS[1]:g} SD (not satisfied)"]
    top = data.iloc[int(np.nanargmax(size.to_numpy()))]
    return (f"Baseline differences between the integrated and traditional groups for "
            f"{plural(len(data), 'characteristic')}, in SD units: {join_words(parts)}. The largest is "
            f"{top['label']} at {'+' if top['size'] > 0 else ''}{fmt(top['size'], 2)} SD.")


def equivalence_figure(table: pd.DataFrame, *, theme: Theme | None = None, labels: Mapping[str, str] | None = None,
                       name: str = "baseline_equivalence",
                       title: str = "Baseline equivalence of the integrated and traditional groups") -> ReportFigure:
    """Love plot of standardized baseline differences with the WWC bands shaded.

    Parameters
    ----------
    table
        ``EquivalenceResult.tidy()`` (``term, estimate``) or ``.table`` (``characteristic, level,
        effect_size``), with ``adjusted`` and ``status`` where present (else derived from the bands).
    theme
        From :func:`~reports.figures.figure_theme`.
    labels
        Display names of characteristics, levels or whole terms (``"gender=female"``).
    name, title
        File stem and caption title.

    Returns
    -------
    ReportFigure
    """
    check_name(name)
    theme = theme or figure_theme()
    table = check_table(table, (), what="equivalence table")
    data = _rows(table, labels)
    shown = data[np.isfinite(data["size"])].reset_index(drop=True)
    if shown.empty:
        raise ArgumentError("equivalence table has no finite baseline difference to draw; expected effect sizes "
                            "in SD units (Hedges' g or Cox index)")
    limit = max(0.35, float(shown["size"].abs().max()) * 1.15)
    with theme.context(salt=name):
        fig, (ax,) = panel_grid(theme, 1, ncols=1, panel_height=0.3 * len(shown) + 0.9)
        ax.axvspan(-BANDS[1], BANDS[1], color="0.93", zorder=0, linewidth=0)
        ax.axvspan(-BANDS[0], BANDS[0], color="0.8", zorder=0, linewidth=0)
        ax.axvline(0.0, color="0.35", linewidth=0.9, zorder=1)
        y = np.arange(len(shown))
        statuses = list(dict.fromkeys(s for s in _STATUS_STYLE if s in set(shown["status"])))
        for status in statuses:
            rows = shown["status"] == status
            colour, marker = _STATUS_STYLE[status]
            ax.plot(shown.loc[rows, "size"], y[rows.to_numpy()], linestyle="none", marker=marker, color=colour,
                    markersize=6, zorder=3)
        ax.set_yticks(y, [wrap(lab, 36) for lab in shown["label"]])
        ax.set_ylim(len(shown) - 0.5, -0.5)
        ax.set_xlim(-limit, limit)
        ax.tick_params(axis="y", length=0)
        ax.grid(axis="y", visible=False)
        ax.set_xlabel("Integrated minus traditional, SD units (Hedges' g or Cox index)")
        handles = [Patch(color="0.8"), Patch(color="0.93")] + [
            Line2D([], [], linestyle="none", marker=_STATUS_STYLE[s][1], color=_STATUS_STYLE[s][0]) for s in statuses]
        shared_legend(fig, handles, [f"within \u00b1{BANDS[0]:g} SD", f"within \u00b1{BANDS[1]:g} SD", *statuses])
    subtitle = (f"What Works Clearinghouse bands: within {BANDS[0]:g} SD satisfied; within {BANDS[1]:g} SD satisfied "
                "if the model adjusts for it")
    return finish(fig, theme, name=name, title=title, subtitle=subtitle, alt_text=_sentence(shown))
