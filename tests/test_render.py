"""Rendering report documents: the builtin engine's HTML, PDF and DOCX, the Quarto engine, the CJK font.

The builtin engine renders one small document (Chinese title and names, a table, a
matplotlib figure drawn with the CJK font, callouts, cross-references) to all three
formats, twice into different folders; the tests read what a reader would see: the
parsed HTML, the text pypdf and pdfium extract from the PDF with the fonts it embeds,
and the XML inside the DOCX. The Quarto engine runs for real when ``quarto`` is on PATH,
and everywhere against fake ``quarto`` scripts put first on PATH.
"""

from __future__ import annotations

import io
import os
import shutil
import stat
import time
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import pytest

from data_schema.errors import ArgumentError
from reports.render import (
    FontNotFoundError,
    QuartoError,
    RenderError,
    choose_engine,
    cjk_font,
    render,
)
from reports.render import fonts as fonts_module

PROGRAM = "跨境电商与国际中文教育"
INSTITUTION = "浙江师范大学"
NBSP = "\u00a0"
ALT = "Bar chart of employment rates: 0.78 integrated, 0.64 traditional."

SOURCE = f"""---
title: "Annual QA report 年度质量报告"
subtitle: "{PROGRAM} (CBEC-ICE)"
author: "Quality Assurance Office 质量保障办公室"
date: "2024-06-30"
---

# Program profile

The integrated program {PROGRAM} runs at {INSTITUTION} and 云南大学. @tbl-cohorts lists
the cohorts and @fig-employment shows employment six months after graduation.

| Institution | Program | Cohort | Students |
|:------------|:--------|-------:|---------:|
| {INSTITUTION} | {PROGRAM} | 2021 | 48 |
| 云南大学 | Traditional 传统项目 | 2021 | 52 |

: Cohorts by institution 各校队列 {{#tbl-cohorts}}

![Employment rate six months after graduation, by program.](figures/employment){{#fig-employment fig-alt="{ALT}"}}

::: {{.callout-important}}
## Headline 主要结论
Graduates of the integrated program were employed more often (difference 0.14,
95% interval 0.05 to 0.23).
:::

::: {{.callout-warning}}
Small cohorts: read the intervals, not only the estimates.
:::

## Methods

The comparison in [@fig-employment] uses every graduate of @tbl-cohorts.
"""


def _draw_figure(folder: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import font_manager

    font = cjk_font()
    font_manager.fontManager.addfont(str(font.path))
    with plt.rc_context({"font.family": ["DejaVu Sans", font.family], "svg.hashsalt": "progeval"}):
        fig, ax = plt.subplots(figsize=(6, 3.2))
        ax.bar(["整合项目 integrated", "传统项目 traditional"], [0.78, 0.64], color=["#0072B2", "#E69F00"])
        ax.set_ylim(0, 1)
        ax.set_ylabel("就业率 employment rate")
        fig.tight_layout()
        fig.savefig(folder / "employment.svg", metadata={"Date": None})
        fig.savefig(folder / "employment.png", dpi=120, metadata={"Software": None})
        plt.close(fig)


def _write_document(folder: Path, text: str = SOURCE, name: str = "annual.qmd") -> Path:
    (folder / "figures").mkdir(parents=True, exist_ok=True)
    if not (folder / "figures" / "employment.svg").exists():
        _draw_figure(folder / "figures")
    source = folder / name
    source.write_text(text, encoding="utf-8")
    return source


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Path]]:
    folder = tmp_path_factory.mktemp("bundle")
    source = _write_document(folder)
    first = render(source, formats=["html", "pdf", "docx"], engine="builtin", out_dir=folder / "first")
    second = render(source, formats="html,pdf,docx", engine="builtin", out_dir=folder / "second")
    return {"first": first, "second": second}


# --- HTML -------------------------------------------------------------------------


