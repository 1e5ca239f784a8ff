"""Write a figure as SVG and PNG that are byte-identical when the same figure is saved again.

What would change between two runs is fixed or left out:

- SVG: element ids are hashed with the figure's name as salt (``svg.hashsalt``; matplotlib otherwise
  draws a random salt), the root ``id`` is the name, and the metadata has no date and no
  matplotlib version; text is drawn as glyph outlines (``svg.fonttype: path``), so no font file or
  path is referenced and the figure looks the same without the font installed (each text is kept
  beside its outlines as an XML comment, which is what a search of the file finds).
- PNG: a fixed resolution (the theme's dpi) and no ``Software`` text chunk (matplotlib writes its
  version there by default).

Both files carry the caption title and the alt text in their metadata (SVG ``dc:title`` and
``dc:description``; PNG ``Title`` and ``Description`` chunks).  Each file is written under a temporary
name in the target folder and renamed when complete, so an interrupted run leaves no half-written file.

Examples
--------
>>> import tempfile
>>> from pathlib import Path
>>> import pandas as pd
>>> from reports.figures.forest import forest_figure
>>> effects = pd.DataFrame({"outcome_label": ["Employment rate"], "estimate": [5.0], "ci_low": [1.0],
...                         "ci_high": [9.0], "scale": ["percentage points"]})
>>> with tempfile.TemporaryDirectory() as folder:
...     saved = save_figure(forest_figure(effects), folder)
...     first = Path(saved.paths["svg"]).read_bytes()
...     again = save_figure(forest_figure(effects), folder)
...     sorted(saved.paths), first == Path(again.paths["svg"]).read_bytes()
(['png', 'svg'], True)
>>> saved.to_dict()["files"]
{'svg': 'effects_forest.svg', 'png': 'effects_forest.png'}
"""

from __future__ import annotations

import os
import tempfile
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from data_schema.arguments import check_choice
from data_schema.errors import ArgumentError
from reports.figures.result import ReportFigure

__all__ = ["FORMATS", "SavedFigure", "save_figure"]

Format = Literal["svg", "png"]
FORMATS: tuple[Format, ...] = ("svg", "png")
"""The file formats a figure is saved in."""


@dataclass(frozen=True)
class SavedFigure:
    """The files of one saved figure.

    Attributes
    ----------
    name
        The figure's name (the file stem).
    paths
        Format (``"svg"``, ``"png"``) to the written file.
    title
        Caption title.
    alt_text
        The figure described in words, for the ``alt`` attribute of the document's image.
    """

    name: str
    paths: Mapping[str, Path]
    title: str
    alt_text: str

    def to_dict(self) -> dict[str, object]:
        """JSON-safe form for a results bundle: file names only (no folder), title and alt text."""
        return {"name": self.name, "title": self.title, "alt_text": self.alt_text,
                "files": {fmt: path.name for fmt, path in self.paths.items()}}


def _metadata(figure: ReportFigure, fmt: str) -> dict[str, str | None]:
    if fmt == "svg":
        return {"Title": figure.title, "Description": figure.alt_text, "Date": None, "Creator": None}
    return {"Title": figure.title, "Description": figure.alt_text, "Software": None}


def _write(figure: ReportFigure, target: Path, fmt: str) -> None:
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(handle)
    try:
        with figure.theme.context(salt=figure.name), warnings.catch_warnings():
            # finish() already warned once (FontWarning) when Chinese text has no CJK font
            warnings.filterwarnings("ignore", message=r"Glyph \d+ .* missing from font", category=UserWarning)
            figure.figure.savefig(temporary, format=fmt, dpi=figure.theme.dpi, metadata=_metadata(figure, fmt))
        os.replace(temporary, target)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


def save_figure(figure: ReportFigure, directory: str | os.PathLike[str], *,
                formats: Sequence[Format] = FORMATS) -> SavedFigure:
    """Save ``figure`` as ``<directory>/<name>.svg`` and ``.png``, deterministically.

    Parameters
    ----------
    figure
        What a figure function returned.
    directory
        Folder to write into (created when missing).  Existing files of the same name are replaced.
    formats
        Any of ``"svg"`` and ``"png"``.

    Returns
    -------
    SavedFigure
        The written paths, the caption title and the alt text.

    Raises
    ------
    ArgumentError
        An unknown or repeated format, or ``figure`` is not a :class:`ReportFigure`.
    """
    if not isinstance(figure, ReportFigure):
        raise ArgumentError(f"figure must be a ReportFigure (what the figure functions return); received "
                            f"{type(figure).__name__}")
    formats = list(formats)
    for fmt in formats:
        check_choice("format", fmt, FORMATS)
    if not formats or len(set(formats)) != len(formats):
        raise ArgumentError(f"formats={formats!r} must name each of 'svg', 'png' at most once, and at least one")
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    for fmt in formats:
        target = folder / f"{figure.name}.{fmt}"
        _write(figure, target, fmt)
        paths[fmt] = target
    return SavedFigure(figure.name, paths, figure.title, figure.alt_text)
