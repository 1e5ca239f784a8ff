"""Reliability overview: Cronbach's alpha and McDonald's omega of every instrument, by wave, with intervals.

The input is ``surveys.reliability.reliability_table(...).scales``: one row an instrument x scale x
group with ``alpha, alpha_ci_low, alpha_ci_high`` and ``omega, omega_ci_low, omega_ci_high``.  Dashed
reference lines mark 0.7 (the usual floor for group comparisons) and 0.8 (good).

Examples
--------
>>> import textwrap
>>> import pandas as pd
>>> scales = pd.DataFrame({
...     "instrument": ["intercultural_competence"] * 2 + ["digital_commerce_skills"] * 2, "scale": "total",
...     "wave": [0, 2, 0, 2], "alpha": [0.84, 0.88, 0.68, 0.75], "alpha_ci_low": [0.8, 0.85, 0.6, 0.7],
...     "alpha_ci_high": [0.87, 0.9, 0.75, 0.8], "omega": [0.85, 0.89, 0.7, 0.77],
...     "omega_ci_low": [0.81, 0.86, 0.62, 0.71], "omega_ci_high": [0.88, 0.91, 0.77, 0.82]})
>>> fig = reliability_figure(scales, wave_labels={0: "entry", 2: "graduation"})
>>> [ax.get_xlabel() for ax in fig.figure.axes]
["Cronbach's alpha", "McDonald's omega"]
>>> print(textwrap.fill(fig.alt_text, 100))
Reliability of 2 instruments by wave, with 95% intervals. Cronbach's alpha ranges from 0.68 (Digital
commerce skills, entry) to 0.88 (Intercultural competence, graduation); 2 of 4 estimates reach 0.8
and 1 falls below 0.7. McDonald's omega ranges from 0.70 (Digital commerce skills, entry) to 0.89
(Intercultural competence, graduation); 2 of 4 estimates reach 0.8 and none falls below 0.7.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D

from data_schema.errors import ArgumentError
from reports.figures.checks import check_interval, check_name, check_table, display_label, label_column, numeric_column
from reports.figures.layout import finish, panel_grid, shared_legend, wrap
from reports.figures.result import ReportFigure
from reports.figures.theme import SERIES_COLOURS, SERIES_MARKERS, Theme, figure_theme
from reports.figures.wording import fmt, plural

__all__ = ["THRESHOLDS", "reliability_figure"]

THRESHOLDS = (0.7, 0.8)
"""Reference lines: 0.7 acceptable for comparing groups, 0.8 good (Nunnally & Bernstein 1994)."""

_COEFFICIENTS = {"alpha": "Cronbach's alpha", "omega": "McDonald's omega"}


def _rows(table: pd.DataFrame, by: str | None, subscales: bool, labels: Mapping[str, str] | None) -> pd.DataFrame:
    if "scale" in table.columns and not subscales:
        table = table[table["scale"].astype(str) == "total"].reset_index(drop=True)
        if table.empty:
            raise ArgumentError("reliability table has no 'total' scale row; expected one per instrument and group "
                                "(or pass subscales=True to draw the subscales)")
    names = label_column(table, "instrument", labels)
    if "scale" in table.columns and subscales:
        names = pd.Series([n if s == "total" else f"{n}: {display_label(s, labels)}"
                           for n, s in zip(names, table["scale"].astype(str), strict=True)], index=table.index)
    data = pd.DataFrame({"row": names.to_numpy(), "group": table[by].to_numpy() if by else "",
                         "note": table["note"].fillna("").astype(str).to_numpy() if "note" in table.columns else ""})
    for coef in _COEFFICIENTS:
        for suffix in ("", "_ci_low", "_ci_high"):
            col = coef + suffix
            data[col] = numeric_column(table, col, what="reliability table") if col in table.columns else np.nan
        check_interval(data[f"{coef}_ci_low"].to_numpy(), data[f"{coef}_ci_high"].to_numpy(),
                       what="reliability table", names=(f"{coef}_ci_low", f"{coef}_ci_high"))
    return data


def _draw(ax: Axes, data: pd.DataFrame, coef: str, rows: list[str], groups: list[object]) -> None:
    width = 0.72 / max(len(groups), 1)
    for j, g in enumerate(groups):
        part = data[(data["group"] == g) & np.isfinite(data[coef])]
        y = np.array([rows.index(r) for r in part["row"]], dtype=float) + (j - (len(groups) - 1) / 2) * width
        est = part[coef].to_numpy()
        low, high = part[f"{coef}_ci_low"].to_numpy(), part[f"{coef}_ci_high"].to_numpy()
        err = np.vstack([np.where(np.isfinite(low), est - low, 0.0), np.where(np.isfinite(high), high - est, 0.0)])
        ax.errorbar(est, y, xerr=err, fmt=SERIES_MARKERS[j % len(SERIES_MARKERS)],
                    color=SERIES_COLOURS[j % len(SERIES_COLOURS)], elinewidth=1.2, capsize=2, markersize=4.5,
                    zorder=3)
    for value, style in zip(THRESHOLDS, ((0, (4, 3)), (0, (1.5, 2))), strict=True):
        ax.axvline(value, color="0.35", linewidth=1.0, linestyle=style, zorder=1)
    ax.set_yticks(range(len(rows)), [wrap(r, 30) for r in rows])
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.tick_params(axis="y", length=0)
    ax.grid(axis="y", visible=False)
    ax.set_xlabel(_COEFFICIENTS[coef])


def _sentence(data: pd.DataFrame, coef: str, where: Callable[[pd.Series], str]) -> str:
    shown = data[np.isfinite(data[coef])]
    lo, hi = shown.iloc[int(np.argmin(shown[coef]))], shown.iloc[int(np.argmax(shown[coef]))]
    good = int((shown[coef] >= THRESHOLDS[1]).sum())
    weak = int((shown[coef] < THRESHOLDS[0]).sum())
    weak_text = "none falls" if weak == 0 else f"{weak} {'falls' if weak == 1 else 'fall'}"
    return (f"{_COEFFICIENTS[coef]} ranges from {fmt(lo[coef], 2)} ({where(lo)}) to {fmt(hi[coef], 2)} "
            f"({where(hi)}); {good} of {len(shown)} estimates reach 0.8 and {weak_text} below 0.7.")


def reliability_figure(table: pd.DataFrame, *, by: str | None = "wave", subscales: bool = False,
                       wave_labels: Mapping[int, str] | None = None, theme: Theme | None = None,
                       labels: Mapping[str, str] | None = None, name: str = "reliability",
                       title: str = "Reliability of the survey instruments") -> ReportFigure:
    """Dot plot of alpha and omega with 95% intervals, one row per instrument, one colour per wave.

    Parameters
    ----------
    table
        ``ReliabilityTable.scales``: ``instrument, alpha, alpha_ci_low, alpha_ci_high``; optional ``omega``
        with ``omega_ci_low, omega_ci_high`` (a second panel), ``scale``, ``note``, ``instrument_label`` and
        the ``by`` column.
    by
        The grouping column whose values sit side by side within an instrument (default ``"wave"``;
        ``None`` for a table with one row per instrument).
    subscales
        Also draw subscale rows (default: only each instrument's total scale).
    wave_labels
        Names of the ``by`` values for the legend (e.g. ``study.config.waves``).
    theme
        From :func:`~reports.figures.figure_theme`.
    labels
        Display names of instruments and subscales.
    name, title
        File stem and caption title.

    Returns
    -------
    ReportFigure
    """
    check_name(name)
    theme = theme or figure_theme()
    table = check_table(table, ("instrument", "alpha", "alpha_ci_low", "alpha_ci_high", *([by] if by else [])),
                        what="reliability table")
    data = _rows(table, by, subscales, labels)
    coefs = [c for c in _COEFFICIENTS if np.isfinite(data[c]).any()]
    if not coefs:
        raise ArgumentError("reliability table has no alpha or omega estimate (every value is missing); the "
                            "'note' column says why, e.g. fewer than 10 respondents")
    rows = list(dict.fromkeys(data["row"]))
    groups = sorted(set(data["group"]), key=lambda g: (str(type(g)), g))
    names = {str(k): str(v) for k, v in (wave_labels or {}).items()}
    group_name = {g: (f"{by} {g}" + (f" ({names[str(g)]})" if str(g) in names else "")) if by else "" for g in groups}
    height = len(rows) * 0.3 * max(1.0, 0.5 * len(groups)) + 0.6
    with theme.context(salt=name):
        fig, axes = panel_grid(theme, len(coefs), ncols=2, panel_height=height, sharey=True)
        for ax, coef in zip(axes, coefs, strict=True):
            _draw(ax, data, coef, rows, groups)
            low = np.nanmin(data[[f"{coef}_ci_low", coef]].to_numpy())
            ax.set_xlim(min(0.5, np.floor(low * 20) / 20 - 0.02), 1.0)
        if by:
            handles = [Line2D([], [], color=SERIES_COLOURS[j % len(SERIES_COLOURS)],
                              marker=SERIES_MARKERS[j % len(SERIES_MARKERS)], linestyle="none")
                       for j in range(len(groups))]
            shared_legend(fig, handles, [group_name[g].capitalize() for g in groups])

    def where(r: pd.Series) -> str:
        return r["row"] + (f", {names.get(str(r['group']), group_name[r['group']])}" if by else "")

    n_instruments = data["row"].nunique()
    head = f"Reliability of {plural(n_instruments, 'instrument')}" + (f" by {by}" if by else "")
    sentences = [f"{head}, with 95% intervals.", *(_sentence(data, c, where) for c in coefs)]
    missing = data[~np.isfinite(data["alpha"])]
    if len(missing):
        reasons = sorted({n for n in missing["note"] if n})
        sentences.append(f"{plural(len(missing), 'row')} without alpha {'is' if len(missing) == 1 else 'are'} not "
                         f"shown" + (f" ({'; '.join(reasons)})." if reasons else "."))
    subtitle = "Estimates with 95% intervals · dashed line 0.7 (acceptable), dotted line 0.8 (good)"
    return finish(fig, theme, name=name, title=title, subtitle=subtitle, alt_text=" ".join(sentences))