class _Page(HTMLParser):
    """Collects what the tests read from an HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.lang: str | None = None
        self.title = ""
        self.text: list[str] = []
        self.cells: list[str] = []
        self.images: list[dict[str, str | None]] = []
        self.links: list[tuple[str | None, str]] = []
        self.callout_titles: list[str] = []
        self.styles = ""
        self._stack: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "html":
            self.lang = attributes.get("lang")
        if tag == "img":
            self.images.append(attributes)
            return
        self._stack.append((tag, attributes))

    def handle_endtag(self, tag: str) -> None:
        while self._stack:
            if self._stack.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        open_tags = [t for t, _ in self._stack]
        if "style" in open_tags:
            self.styles += data
            return
        self.text.append(data)
        if open_tags and open_tags[-1] == "title":
            self.title += data
        if open_tags and open_tags[-1] in {"td", "th"}:
            self.cells.append(data.strip())
        if open_tags and open_tags[-1] == "a":
            self.links.append((self._stack[-1][1].get("href"), data.replace(NBSP, " ")))
        if any("callout-title" in (a.get("class") or "") for _, a in self._stack):
            self.callout_titles.append(data.strip())


@pytest.fixture(scope="module")
def page(rendered: dict[str, dict[str, Path]]) -> _Page:
    parser = _Page()
    parser.feed(rendered["first"]["html"].read_text(encoding="utf-8"))
    return parser


def test_html_title_language_and_chinese_text(page: _Page) -> None:
    assert page.title == "Annual QA report 年度质量报告"
    assert page.lang == "en"
    text = "".join(page.text)
    assert PROGRAM in text
    assert INSTITUTION in text


def test_html_cross_references_and_captions(page: _Page) -> None:
    assert ("#fig-employment", "Figure 1") in page.links
    assert ("#tbl-cohorts", "Table 1") in page.links
    text = "".join(page.text).replace(NBSP, " ")
    assert "Figure 1: Employment rate six months after graduation" in text
    assert "Table 1: Cohorts by institution 各校队列" in text
    assert "@fig-employment" not in text


def test_html_callouts_table_and_embedded_image(page: _Page) -> None:
    assert page.callout_titles == ["Headline 主要结论", "Warning"]
    assert [INSTITUTION, PROGRAM, "2021", "48"] == page.cells[4:8]
    (image,) = page.images
    assert (image["src"] or "").startswith("data:image/svg+xml;base64,")
    assert image["alt"] == ALT
    assert '@font-face { font-family: "Progeval CJK"; src: url("data:font/woff;base64,' in page.styles


def test_html_has_no_local_paths(rendered: dict[str, dict[str, Path]]) -> None:
    html = rendered["first"]["html"].read_text(encoding="utf-8")
    folder = rendered["first"]["html"].parent.parent
    assert str(folder) not in html
    assert "/tmp" not in html


# --- PDF --------------------------------------------------------------------------


def test_pdf_text_pages_and_embedded_cjk_font(rendered: dict[str, dict[str, Path]]) -> None:
    from pypdf import PdfReader

    reader = PdfReader(rendered["first"]["pdf"])
    assert len(reader.pages) == 1
    text = "".join(page.extract_text() for page in reader.pages).replace(NBSP, " ")
    for expected in (PROGRAM, INSTITUTION, "云南大学", "2021", "48", "52", "Figure 1", "Table 1", "主要结论"):
        assert expected in text, expected
    assert "Annual QA report" in text
    embedded = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
            if any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")):
                embedded.add(str(font["/BaseFont"]).split("+", 1)[1])
    assert "NotoSansSC-Regular-Identity-H" in embedded, embedded
    assert reader.metadata is not None
    assert "/CreationDate" not in reader.metadata


def test_pdf_pages_render_with_chinese_glyphs(rendered: dict[str, dict[str, Path]], tmp_path: Path) -> None:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(rendered["first"]["pdf"])
    page = pdf[0]
    width, height = page.get_size()
    assert (round(width), round(height)) == (595, 842)  # A4 in points
    text = page.get_textpage().get_text_range()
    assert PROGRAM in text
    image = page.render(scale=1).to_pil().convert("L")
    image.save(tmp_path / "page-1.png")
    dark = sum(image.histogram()[:128])
    assert dark > 5_000  # text, rules and the figure are drawn


# --- DOCX -------------------------------------------------------------------------


def test_docx_text_styles_and_image(rendered: dict[str, dict[str, Path]]) -> None:
    with zipfile.ZipFile(rendered["first"]["docx"]) as docx:
        document = docx.read("word/document.xml").decode("utf-8")
        styles = docx.read("word/styles.xml").decode("utf-8")
        media = [name for name in docx.namelist() if name.startswith("word/media/")]
        core = docx.read("docProps/core.xml").decode("utf-8")
    for expected in (PROGRAM, INSTITUTION, "Annual QA report", "48", "Figure 1", "Table 1: Cohorts by institution"):
        assert expected.replace(" ", NBSP, 1) in document or expected in document, expected
    assert '<w:pStyle w:val="Heading1" />' in document
    assert '<w:pStyle w:val="CalloutImportantTitle" />' in document
    assert '<w:pStyle w:val="CalloutWarning" />' in document
    assert 'w:eastAsia="Noto Sans SC"' in styles
    assert "<w:tbl>" in document
    assert len(media) == 1
    assert media[0].endswith(".png")
    assert "1980-01-01" in core


# --- determinism and atomic writes --------------------------------------------------


def test_rerun_gives_identical_bytes(rendered: dict[str, dict[str, Path]]) -> None:
    for fmt in ("html", "pdf", "docx"):
        first, second = rendered["first"][fmt], rendered["second"][fmt]
        assert first.name == second.name == f"annual.{fmt}"
        assert first.read_bytes() == second.read_bytes(), fmt
    assert not list(rendered["first"]["html"].parent.glob(".render-*"))


def test_failed_render_leaves_previous_outputs(tmp_path: Path) -> None:
    source = _write_document(tmp_path)
    (tmp_path / "figures" / "employment.png").unlink()
    out = tmp_path / "out"
    out.mkdir()
    (out / "annual.html").write_text("last year's report", encoding="utf-8")
    with pytest.raises(RenderError, match=r"docx output is missing images.*figures/employment\.png"):
        render(source, formats=["html", "docx"], engine="builtin", out_dir=out)
    assert (out / "annual.html").read_text(encoding="utf-8") == "last year's report"
    assert sorted(p.name for p in out.iterdir()) == ["annual.html"]


# --- source checks and arguments ----------------------------------------------------


def test_unknown_cross_reference_is_an_error(tmp_path: Path) -> None:
    source = _write_document(tmp_path, SOURCE.replace("@tbl-cohorts lists", "@tbl-missing lists"))
    with pytest.raises(RenderError, match=r"@tbl-missing points to no figure or table.*@fig-employment, @tbl-cohorts"):
        render(source, formats=["html"], engine="builtin", out_dir=tmp_path / "out")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("No YAML block here.\n", "does not start with a YAML block"),
        ("---\nsubtitle: x\n---\n", "has no title"),
        ("---\ntitle: T\ndate: today\n---\n", "changes with the day of rendering"),
        ("---\ntitle: [unclosed\n---\n", "not valid YAML"),
    ],
)
def test_bad_sources_are_refused(tmp_path: Path, text: str, message: str) -> None:
    source = tmp_path / "doc.qmd"
    source.write_text(text, encoding="utf-8")
    with pytest.raises(RenderError, match=message):
        render(source, formats=["html"], engine="builtin", out_dir=tmp_path / "out")


def test_arguments_are_checked(tmp_path: Path) -> None:
    source = _write_document(tmp_path)
    with pytest.raises(ArgumentError, match=r"formats='odt' is not a valid choice; use one of: 'html', 'pdf', 'docx'"):
        render(source, formats=["odt"], out_dir=tmp_path)  # type: ignore[list-item]
    with pytest.raises(ArgumentError, match=r"engine='latex' is not a valid choice"):
        render(source, formats=["html"], engine="latex", out_dir=tmp_path)  # type: ignore[arg-type]
    with pytest.raises(ArgumentError, match=r"formats=\[\] is empty"):
        render(source, formats=[], out_dir=tmp_path)
    with pytest.raises(ArgumentError, match=r"timeout=0 is not a positive number"):
        render(source, formats=["html"], out_dir=tmp_path, timeout=0)
    with pytest.raises(RenderError, match=r"no such document"):
        render(tmp_path / "missing.qmd", formats=["html"], engine="builtin", out_dir=tmp_path)


# --- the CJK font -------------------------------------------------------------------


def test_packaged_font_covers_common_chinese() -> None:
    from fontTools.ttLib import TTFont

    font = cjk_font()
    assert (font.family, font.source) == ("Noto Sans SC", "package")
    cmap = TTFont(str(font.path), lazy=True).getBestCmap()
    level_1 = []  # GB2312 level 1: rows 0xB0-0xD7, the 3,755 most common characters
    for row in range(0xB0, 0xD8):
        for col in range(0xA1, 0xFF):
            try:
                level_1.append(bytes([row, col]).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    missing = [ch for ch in level_1 if ord(ch) not in cmap]
    assert len(level_1) == 3_755
    assert missing == []
    assert all(ord(ch) in cmap for ch in PROGRAM + INSTITUTION)


def test_font_from_environment_must_be_a_font(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bogus = tmp_path / "notes.txt"
    bogus.write_text("not a font", encoding="utf-8")
    monkeypatch.setenv("PROGEVAL_CJK_FONT", str(bogus))
    with pytest.raises(FontNotFoundError, match=r"PROGEVAL_CJK_FONT=.*notes\.txt' is not an OTF, TTF or TTC file"):
        cjk_font()
    monkeypatch.setenv("PROGEVAL_CJK_FONT", str(fonts_module._from_package().path))  # type: ignore[union-attr]
    assert cjk_font().source == "environment"


def test_missing_font_says_how_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PROGEVAL_CJK_FONT", raising=False)
    monkeypatch.setattr(fonts_module, "_from_package", lambda: None)
    monkeypatch.setenv("PATH", str(tmp_path))  # no fc-list either
    with pytest.raises(FontNotFoundError, match=r"python -m pip install pylopdf-fonts-zh-cn"):
        cjk_font()


def test_system_font_is_found_with_fc_list(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    font_file = tmp_path / "SystemSans-Regular.ttf"
    font_file.write_bytes(b"")
    _fake_tool(
        tmp_path,
        "fc-list",
        f'printf "%s\\n" "{tmp_path}/Other-Bold.ttf|0|Other Sans|Bold" "{font_file}|0|System Sans SC|Regular"',
    )
    monkeypatch.delenv("PROGEVAL_CJK_FONT", raising=False)
    monkeypatch.setattr(fonts_module, "_from_package", lambda: None)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    font = cjk_font()
    assert (font.path, font.family, font.source) == (font_file, "System Sans SC", "system")


# --- the Quarto engine with fake quarto executables ----------------------------------


def _fake_tool(folder: Path, name: str, body: str) -> Path:
    script = folder / name
    script.write_text(f"#!/bin/sh\n{body}\n", encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return script


FAKE_RENDER = r"""
if [ "$1" = "--version" ]; then echo "1.5.57"; exit 0; fi
echo "$@" >> "$QUARTO_LOG"
echo "TYPST_FONT_PATHS=$TYPST_FONT_PATHS" >> "$QUARTO_LOG"
out=""; to=""; prev=""
for arg in "$@"; do
  [ "$prev" = "--output" ] && out="$arg"
  [ "$prev" = "--to" ] && to="$arg"
  prev="$arg"
