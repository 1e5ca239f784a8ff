"""What every section of a document is built from: the results, the config, the saved figures.

Examples
--------
>>> import pandas as pd
>>> frame = pd.DataFrame({"instrument": ["a", "a", "b"], "program": ["integrated", "traditional", "integrated"],
...                       "n": [12.0, float("nan"), 30.0], "suppressed": [False, True, False]})
>>> wide = by_program(frame, ["instrument"], ["integrated", "traditional"], lambda r: f"{r['n']:.0f}")
>>> wide.to_dict("records")  # doctest: +NORMALIZE_WHITESPACE
[{'instrument': 'a', 'integrated': '12', 'traditional': '—'},
 {'instrument': 'b', 'integrated': '30', 'traditional': 'n/a'}]
>>> list(first_only(pd.Series(["x", "x", "y"])))
['x', '', 'y']
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from data_schema.config import StudyConfig
from reports.documents.blocks import figure_block, image_path
from reports.documents.figures import figure_gap, label
from reports.documents.formatting import NOT_AVAILABLE, SUPPRESSED
from reports.documents.markdown import escape
from reports.documents.wording import outcome_labels
from reports.figures import SavedFigure
from reports.study_results import StudyResults

__all__ = ["Sources", "by_program", "first_only"]


def by_program(frame: pd.DataFrame, keys: Sequence[str], programs: Sequence[str],
               cell: Callable[[pd.Series], str], *, program: str = "program", missing: str = NOT_AVAILABLE,
               sort: bool = False) -> pd.DataFrame:
    """One row per ``keys`` value, one text column per program (``cell`` of its row, or a mark).

    A row hidden by small-cell suppression gives :data:`~reports.documents.formatting.SUPPRESSED`; a
    program without a row gives ``missing``.  Rows keep the order in which their keys first appear, or are
    sorted by the keys with ``sort``.
    """
    hidden = frame["suppressed"].eq(True) if "suppressed" in frame.columns else pd.Series(False, index=frame.index)
    out: dict[tuple, dict[str, str]] = {}
    for (_, row), hide in zip(frame.iterrows(), hidden, strict=True):
        key = tuple(row[k] for k in keys)
        cells = out.setdefault(key, {**dict(zip(keys, key, strict=True)), **dict.fromkeys(programs, missing)})
        if row[program] in programs:
            cells[row[program]] = SUPPRESSED if hide else cell(row)
    wide = pd.DataFrame(list(out.values()), columns=[*keys, *programs])
    return wide.sort_values(list(keys), kind="stable", ignore_index=True) if sort else wide


def first_only(values: pd.Series) -> pd.Series:
    """``values`` with each run of repeated values shown on its first row only (for grouped tables)."""
    shown = values.astype(str)
    repeated = shown.eq(shown.shift())
    return shown.where(~repeated, "")


@dataclass(frozen=True)
class Sources:
    """Everything a document is filled from.

    Attributes
    ----------
    results
        The analyses' tables, the analyses that could not run and the headline.
    config
        The study config (title, programs, adoption years, waves, privacy settings).
    figures
        Figure name -> saved figure (the names of :data:`reports.documents.figures.FIGURES`).
    resource_dir
        The folder the renderer resolves image paths from (the bundle folder).
    labels
        Outcome and instrument id -> label in words (from the tables).
    """

    results: StudyResults
    config: StudyConfig
    figures: Mapping[str, SavedFigure]
    resource_dir: Path
    labels: dict[str, str] = field(default_factory=dict)

    @classmethod
    def build(cls, results: StudyResults, config: StudyConfig, figures: Mapping[str, SavedFigure],
              resource_dir: Path) -> Sources:
        """Sources with the labels collected from the tables."""
        return cls(results, config, dict(figures), Path(resource_dir), outcome_labels(results))

    def table(self, name: str) -> pd.DataFrame | None:
        """Result table ``name``, or None when absent or empty."""
        frame = self.results.tables.get(name)
        return None if frame is None or frame.empty else frame

    @property
    def min_cell(self) -> int:
        """The study's minimum published cell size."""
        return int(self.config.privacy.min_cell_size)

    @property
    def programs(self) -> tuple[str, str]:
        """The integrated and the comparison program values."""
        return self.config.treatment.integrated_program, self.config.treatment.comparison_program

    def has_figure(self, name: str) -> bool:
        """Whether figure ``name`` was saved."""
        return name in self.figures

    def ref(self, name: str) -> str:
        """The cross-reference to figure ``name`` (``@fig-...``)."""
        return "@" + label(name)

    def figure(self, name: str, caption: str, *, width: str | None = None) -> str:
        """The figure block, or an italic sentence saying why the figure is not shown."""
        if name not in self.figures:
            return f"*{escape(figure_gap(self.results, name))}*"
        saved = self.figures[name]
        return figure_block(saved, path=image_path(saved, self.resource_dir), label=label(name), caption=caption,
                            width=width)

    def label(self, outcome: str) -> str:
        """The label of an outcome or instrument id."""
        return self.labels.get(outcome, outcome.replace("_", " "))
