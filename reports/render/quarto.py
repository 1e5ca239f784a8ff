"""The Quarto engine: ``quarto render`` in a subprocess, when a ``quarto`` executable is on PATH.

The document and its resource folder are copied into a private working folder, so
quarto's by-products (``.quarto/``, intermediate ``.typ`` files) never land in the
results bundle. Per format:

* ``html``: ``quarto render DOC --to html -M embed-resources:true`` (one self-contained
  file, as the builtin engine writes);
* ``pdf``: ``--to typst`` (Quarto's bundled typst, no LaTeX installation needed); the
  CJK font's folder is given to typst as ``-M font-paths:DIR`` and through the
  environment variable ``TYPST_FONT_PATHS``, and typst falls back to it for Chinese;
* ``docx``: ``--to docx``.

Each run gets ``-M default-image-extension:svg`` (HTML, PDF) or ``png`` (DOCX), the same
choice as the builtin engine. quarto's version is checked first
(:data:`MIN_QUARTO_VERSION`); a failure, a time-out or a missing output raises
:class:`~reports.render.errors.QuartoError` naming the document, the format, the exit
code and the end of quarto's messages.

Examples
--------
>>> parse_version("1.5.57\\n")
(1, 5, 57)
>>> parse_version("quarto 99")
Traceback (most recent call last):
...
ValueError: no version number in 'quarto 99'
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from reports.render.builtin import IMAGE_EXTENSION, SOURCE_DATE_EPOCH
from reports.render.errors import QuartoError
from reports.render.fonts import CJKFont
from reports.render.source import SourceDocument
from reports.render.tools import CommandTimeout, run_command, tail

__all__ = ["MIN_QUARTO_VERSION", "QUARTO_TARGET", "check_quarto", "find_quarto", "parse_version", "render_quarto"]

MIN_QUARTO_VERSION = (1, 4, 0)
"""The oldest quarto the engine accepts (1.4 brought the typst format it uses for PDF)."""

QUARTO_TARGET = {"html": "html", "pdf": "typst", "docx": "docx"}
"""The ``--to`` value passed to ``quarto render`` for each output format."""

_VERSION_TIMEOUT = 60.0


def find_quarto() -> Path | None:
    """Return the ``quarto`` executable found on PATH, or ``None``."""
    found = shutil.which("quarto")
    return Path(found) if found else None


def parse_version(text: str) -> tuple[int, int, int]:
    """Return the first ``major.minor[.patch]`` version number in ``text``.

    Raises
    ------
    ValueError
        When ``text`` holds no version number.
    """
    match = re.search(r"(\d+)\.(\d+)(?:\.(\d+))?", text)
    if match is None:
        raise ValueError(f"no version number in {text!r}")
    major, minor, patch = match.groups()
    return int(major), int(minor), int(patch or 0)


def check_quarto(executable: Path, *, document: str, fmt: str, timeout: float) -> tuple[int, int, int]:
    """Run ``quarto --version`` and return the version; raise :class:`QuartoError` when too old or broken.

    Parameters
    ----------
    executable
        The quarto executable.
    document, fmt
        Named in the error message.
    timeout
        Seconds ``quarto --version`` may take (at most 60).

    Returns
    -------
    tuple of int
        ``(major, minor, patch)``.
    """
    need = ".".join(map(str, MIN_QUARTO_VERSION))
    try:
        result = run_command([str(executable), "--version"], timeout=min(timeout, _VERSION_TIMEOUT))
    except CommandTimeout as exc:
        raise QuartoError(document, fmt, None, f"`quarto --version` did not answer: {exc}") from None
    text = result.stdout.decode("utf-8", errors="replace").strip()
    try:
        version = parse_version(text)
    except ValueError:
        raise QuartoError(
            document,
            fmt,
            result.returncode,
            f"`{executable} --version` printed {text!r}, not a version number; stderr: {tail(result.stderr)}",
            hint=f"install Quarto {need} or newer, or render with engine='builtin'",
        ) from None
    if result.returncode != 0 or version < MIN_QUARTO_VERSION:
        raise QuartoError(
            document,
            fmt,
            result.returncode if result.returncode != 0 else None,
            f"{executable} is quarto {'.'.join(map(str, version))}, older than the {need} this engine needs",
            hint=f"install Quarto {need} or newer (quarto.org), or render with engine='builtin'",
        )
    return version


def _copy_inputs(doc: SourceDocument, resource_dir: Path, work: Path, out_dir: Path) -> Path:
    """Copy the resource folder (without the output and working folders) and the document into ``work``."""
    skip = {out_dir.resolve(), work.resolve()} - {resource_dir.resolve()}

    def ignore(folder: str, names: list[str]) -> list[str]:
        return [n for n in names if (Path(folder) / n).resolve() in skip or n in {".quarto", "_freeze"}]

    project = work / "project"
    shutil.copytree(resource_dir, project, ignore=ignore, symlinks=False)
    copy = project / doc.path.name
    shutil.copyfile(doc.path, copy)
    return copy


def render_quarto(
    doc: SourceDocument,
    fmt: str,
    *,
    output: Path,
    resource_dir: Path,
    font: CJKFont,
    work: Path,
    timeout: float,
    executable: Path,
    out_dir: Path,
) -> None:
    """Render ``doc`` to ``fmt`` with ``quarto render``, writing ``output``.

    Parameters
    ----------
    doc
        The checked source.
    fmt
        ``"html"``, ``"pdf"`` or ``"docx"``.
    output
        The file to write (a temporary name that the caller moves into place).
    resource_dir
        The folder the document's relative paths start from; copied for quarto.
    font
        The CJK font (its folder goes to typst for PDF).
    work
        A private scratch folder.
    timeout
        Seconds ``quarto render`` may take.
    executable
        The quarto executable.
    out_dir
        The output folder (left out of the copy when it lies inside ``resource_dir``).

    Raises
    ------
    QuartoError
        When quarto is too old, fails, runs out of time or writes no output.
    """
    name = doc.path.name
    check_quarto(executable, document=name, fmt=fmt, timeout=timeout)
    project = work / "project"
    source = project / name if project.is_dir() else _copy_inputs(doc, resource_dir, work, out_dir)
    produced = project / f"{doc.path.stem}.quarto.{fmt}"
    produced.unlink(missing_ok=True)
    args = [
        str(executable),
        "render",
        source.name,
        "--to",
        QUARTO_TARGET[fmt],
        "--output",
        produced.name,
        "-M",
        f"default-image-extension:{IMAGE_EXTENSION[fmt]}",
    ]
    if doc.lang is None:
        args += ["-M", "lang:en"]
    if fmt == "html":
        args += ["-M", "embed-resources:true"]
    if fmt == "pdf":
        args += ["-M", f"font-paths:{font.directory}"]
    env = {"TYPST_FONT_PATHS": str(font.directory), "SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH}
    try:
        result = run_command(args, timeout=timeout, cwd=project, env=env)
    except CommandTimeout as exc:
        raise QuartoError(
            name, fmt, None, str(exc), hint="give render() a longer timeout, or render with engine='builtin'"
        ) from None
    if result.returncode != 0:
        raise QuartoError(name, fmt, result.returncode, tail(result.stderr))
    if not produced.is_file():
        raise QuartoError(
            name,
            fmt,
            result.returncode,
            f"quarto finished but wrote no {produced.name}; its messages: {tail(result.stderr)}",
        )
    shutil.move(produced, output)
