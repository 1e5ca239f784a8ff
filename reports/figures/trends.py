"""Trends of employment and certification indicators: one line a program over cohorts, one panel an indicator.

The input is the tidy table of :func:`outcomes.summarise` (``by=["program", "cohort"]`` or
``["program", "graduation_year"]``), usually after :func:`outcomes.protect`: cells hidden by small-cell
suppression (``suppressed`` true, or no estimate) are left out, leaving a gap in their line, and the alt
text says how many.  Margin rows (``"All"``) are dropped.  Employment indicators come per follow-up
(``months_after_graduation``): each indicator x follow-up is its own panel unless ``months`` picks one.

Examples
--------
>>> import textwrap
>>> import numpy as np, pandas as pd
>>> table = pd.DataFrame({
...     "indicator": ["employment_rate"] * 6, "program": ["integrated"] * 3 + ["traditional"] * 3,
...     "cohort": [2021, 2022, 2023] * 2, "months_after_graduation": [12] * 6,
...     "n": [24, 4, 30, 40, 41, 39], "estimate": [0.8, np.nan, 0.86, 0.7, 0.72, 0.71],
...     "ci_low": [0.6, np.nan, 0.7, 0.55, 0.57, 0.56], "ci_high": [0.91, np.nan, 0.94, 0.82, 0.84, 0.83],
...     "suppressed": [False, True, False, False, False, False]})
>>> fig = trends_figure(table)
>>> print(textwrap.fill(fig.alt_text, 100))
Indicators by program and cohort, with 95% intervals. Employment rate, 12 months after graduation:
integrated 80.0% (cohort 2021) to 86.0% (cohort 2023); traditional 70.0% (cohort 2021) to 71.0%
(cohort 2023). 1 cell hidden by small-cell suppression is left out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from data_schema.errors import ArgumentError
from outcomes import INDICATORS
from reports.figures.checks import check_interval, check_name, check_table, display_label, numeric_column
from reports.figures.layout import finish
from reports.figures.program_lines import Panel, describe, draw_panels
from reports.figures.result import ReportFigure
from reports.figures.theme import Theme, figure_theme
from reports.figures.wording import plural

__all__ = ["trends_figure"]

_MONTHS = "months_after_graduation"


def _rows(table: pd.DataFrame, *, time: str, group: str, total: str, indicators: Sequence[str] | None,
          months: int | None) -> tuple[pd.DataFrame, int, int]:
    """Plot rows (margins dropped, hidden cells blanked), the number of suppressed cells and of other gaps."""
    keep = (table[group].astype(str) != total) & (table[time].astype(str) != total)
    if indicators is not None:
        unknown = [i for i in indicators if i not in set(table["indicator"].astype(str))]
        if unknown:
            raise ArgumentError(f"indicators names {unknown[0]!r}, which the table does not hold; it holds "
                                f"{sorted(set(table['indicator'].astype(str)))}")
        keep &= table["indicator"].astype(str).isin(list(indicators))
    follow = (pd.to_numeric(table[_MONTHS], errors="coerce") if _MONTHS in table.columns
              else pd.Series(np.nan, index=table.index))
    if months is not None:
        keep &= follow.isna() | (follow == months)
    part = table[keep]
    if part.empty:
        raise ArgumentError(f"no row of the indicator table is left to draw after dropping the {total!r} margins"
                            + (f" and keeping months_after_graduation={months}" if months is not None else "")
                            + "; expected rows by program and cohort")
    data = pd.DataFrame({"indicator": part["indicator"].astype(str).to_numpy(),
                         "program": part[group].astype(str).to_numpy(),
                         "x": numeric_column(part, time, what="indicator table"),
                         "months": follow[keep].to_numpy(dtype=float),
                         **{c: numeric_column(part, c, what="indicator table")
                            for c in ("estimate", "ci_low", "ci_high")}})
    if np.isnan(data["x"]).any():
        raise ArgumentError(f"indicator table column {time!r} has a missing value; expected a cohort year per row")
    missing = np.isnan(data["estimate"].to_numpy())
    suppressed = part["suppressed"].eq(True).to_numpy(dtype=bool) if "suppressed" in part.columns else missing
    hidden = missing | suppressed
    data.loc[hidden, ["estimate", "ci_low", "ci_high"]] = np.nan
    check_interval(data["ci_low"].to_numpy(), data["ci_high"].to_numpy(), what="indicator table")
    if hidden.all():
        raise ArgumentError(f"every one of the {len(data)} cells of the indicator table is suppressed or has no "
                            "estimate; there is nothing to draw (lower privacy.min_cell_size only if the data "
                            "may be published with smaller cells)")
    return data, int(suppressed.sum()), int((missing & ~suppressed).sum())


def _title(indicator: str, months: float, table: pd.DataFrame, labels: Mapping[str, str] | None) -> str:
    given = None
    if "indicator_label" in table.columns:
        match = table.loc[table["indicator"].astype(str) == indicator, "indicator_label"].dropna()
        given = str(match.iloc[0]) if len(match) else None
    default = given or (INDICATORS[indicator].label if indicator in INDICATORS else None)
    label = display_label(indicator, labels, default)
    return label if months < 0 else f"{label}, {months:g} months after graduation"


def trends_figure(table: pd.DataFrame, *, time: str = "cohort", group: str = "program",
                  indicators: Sequence[str] | None = None, months: int | None = None, total: str = "All",
                  theme: Theme | None = None, labels: Mapping[str, str] | None = None, x_label: str | None = None,
                  name: str = "indicator_trends", title: str = "Indicators by program and cohort") -> ReportFigure:
    """Lines by program over cohorts with 95% bands, one panel per indicator (and follow-up).

    Parameters
    ----------
    table
        Tidy output of :func:`outcomes.summarise` (possibly protected): ``indicator``, ``group``, ``time``,
        ``estimate, ci_low, ci_high``; optional ``months_after_graduation``, ``suppressed``,
        ``indicator_label``.
    time, group
        The cohort column (``cohort`` or ``graduation_year``) and the program column.
    indicators
        Indicators to draw, in this order (default: all in the table, in its order).
    months
        Keep one follow-up of the employment indicators (e.g. 12); default: a panel for each.
    total
        Label of margin rows, which are dropped.
    theme
        From :func:`~reports.figures.figure_theme`.
    labels
        Display names of indicators and programs (default: :data:`outcomes.INDICATORS` labels).
    x_label, name, title
        The x axis label (default from ``time``), the file stem and the caption title.

    Returns
    -------
    ReportFigure
    """
    check_name(name)
    theme = theme or figure_theme()
    table = check_table(table, ("indicator", group, time, "estimate", "ci_low", "ci_high"), what="indicator table")
    data, n_hidden, n_missing = _rows(table, time=time, group=group, total=total, indicators=indicators, months=months)
    order = list(indicators) if indicators is not None else list(dict.fromkeys(data["indicator"]))
    months_key = data["months"].fillna(-1.0)
    panels = []
    for indicator in order:
        for m in sorted(set(months_key[data["indicator"] == indicator])):
            rows = data[(data["indicator"] == indicator) & (months_key == m)].reset_index(drop=True)
            percent = indicator in INDICATORS and INDICATORS[indicator].kind == "proportion"
            panels.append(Panel(_title(indicator, m, table, labels), rows, percent))
    x_name = "cohort" if time == "cohort" else time.replace("_", " ")
    with theme.context(salt=name):
        fig = draw_panels(theme, panels, group_labels=labels or {},
                          x_label=x_label or ("Entry cohort" if time == "cohort" else x_name.capitalize()))
    sentences = [describe(p, labels or {}, x_name=x_name) for p in panels]
    if n_hidden:
        verb = "is" if n_hidden == 1 else "are"
        sentences.append(f"{plural(n_hidden, 'cell')} hidden by small-cell suppression {verb} left out.")
    if n_missing:
        verb = "is" if n_missing == 1 else "are"
        sentences.append(f"{plural(n_missing, 'cell')} without an estimate {verb} left out.")
    subtitle = "Lines: estimates; bands: 95% intervals" + (
        f" · {plural(n_hidden, 'cell')} hidden by small-cell suppression not shown" if n_hidden else "")
    alt = " ".join([f"{title}, with 95% intervals.", *sentences])
    return finish(fig, theme, name=name, title=title, subtitle=subtitle, alt_text=alt)
