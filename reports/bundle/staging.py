"""Build a bundle in a hidden folder and move it into place only when complete; never clobber another study.

Examples
--------
>>> import tempfile, pathlib
>>> out = pathlib.Path(tempfile.mkdtemp()) / "results"
>>> with staged_bundle(out, title="Demo study") as folder:
...     _ = (folder / "manifest.json").write_text('{"study": {"title": "Demo study"}}')
>>> sorted(p.name for p in out.iterdir())
['manifest.json']
"""

from __future__ import annotations

import json
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from data_schema.atomic import swap_in_folder
from data_schema.errors import ProgevalError
from reports.bundle.manifest import MANIFEST

__all__ = ["staged_bundle", "BundleExistsError", "bundle_title"]


class BundleExistsError(ProgevalError):
    """The output folder holds something other than an earlier run of the same study (exit code 2)."""


def bundle_title(folder: Path) -> str | None:
    """The study title recorded in a bundle's manifest, or ``None`` when the folder holds no readable one."""
    try:
        return str(json.loads((folder / MANIFEST).read_text(encoding="utf-8"))["study"]["title"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _check_target(out: Path, title: str, force: bool) -> None:
    if force or not out.exists():
        return
    if not out.is_dir():
        raise BundleExistsError(f"{out} is a file, not a results folder; choose another --out")
    if not any(out.iterdir()):
        return
    found = bundle_title(out)
    if found is None:
        raise BundleExistsError(f"{out} is not empty and holds no progeval results (no readable {MANIFEST}); "
                                "choose another --out, or pass --force to replace what it holds")
    if found != title:
        raise BundleExistsError(f"{out} holds the results of another study ({found!r}, not {title!r}); "
                                "choose another --out, or pass --force to replace them")


@contextmanager
def staged_bundle(out: str | Path, *, title: str, force: bool = False) -> Iterator[Path]:
    """Yield an empty hidden folder beside ``out``; when the block succeeds it replaces ``out`` whole.

    Parameters
    ----------
    out
        The bundle folder to (re)build.
    title
        The study's title; an ``out`` holding another study's bundle is refused unless ``force``.
    force
        Replace whatever ``out`` holds.

    Raises
    ------
    BundleExistsError
        ``out`` holds another study's results, or files that are not a bundle, and ``force`` is false.

    Notes
    -----
    On failure the hidden folder is removed and ``out`` is untouched.  The swap is two renames within one
    folder (the old bundle aside, the new one in), so a reader sees the old bundle or the new one.
    """
    out = Path(out).resolve()
    _check_target(out, title, force)
    out.parent.mkdir(parents=True, exist_ok=True)
    token = secrets.token_hex(4)
    building = out.with_name(f".{out.name}.{token}.part")
    building.mkdir()
    try:
        yield building
        swap_in_folder(building, out)
    finally:
        shutil.rmtree(building, ignore_errors=True)
