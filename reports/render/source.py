"""Reading and checking a document source before either engine renders it.

Examples
--------
>>> import pathlib, tempfile
>>> path = pathlib.Path(tempfile.mkdtemp()) / "brief.qmd"
>>> _ = path.write_text('---\\ntitle: "Brief 简报"\\ndate: "2024-06-30"\\n---\\n\\nText.\\n', encoding="utf-8")
>>> doc = read_source(path)
>>> doc.title, doc.lang
('Brief 简报', None)
>>> _ = path.write_text('---\\ntitle: Brief\\ndate: today\\n---\\n', encoding="utf-8")
>>> read_source(path)  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
reports.render.errors.RenderError: ...brief.qmd: date: 'today' changes with the day of rendering, ...
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from reports.render.errors import RenderError

__all__ = ["SourceDocument", "read_source"]

_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.DOTALL)
_MOVING_DATES = frozenset({"today", "now", "last-modified"})


@dataclass(frozen=True)
class SourceDocument:
    """A document source that passed the checks both engines rely on.

    Attributes
    ----------
    path
        The source file (absolute).
    text
        Its whole text (UTF-8).
    title
        The ``title`` of its YAML block.
    lang
        The ``lang`` of its YAML block (``None`` when absent: the engines use ``en``).
    """

    path: Path
    text: str
    title: str
    lang: str | None


def _fail(path: Path, problem: str, fix: str) -> RenderError:
    return RenderError(f"{path}: {problem}. Fix: {fix}.")


def read_source(path: Path) -> SourceDocument:
    """Read the document at ``path`` and check its YAML title block.

    Parameters
    ----------
    path
        A pandoc-markdown / Quarto document (``.qmd`` or ``.md``) in UTF-8 that starts
        with a YAML block holding at least ``title``.

    Returns
    -------
    SourceDocument

    Raises
    ------
    RenderError
        When the file is missing or not UTF-8, has no YAML block or no title, or has a
        ``date`` that changes from day to day (``today``, ``now``, ``last-modified``).
    """
    path = Path(path).absolute()
    if not path.is_file():
        raise _fail(path, "no such document", "pass the path of a .qmd or .md file that exists")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise _fail(path, f"the file is not UTF-8 ({exc.reason} at byte {exc.start})", "save it as UTF-8") from None
    match = _FRONT_MATTER.match(text.lstrip("\ufeff"))
    if match is None:
        raise _fail(
            path,
            "the document does not start with a YAML block between two '---' lines",
            'begin it with ---, title: "...", --- on lines of their own',
        )
    try:
        meta = yaml.safe_load(match.group(1))
    except yaml.YAMLError as exc:
        problem = f"its YAML block is not valid YAML ({exc})"
        raise _fail(path, problem, "correct the YAML between the '---' lines") from None
    if not isinstance(meta, dict) or not isinstance(meta.get("title"), str) or not meta["title"].strip():
        raise _fail(path, "its YAML block has no title", 'add a line title: "..." to it')
    date = meta.get("date")
    if isinstance(date, str) and date.strip().lower() in _MOVING_DATES:
        raise _fail(
            path,
            f"date: {date!r} changes with the day of rendering, so a rerun would not give the same document",
            'write the date itself, e.g. date: "2024-06-30"',
        )
    lang = meta.get("lang")
    return SourceDocument(path=path, text=text, title=meta["title"].strip(), lang=str(lang) if lang else None)
