"""``render``: one document source to HTML, PDF and DOCX, with Quarto or the builtin engine.

Examples
--------
>>> import pathlib, tempfile
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> source = folder / "note.qmd"
>>> _ = source.write_text('---\\ntitle: "Note 说明"\\n---\\n\\nSee @tbl-n.\\n\\n| a | b |\\n|---|---|\\n| 1 | 2 |\\n\\n'
...                       ': Counts {#tbl-n}\\n', encoding="utf-8")
>>> written = render(source, formats=["html"], engine="builtin", out_dir=folder / "out")
>>> written["html"].name
'note.html'
>>> "Table\\u00a01" in written["html"].read_text(encoding="utf-8")
True
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Literal, get_args

from data_schema.arguments import check_choice
from data_schema.errors import ArgumentError
from reports.render.builtin import render_builtin
from reports.render.errors import QuartoError
from reports.render.fonts import cjk_font
from reports.render.quarto import find_quarto, render_quarto
from reports.render.source import read_source

__all__ = ["Format", "Engine", "FORMATS", "ENGINES", "choose_engine", "render"]

Format = Literal["html", "pdf", "docx"]
Engine = Literal["auto", "quarto", "builtin"]
FORMATS: tuple[str, ...] = get_args(Format)
ENGINES: tuple[str, ...] = get_args(Engine)


def choose_engine(engine: Engine = "auto") -> Literal["quarto", "builtin"]:
    """Return the engine that ``render`` would use: ``auto`` is quarto when on PATH, else builtin.

    Parameters
    ----------
    engine
        ``"auto"``, ``"quarto"`` or ``"builtin"``.

    Returns
    -------
    str
        ``"quarto"`` or ``"builtin"``.

    Examples
    --------
    >>> choose_engine("builtin")
    'builtin'
    """
    check_choice("engine", engine, ENGINES)
    if engine == "auto":
        return "quarto" if find_quarto() is not None else "builtin"
    return engine  # type: ignore[return-value]


def _check_formats(formats: Sequence[str]) -> list[str]:
    if isinstance(formats, str):
        formats = [part.strip() for part in formats.split(",")]
    chosen = [check_choice("formats", fmt, FORMATS) for fmt in formats]
    if not chosen:
        raise ArgumentError(f"formats={list(formats)!r} is empty; ask for one or more of {', '.join(FORMATS)}")
    return list(dict.fromkeys(chosen))


def render(
    source: Path,
    *,
    formats: Sequence[Format] = FORMATS,  # type: ignore[assignment]
    engine: Engine = "auto",
    out_dir: Path,
    resource_dir: Path | None = None,
    timeout: float = 300.0,
) -> dict[str, Path]:
    """Render the document ``source`` to each of ``formats`` and return the files written.

    Parameters
    ----------
    source
        A ``.qmd`` (or ``.md``) file in pandoc markdown with a YAML title block, written
        to the syntax rules in the docstring of :mod:`reports.render`.
    formats
        Any of ``"html"``, ``"pdf"``, ``"docx"`` (a comma-separated string such as
        ``"html,pdf"`` is accepted too); repeats are ignored.
    engine
        ``"quarto"``: ``quarto render`` (1.4 or newer on PATH, else an error);
        ``"builtin"``: pandoc and typst from PyPI wheels; ``"auto"``: quarto when one is on
        PATH, else builtin.
    out_dir
        Folder for the outputs, created when missing. Each output is named after the
        source (``annual.qmd`` -> ``annual.html``, ``annual.pdf``, ``annual.docx``); an
        existing file of that name is replaced.
    resource_dir
        Folder the document's relative image paths start from (default: the source's
        folder).
    timeout
        Seconds each converter run (pandoc, quarto) may take before it is stopped.

    Returns
    -------
    dict of str to Path
        Format -> written file, in the order of ``formats``.

    Raises
    ------
    ArgumentError
        For a format or engine outside the choices, or an empty ``formats``.
    RenderError
        When the source breaks a syntax rule, an image is missing, no CJK font is
        installed, or pandoc or typst fail; :class:`QuartoError` (a ``RenderError``) when
        quarto is missing for ``engine="quarto"``, too old, fails or runs out of time.

    Notes
    -----
    All outputs are first written into a temporary folder inside ``out_dir`` and moved
    into place (an atomic rename each) only after every format has rendered, so a failure
    leaves the previous outputs untouched and no half-written file. The builtin engine's
    outputs are byte-identical on a rerun of the same source and images.
    """
    chosen_formats = _check_formats(formats)
    check_choice("engine", engine, ENGINES)
    if not isinstance(timeout, int | float) or timeout <= 0:
        raise ArgumentError(f"timeout={timeout!r} is not a positive number of seconds; pass e.g. timeout=300")
    doc = read_source(Path(source))
    resources = Path(resource_dir).absolute() if resource_dir is not None else doc.path.parent
    if not resources.is_dir():
        raise ArgumentError(f"resource_dir={str(resources)!r} is not a folder; pass the folder holding the figures")
    used = choose_engine(engine)
    quarto = find_quarto() if used == "quarto" else None
    if used == "quarto" and quarto is None:
        raise QuartoError(
            doc.path.name,
            ",".join(chosen_formats),
            None,
            "engine='quarto' was asked for but no quarto executable is on PATH",
            hint="install Quarto 1.4 or newer (quarto.org) and put it on PATH, or use engine='builtin' or 'auto'",
        )
    font = cjk_font()
    out = Path(out_dir).absolute()
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    with tempfile.TemporaryDirectory(prefix=".render-", dir=out) as tmp:
        work = Path(tmp)
        staged: dict[str, Path] = {}
        for fmt in chosen_formats:
            partial = work / f"{doc.path.stem}.{fmt}"
            if quarto is not None:
                render_quarto(
                    doc,
                    fmt,
                    output=partial,
                    resource_dir=resources,
                    font=font,
                    work=work,
                    timeout=timeout,
                    executable=quarto,
                    out_dir=out,
                )
            else:
                render_builtin(doc, fmt, output=partial, resource_dir=resources, font=font, work=work, timeout=timeout)
            staged[fmt] = partial
        for fmt, partial in staged.items():
            target = out / partial.name
            os.replace(partial, target)
            written[fmt] = target
    return written