done
printf 'rendered by fake quarto to %s from %s\n' "$to" "$2" > "$out"
"""


@pytest.fixture
def quarto_bin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "bin"
    folder.mkdir()
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("QUARTO_LOG", str(tmp_path / "quarto.log"))
    return folder


@pytest.fixture
def small_source(tmp_path: Path) -> Path:
    source = tmp_path / "doc" / "brief.qmd"
    source.parent.mkdir()
    source.write_text('---\ntitle: "Brief 简报"\n---\n\nText.\n', encoding="utf-8")
    return source


def test_fake_quarto_success_writes_every_format(quarto_bin: Path, small_source: Path, tmp_path: Path) -> None:
    _fake_tool(quarto_bin, "quarto", FAKE_RENDER)
    assert choose_engine("auto") == "quarto"
    out = tmp_path / "out"
    written = render(small_source, formats=["html", "pdf", "docx"], engine="auto", out_dir=out)
    assert {fmt: path.name for fmt, path in written.items()} == {
        "html": "brief.html",
        "pdf": "brief.pdf",
        "docx": "brief.docx",
    }
    assert written["pdf"].read_text(encoding="utf-8") == "rendered by fake quarto to typst from brief.qmd\n"
    log = (tmp_path / "quarto.log").read_text(encoding="utf-8")
    assert "render brief.qmd --to html --output brief.quarto.html -M default-image-extension:svg" in log
    assert "-M embed-resources:true" in log
    assert "--to typst --output brief.quarto.pdf -M default-image-extension:svg -M lang:en" in log
    assert f"-M font-paths:{cjk_font().directory}" in log
    assert "--to docx --output brief.quarto.docx -M default-image-extension:png" in log
    assert f"TYPST_FONT_PATHS={cjk_font().directory}" in log
    assert sorted(p.name for p in out.iterdir()) == ["brief.docx", "brief.html", "brief.pdf"]
    assert sorted(p.name for p in small_source.parent.iterdir()) == ["brief.qmd"]  # nothing left beside the source


def test_fake_quarto_renders_into_the_source_folder(quarto_bin: Path, small_source: Path) -> None:
    _fake_tool(quarto_bin, "quarto", FAKE_RENDER)
    (small_source.parent / "brief.html").write_text("last year's", encoding="utf-8")
    written = render(small_source, formats=["html"], engine="quarto", out_dir=small_source.parent)
    assert written["html"].read_text(encoding="utf-8") == "rendered by fake quarto to html from brief.qmd\n"
    assert sorted(p.name for p in small_source.parent.iterdir()) == ["brief.html", "brief.qmd"]


def test_fake_quarto_too_old(quarto_bin: Path, small_source: Path, tmp_path: Path) -> None:
    _fake_tool(quarto_bin, "quarto", 'echo "1.3.450"')
    with pytest.raises(QuartoError, match=r"brief\.qmd to html: .*quarto 1\.3\.450, older than the 1\.4\.0"):
        render(small_source, formats=["html"], engine="quarto", out_dir=tmp_path / "out")


def test_fake_quarto_failure_reports_stderr(quarto_bin: Path, small_source: Path, tmp_path: Path) -> None:
    _fake_tool(
        quarto_bin,
        "quarto",
        'if [ "$1" = "--version" ]; then echo 1.6.40; exit 0; fi\n'
        'echo "Starting render" >&2\necho "ERROR: YAMLException: bad indentation" >&2\nexit 1',
    )
    with pytest.raises(
        QuartoError, match=r"quarto could not render brief\.qmd to docx \(exit code 1\): .*bad indentation"
    ):
        render(small_source, formats=["docx"], engine="quarto", out_dir=tmp_path / "out")
    assert not (tmp_path / "out" / "brief.docx").exists()


def test_fake_quarto_timeout_is_stopped(quarto_bin: Path, small_source: Path, tmp_path: Path) -> None:
    _fake_tool(quarto_bin, "quarto", 'if [ "$1" = "--version" ]; then echo 1.5.57; exit 0; fi\nsleep 30')
    started = time.monotonic()
    with pytest.raises(QuartoError, match=r"brief\.qmd to pdf: quarto ran longer than 1 s and was stopped"):
        render(small_source, formats=["pdf"], engine="quarto", out_dir=tmp_path / "out", timeout=1)
    assert time.monotonic() - started < 10


def test_fake_quarto_without_output(quarto_bin: Path, small_source: Path, tmp_path: Path) -> None:
    _fake_tool(quarto_bin, "quarto", 'if [ "$1" = "--version" ]; then echo 1.5.57; fi\nexit 0')
    with pytest.raises(QuartoError, match=r"quarto finished but wrote no brief\.quarto\.html"):
        render(small_source, formats=["html"], engine="quarto", out_dir=tmp_path / "out")


def test_quarto_engine_without_quarto(small_source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    assert choose_engine("auto") == "builtin"
    with pytest.raises(QuartoError, match=r"engine='quarto' was asked for but no quarto executable is on PATH"):
        render(small_source, formats=["html"], engine="quarto", out_dir=tmp_path / "out")


# --- the real quarto, when there is one -------------------------------------------------


@pytest.mark.slow
@pytest.mark.skipif(
    shutil.which("quarto") is None,
    reason="no quarto executable on PATH; the Quarto engine is tested against fake quarto scripts above",
)
def test_real_quarto_renders_the_same_document(tmp_path: Path) -> None:
    from pypdf import PdfReader

    source = _write_document(tmp_path)
    written = render(source, formats=["html", "pdf", "docx"], engine="quarto", out_dir=tmp_path / "out", timeout=600)
    parser = _Page()
    parser.feed(written["html"].read_text(encoding="utf-8"))
    html_text = "".join(parser.text).replace(NBSP, " ")
    assert PROGRAM in html_text
    assert "Figure 1" in html_text
    assert "Headline 主要结论" in html_text
    pdf_text = "".join(p.extract_text() for p in PdfReader(written["pdf"]).pages).replace(NBSP, " ")
    assert PROGRAM in pdf_text
    assert "Table 1" in pdf_text
    with zipfile.ZipFile(io.BytesIO(written["docx"].read_bytes())) as docx:
        assert PROGRAM in docx.read("word/document.xml").decode("utf-8")
