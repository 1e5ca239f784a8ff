"""Render report documents to HTML, PDF and DOCX, with Quarto or with a builtin pandoc + typst engine.

:func:`render` takes one document source and writes ``NAME.html``, ``NAME.pdf`` and
``NAME.docx``. ``engine="quarto"`` runs ``quarto render`` (1.4 or newer on PATH);
``engine="builtin"`` runs pandoc (pypandoc-binary) and typst (the ``typst`` package),
which every machine has from PyPI; ``engine="auto"`` takes quarto when it is found.
Chinese text is set in the CJK font of :func:`cjk_font` (Noto Sans SC from the PyPI
package ``pylopdf-fonts-zh-cn``), embedded in the PDF, embedded as a subset in the HTML,
and named as the East-Asian font of the DOCX.

Document syntax (for template authors)
--------------------------------------
Both engines must give the same document, so a source uses only the pandoc markdown
below, which Quarto renders natively and the builtin engine translates (with the pandoc
Lua filter ``filters/progeval.lua``) to the same result.

1. **YAML title block** at the very top, between ``---`` lines: ``title`` (required),
   optionally ``subtitle``, ``author`` (a string or a list of strings), ``date`` (a
   literal date such as ``"2024-06-30"``; never ``today``, ``now`` or ``last-modified``,
   which change on a rerun) and ``lang`` (leave it out or ``en``: captions and
   cross-references read "Figure 1", "Table 1" in both engines, while Quarto would
   translate them for another language and the builtin engine would not).
   :func:`render` tells either engine which image file to take per format; for running
   ``quarto render`` by hand, add the same choice to the YAML block::

       format:
         html:
           default-image-extension: svg
         typst:
           default-image-extension: svg
         docx:
           default-image-extension: png

2. **Headings** ``#`` to ``####``, paragraphs, ``*emphasis*``, ``**strong**``, bullet
   and numbered lists, links. No raw HTML, LaTeX or typst, no shortcodes
   (``{{< ... >}}``), no executable code cells (``{python}``): the template is filled in
   Python before rendering.
3. **Figures**: alone in a paragraph,
   ``![Caption in words.](figures/event_study){#fig-event-study fig-alt="Alt text."}``.
   Write the path *without an extension*: the figure must exist as both ``.svg`` and
   ``.png`` under the resource folder (default: the source's folder); HTML and PDF embed
   the SVG, DOCX the PNG. The label starts with ``fig-``; ``fig-alt`` is the alt text
   for screen readers; an optional ``width="80%"`` is honoured.
4. **Tables**: pipe tables with a header row, then a blank line and a caption line
   ``: Caption in words. {#tbl-employment}``. Cells hold plain inline text. The label
   starts with ``tbl-``; the caption is placed above the table.
5. **Cross-references**: ``@fig-event-study`` and ``@tbl-employment`` (also in
   brackets, ``[@fig-a]``) become "Figure 1" and "Table 2", linked; figures and tables
   are numbered separately in document order, and their captions start "Figure 1: ".
   A reference to a label that does not exist stops the builtin engine with an error.
   Use ``@`` for nothing else (write ``\\@`` for a literal one); there are no
   bibliographic citations and no section references.
6. **Callouts**: ``::: {.callout-note}`` (or ``.callout-tip``, ``.callout-important``,
   ``.callout-warning``, ``.callout-caution``) ... ``:::``, with an optional title as
   a first ``## Title`` line inside (or ``title="..."`` in the braces); without one the
   title is the kind ("Note", "Warning", ...). Do not nest callouts.
7. **Chinese text** may appear anywhere (UTF-8): title, headings, cells, captions.

Examples
--------
>>> from reports.render import cjk_font, choose_engine
>>> choose_engine("builtin"), cjk_font().family
('builtin', 'Noto Sans SC')

A whole render (see :func:`render` for a runnable one)::

    written = render(Path("bundle/annual.qmd"), formats=["html", "pdf", "docx"], out_dir=Path("bundle/reports"))
    written["pdf"]  # Path('bundle/reports/annual.pdf')
"""

from reports.render.errors import FontNotFoundError, QuartoError, RenderError
from reports.render.fonts import CJKFont, cjk_font
from reports.render.quarto import MIN_QUARTO_VERSION, find_quarto
from reports.render.render import ENGINES, FORMATS, Engine, Format, choose_engine, render
from reports.render.source import SourceDocument, read_source

__all__ = [
    "render",
    "choose_engine",
    "Format",
    "Engine",
    "FORMATS",
    "ENGINES",
    "cjk_font",
    "CJKFont",
    "read_source",
    "SourceDocument",
    "find_quarto",
    "MIN_QUARTO_VERSION",
    "RenderError",
    "QuartoError",
    "FontNotFoundError",
]
