"""The bundle's manifest: what went in (files, config, versions, seed) and what came out, by SHA-256.

The manifest holds no date and no absolute path, so two runs on the same inputs give the same bytes.  Its
``results_digest`` is the SHA-256 of everything but the rendered documents; the documents print it (they
cannot print a digest of themselves), so a reader can match a report to its bundle.

Examples
--------
>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "x.txt"
>>> _ = p.write_bytes(b"abc")
>>> file_sha256(p)[:16]
'ba7816bf8f01cfea'
"""

from __future__ import annotations

import hashlib
import json
import platform
from collections.abc import Iterable, Mapping
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from data_schema.config import StudyConfig

__all__ = ["MANIFEST", "build_manifest", "with_documents", "file_sha256", "input_files", "package_versions",
           "canonical_json", "PACKAGES"]

MANIFEST = "manifest.json"
"""File name of the manifest in a bundle."""

PACKAGES = ("progeval", "numpy", "pandas", "scipy", "statsmodels", "pingouin", "pandera", "pyarrow", "formulaic",
            "ibis-framework", "duckdb", "matplotlib", "seaborn", "Jinja2", "pypandoc-binary", "typst",
            "pylopdf-fonts-zh-cn")
"""The distributions whose versions can change a number, a figure or a document."""


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file's bytes, in hexadecimal."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def canonical_json(value: Any) -> str:
    """JSON with sorted keys, two-space indents and a final newline: the same value, the same text."""
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n"


def package_versions(names: Iterable[str] = PACKAGES) -> dict[str, str]:
    """Installed version of each distribution (``"not installed"`` when missing), and Python's."""
    out = {"python": platform.python_version()}
    for name in names:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.name


def input_files(config: StudyConfig) -> dict[str, dict[str, Any]]:
    """Every file a study reads (config, data tables, codebooks), by path relative to the study folder.

    The pseudonymisation key is left out on purpose: it is a secret, and its digest would help no reader.
    """
    paths = [config.root / "study.yaml"] if (config.root / "study.yaml").is_file() else []
    paths += [config.table_path(t) for t in config.tables()]
    paths += sorted(config.instruments_dir.glob("*.yaml"))
    return {_relative(p, config.root): {"sha256": file_sha256(p), "bytes": p.stat().st_size} for p in paths}


def resolved_config(config: StudyConfig) -> dict[str, Any]:
    """The study config with every default filled in, JSON-safe, without the machine's folder."""
    data = config.model_dump(mode="json")
    data.pop("root", None)
    return data


def build_manifest(config: StudyConfig, *, seed: int, outputs: Mapping[str, Path], bundle: Path,
                   not_run: Iterable[Mapping[str, str]] = (),
                   figures: Mapping[str, Mapping[str, str]] | None = None) -> dict[str, Any]:
    """The manifest of a bundle.

    Parameters
    ----------
    config
        The study config the bundle was built from.
    seed
        The seed every random draw of the run came from.
    outputs
        Tables and figures written, name -> path inside ``bundle``.
    bundle
        The bundle folder (paths are recorded relative to it).
    not_run
        The analyses that could not run, each ``{"analysis": ..., "reason": ...}``.
    figures
        Figure name -> ``{"title": ..., "alt_text": ...}``.

    Returns
    -------
    dict
        ``progeval``, ``packages``, ``seed``, ``study`` (title and resolved config), ``inputs``, ``outputs``,
        ``figures``, ``not_run``, ``results_digest``, and ``documents`` (empty until :func:`with_documents`).
    """
    versions = package_versions()
    body = {
        "progeval": versions["progeval"],
        "packages": versions,
        "seed": seed,
        "study": {"title": config.title, "config": resolved_config(config)},
        "inputs": input_files(config),
        "outputs": {_relative(p, bundle): file_sha256(p) for p in sorted(outputs.values())},
        "figures": dict(sorted((figures or {}).items())),
        "not_run": list(not_run),
    }
    body["results_digest"] = hashlib.sha256(canonical_json(body).encode("utf-8")).hexdigest()
    body["documents"] = {}
    return body


def with_documents(manifest: Mapping[str, Any], documents: Mapping[str, Path], bundle: Path) -> dict[str, Any]:
    """The manifest with the SHA-256 of the rendered documents (paths inside ``bundle``) added."""
    return {**manifest, "documents": {_relative(p, bundle): file_sha256(p) for p in sorted(documents.values())}}
