"""One look for every figure: seaborn's white-grid style, the Okabe-Ito palette, A4 sizes and a CJK font.

Nothing here changes matplotlib's global settings.  :meth:`Theme.rc` is a dictionary of rcParams that
the figure functions apply with :func:`matplotlib.rc_context` while they draw and save, so importing
this module, building a figure or saving one leaves ``matplotlib.rcParams`` as it was.  Registering a
font (:func:`figure_theme` with ``font=``) adds it to matplotlib's font list, which only makes the
family findable by name.

Colours come from Okabe & Ito (2008), a palette that people with the common colour-vision deficiencies
tell apart; the integrated program is always blue and the traditional program always orange, and the
two also differ in marker and line style so that a grey-scale print still separates them.

Examples
--------
>>> theme = figure_theme()
>>> theme.program_style("integrated").colour, theme.program_style("traditional").colour
('#0072B2', '#E69F00')
>>> theme.rc()["font.family"]
['DejaVu Sans']
>>> import matplotlib
>>> before = dict(matplotlib.rcParams)
>>> with theme.context():
...     matplotlib.rcParams["axes.grid"]
True
>>> dict(matplotlib.rcParams) == before
True

References
----------
Okabe, M., & Ito, K. (2008). *Color Universal Design (CUD): How to make figures and presentations that
are friendly to colorblind people*. https://jfly.uni-koeln.de/color/
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple, Protocol, runtime_checkable

import matplotlib
import seaborn as sns
from matplotlib import font_manager

from data_schema.errors import ArgumentError, ProgevalWarning

__all__ = [
    "A4_WIDTH",
    "FALLBACK_FAMILY",
    "OKABE_ITO",
    "PROGRAM_LABELS",
    "FontFile",
    "FontWarning",
    "ProgramStyle",
    "SERIES_COLOURS",
    "SERIES_MARKERS",
    "Theme",
    "contains_cjk",
    "figure_theme",
]

OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}
"""The eight colours of Okabe & Ito (2008) by name."""

A4_WIDTH = 6.3
"""Figure width in inches: the text width of an A4 page with 25 mm margins (160 mm)."""

FALLBACK_FAMILY = "DejaVu Sans"
"""The family used when no CJK font is given (ships with matplotlib; it has no Chinese glyphs)."""

PROGRAM_LABELS = {"integrated": "Integrated (CBEC-ICE)", "traditional": "Traditional"}
"""Default display names of the two programs; a figure's ``labels=`` mapping overrides them."""

_CJK = re.compile("[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")


class FontWarning(ProgevalWarning):
    """Chinese text is drawn without a CJK font, so its characters would show as empty boxes."""


@runtime_checkable
class FontFile(Protocol):
    """A font file with its family name, as ``reports.render.fonts.cjk_font()`` returns it."""

    @property
    def path(self) -> os.PathLike[str]:
        """The font file."""

    @property
    def family(self) -> str:
        """The family name it declares."""


class ProgramStyle(NamedTuple):
    """How one program is drawn in every figure."""

    colour: str
    marker: str
    linestyle: str


_PROGRAM_STYLES = {
    "integrated": ProgramStyle(OKABE_ITO["blue"], "o", "-"),
    "traditional": ProgramStyle(OKABE_ITO["orange"], "s", "--"),
}
_OTHER_STYLES = (
    ProgramStyle(OKABE_ITO["bluish_green"], "^", "-."),
    ProgramStyle(OKABE_ITO["reddish_purple"], "D", ":"),
    ProgramStyle(OKABE_ITO["sky_blue"], "v", "-"),
    ProgramStyle(OKABE_ITO["vermillion"], "P", "--"),
    ProgramStyle(OKABE_ITO["black"], "X", "-."),
)
SERIES_COLOURS = (OKABE_ITO["bluish_green"], OKABE_ITO["reddish_purple"], OKABE_ITO["black"], OKABE_ITO["sky_blue"],
                  OKABE_ITO["vermillion"])
