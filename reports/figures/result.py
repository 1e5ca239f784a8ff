"""What every figure function returns: the drawing with its name, caption title, subtitle and alt text.

Examples
--------
>>> from matplotlib.figure import Figure
>>> fig = ReportFigure("demo", Figure(), title="A title", subtitle="", alt_text="Nothing is drawn.")
>>> fig.name, fig.title
('demo', 'A title')
"""

from __future__ import annotations

from dataclasses import dataclass, field

from matplotlib.figure import Figure

from reports.figures.checks import check_name
from reports.figures.theme import Theme

__all__ = ["ReportFigure"]

@dataclass(frozen=True)
class ReportFigure:
    """A drawn figure ready to be saved into a results bundle.

    Attributes
    ----------
    name
        File stem in the bundle (lower-case letters, digits, ``_`` and ``-``), e.g. ``"event_study"``.
    figure
        The matplotlib figure (created without pyplot: no window, no global figure list).
    title
        Caption title for the document (the figure itself carries no title, so the caption does not
        repeat it).
    subtitle
        The one line of key facts drawn above the panels (e.g. the pre-trend test), also in words here.
    alt_text
        One or two sentences for readers who cannot see the figure, with its key numbers, generated
        from the data.
    theme
        The theme it was drawn with; :func:`reports.figures.save_figure` applies it again while the
        figure is drawn into files (tick marks and the layout are made at that moment).
    """

    name: str
    figure: Figure
    title: str
    subtitle: str
    alt_text: str
    theme: Theme = field(default_factory=Theme)

    def __post_init__(self) -> None:
        check_name(self.name)

