"""The study pipeline behind ``progeval run``: validated data in, a results bundle and rendered reports out.

:func:`run_study` loads and validates the study (:func:`data_schema.load_study`), runs every analysis
(:func:`reports.study_results.run_analyses`), writes the results bundle (tables as CSV and Parquet,
figures as SVG and PNG, ``manifest.json``), fills the annual report and the evidence brief from it and
renders them (Quarto when found, else pandoc + typst).  Everything is built in a hidden folder and moved
into place only when complete; the same study and seed give the same bytes.

Examples
--------
>>> from reports.pipeline import STAGES
>>> STAGES[0], STAGES[-1]
('validating the data', 'rendering the documents')
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from data_schema.config import StudyConfig, load_config
from data_schema.errors import ConfigError
from data_schema.study import load_study
from reports.bundle import MANIFEST, build_manifest, package_versions, staged_bundle, write_table
from reports.bundle.manifest import canonical_json, with_documents
from reports.render import render
from reports.study_results import StudyResults, run_analyses

__all__ = ["run_study", "StudyRun", "STAGES", "DOCUMENT_FILES"]

STAGES = ("validating the data", "running the analyses", "writing the tables", "drawing the figures",
          "writing the documents", "rendering the documents")
"""The pipeline's stages, in order; ``progress`` is called with each (and with each analysis's name)."""

DOCUMENT_FILES = {"annual_report": "annual", "evidence_brief": "brief"}
"""Document kind (as in the study config's ``reports.documents``) -> file stem in ``documents/``."""


@dataclass(frozen=True)
class StudyRun:
    """What :func:`run_study` wrote.

    Attributes
    ----------
    bundle
        The results folder.
    documents
        Document kind -> format -> rendered file.
    results
        The analyses' results (tables, analyses that could not run, the headline).
    manifest
        The manifest as written to ``bundle/manifest.json``.
    """

    bundle: Path
    documents: dict[str, dict[str, Path]]
    results: StudyResults = field(repr=False)
    manifest: dict = field(repr=False)


def _formats(config: StudyConfig, formats: Sequence[str] | None) -> tuple[str, ...]:
    return tuple(dict.fromkeys(formats if formats is not None else config.reports.formats))


def _tables(results: StudyResults, folder: Path) -> dict[str, Path]:
    outputs: dict[str, Path] = {}
    for name, frame in sorted(results.tables.items()):
        for path in write_table(frame, folder, name):
            outputs[path.name] = path
    return outputs


def _figures(results: StudyResults, folder: Path) -> dict:
    from reports.documents import make_figures
    from reports.figures import figure_theme, save_figure
    from reports.render.fonts import cjk_font

    theme = figure_theme(font=cjk_font().path)
    return {figure.name: save_figure(figure, folder) for figure in make_figures(results, theme=theme)}


def run_study(config: str | Path | StudyConfig, out: str | Path | None = None, *, formats: Sequence[str] | None = None,
              engine: str = "auto", documents: Sequence[str] | None = None, force: bool = False,
              progress: Callable[[str], None] | None = None, timeout: float = 300.0) -> StudyRun:
    """Validate a study, run its analyses, write the results bundle and render its reports.

    Parameters
    ----------
    config
        Path of ``study.yaml`` (or its folder), or a loaded :class:`~data_schema.config.StudyConfig`.
    out
        The results folder to (re)build; default: the config's ``reports.output``, relative to the study
        folder.  A folder holding another study's results (or anything that is not a results bundle) is
        refused unless ``force``.
    formats
        Any of ``"html"``, ``"pdf"``, ``"docx"``; default: the config's ``reports.formats``.
    engine
        ``"auto"`` (Quarto when a ``quarto`` executable is on PATH, else the built-in pandoc + typst
        renderer), ``"quarto"`` or ``"builtin"``.
    documents
        Any of ``"annual_report"``, ``"evidence_brief"``; default: the config's ``reports.documents``.
    force
        Replace ``out`` whatever it holds.
    progress
        Called with a short description as each stage starts.
    timeout
        Seconds each render may take.

    Returns
    -------
    StudyRun
        The bundle folder, the rendered documents, the results and the manifest.

    Raises
    ------
    ConfigError, InputFileError, PseudonymKeyError, CodebookError
        The study cannot be read (as :func:`data_schema.load_study`), or its backend is not ``pandas``;
        nothing is written.
    BundleExistsError
        ``out`` holds something else and ``force`` is false.
    RenderError
        A document could not be rendered; ``out`` is left as it was.

    Notes
    -----
    The bundle's ``manifest.json`` records the SHA-256 of every input file and of every output, the
    resolved config, the seed (the config's ``seed``), and the versions of progeval, Python and the
    packages that can change a number, a figure or a document.  It holds no date and no absolute path.
    The documents print its ``results_digest`` (the digest of everything but themselves).
    """
    from reports.documents import write_documents

    step = progress or (lambda _: None)
    cfg = config if isinstance(config, StudyConfig) else load_config(config)
    if cfg.backend.engine != "pandas":
        raise ConfigError(f"{cfg.root / 'study.yaml'}: progeval run reads the study into memory, and this config's "
                          f"backend is {cfg.backend.engine}; the reports pipeline does not run on engine tables yet. "
                          "Run the engine analyses from Python (see the README's 'Large data'), or set "
                          "backend: {engine: pandas} for a study that fits in memory")
    out = Path(out) if out is not None else cfg.root / cfg.reports.output
    kinds = tuple(dict.fromkeys(documents if documents is not None else cfg.reports.documents))
    chosen = _formats(cfg, formats)
    step(STAGES[0])
    study = load_study(cfg)
    step(STAGES[1])
    results = run_analyses(study, seed=cfg.seed, progress=step, headline=cfg.analyses.headline)
    with staged_bundle(out, title=cfg.title, force=force) as folder:
        step(STAGES[2])
        outputs = _tables(results, folder / "tables")
        step(STAGES[3])
        saved = _figures(results, folder / "figures")
        outputs.update({path.name: path for figure in saved.values() for path in figure.paths.values()})
        not_run = [{"analysis": n.analysis, "reason": n.reason} for n in results.not_run]
        figures = {name: {"title": f.title, "alt_text": f.alt_text} for name, f in saved.items()}
        draft = build_manifest(cfg, seed=cfg.seed, outputs=outputs, bundle=folder, not_run=not_run, figures=figures)
        # the documents print the digest of everything but themselves; their own digests are added after
        step(STAGES[4])
        sources = write_documents(results, figures=saved, config=cfg, results_digest=draft["results_digest"],
                                  versions=package_versions(), folder=folder / "documents", documents=kinds)
        step(STAGES[5])
        rendered = {kind: render(source, formats=chosen, engine=engine, out_dir=folder / "documents",
                                 resource_dir=folder, timeout=timeout) for kind, source in sources.items()}
        files = {f"{kind}.{fmt}": path for kind, paths in rendered.items() for fmt, path in paths.items()}
        files.update({f"{kind}.source": path for kind, path in sources.items()})
        manifest = with_documents(draft, files, folder)
        (folder / MANIFEST).write_text(canonical_json(manifest), encoding="utf-8")
    bundle = Path(out).resolve()
    placed = {kind: {fmt: bundle / path.relative_to(folder) for fmt, path in paths.items()}
              for kind, paths in rendered.items()}
    return StudyRun(bundle=bundle, documents=placed, results=results, manifest=manifest)