"""Colours of series that are not programs (waves, methods), in order of use: never the two program colours."""
SERIES_MARKERS = ("o", "s", "^", "D", "v")
"""Markers of series that are not programs, in the order of :data:`SERIES_COLOURS`."""


def contains_cjk(text: str) -> bool:
    """Whether ``text`` holds a Chinese, Japanese or Korean character (or a full-width form).

    Examples
    --------
    >>> contains_cjk("Integrated 跨境电商"), contains_cjk("Traditional")
    (True, False)
    """
    return bool(_CJK.search(text))


@lru_cache(maxsize=16)
def _register(path: str) -> str:
    """Add the font file at ``path`` to matplotlib's font list (once) and return its family name."""
    font_manager.fontManager.addfont(path)
    return font_manager.FontProperties(fname=path).get_name()


@dataclass(frozen=True)
class Theme:
    """The settings every figure is drawn with.

    Attributes
    ----------
    font_family
        The CJK family drawn first (``None``: :data:`FALLBACK_FAMILY` only, no Chinese glyphs).
    font_path
        The file the CJK family was registered from (``None`` without one); never written into a figure.
    base_size
        Font size of body text in points; panel titles are 1 pt larger, ticks and legends 1 pt smaller
        (every weight is regular: CJK font files usually ship one weight).
    width
        Figure width in inches (:data:`A4_WIDTH`).
    dpi
        Resolution of PNG files.
    program_labels
        Display names of program values.
    """

    font_family: str | None = None
    font_path: str | None = None
    base_size: float = 9.0
    width: float = A4_WIDTH
    dpi: int = 200
    program_labels: Mapping[str, str] = field(default_factory=lambda: dict(PROGRAM_LABELS))

    @property
    def families(self) -> list[str]:
        """The font families in the order matplotlib tries them for each glyph."""
        return [self.font_family, FALLBACK_FAMILY] if self.font_family else [FALLBACK_FAMILY]

    def rc(self, *, salt: str = "progeval") -> dict[str, object]:
        """The rcParams of the theme; ``salt`` fixes the SVG ids so that a rerun writes the same bytes."""
        s = self.base_size
        rc: dict[str, object] = {**sns.axes_style("whitegrid"), **sns.plotting_context("paper")}
        rc.update({
            "font.family": self.families, "font.size": s, "axes.titlesize": s + 1, "axes.titleweight": "normal",
            "axes.titlelocation": "left", "axes.labelsize": s, "xtick.labelsize": s - 1, "ytick.labelsize": s - 1,
            "legend.fontsize": s - 1, "legend.title_fontsize": s - 1, "figure.titlesize": s,
            "axes.edgecolor": ".7", "grid.color": ".88", "axes.spines.top": False, "axes.spines.right": False,
            "axes.prop_cycle": matplotlib.cycler(color=list(SERIES_COLOURS)), "axes.unicode_minus": True,
            "xtick.bottom": True, "ytick.left": True, "xtick.major.size": 3.0, "ytick.major.size": 3.0,
            "legend.frameon": False, "figure.dpi": 100, "savefig.dpi": self.dpi, "savefig.facecolor": "white",
            "svg.fonttype": "path", "svg.hashsalt": salt, "svg.id": salt, "path.simplify": True,
            "figure.constrained_layout.use": False,
        })
        return rc

    @contextmanager
    def context(self, *, salt: str = "progeval") -> Iterator[None]:
        """Apply :meth:`rc` for the duration of a ``with`` block and restore every setting after it."""
        with matplotlib.rc_context(self.rc(salt=salt)):
            yield

    def program_style(self, program: str, others: tuple[str, ...] = ()) -> ProgramStyle:
        """Colour, marker and line style of a program; programs other than the two known ones by position."""
        if program in _PROGRAM_STYLES:
            return _PROGRAM_STYLES[program]
        rest = [p for p in others if p not in _PROGRAM_STYLES]
        position = rest.index(program) if program in rest else 0
        return _OTHER_STYLES[position % len(_OTHER_STYLES)]

    def check_text(self, texts: list[str], *, figure: str) -> None:
        """Warn with :class:`FontWarning` when Chinese text would be drawn without a CJK font."""
        if self.font_family is None:
            chinese = next((t for t in texts if contains_cjk(t)), None)
            if chinese is not None:
                warnings.warn(f"figure {figure!r} has Chinese text ({chinese!r}) but no CJK font was given, so "
                              f"{FALLBACK_FAMILY} draws it as empty boxes. Fix: pass font= the path of a CJK font "
                              "file to figure_theme() (reports.render.fonts.cjk_font() finds one)",
                              FontWarning, stacklevel=4)


