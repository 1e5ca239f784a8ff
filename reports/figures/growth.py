"""Growth trajectories: mean competency score by survey wave, one line a program, one panel an instrument.

Examples
--------
>>> import textwrap
>>> import pandas as pd
>>> table = pd.DataFrame({
...     "instrument": ["intercultural_competence"] * 6, "wave": [0, 1, 2] * 2,
...     "program": ["integrated"] * 3 + ["traditional"] * 3,
...     "estimate": [3.41, 3.70, 3.98, 3.40, 3.52, 3.62], "ci_low": [3.3, 3.6, 3.85, 3.3, 3.42, 3.5],
...     "ci_high": [3.52, 3.8, 4.1, 3.5, 3.62, 3.74]})
>>> fig = growth_figure(table, wave_labels={0: "entry", 1: "mid-program", 2: "graduation"})
>>> print(textwrap.fill(fig.alt_text, 100))
Mean scale scores by survey wave and program, with 95% intervals. Intercultural competence:
integrated 3.41 (entry) to 3.98 (graduation); traditional 3.40 (entry) to 3.62 (graduation).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from data_schema.errors import ArgumentError
from reports.figures.checks import check_interval, check_name, check_table, label_column, numeric_column
from reports.figures.layout import finish
from reports.figures.program_lines import Panel, describe, draw_panels
from reports.figures.result import ReportFigure
from reports.figures.theme import Theme, figure_theme

__all__ = ["growth_figure"]


def _panel_column(table: pd.DataFrame) -> str:
    for column in ("instrument", "outcome_label", "outcome"):
        if column in table.columns:
            return column
    have = ", ".join(repr(str(c)) for c in table.columns)
    raise ArgumentError(f"growth table needs a column naming the instrument ('instrument', 'outcome_label' or "
                        f"'outcome'); its columns are: {have}")


def growth_figure(table: pd.DataFrame, *, wave: str = "wave", group: str = "program",
                  wave_labels: Mapping[int, str] | None = None, theme: Theme | None = None,
                  labels: Mapping[str, str] | None = None, y_label: str = "Mean scale score",
                  name: str = "growth", title: str = "Competency scores by survey wave and program") -> ReportFigure:
    """Mean score by wave, lines by program with 95% bands, small multiples by instrument.

    Parameters
    ----------
    table
        One row an instrument x wave x program: ``instrument`` (or ``outcome_label``), ``wave``, ``program``,
        ``estimate, ci_low, ci_high``; optional ``instrument_label``.  Rows without an estimate (suppressed
        cells) are left out, leaving a gap.
    wave, group
        The wave and program columns.
    wave_labels
        Names of the waves for the x axis (``study.config.waves``, e.g. ``{0: "entry", 2: "graduation"}``).
    theme
        From :func:`~reports.figures.figure_theme`.
    labels
        Display names of instruments and programs.
    y_label, name, title
        The y axis label, the file stem and the caption title.

    Returns
    -------
    ReportFigure
    """
    check_name(name)
    theme = theme or figure_theme()
    panel_col = _panel_column(table) if isinstance(table, pd.DataFrame) else "instrument"
    table = check_table(table, (panel_col, wave, group, "estimate", "ci_low", "ci_high"), what="growth table")
    titles = label_column(table, panel_col, labels) if panel_col != "outcome_label" else table[panel_col].astype(str)
    data = pd.DataFrame({"panel": titles.to_numpy(), "program": table[group].astype(str).to_numpy(),
                         "x": numeric_column(table, wave, what="growth table"),
                         **{c: numeric_column(table, c, what="growth table")
                            for c in ("estimate", "ci_low", "ci_high")}})
    if np.isnan(data["x"]).any():
        raise ArgumentError(f"growth table column {wave!r} has a missing value; expected a wave number per row")
    check_interval(data["ci_low"].to_numpy(), data["ci_high"].to_numpy(), what="growth table")
    if np.isnan(data["estimate"]).all():
        raise ArgumentError("growth table has no row with an estimate; expected mean scores by wave and program")
    panels = [Panel(t, data[data["panel"] == t].reset_index(drop=True)) for t in dict.fromkeys(data["panel"])]
    waves = sorted(set(data["x"]))
    names = {float(k): str(v) for k, v in (wave_labels or {}).items()}
    ticks = {w: (f"{w:g}\n{names[w]}" if w in names else f"{w:g}") for w in waves}
    with theme.context(salt=name):
        fig = draw_panels(theme, panels, group_labels=labels or {}, x_label="Survey wave", y_label=y_label,
                          x_ticks=ticks)

    def where(w: float) -> str:
        return names.get(float(w), f"wave {w:g}")

    sentences = [describe(p, labels or {}, x_name="wave", x_text=where) for p in panels]
    gaps = int(np.isnan(data["estimate"]).sum())
    if gaps:
        sentences.append(f"{gaps} cell{'s' if gaps != 1 else ''} without an estimate (suppressed or not surveyed) "
                         f"{'are' if gaps != 1 else 'is'} left out.")
    alt = " ".join(["Mean scale scores by survey wave and program, with 95% intervals.", *sentences])
    return finish(fig, theme, name=name, title=title, subtitle="Lines: mean scores; bands: 95% intervals",
                  alt_text=alt)
