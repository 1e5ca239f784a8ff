"""The annual QA report and the evidence brief, read back as a reader sees them.

One small synthetic study (six institutions, messy exports, a Chinese title and two institutions with
Chinese names, a minimum cell size of 12 so that some cells are hidden) is analysed once per module; its
figures are drawn, both documents written and rendered with the builtin engine to HTML, PDF and DOCX.
The tests assert on the rendered text: pypdf's extraction of the PDF, the parsed HTML and the XML of the
DOCX, never only on the markdown sources.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import re
import zipfile
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pypdfium2
import pytest
import yaml
from pypdf import PdfReader

from data_schema import generate_study, load_study
from data_schema.errors import ArgumentError
from reports.documents import DOCUMENTS, FIGURES, make_figures, write_documents
from reports.documents.annual import SECTIONS
from reports.documents.formatting import fmt_count, fmt_interval, fmt_p, fmt_percent
from reports.documents.markdown import Column, markdown_table
from reports.figures import SavedFigure, figure_theme, save_figure
from reports.render import cjk_font, render
from reports.study_results import NotRun, StudyResults, run_analyses

TITLE = "跨境电商与国际中文教育 Annual evaluation 年度评估"
INSTITUTIONS = {"I01": "浙江师范大学", "I02": "云南大学"}
MIN_CELL = 12
VERSIONS = {"progeval": "0.1.0", "python": "3.11.7", "numpy": "2.4.0", "pandas": "3.1.0"}
DIGEST = hashlib.sha256(b"progeval test bundle").hexdigest()
MINUS = "\u2212"
DASH = "\u2014"


@dataclass(frozen=True)
class Built:
    """The study's results and every file written for it."""

    root: Path
    bundle: Path
    results: StudyResults
    config: object
    figures: dict[str, SavedFigure]
    sources: dict[str, Path]
    rendered: dict[str, dict[str, Path]]


def _chinese_study(root: Path) -> Path:
    """A small messy synthetic study with a Chinese title, two Chinese institution names and min cell 12."""
    syn = generate_study(root / "study", messy=True, n_institutions=6, students_per_class=12, classes_per_cohort=1,
                         n_cohorts=6, first_cohort=2018)
    students = next((root / "study" / "data").glob("students.*"))
    raw = students.read_bytes()
    encoding = "utf-8" if raw.startswith(b"\xef\xbb\xbf") else ("utf-8" if _is_utf8(raw) else "gb18030")
    text = raw.decode(encoding)
    for old, new in INSTITUTIONS.items():  # whole fields only; messy exports pad some with spaces
        text = re.sub(rf"(?<=,)(\s*){old}(\s*)(?=,)", rf"\g<1>{new}\g<2>", text, flags=re.IGNORECASE)
    students.write_bytes(text.encode(encoding))
    config = yaml.safe_load(syn.config_path.read_text(encoding="utf-8"))
    config["title"] = TITLE
    config["privacy"]["min_cell_size"] = MIN_CELL
    years = config["treatment"]["adoption_year"]
    config["treatment"]["adoption_year"] = {INSTITUTIONS.get(k, k): v for k, v in years.items()}
    syn.config_path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return syn.config_path


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    root = tmp_path_factory.mktemp("documents")
    study = load_study(_chinese_study(root))
    results = run_analyses(study, seed=study.config.seed)
    bundle = root / "bundle"
    theme = figure_theme(font=cjk_font())
    figures = {f.name: save_figure(f, bundle / "figures") for f in make_figures(results, theme=theme)}
    sources = write_documents(results, figures=figures, config=study.config, results_digest=DIGEST,
                              versions=VERSIONS, folder=bundle / "documents")
    rendered = {kind: render(path, formats=["html", "pdf", "docx"], engine="builtin", out_dir=bundle / "documents",
                             resource_dir=bundle) for kind, path in sources.items()}
    return Built(root, bundle, results, study.config, figures, sources, rendered)


# --- reading the rendered documents -------------------------------------------------------------------


