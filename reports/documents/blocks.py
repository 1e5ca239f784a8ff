"""Markdown blocks other than tables: figures, callouts, bullet lists and the YAML title block.

Each follows the syntax that both render engines accept (see :mod:`reports.render`).

Examples
--------
>>> print(callout("important", "Attrition: HSK target", "Attrition is not defined for the HSK target."))
::: {.callout-important}
## Attrition: HSK target
<BLANKLINE>
Attrition is not defined for the HSK target.
:::
>>> print(bullets(["one", "two"]))
- one
- two
>>> yaml_block({"title": 'Study "A" 研究', "subtitle": "Annual report"})
'---\\ntitle: "Study \\\\"A\\\\" 研究"\\nsubtitle: "Annual report"\\n---'
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path, PurePosixPath

from data_schema.arguments import check_choice
from data_schema.errors import ArgumentError
from reports.documents.markdown import escape
from reports.figures import SavedFigure

__all__ = ["CALLOUTS", "bullets", "callout", "figure_block", "image_path", "yaml_block"]

CALLOUTS = ("note", "tip", "important", "warning", "caution")
"""The callout kinds the renderers support."""


def yaml_block(fields: Mapping[str, str]) -> str:
    """The YAML title block: each value a double-quoted string, escaped for markdown and YAML."""
    lines = [f"{key}: {json.dumps(escape(value), ensure_ascii=False)}" for key, value in fields.items()]
    return "\n".join(["---", *lines, "---"])


def bullets(items: Iterable[str]) -> str:
    """A bullet list of markdown items (already escaped by the caller), one line each."""
    return "\n".join(f"- {' '.join(item.split())}" for item in items)


def callout(kind: str, title: str, body: str) -> str:
    """A callout box of ``kind`` with an escaped ``title`` and a markdown ``body``."""
    check_choice("kind", kind, CALLOUTS)
    return f"::: {{.callout-{kind}}}\n## {escape(title)}\n\n{body}\n:::"


def image_path(figure: SavedFigure, resource_dir: Path) -> str:
    """The figure's path for the document: relative to ``resource_dir``, POSIX, without an extension.

    Raises
    ------
    ArgumentError
        When the figure lacks its SVG or PNG file, or lies outside ``resource_dir``.
    """
    missing = [fmt for fmt in ("svg", "png") if fmt not in figure.paths]
    if missing:
        raise ArgumentError(f"figure {figure.name!r} was saved without {' and '.join(missing)}; the documents need "
                            "both (SVG for HTML and PDF, PNG for DOCX). Fix: save it with save_figure's default "
                            "formats")
    svg = Path(figure.paths["svg"]).absolute()
    root = Path(resource_dir).absolute()
    relative = os.path.relpath(svg.with_suffix(""), root)
    if relative.startswith(".."):
        raise ArgumentError(f"figure {figure.name!r} lies in {svg.parent}, outside the resource folder {root}; the "
                            "renderers find images only under it. Fix: save the figures under the bundle folder "
                            "(BUNDLE/figures) and pass that bundle as resource_dir")
    return str(PurePosixPath(*Path(relative).parts))


def figure_block(figure: SavedFigure, *, path: str, label: str, caption: str, width: str | None = None) -> str:
    """A figure paragraph: ``![caption](path){#label fig-alt="..."}``, with the figure's alt text.

    ``width`` (a percentage of the text width, e.g. ``"80%"``) shrinks the figure.
    """
    if not label.startswith("fig-"):
        raise ArgumentError(f"label={label!r} must start with 'fig-' (the renderer numbers figures by that prefix)")
    alt = " ".join(figure.alt_text.split()).replace("\\", "/").replace('"', "'")
    size = f' width="{width}"' if width else ""
    return f'![{escape(caption)}]({path}){{#{label}{size} fig-alt="{alt}"}}'
