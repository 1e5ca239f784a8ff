"""Small multiples of one line a program over cohorts or waves, with 95% bands: trends and growth share them.

Examples
--------
>>> import numpy as np, pandas as pd
>>> from reports.figures.theme import figure_theme
>>> panel = pd.DataFrame({"x": [1, 2, 1, 2], "program": ["integrated", "integrated", "traditional", "traditional"],
...                       "estimate": [0.5, 0.6, 0.4, np.nan], "ci_low": [0.4, 0.5, 0.3, np.nan],
...                       "ci_high": [0.6, 0.7, 0.5, np.nan]})
>>> theme = figure_theme()
>>> with theme.context():
...     fig = draw_panels(theme, [Panel("Rate", panel, percent=True)], group_labels={}, x_label="Cohort")
>>> [text.get_text() for text in fig.legends[0].get_texts()]
['Integrated (CBEC-ICE)', 'Traditional']
>>> describe(Panel("Rate", panel, percent=True), {}, x_name="cohort")
'Rate: integrated 50.0% (cohort 1) to 60.0% (cohort 2); traditional 40.0% (cohort 1).'
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, PercentFormatter

from reports.figures.checks import display_label
from reports.figures.layout import draw_series, panel_grid, shared_legend, wrap
from reports.figures.theme import Theme
from reports.figures.wording import decimals_for, fmt, fmt_percent

__all__ = ["Panel", "describe", "draw_panels", "program_order"]


@dataclass(frozen=True)
class Panel:
    """One small multiple: its title and rows ``x, program, estimate, ci_low, ci_high`` (NaN = not shown)."""

    title: str
    data: pd.DataFrame
    percent: bool = False


def program_order(values: pd.Series) -> list[str]:
    """Programs in drawing order: integrated, traditional, then any others alphabetically."""
    seen = sorted({str(v) for v in values})
    known = [p for p in ("integrated", "traditional") if p in seen]
    return known + [p for p in seen if p not in known]


def draw_panels(theme: Theme, panels: list[Panel], *, group_labels: Mapping[str, str], x_label: str,
                y_label: str = "", x_ticks: Mapping[float, str] | None = None) -> Figure:
    """Draw the panels (two a row from three panels on) with one legend of programs below them."""
    programs = program_order(pd.concat([p.data["program"] for p in panels]))
    ncols = 1 if len(panels) == 1 else 2
    fig, axes = panel_grid(theme, len(panels), ncols=ncols, panel_height=3.0 if len(panels) == 1 else 2.3)
    labels = {**theme.program_labels, **group_labels}
    xs = np.concatenate([p.data["x"].to_numpy(dtype=float) for p in panels])
    for i, (ax, panel) in enumerate(zip(axes, panels, strict=True)):
        for program in programs:
            rows = panel.data[panel.data["program"] == program]
            if len(rows):
                draw_series(ax, *(rows[c].to_numpy(dtype=float) for c in ("x", "estimate", "ci_low", "ci_high")),
                            theme.program_style(program, tuple(programs)), label=display_label(program, labels))
        ax.set_title(wrap(panel.title, 60 if ncols == 1 else 38), loc="left")
        ax.set_xlim(np.nanmin(xs) - 0.3, np.nanmax(xs) + 0.3)
        if x_ticks:
            ax.set_xticks(list(x_ticks), list(x_ticks.values()))
        else:
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        if panel.percent:
            ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.grid(axis="x", visible=False)
        if i >= len(panels) - ncols:
            ax.set_xlabel(x_label)
        if y_label and i % ncols == 0:
            ax.set_ylabel(y_label)
    handles, names = [], []
    for ax in axes:
        for handle, name in zip(*ax.get_legend_handles_labels(), strict=True):
            if name not in names and np.isfinite(np.asarray(handle.get_ydata(), dtype=float)).any():
                handles.append(handle)
                names.append(name)
    order = [display_label(p, labels) for p in programs]
    pairs = sorted(zip(handles, names, strict=True), key=lambda hn: order.index(hn[1]) if hn[1] in order else 99)
    shared_legend(fig, [h for h, _ in pairs], [n for _, n in pairs])
    return fig


def describe(panel: Panel, group_labels: Mapping[str, str], *, x_name: str,
             x_text: Callable[[float], str] | None = None) -> str:
    """One sentence: each program's first and last shown value, with where they are."""
    shown = panel.data[np.isfinite(panel.data["estimate"].to_numpy(dtype=float))]
    decimals = decimals_for(shown["estimate"])
    number = (lambda v: fmt_percent(v)) if panel.percent else (lambda v: fmt(v, decimals))
    where = x_text or (lambda v: f"{x_name} {v:g}")
    parts = []
    for program in program_order(shown["program"]):
        rows = shown[shown["program"] == program].sort_values("x", kind="stable")
        first, last = rows.iloc[0], rows.iloc[-1]
        name = display_label(program, group_labels, program)
        if len(rows) == 1:
            parts.append(f"{name} {number(first['estimate'])} ({where(first['x'])})")
        else:
            parts.append(f"{name} {number(first['estimate'])} ({where(first['x'])}) to "
                         f"{number(last['estimate'])} ({where(last['x'])})")
    body = "; ".join(parts) if parts else "no value can be shown"
    return f"{panel.title}: {body}."

