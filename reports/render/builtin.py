"""The builtin engine: pandoc (pypandoc-binary) for HTML and DOCX, pandoc + typst for PDF.

Every run goes through ``filters/progeval.lua`` (figure and table numbering,
cross-references, callouts, alt text), so the document reads as Quarto would render it.

* HTML: standalone and self-contained (``--embed-resources``): the stylesheet
  ``assets/report.css``, the images (SVG) and a subset of the CJK font are embedded.
* DOCX: styles from :func:`~reports.render.docx_reference.write_reference_docx`
  (East-Asian font, ruled tables, boxed callouts); PNG images; ``SOURCE_DATE_EPOCH`` is
  fixed, so the zip's dates and ``docProps/core.xml`` do not change between runs.
* PDF: pandoc writes typst with the template ``assets/report.typ``; the ``typst``
  package compiles it with typst's embedded fonts and the CJK font only (no system
  fonts, so every machine gives the same PDF), SVG images, no document date.

Images are written without an extension in the source; this engine uses ``.svg`` for
HTML and PDF and ``.png`` for DOCX, looked up under the resource folder.

Examples
--------
>>> IMAGE_EXTENSION["html"], IMAGE_EXTENSION["pdf"], IMAGE_EXTENSION["docx"]
('svg', 'svg', 'png')
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

from reports.render.docx_reference import write_reference_docx
from reports.render.errors import RenderError
from reports.render.fonts import CJKFont
from reports.render.source import SourceDocument
from reports.render.tools import CommandTimeout, pandoc_path, run_command, tail
from reports.render.webfont import font_face_css

__all__ = ["IMAGE_EXTENSION", "SOURCE_DATE_EPOCH", "render_builtin", "asset_path"]

IMAGE_EXTENSION = {"html": "svg", "pdf": "svg", "docx": "png"}
"""Which of a figure's files each output format embeds."""

SOURCE_DATE_EPOCH = "315532800"
"""1980-01-01T00:00:00Z, the earliest date a zip entry can carry: the fixed date of every DOCX."""

_MISSING_RESOURCE = re.compile(r"Could not (?:fetch resource|find media|fetch) '?([^'\n]+?)'?(?:$|:|\n)", re.MULTILINE)


def asset_path(*parts: str) -> Path:
    """Return the path of a file shipped in ``reports/render`` (``asset_path("assets", "report.css")``)."""
    return Path(str(resources.files("reports.render").joinpath(*parts)))


def _pandoc(doc: SourceDocument, fmt: str, args: list[str], *, resource_dir: Path, timeout: float) -> bytes:
    base = [
        str(pandoc_path()),
        str(doc.path),
        "--from",
        "markdown",
        "--lua-filter",
        str(asset_path("filters", "progeval.lua")),
        "--default-image-extension",
        IMAGE_EXTENSION[fmt],
        "--resource-path",
        str(resource_dir),
    ]
    if doc.lang is None:
        base += ["--metadata", "lang=en"]
    try:
        env = {"SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH}
        result = run_command(base + args, timeout=timeout, cwd=resource_dir, env=env)
    except CommandTimeout as exc:
        raise RenderError(
            f"pandoc could not convert {doc.path.name} to {fmt}: {exc}. Fix: give render() a longer timeout"
        ) from None
    if result.returncode != 0:
        raise RenderError(
            f"pandoc could not convert {doc.path.name} to {fmt} (exit code {result.returncode}): "
            f"{tail(result.stderr)}. Fix: correct the document as the message says (the syntax rules are in "
            "the reports.render docstring)"
        )
    missing = sorted(set(_MISSING_RESOURCE.findall(result.stderr)))
    if missing:
        raise RenderError(
            f"{doc.path.name}: {fmt} output is missing images or other files: {', '.join(missing)}. Fix: write "
            f"them (as .{IMAGE_EXTENSION[fmt]}) under the resource folder {resource_dir}, or correct the paths"
        )
    return result.stdout


def _render_html(doc: SourceDocument, output: Path, *, resource_dir: Path, font: CJKFont, work: Path, timeout: float):
    css = work / "report.css"
    css.write_text(font_face_css(font, doc.text) + asset_path("assets", "report.css").read_text("utf-8"), "utf-8")
    _pandoc(
        doc,
        "html",
        ["--to", "html5", "--standalone", "--embed-resources", "--css", str(css), "--output", str(output)],
        resource_dir=resource_dir,
        timeout=timeout,
    )


def _render_docx(doc: SourceDocument, output: Path, *, resource_dir: Path, font: CJKFont, work: Path, timeout: float):
    reference = write_reference_docx(work / "reference.docx", cjk_family=font.family)
    _pandoc(
        doc,
        "docx",
        ["--to", "docx", "--reference-doc", str(reference), "--output", str(output)],
        resource_dir=resource_dir,
        timeout=timeout,
    )


def _render_pdf(doc: SourceDocument, output: Path, *, resource_dir: Path, font: CJKFont, work: Path, timeout: float):
    import typst

    source = _pandoc(
        doc,
        "pdf",
        [
            "--to",
            "typst",
            "--standalone",
            "--template",
            str(asset_path("assets", "report.typ")),
            "--variable",
            f"cjk-family={font.family}",
        ],
        resource_dir=resource_dir,
        timeout=timeout,
    )
    typ = work / f"{doc.path.stem}.typ"
    typ.write_bytes(source)
    try:
        pdf = typst.compile(
            source,
            root=str(resource_dir),
            font_paths=[str(font.directory)],
            ignore_system_fonts=True,
            format="pdf",
        )
    except typst.TypstError as exc:
        raise RenderError(
            f"typst could not compile {doc.path.name} to pdf: {tail(str(exc))}. Fix: check that every image the "
            f"document names exists under {resource_dir} as .svg, and that the document follows the syntax rules "
            "of the reports.render docstring"
        ) from None
    output.write_bytes(pdf)


_RENDERERS = {"html": _render_html, "docx": _render_docx, "pdf": _render_pdf}


def render_builtin(
    doc: SourceDocument,
    fmt: str,
    *,
    output: Path,
    resource_dir: Path,
    font: CJKFont,
    work: Path,
    timeout: float,
) -> None:
    """Render ``doc`` to ``fmt`` with pandoc (and typst for PDF), writing ``output``.

    Parameters
    ----------
    doc
        The checked source.
    fmt
        ``"html"``, ``"pdf"`` or ``"docx"``.
    output
        The file to write (a temporary name that the caller moves into place).
    resource_dir
        Where the document's image paths are looked up (the compilation root for typst).
    font
        The CJK font.
    work
        A private scratch folder (stylesheet, reference DOCX, typst source).
    timeout
        Seconds each pandoc run may take.
    """
    _RENDERERS[fmt](doc, output, resource_dir=resource_dir, font=font, work=work, timeout=timeout)
