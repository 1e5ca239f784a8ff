"""Embed the CJK font in self-contained HTML, cut down to the characters the document uses.

A reader's machine may have no Chinese font; the HTML report then carries its own. The
full font is 8 MB, so only the glyphs of the document's non-ASCII characters go in, as a
WOFF file in a ``data:`` URI (a few kilobytes for a report's institution and program
names). The subset is deterministic: the same text gives the same bytes.

Examples
--------
>>> from reports.render.fonts import cjk_font
>>> font_face_css(cjk_font(), "ASCII only: nothing to embed")
''
"""

from __future__ import annotations

import base64
import io

from reports.render.fonts import CJKFont

__all__ = ["EMBEDDED_FAMILY", "font_face_css", "subset_font"]

EMBEDDED_FAMILY = "Progeval CJK"
"""The CSS family name of the embedded subset (the report CSS lists it after the Latin faces)."""


def subset_font(font: CJKFont, text: str) -> bytes:
    """Return a WOFF font holding only the glyphs of ``text``'s non-ASCII characters.

    Parameters
    ----------
    font
        The CJK font to cut down.
    text
        The document text; characters the font lacks are skipped.

    Returns
    -------
    bytes
        The WOFF file; empty when ``text`` has no non-ASCII character the font covers.

    Examples
    --------
    >>> from reports.render.fonts import cjk_font
    >>> woff = subset_font(cjk_font(), "国际中文教育")
    >>> woff[:4], len(woff) < 20_000
    (b'wOFF', True)
    """
    from fontTools import subset
    from fontTools.ttLib import TTFont

    wanted = {ord(ch) for ch in text if ord(ch) > 127}
    if not wanted:
        return b""
    tt = TTFont(str(font.path), fontNumber=0, recalcTimestamp=False, lazy=False)
    try:
        covered = wanted & set(tt.getBestCmap())
        if not covered:
            return b""
        options = subset.Options()
        options.flavor = "woff"
        options.hinting = False
        options.desubroutinize = True
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=sorted(covered))
        subsetter.subset(tt)
        tt.flavor = "woff"
        buffer = io.BytesIO()
        tt.save(buffer)
    finally:
        tt.close()
    return buffer.getvalue()


def font_face_css(font: CJKFont, text: str) -> str:
    """Return a CSS ``@font-face`` rule embedding the subset of ``font`` for ``text``.

    Parameters
    ----------
    font
        The CJK font.
    text
        The document text.

    Returns
    -------
    str
        One ``@font-face`` rule for the family :data:`EMBEDDED_FAMILY`, or ``""`` when
        the text needs no CJK glyph.

    Examples
    --------
    >>> from reports.render.fonts import cjk_font
    >>> css = font_face_css(cjk_font(), "跨境电商与国际中文教育")
    >>> css.startswith('@font-face { font-family: "Progeval CJK"; src: url("data:font/woff;base64,')
    True
    """
    woff = subset_font(font, text)
    if not woff:
        return ""
    data = base64.b64encode(woff).decode("ascii")
    return (
        f'@font-face {{ font-family: "{EMBEDDED_FAMILY}"; src: url("data:font/woff;base64,{data}") '
        'format("woff"); font-weight: 400; font-style: normal; }\n'
    )
