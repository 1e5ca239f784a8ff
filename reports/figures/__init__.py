"""Figures of the reports: one theme, a colour-blind-safe palette, alt text, deterministic SVG and PNG.

Each figure function takes a tidy table from the analyses and returns a :class:`ReportFigure` (the
matplotlib figure, its caption title, the subtitle line and alt text written from the data);
:func:`save_figure` writes it as SVG and PNG that are byte-identical on a rerun.  Nothing changes
matplotlib's global settings, and no window opens.

Examples
--------
>>> import tempfile
>>> import pandas as pd
>>> from reports.figures import figure_theme, forest_figure, save_figure
>>> theme = figure_theme()            # figure_theme(font=path) registers a CJK font for Chinese labels
>>> effects = pd.DataFrame({"outcome_label": ["Employment rate"], "estimate": [5.0], "ci_low": [1.0],
...                         "ci_high": [9.0], "scale": ["percentage points"]})
>>> figure = forest_figure(effects, theme=theme)
>>> with tempfile.TemporaryDirectory() as folder:
...     saved = save_figure(figure, folder)
>>> saved.to_dict()["files"]["png"]
'effects_forest.png'
"""

from reports.figures.equivalence import equivalence_figure
from reports.figures.event_study import event_study_figure
from reports.figures.forest import forest_figure
from reports.figures.growth import growth_figure
from reports.figures.reliability import reliability_figure
from reports.figures.result import ReportFigure
from reports.figures.save import FORMATS, SavedFigure, save_figure
from reports.figures.theme import OKABE_ITO, PROGRAM_LABELS, FontWarning, Theme, figure_theme
from reports.figures.trends import trends_figure

__all__ = [
    "FORMATS",
    "OKABE_ITO",
    "PROGRAM_LABELS",
    "FontWarning",
    "ReportFigure",
    "SavedFigure",
    "Theme",
    "equivalence_figure",
    "event_study_figure",
    "figure_theme",
    "forest_figure",
    "growth_figure",
    "reliability_figure",
    "save_figure",
    "trends_figure",
]