def figure_theme(*, font: str | os.PathLike[str] | FontFile | None = None, font_family: str | None = None,
                 base_size: float = 9.0, dpi: int = 200,
                 program_labels: Mapping[str, str] | None = None) -> Theme:
    """The theme every figure function takes, with a CJK font registered when one is given.

    Parameters
    ----------
    font
        A CJK font file (``.otf``, ``.ttf``, ``.ttc``): its path, or what ``reports.render.fonts.cjk_font()``
        returns (an object with ``path`` and ``family``).  It is added to matplotlib's font list.  ``None``
        uses :data:`FALLBACK_FAMILY`, which has no Chinese glyphs: a figure with Chinese text then warns
        (:class:`FontWarning`).
    font_family
        The family to use from ``font`` (default: the family the file declares; give it for a collection
        whose first face is not the one wanted, e.g. ``"Noto Sans CJK SC"``).
    base_size
        Body text size in points (6-14).
    dpi
        Resolution of PNG files (72-600).
    program_labels
        Display names of program values (default :data:`PROGRAM_LABELS`).

    Returns
    -------
    Theme

    Raises
    ------
    ArgumentError
        When ``font`` is not a readable font file, or a size is out of range.

    Examples
    --------
    >>> figure_theme(base_size=10).base_size
    10.0
    >>> figure_theme(font="missing.otf")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    data_schema.errors.ArgumentError: font='missing.otf' is not a font file; expected the path of an .otf, ...
    """
    if not 6 <= base_size <= 14:
        raise ArgumentError(f"base_size={base_size!r} is outside 6-14 points; use e.g. 9")
    if not 72 <= dpi <= 600:
        raise ArgumentError(f"dpi={dpi!r} is outside 72-600; use e.g. 200")
    labels = {**PROGRAM_LABELS, **(program_labels or {})}
    if isinstance(font, FontFile):
        font_family = font_family or font.family
        font = font.path
    if font is None:
        return Theme(None, None, float(base_size), A4_WIDTH, int(dpi), labels)
    path = Path(font)
    if not path.is_file() or path.suffix.lower() not in (".otf", ".ttf", ".ttc", ".otc"):
        raise ArgumentError(f"font={os.fspath(font)!r} is not a font file; expected the path of an .otf, .ttf or "
                            ".ttc CJK font. Fix: pass the path reports.render.fonts.cjk_font() returns, or "
                            "font=None to draw without Chinese glyphs")
    try:
        declared = _register(os.fspath(path.resolve()))
    except (OSError, RuntimeError) as exc:
        raise ArgumentError(f"font={os.fspath(font)!r} cannot be read as a font ({exc}); expected an OpenType or "
                            "TrueType file") from None
    family = font_family or declared
    known = {entry.name for entry in font_manager.fontManager.ttflist}
    if family not in known:
        raise ArgumentError(f"font_family={family!r} is not in {os.fspath(font)!r}; use the family the file "
                            f"declares ({declared!r}) or leave font_family unset")
    return Theme(family, os.fspath(path.resolve()), float(base_size), A4_WIDTH, int(dpi), labels)
