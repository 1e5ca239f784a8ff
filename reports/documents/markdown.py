"""Markdown tables built from result frames, and the escaping of text that comes from data.

:func:`markdown_table` turns a frame into a pandoc pipe table with a caption and a ``tbl-`` label (the
syntax both render engines accept, see :mod:`reports.render`).  A row that small-cell suppression hid
(``suppressed`` true) shows :data:`~reports.documents.formatting.SUPPRESSED` in each of its number columns,
and a note under the table says why; a value that is merely missing shows ``"n/a"``, never ``"nan"``.
Text from the data (labels, reasons) is escaped so that markdown never reads it as markup.

Examples
--------
>>> import pandas as pd
>>> frame = pd.DataFrame({"program": ["integrated", "traditional|x"], "n": [12.0, float("nan")],
...                       "suppressed": [False, True]})
>>> print(markdown_table(frame, [Column("Program", lambda r: r["program"], text=True),
...                              Column("Students", lambda r: fmt_count(r["n"]), align="right")],
...                      caption="Students by program.", label="tbl-students", min_cell=10))
| Program | Students |
|:---------------|-------------:|
| integrated | 12 |
| traditional\\|x | — |
<BLANKLINE>
: Students by program. {#tbl-students}
<BLANKLINE>
— hidden to protect privacy: fewer than 10 students, or a cell from which such a count could be worked out.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import pandas as pd

from data_schema.arguments import check_choice
from data_schema.errors import ArgumentError
from reports.documents.formatting import SUPPRESSED, fmt_count

__all__ = ["Column", "escape", "markdown_table", "suppression_note", "text_width"]

_SPECIAL = re.compile(r"([\\`*_\[\]<>#@$~^|{}])")
_MAX_WIDTH = 30
"""Widest a column may claim in the dash row (pandoc's relative column widths)."""


def escape(text: object) -> str:
    """``text`` with every markdown special character backslash-escaped and on one line.

    Examples
    --------
    >>> escape("hsk_target_rate: a|b @x $5 <tag>")
    'hsk\\\\_target\\\\_rate: a\\\\|b \\\\@x \\\\$5 \\\\<tag\\\\>'
    """
    flat = " ".join(str(text).split())
    return _SPECIAL.sub(r"\\\1", flat)


def text_width(text: str) -> int:
    """Display width of ``text``: wide (CJK) characters count two.

    Examples
    --------
    >>> text_width("abc"), text_width("跨文化")
    (3, 6)
    """
    return sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in text)


@dataclass(frozen=True)
class Column:
    """One column of a markdown table.

    Attributes
    ----------
    header
        The header text (escaped when written).
    cell
        Turns a row (a ``pandas.Series``) into the cell's text.
    align
        ``"left"`` (text) or ``"right"`` (numbers).
    text
        The cell holds text from the data: escape it.  Number cells are built by
        :mod:`reports.documents.formatting` and need no escaping.
    hide
        Show :data:`~reports.documents.formatting.SUPPRESSED` in this column for a suppressed row (default:
        number columns hide, text columns do not).
    """

    header: str
    cell: Callable[[pd.Series], str]
    align: Literal["left", "right"] = "left"
    text: bool = False
    hide: bool | None = None

    def __post_init__(self) -> None:
        check_choice("align", self.align, ("left", "right"))

    @property
    def hides(self) -> bool:
        """Whether a suppressed row shows the suppression mark in this column."""
        return (not self.text) if self.hide is None else self.hide


def suppression_note(min_cell: int | str) -> str:
    """The note under a table with hidden cells.

    Examples
    --------
    >>> suppression_note(10)
    '— hidden to protect privacy: fewer than 10 students, or a cell from which such a count could be worked out.'
    """
    return (f"{SUPPRESSED} hidden to protect privacy: fewer than {fmt_count(float(min_cell))} students, or a cell "
            "from which such a count could be worked out.")


def _cell(column: Column, row: pd.Series, hidden: bool) -> str:
    if hidden and column.hides:
        return SUPPRESSED
    value = column.cell(row)
    text = escape(value) if column.text else " ".join(str(value).split()).replace("|", "\\|")
    return text or " "


def _weight(header: str, cells: list[str], column: Column) -> int:
    """Dashes of a column in the rule line: pandoc makes column widths proportional to them.

    A number column gets its widest cell (numbers should not wrap); a text column its widest cell up to
    :data:`_MAX_WIDTH` (longer text wraps); a header needs its longest word, set in bold (a third wider).
    """
    word = math.ceil(1.3 * max((text_width(w) for w in header.split()), default=1)) + 1
    content = max((text_width(c) for c in cells), default=1)
    if column.align == "left":
        content = min(content, _MAX_WIDTH)
    return max(3, word, content)


def markdown_table(frame: pd.DataFrame, columns: Sequence[Column], *, caption: str, label: str,
                   min_cell: int | str | None = None, suppressed: str = "suppressed") -> str:
    """A pandoc pipe table of ``frame`` with its caption line and, when cells are hidden, a note.

    Parameters
    ----------
    frame
        The rows to show, in order.  A true ``suppressed`` column marks rows hidden by small-cell
        suppression.
    columns
        What each column shows.
    caption
        The caption in words (escaped; a final full stop is kept as given).
    label
        The table's label for cross-references, starting ``tbl-``.
    min_cell
        The study's minimum cell size, named in the note under a table with hidden cells.
    suppressed
        Name of the column that flags hidden rows.

    Returns
    -------
    str
        The table, a blank line, the caption line, and the note when a cell is hidden; no trailing newline.

    Raises
    ------
    ArgumentError
        When ``frame`` has no row, ``columns`` is empty or ``label`` does not start with ``tbl-``.
    """
    if not label.startswith("tbl-"):
        raise ArgumentError(f"label={label!r} must start with 'tbl-' (the renderer numbers tables by that prefix)")
    if not columns:
        raise ArgumentError("columns is empty; give at least one Column")
    if frame.empty:
        raise ArgumentError(f"table {label!r} has no row; write a sentence saying why instead of an empty table")
    hidden = frame[suppressed].eq(True).tolist() if suppressed in frame.columns else [False] * len(frame)
    rows = [[_cell(c, row, h) for c in columns] for (_, row), h in zip(frame.iterrows(), hidden, strict=True)]
    headers = [escape(c.header) for c in columns]
    widths = [_weight(h, [r[i] for r in rows], c) for i, (h, c) in enumerate(zip(headers, columns, strict=True))]
    lines = ["| " + " | ".join(headers) + " |",
             "|" + "|".join(_rule(w, c.align) for w, c in zip(widths, columns, strict=True)) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    block = "\n".join(lines) + f"\n\n: {escape(caption)} {{#{label}}}"
    if any(cell == SUPPRESSED for r in rows for cell in r):
        block += "\n\n" + suppression_note(min_cell if min_cell is not None else 10)
    return block


def _rule(width: int, align: str) -> str:
    dashes = "-" * width
    return f":{dashes}-" if align == "left" else f"-{dashes}:"
