"""Forest plot: the effect of the integrated program on each outcome, with its 95% interval.

Effects on different scales (percentage points, standard deviations, yuan) are never drawn on one
axis: each scale gets its own panel, stacked, with its own x axis.  When the table has a ``method``
column with more than one method, the methods' estimates of one outcome sit side by side.

Examples
--------
>>> import textwrap
>>> import pandas as pd
>>> effects = pd.DataFrame({
...     "outcome_label": ["Employment rate", "Working in CBEC firms", "Intercultural competence 跨文化交际能力"],
...     "estimate": [4.2, 6.1, 0.31], "ci_low": [-1.0, 1.5, 0.12], "ci_high": [9.4, 10.7, 0.50],
...     "scale": ["percentage points", "percentage points", "SD units"]})
>>> import warnings
>>> with warnings.catch_warnings():
...     warnings.simplefilter("ignore")   # no CJK font given in this example
...     fig = forest_figure(effects)
>>> len(fig.figure.axes), [ax.get_xlabel() for ax in fig.figure.axes]
(2, ['Effect in percentage points', 'Effect in SD units'])
>>> print(textwrap.fill(fig.alt_text, 100))
Effects of the integrated program with 95% intervals. In percentage points: from 4.2 (Employment
rate, 95% CI -1.0 to 9.4) to 6.1 (Working in CBEC firms, 95% CI 1.5 to 10.7); 1 of 2 intervals
excludes zero. In SD units: 0.31 for Intercultural competence 跨文化交际能力 (95% CI 0.12 to 0.50), an
interval that excludes zero.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D

from data_schema.errors import ArgumentError
from reports.figures.checks import check_interval, check_name, check_table, numeric_column
from reports.figures.layout import finish, minus, panel_grid, shared_legend, wrap
from reports.figures.result import ReportFigure
from reports.figures.theme import OKABE_ITO, SERIES_COLOURS, SERIES_MARKERS, Theme, figure_theme
from reports.figures.wording import decimals_for, fmt, fmt_interval, plural

__all__ = ["forest_figure"]

_COLUMNS = ("outcome_label", "estimate", "ci_low", "ci_high", "scale")
_ROW_HEIGHT = 0.3


def _prepare(effects: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    table = check_table(effects, _COLUMNS, what="effects")
    data = pd.DataFrame({"outcome_label": table["outcome_label"].astype(str), "scale": table["scale"].astype(str),
                         "method": table["method"].astype(str) if "method" in table.columns else "",
                         **{c: numeric_column(table, c, what="effects") for c in ("estimate", "ci_low", "ci_high")}})
    check_interval(data["ci_low"].to_numpy(), data["ci_high"].to_numpy(), what="effects")
    kept = data[np.isfinite(data["estimate"])].reset_index(drop=True)
    if kept.empty:
        raise ArgumentError("effects has no row with an estimate (every 'estimate' is missing); expected at least "
                            "one estimated effect")
    return kept, len(data) - len(kept)


def _panel(ax: Axes, part: pd.DataFrame, methods: list[str], decimals: int) -> None:
    outcomes = list(dict.fromkeys(part["outcome_label"]))
    width = 0.7 / max(len(methods), 1)
    for j, method in enumerate(methods):
        rows = part[part["method"] == method]
        y = np.array([outcomes.index(o) for o in rows["outcome_label"]], dtype=float)
        y = y + (j - (len(methods) - 1) / 2) * width
        est, low, high = (rows[c].to_numpy() for c in ("estimate", "ci_low", "ci_high"))
        colour = OKABE_ITO["blue"] if len(methods) == 1 else SERIES_COLOURS[j % len(SERIES_COLOURS)]
        ax.errorbar(est, y, xerr=[est - low, high - est], fmt=SERIES_MARKERS[j % len(SERIES_MARKERS)],
                    color=colour, ecolor=colour, elinewidth=1.4, capsize=2.5, markersize=5, label=method or None,
                    zorder=3)
        for xi, yi, lo, hi in zip(est, y, low, high, strict=True):
            ax.annotate(minus(f"{fmt(xi, decimals)} [{fmt(lo, decimals)}, {fmt(hi, decimals)}]"), (1.0, yi),
                        xycoords=("axes fraction", "data"), xytext=(6, 0), textcoords="offset points",
                        va="center", ha="left", fontsize="small", color="0.25")
    ax.axvline(0.0, color="0.35", linewidth=0.9, zorder=2)
    ax.set_yticks(range(len(outcomes)), [wrap(o, 34) for o in outcomes])
    ax.set_ylim(len(outcomes) - 0.5, -0.5)
    ax.grid(axis="y", visible=False)
    ax.tick_params(axis="y", length=0)
    scale = part["scale"].iloc[0]
    ax.set_xlabel(f"Effect in {scale}")
    lo, hi = np.nanmin(part[["ci_low", "estimate"]].to_numpy()), np.nanmax(part[["ci_high", "estimate"]].to_numpy())
    pad = 0.08 * max(hi - lo, abs(hi), abs(lo), 1e-9)
    ax.set_xlim(min(lo, 0.0) - pad, max(hi, 0.0) + pad)


def _scale_sentence(part: pd.DataFrame, decimals: int) -> str:
    scale = part["scale"].iloc[0]
    names = [o if not m else f"{o}, {m}" for o, m in zip(part["outcome_label"], part["method"], strict=True)]
    excludes = int(((part["ci_low"] > 0) | (part["ci_high"] < 0)).sum())
    if len(part) == 1:
        r = part.iloc[0]
        verdict = "excludes" if excludes else "includes"
        interval = fmt_interval(r.ci_low, r.ci_high, decimals)
        return f"In {scale}: {fmt(r.estimate, decimals)} for {names[0]} ({interval}), an interval that {verdict} zero."
    lo, hi = int(np.argmin(part["estimate"].to_numpy())), int(np.argmax(part["estimate"].to_numpy()))
    a, b = part.iloc[lo], part.iloc[hi]
    verb = "excludes" if excludes == 1 else "exclude"
    return (f"In {scale}: from {fmt(a.estimate, decimals)} ({names[lo]}, "
            f"{fmt_interval(a.ci_low, a.ci_high, decimals)}) to {fmt(b.estimate, decimals)} ({names[hi]}, "
            f"{fmt_interval(b.ci_low, b.ci_high, decimals)}); "
            f"{excludes} of {len(part)} intervals {verb} zero.")


def forest_figure(effects: pd.DataFrame, *, theme: Theme | None = None, labels: Mapping[str, str] | None = None,
                  name: str = "effects_forest",
                  title: str = "Effects of the integrated program across outcomes") -> ReportFigure:
    """Forest plot of effects across outcomes, one panel per scale.

    Parameters
    ----------
    effects
        One row an outcome (x method): ``outcome_label, estimate, ci_low, ci_high, scale`` and optionally
        ``method``.  Rows keep their order, top to bottom; rows without an estimate are left out (the alt
        text counts them).
    theme
        From :func:`~reports.figures.figure_theme` (default: no CJK font).
    labels
        Display names of methods (``method`` values).
    name, title
        File stem and caption title.

    Returns
    -------
    ReportFigure
    """
    check_name(name)
    theme = theme or figure_theme()
    data, n_missing = _prepare(effects)
    if labels:
        data["method"] = [labels.get(m, m) for m in data["method"]]
    methods = list(dict.fromkeys(data["method"]))
    scales = list(dict.fromkeys(data["scale"]))
    rows = [data["outcome_label"][data["scale"] == s].nunique() for s in scales]
    heights = [n * _ROW_HEIGHT * max(1.0, 0.7 * len(methods)) + 0.55 for n in rows]
    with theme.context(salt=name):
        fig, axes = panel_grid(theme, len(scales), ncols=1, panel_height=1.0, height_ratios=heights)
        for ax, scale in zip(axes, scales, strict=True):
            part = data[data["scale"] == scale]
            _panel(ax, part, methods, decimals_for(part[["estimate", "ci_low", "ci_high"]].to_numpy().ravel()))
        if len(methods) > 1:
            handles = [Line2D([], [], color=SERIES_COLOURS[j % len(SERIES_COLOURS)],
                              marker=SERIES_MARKERS[j % len(SERIES_MARKERS)], linestyle="none")
                       for j in range(len(methods))]
            shared_legend(fig, handles, methods)
    sentences = [_scale_sentence(data[data["scale"] == s], decimals_for(
        data.loc[data["scale"] == s, ["estimate", "ci_low", "ci_high"]].to_numpy().ravel())) for s in scales]
    if n_missing:
        sentences.append(f"{plural(n_missing, 'row')} without an estimate {'is' if n_missing == 1 else 'are'} "
                         "not shown.")
    subtitle = "Integrated minus traditional program: estimates with 95% intervals" + (
        ", by method" if len(methods) > 1 else "")
    alt = " ".join(["Effects of the integrated program with 95% intervals.", *sentences])
    return finish(fig, theme, name=name, title=title, subtitle=subtitle, alt_text=alt)