class _Html(HTMLParser):
    """Headings, table rows, figure images, callouts and the visible text of an HTML document."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.headings: list[tuple[str, str]] = []
        self.tables: list[dict] = []
        self.images: list[dict[str, str]] = []
        self.figures: list[str] = []
        self.callouts: list[str] = []
        self._skip = 0
        self._heading: str | None = None
        self._cell: list[str] | None = None
        self._caption: list[str] | None = None
        self._callout_depth = 0
        self._div_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag in ("style", "script"):
            self._skip += 1
        elif tag in ("h1", "h2", "h3") and "title" not in a.get("class", "").split():
            self._heading, self._buffer = tag, []
        elif tag == "table":
            self.tables.append({"caption": "", "rows": []})
        elif tag == "caption":
            self._caption = []
        elif tag == "tr":
            self.tables[-1]["rows"].append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "img":
            self.images.append(a)
        elif tag == "figure":
            self.figures.append(a.get("id", ""))
        elif tag == "div":
            self._div_depth += 1
            if "callout" in a.get("class", "").split():
                self._callout_depth = self._div_depth
                self.callouts.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script"):
            self._skip -= 1
        elif tag in ("h1", "h2", "h3") and self._heading:
            self.headings.append((tag, " ".join("".join(self._buffer).split())))
            self._heading = None
        elif tag == "caption" and self._caption is not None:
            self.tables[-1]["caption"] = " ".join("".join(self._caption).split())
            self._caption = None
        elif tag in ("td", "th") and self._cell is not None:
            self.tables[-1]["rows"][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "div":
            if self._div_depth == self._callout_depth:
                self._callout_depth = 0
            self._div_depth -= 1

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        self.text.append(data)
        for buffer in (getattr(self, "_buffer", None) if self._heading else None, self._cell, self._caption):
            if buffer is not None:
                buffer.append(data)
        if self._callout_depth:
            self.callouts[-1] += data

    def table(self, caption_part: str) -> list[list[str]]:
        found = [t for t in self.tables if caption_part in t["caption"]]
        assert found, f"no table whose caption holds {caption_part!r}"
        return found[0]["rows"]


def html(path: Path) -> _Html:
    parser = _Html()
    parser.feed(path.read_text(encoding="utf-8"))
    parser.close()
    return parser


def flat(text: str) -> str:
    """Whitespace collapsed, typographic quotes made plain."""
    return " ".join(text.replace("\u2019", "'").replace("\u2018", "'").split())


def pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)


def squeeze(text: str) -> str:
    """Text without line-end hyphenation, whitespace or typographic quotes (for phrases across lines)."""
    text = re.sub(r"-\n", "", text.replace("\u00ad", ""))
    return re.sub(r"\s+", "", text.replace("\u2019", "'"))


def docx_text(path: Path) -> str:
    xml = zipfile.ZipFile(path).read("word/document.xml").decode("utf-8")
    xml = xml.replace("</w:p>", "\n")
    return re.sub(r"<[^>]+>", "", xml).replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")


@pytest.fixture(scope="module")
def texts(built: Built) -> dict[str, str]:
    """The text of every rendered file (``annual_report.pdf`` ...), extracted once."""
    return all_texts(built)


def all_texts(built: Built) -> dict[str, str]:
    out = {}
    for kind, files in built.rendered.items():
        out[f"{kind}.pdf"] = pdf_text(files["pdf"])
        out[f"{kind}.html"] = "".join(html(files["html"]).text)
        out[f"{kind}.docx"] = docx_text(files["docx"])
    return out


# --- the evidence brief -------------------------------------------------------------------------------


def test_brief_is_at_most_two_pages_with_the_headline_and_its_interval(built: Built, texts: dict[str, str]) -> None:
    h = built.results.headline
    assert h is not None
    pdf = built.rendered["evidence_brief"]["pdf"]
    assert len(PdfReader(pdf).pages) <= 2
    text = squeeze(texts["evidence_brief.pdf"])
    low, high = (f"{v:.1f}".replace("-", MINUS) for v in (h.ci_low, h.ci_high))
    assert squeeze(f"{abs(h.estimate):.1f} percentage points") in text
    assert squeeze(f"95% interval {low} to {high} points") in text
    if h.outcome == "employment_rate":
        more = "more" if h.estimate >= 0 else "less"
        assert squeeze(f"Graduates of the integrated program were {abs(h.estimate):.1f} percentage points {more} "
                       "likely to be employed a year after graduation") in text


def test_brief_gives_the_rating_in_plain_words_and_what_it_does_and_does_not_show(built: Built) -> None:
    page = html(built.rendered["evidence_brief"]["html"])
    text = flat("".join(page.text))
    level = {"meets WWC standards without reservations": "high", "meets WWC standards with reservations": "moderate",
             "does not meet WWC standards": "low"}[built.results.headline.evidence_rating]
    assert f"Trust in this result: {level}." in text
    assert [h for _, h in page.headings] == ["The main finding", "How far to trust it", "What this shows",
                                             "What this does not show", "Who the data cover"]
    assert "It is not a randomised experiment" in text
    assert f"{fmt_count(float(built.results.notes['n_students']))} students at 6 institutions" in text
    assert "Employment is measured a year after graduation" in text
    assert len(page.figures) == 1 and page.images[0]["alt"] == " ".join(
        built.figures["brief_effects"].alt_text.split()).replace('"', "'")
    for jargon in ("p-value", "wild cluster", "bootstrap", "Hedges", "TWFE", "standard error"):
        assert jargon not in text


def test_brief_without_a_headline_says_why(built: Built, tmp_path: Path) -> None:
    reason = "Only 1 institution adopted the integrated program, so there is nothing to compare."
    results = dataclasses.replace(built.results, headline=None, not_run=(NotRun("headline", reason),))
    sources = write_documents(results, figures=built.figures, config=built.config, results_digest=DIGEST,
                              versions=VERSIONS, folder=tmp_path / "documents", documents=["evidence_brief"],
                              resource_dir=built.bundle)
    assert list(sources) == ["evidence_brief"]
    files = render(sources["evidence_brief"], formats=["pdf", "html"], engine="builtin", out_dir=tmp_path / "out",
                   resource_dir=built.bundle)
    assert len(PdfReader(files["pdf"]).pages) <= 2
    text = flat("".join(html(files["html"]).text))
    assert "The main comparison between the integrated and traditional programs could not be made." in text
    assert reason in text
    assert "Trust in this result" not in text and "What this shows" not in text


# --- the annual report --------------------------------------------------------------------------------


def test_annual_report_has_every_section_in_order(built: Built, texts: dict[str, str]) -> None:
    page = html(built.rendered["annual_report"]["html"])
    top = [text for tag, text in page.headings if tag == "h1"]
    assert top == list(SECTIONS)
    text = squeeze(texts["annual_report.pdf"])
    position = 0
    for section in SECTIONS:
        position = text.find(squeeze(section), position)
        assert position >= 0, section


def test_data_quality_appendix_prints_the_counts_and_the_rules(built: Built, texts: dict[str, str]) -> None:
    page = html(built.rendered["annual_report"]["html"])
    rows = page.table("read, valid and quarantined")[1:]
    quality = built.results.tables["data_quality"]
    expected = [[r.table, r.file, f"{r.read:,}", f"{r.valid:,}", f"{r.quarantined:,}", "yes"]
                for r in quality.itertuples()]
    assert [[flat(c) for c in row] for row in rows] == expected
    assert quality["quarantined"].sum() > 0
    rules = built.results.tables["quarantine_rules"]
    rule_rows = page.table("by the rule they broke")[1:]
    assert [[flat(c) for c in row] for row in rule_rows] == [[r.table, r.rule, f"{r.rows:,}"]
                                                              for r in rules.itertuples()]
    pdf = squeeze(texts["annual_report.pdf"])
    assert squeeze(f"In all {quality['read'].sum():,} rows were read") in pdf


def test_documents_print_the_results_digest_seed_and_versions(built: Built, texts: dict[str, str]) -> None:
    for name, text in texts.items():
        assert DIGEST in text, name
    annual = flat(texts["annual_report.html"])
    assert f"use the seed {built.config.seed}" in annual
    assert "made with progeval 0.1.0" in annual
    rows = html(built.rendered["annual_report"]["html"]).table("Versions of Python")
    cells = {c for row in rows for c in row}
    assert {"numpy", "2.4.0", "python", "3.11.7"} <= cells


def test_annual_report_shows_each_figure_with_its_alt_text(built: Built, texts: dict[str, str]) -> None:
    shown = [n for n in FIGURES if n in built.figures and n != "brief_effects"]
    assert {"event_study", "effects_forest", "reliability", "growth", "baseline_equivalence"} <= set(shown)
    page = html(built.rendered["annual_report"]["html"])
    assert page.figures == [f"fig-{n.replace('_', '-')}" for n in
                            ("reliability", "growth", "certification_trends", "employment_trends", "event_study",
                             "effects_forest", "baseline_equivalence") if n in shown]
    alts = [img["alt"] for img in page.images]
    assert alts == [" ".join(built.figures[n.removeprefix("fig-").replace("-", "_")].alt_text.split())
                    .replace('"', "'") for n in page.figures]
    assert all(img["src"].startswith("data:image/svg+xml") for img in page.images)
    media = [n for n in zipfile.ZipFile(built.rendered["annual_report"]["docx"]).namelist()
             if n.startswith("word/media/")]
    assert len(media) == len(shown)
    pdf = squeeze(texts["annual_report.pdf"])
    for number in range(1, len(shown) + 1):
        assert squeeze(f"Figure {number}:") in pdf


def test_analyses_that_could_not_run_are_listed_with_their_reasons(built: Built, texts: dict[str, str]) -> None:
    assert built.results.not_run, "the fixture study should have an analysis that cannot run"
    page = html(built.rendered["annual_report"]["html"])
    callouts = [flat(c) for c in page.callouts]
    for n in built.results.not_run:
        assert any(flat(n.reason) in c for c in callouts), n
    pdf = squeeze(texts["annual_report.pdf"])
    assert squeeze(built.results.not_run[0].reason) in pdf


def test_suppressed_cells_show_a_dash_with_a_note(built: Built) -> None:
    profile = built.results.tables["profile"]
    hidden = profile[profile["suppressed"]]
    assert len(hidden), "the fixture's min cell size should hide a profile cell"
    page = html(built.rendered["annual_report"]["html"])
    rows = page.table("Students by institution")
    institution = hidden["institution_id"].iloc[0]
    row = next(r for r in rows if r[0] == institution)
    assert DASH in row
    text = flat("".join(page.text))
    assert f"{DASH} hidden to protect privacy: fewer than {MIN_CELL} students" in text
    docx = docx_text(built.rendered["annual_report"]["docx"])
    assert DASH in docx and f"fewer than {MIN_CELL} students" in docx


def test_no_placeholder_or_missing_value_text_anywhere(texts: dict[str, str]) -> None:
    assert len(texts) == 6
    for name, text in texts.items():
        for pattern in (r"\bnan\b", r"\bNaN\b", r"\bNone\b", r"\{\{", r"\{%", r"\bTODO\b", r"\bnull\b", r"\binf\b"):
            assert not re.search(pattern, text), (name, pattern)


def test_chinese_title_and_names_render_in_every_format(built: Built, texts: dict[str, str]) -> None:
    squeezed = {name: squeeze(text) for name, text in texts.items()}
    for name, text in squeezed.items():
        assert squeeze(TITLE) in text, name
    for chinese in INSTITUTIONS.values():
        for fmt in ("pdf", "html", "docx"):
            assert chinese in squeezed[f"annual_report.{fmt}"], (chinese, fmt)
    instrument = built.results.tables["reliability"]["instrument_label_zh"].iloc[0]
    assert instrument in squeezed["annual_report.pdf"] and instrument in squeezed["annual_report.html"]


def test_pdf_pages_render_to_images_with_content(built: Built) -> None:
    for kind in DOCUMENTS:
        pdf = pypdfium2.PdfDocument(str(built.rendered[kind]["pdf"]))
        try:
            for index in (0, len(pdf) - 1):
                image = pdf[index].render(scale=0.5).to_pil().convert("L")
                inked = sum(image.histogram()[:200])
                assert inked > 1000, (kind, index)
                buffer = io.BytesIO()
                image.save(buffer, format="PNG")
                assert buffer.getvalue().startswith(b"\x89PNG")
        finally:
            pdf.close()


# --- the sources --------------------------------------------------------------------------------------


def test_sources_are_byte_identical_and_hold_no_absolute_path(built: Built, tmp_path: Path) -> None:
    again = write_documents(built.results, figures=built.figures, config=built.config, results_digest=DIGEST,
                            versions=VERSIONS, folder=tmp_path / "documents", resource_dir=built.bundle)
    for kind, path in built.sources.items():
        text = path.read_text(encoding="utf-8")
        assert again[kind].read_bytes() == path.read_bytes()
        assert str(built.root) not in text and str(tmp_path) not in text
        assert "](figures/" in text or kind == "evidence_brief" and not built.figures
    assert {p.name for p in again.values()} == {"annual.qmd", "brief.qmd"}


def test_a_figure_that_was_not_drawn_is_explained(built: Built, tmp_path: Path) -> None:
    tables = {k: v for k, v in built.results.tables.items() if k != "event_study"}
    results = dataclasses.replace(built.results, tables=tables)
    assert "event_study" not in {f.name for f in make_figures(results, theme=figure_theme())}
    figures = {k: v for k, v in built.figures.items() if k != "event_study"}
    sources = write_documents(results, figures=figures, config=built.config, results_digest=DIGEST,
                              versions=VERSIONS, folder=tmp_path / "documents", documents=["annual_report"],
                              resource_dir=built.bundle)
    text = sources["annual_report"].read_text(encoding="utf-8")
    assert "@fig-event-study" not in text
    files = render(sources["annual_report"], formats=["html"], engine="builtin", out_dir=tmp_path / "out",
                   resource_dir=built.bundle)
    page = flat("".join(html(files["html"]).text))
    assert "The figure could not be drawn" in page


def test_write_documents_refuses_bad_arguments(built: Built, tmp_path: Path) -> None:
    common = {"figures": built.figures, "config": built.config, "versions": VERSIONS, "folder": tmp_path / "d",
              "resource_dir": built.bundle}
    with pytest.raises(ArgumentError, match="is not a SHA-256 digest"):
        write_documents(built.results, results_digest="abc", **common)
    with pytest.raises(ArgumentError, match="documents='annual' is not a valid choice"):
        write_documents(built.results, results_digest=DIGEST, documents=["annual"], **common)
    with pytest.raises(ArgumentError, match="at most once"):
        write_documents(built.results, results_digest=DIGEST, documents=["annual_report", "annual_report"],
                        **common)
    common["resource_dir"] = tmp_path / "elsewhere"
    with pytest.raises(ArgumentError, match="outside the resource folder"):
        write_documents(built.results, results_digest=DIGEST, **common)
    assert not (tmp_path / "d").exists()


# --- formatting and tables (no study needed) ----------------------------------------------------------


@pytest.mark.parametrize(("value", "expected"), [(0.0004, "< 0.001"), (0.0351, "0.035"), (0.9996, "> 0.999"),
                                                  (float("nan"), "n/a"), (None, "n/a")])
def test_p_values(value: float | None, expected: str) -> None:
    assert fmt_p(value) == expected


def test_numbers_use_a_minus_sign_separators_and_brackets() -> None:
    assert fmt_interval(-1.7754, 7.7794) == f"[{MINUS}1.8, 7.8]"
    assert fmt_interval(0.681, 0.892, percent=True) == "[68.1%, 89.2%]"
    assert fmt_interval(float("nan"), float("nan")) == "n/a"
    assert fmt_count(1234567.0) == "1,234,567" and fmt_count(float("nan")) == "n/a"
    assert fmt_percent(-0.00001) == "0.0%"


def test_markdown_table_escapes_text_and_hides_suppressed_rows() -> None:
    import pandas as pd

    frame = pd.DataFrame({"label": ["a|b *c*", "d"], "n": [5.0, float("nan")], "suppressed": [False, True]})
    block = markdown_table(frame, [Column("Label", lambda r: r["label"], text=True),
                                   Column("n", lambda r: fmt_count(r["n"]), align="right")],
                           caption="Counts.", label="tbl-counts", min_cell=MIN_CELL)
    lines = block.splitlines()
    assert lines[2] == r"| a\|b \*c\* | 5 |"
    assert lines[3] == f"| d | {DASH} |"
    assert ": Counts. {#tbl-counts}" in block and f"fewer than {MIN_CELL} students" in block
    assert "nan" not in block
    with pytest.raises(ArgumentError, match="must start with 'tbl-'"):
        markdown_table(frame, [Column("n", lambda r: "1")], caption="x", label="counts")
    with pytest.raises(ArgumentError, match="has no row"):
        markdown_table(frame.iloc[:0], [Column("n", lambda r: "1")], caption="x", label="tbl-x")
