"""Fill the document templates and write the markdown sources the renderer takes: :func:`write_documents`.

Examples
--------
>>> DOCUMENTS
('annual_report', 'evidence_brief')
>>> DOCUMENT_FILES["evidence_brief"]
'brief.qmd'
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Literal

import jinja2

from data_schema.arguments import check_choice
from data_schema.atomic import atomic_write_text
from data_schema.config import StudyConfig
from data_schema.errors import ArgumentError
from reports.documents.annual import annual_context
from reports.documents.blocks import image_path
from reports.documents.brief import brief_context
from reports.documents.context import Sources
from reports.figures import SavedFigure
from reports.study_results import StudyResults

__all__ = ["DOCUMENTS", "DOCUMENT_FILES", "Document", "template_environment", "write_documents"]

Document = Literal["annual_report", "evidence_brief"]
DOCUMENTS: tuple[Document, ...] = ("annual_report", "evidence_brief")
"""The documents :func:`write_documents` can write."""
DOCUMENT_FILES = {"annual_report": "annual.qmd", "evidence_brief": "brief.qmd"}
"""Document -> file name of its source (and template)."""

_DIGEST = re.compile(r"^[0-9a-f]{64}$")
_BLANK_RUNS = re.compile(r"\n{3,}")


@lru_cache(maxsize=1)
def template_environment() -> jinja2.Environment:
    """The Jinja2 environment of ``reports/templates``.

    Undefined variables are errors; nothing is escaped (the templates write markdown and the context is
    escaped where it holds text from the data).  Comments are ``{## ... ##}`` because ``{#`` starts the
    ``{#fig-...}`` and ``{#tbl-...}`` labels of the markdown.
    """
    folder = Path(str(resources.files("reports").joinpath("templates")))
    return jinja2.Environment(loader=jinja2.FileSystemLoader(folder), undefined=jinja2.StrictUndefined,
                              autoescape=False, keep_trailing_newline=True, comment_start_string="{##",
                              comment_end_string="##}")


def _tidy(text: str) -> str:
    """Trailing spaces removed, runs of blank lines collapsed, one final newline."""
    lines = [line.rstrip() for line in text.splitlines()]
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip("\n") + "\n"


def write_documents(results: StudyResults, *, figures: Mapping[str, SavedFigure], config: StudyConfig,
                    results_digest: str, versions: Mapping[str, str], folder: Path,
                    documents: Sequence[Document] = DOCUMENTS, resource_dir: Path | None = None) -> dict[str, Path]:
    """Fill the annual report and the evidence brief from the results and write their markdown sources.

    Parameters
    ----------
    results
        What :func:`reports.study_results.run_analyses` returned.
    figures
        Figure name -> saved figure (what :func:`reports.figures.save_figure` returned for each figure of
        :func:`reports.documents.make_figures`).  A figure that is missing is replaced by a sentence saying
        why.
    config
        The study config (title, programs, adoption years, privacy settings).
    results_digest
        The manifest's ``results_digest`` (64 lower-case hex digits), printed in both documents.
    versions
        Package -> version, printed in the annual report's reproducibility appendix.
    folder
        Where to write ``annual.qmd`` and ``brief.qmd`` (created when missing).
    documents
        Any of ``"annual_report"`` and ``"evidence_brief"``.
    resource_dir
        The folder the renderer resolves image paths from; every figure must lie under it.  Default: the
        parent of ``folder`` (the bundle, when ``folder`` is ``BUNDLE/documents``).  Pass the same folder to
        :func:`reports.render.render` as ``resource_dir``.

    Returns
    -------
    dict of str to Path
        Document -> written source, in the order of ``documents``.

    Raises
    ------
    ArgumentError
        An unknown or repeated document, a digest that is not SHA-256 hex, or a figure without its SVG or PNG
        file or outside ``resource_dir``.

    Notes
    -----
    The sources hold no date, no absolute path and nothing that changes between runs: the same results,
    figures, config, digest and versions give byte-identical files.  Each file is written under a temporary
    name and renamed when complete.
    """
    chosen = [check_choice("documents", d, DOCUMENTS) for d in documents]
    if not chosen or len(set(chosen)) != len(chosen):
        raise ArgumentError(f"documents={list(documents)!r} must name each of {', '.join(map(repr, DOCUMENTS))} at "
                            "most once, and at least one")
    if not isinstance(results_digest, str) or not _DIGEST.match(results_digest):
        raise ArgumentError(f"results_digest={results_digest!r} is not a SHA-256 digest; expected 64 lower-case hex "
                            "digits, the manifest's results_digest")
    out = Path(folder)
    root = Path(resource_dir) if resource_dir is not None else out.parent
    for saved in figures.values():
        image_path(saved, root)
    src = Sources.build(results, config, figures, root)
    env = template_environment()
    written: dict[str, Path] = {}
    for document in chosen:
        if document == "annual_report":
            context = annual_context(src, results_digest=results_digest, versions=versions)
        else:
            context = brief_context(src, results_digest=results_digest)
        text = _tidy(env.get_template(DOCUMENT_FILES[document]).render(**context))
        target = out / DOCUMENT_FILES[document]
        atomic_write_text(target, text)
        written[document] = target
    return written
