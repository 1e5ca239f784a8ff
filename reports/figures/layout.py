"""Panels, the subtitle line, the shared legend and program lines: the pieces every figure is built from.

Figures are made with :class:`matplotlib.figure.Figure` directly (never pyplot), so no window opens and
no global list of figures grows.  Call these inside :meth:`Theme.context`.

Examples
--------
>>> from reports.figures.theme import figure_theme
>>> theme = figure_theme()
>>> with theme.context():
...     fig, axes = panel_grid(theme, 3, ncols=2, panel_height=2.0)
>>> len(axes), fig.get_size_inches().round(2).tolist()
(3, [6.3, 4.8])
"""

from __future__ import annotations

import math
import re
import textwrap

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.text import Text

from reports.figures.result import ReportFigure
from reports.figures.theme import ProgramStyle, Theme

__all__ = ["HEADER_HEIGHT", "draw_series", "finish", "minus", "panel_grid", "shared_legend", "wrap"]

_NEGATIVE = re.compile(r"(?<![\w.])-(?=\.?\d)")

HEADER_HEIGHT = 0.8
"""Inches added to the panels' height for the subtitle line and the legend below the panels."""


def panel_grid(theme: Theme, n: int, *, ncols: int, panel_height: float, sharex: bool = False,
               sharey: bool = False, height_ratios: list[float] | None = None) -> tuple[Figure, list[Axes]]:
    """A figure of ``n`` panels, ``ncols`` a row, each ``panel_height`` inches high, with constrained layout."""
    ncols = max(1, min(ncols, n))
    nrows = math.ceil(n / ncols)
    height = (sum(height_ratios) if height_ratios else nrows * panel_height) + HEADER_HEIGHT
    fig = Figure(figsize=(theme.width, height), layout="constrained")
    grid = fig.subplots(nrows, ncols, sharex=sharex, sharey=sharey, squeeze=False,
                        gridspec_kw={"height_ratios": height_ratios} if height_ratios else None)
    axes = list(grid.ravel())
    for ax in axes[n:]:
        ax.set_visible(False)
    return fig, axes[:n]


def minus(text: str) -> str:
    """Use the typographic minus sign for negative numbers in drawn text, as the axis tick labels do.

    Examples
    --------
    >>> minus("pre-trend: -0.5 [-1.2, 0.3], event time -1")
    'pre-trend: \u22120.5 [\u22121.2, 0.3], event time \u22121'
    """
    return _NEGATIVE.sub("\u2212", text)


def wrap(text: str, width: int) -> str:
    """Wrap a label at spaces to lines of about ``width`` characters (a CJK character counts twice)."""
    wide = sum(1 for ch in text if ord(ch) > 0x2E80)
    return textwrap.fill(text, width=max(8, width - wide // 2), break_long_words=False)


def draw_series(ax: Axes, x: np.ndarray, estimate: np.ndarray, low: np.ndarray, high: np.ndarray,
                style: ProgramStyle, *, label: str) -> int:
    """A line with markers and a 95% band; points with no drawn neighbour get an error bar instead.

    Missing estimates (suppressed cells) leave a gap in the line and the band.  Returns the number of
    points drawn.
    """
    order = np.argsort(x, kind="stable")
    x, estimate, low, high = x[order], estimate[order], low[order], high[order]
    shown = np.isfinite(estimate)
    ax.fill_between(x, low, high, color=style.colour, alpha=0.16, linewidth=0, zorder=1)
    ax.plot(x, estimate, color=style.colour, marker=style.marker, linestyle=style.linestyle, linewidth=1.4,
            markersize=4.5, label=label, zorder=3)
    before = np.concatenate([[False], shown[:-1]])
    after = np.concatenate([shown[1:], [False]])
    alone = shown & ~before & ~after & np.isfinite(low) & np.isfinite(high)
    if alone.any():
        ax.errorbar(x[alone], estimate[alone], yerr=[estimate[alone] - low[alone], high[alone] - estimate[alone]],
                    fmt="none", ecolor=style.colour, elinewidth=1.2, capsize=2.5, zorder=2)
    return int(shown.sum())


def shared_legend(fig: Figure, handles: list[Line2D], labels: list[str]) -> None:
    """One legend for all panels, centred below them."""
    if handles:
        per_row = 4 if sum(len(label) for label in labels[:4]) <= 70 else 2  # long labels: two a row, none cut off
        fig.legend(handles, labels, loc="outside lower center", ncols=min(len(labels), per_row), handlelength=2.4)


def finish(fig: Figure, theme: Theme, *, name: str, title: str, subtitle: str, alt_text: str) -> ReportFigure:
    """Draw the subtitle line, warn when Chinese text lacks a font, and wrap everything up."""
    if subtitle:
        with theme.context(salt=name):
            text = minus(wrap(subtitle, int(theme.width * 16.7)))
            fig.suptitle(text, x=0.01, ha="left", color="0.3", fontsize=theme.base_size)
    texts = [t.get_text() for t in fig.findobj(Text)]
    theme.check_text(texts, figure=name)
    return ReportFigure(name, fig, title, subtitle, alt_text, theme)

