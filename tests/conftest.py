"""Shared fixtures for the intake tests: a secret key, a file writer and small study builders."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
import yaml

from data_schema.codebook import BUILTIN_DIR

KEY = bytes.fromhex("8f3a1c5e7b9d2f4a6c8e0b1d3f5a7c9e2b4d6f8a0c1e3b5d7f9a2c4e6b8d0f1a")
"""A fixed 32-byte pseudonymisation key (tests only)."""

WriteFile = Callable[..., Path]
MakeStudy = Callable[..., Path]


STUDY_KEY = KEY.hex().encode("ascii")
"""The key :func:`make_study` writes to ``secret.key`` (64 hex characters) and ``load_study`` reads back."""


def _reference_pseudonym(student_id: str, key: bytes = KEY) -> str:
    return hmac.new(key, student_id.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


@pytest.fixture
def key() -> bytes:
    """The 32-byte test key."""
    return KEY


@pytest.fixture
def study_key() -> bytes:
    """The key a study built by :func:`make_study` is pseudonymised with."""
    return STUDY_KEY


@pytest.fixture
def pseudonym() -> Callable[..., str]:
    """``pseudonym(id, key=KEY)``: HMAC-SHA256 (RFC 2104; FIPS 198-1) of the UTF-8 id, first 32 hex digits.

    Computed with the standard library's ``hmac``/``hashlib``, independently of progeval's code.
    """
    return _reference_pseudonym


@pytest.fixture
def snapshot() -> Callable[[Path], dict[str, bytes]]:
    """``snapshot(folder)``: every file below ``folder`` with its bytes, to show a failed call wrote nothing."""

    def take(folder: Path) -> dict[str, bytes]:
        return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}

    return take


@pytest.fixture
def write_file(tmp_path: Path) -> WriteFile:
    """``write_file(name, content, encoding="utf-8")``: write text or bytes under ``tmp_path``, return the path."""

    def write(name: str, content: str | bytes, encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
        return path

    return write


@pytest.fixture
def make_study(tmp_path: Path) -> MakeStudy:
    """Build a small study folder and return the path of its ``study.yaml``.

    ``make_study(tables, *, privacy=None, config=None, key=KEY)``: ``tables`` maps a table
    name to the file name and its content (``{"students": ("students.csv", "...")}``) or to
    text only (written as ``<table>.csv``).  The key is written to ``secret.key`` beside
    ``study.yaml``, outside the data folder; the built-in codebooks are used.  ``config``
    entries replace top-level settings; ``privacy`` replaces the privacy block.
    """

    def make(
        tables: Mapping[str, str | bytes | tuple[str, str | bytes]],
        *,
        privacy: dict | None = None,
        config: dict | None = None,
        key: bytes = KEY,
    ) -> Path:
        root = tmp_path / "study"
        data = root / "data"
        data.mkdir(parents=True, exist_ok=True)
        files: dict[str, str] = {}
        for table, spec in tables.items():
            name, content = spec if isinstance(spec, tuple) else (f"{table}.csv", spec)
            (data / name).write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
            files[table] = name
        (root / "secret.key").write_bytes(key.hex().encode("ascii") + b"\n")
        settings = {
            "title": "Test study",
            "data": {"directory": "data", **files},
            "instruments": {"directory": str(BUILTIN_DIR)},
            "privacy": privacy if privacy is not None else {"key_file": "secret.key"},
            "seed": 1,
        }
        settings.update(config or {})
        path = root / "study.yaml"
        path.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
        return path

    return make


@pytest.fixture(scope="session")
def clean_study(tmp_path_factory: pytest.TempPathFactory):
    """The default synthetic study (clean, seed 20261122), generated once, with its loaded tables."""
    from data_schema import load_study
    from data_schema.config import load_config
    from data_schema.synthetic import generate_study

    syn = generate_study(tmp_path_factory.mktemp("clean_study"))
    return syn, load_study(load_config(syn.config_path))
