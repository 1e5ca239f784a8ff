"""Read a YAML mapping and validate it with a pydantic model, with errors that name the file and setting.

Examples
--------
>>> import tempfile, pathlib
>>> from pydantic import BaseModel
>>> class M(BaseModel):
...     n: int
>>> p = pathlib.Path(tempfile.mkdtemp()) / "m.yaml"
>>> _ = p.write_text("n: three")
>>> try:
...     load_yaml_model(p, M, ValueError, "setting file")
... except ValueError as exc:
...     print(str(exc).split(": ", 1)[1])
invalid setting file: n: Input should be a valid integer, unable to parse string as an integer
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

__all__ = ["load_yaml_model", "read_yaml_mapping", "describe_validation_error"]

M = TypeVar("M", bound=BaseModel)


def describe_validation_error(error: ValidationError) -> str:
    """One line a person reads: ``setting.path: message; ...``."""
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or '(top level)'}: {e['msg']}" for e in error.errors()
    )


def read_yaml_mapping(path: Path, error: type[Exception], what: str, *, missing: str | None = None) -> dict[str, Any]:
    """The YAML mapping in ``path``; ``error`` (naming the file) when missing, unreadable or not a mapping."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise error(f"{path}: {missing or what + ' not found'}") from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise error(f"{path}: not a readable YAML file ({exc})") from None
    if not isinstance(raw, dict):
        raise error(f"{path}: a {what} must be a YAML mapping, got {type(raw).__name__}")
    return raw


def load_yaml_model(path: Path, model: type[M], error: type[Exception], what: str, *,
                    extra: dict[str, Any] | None = None, missing: str | None = None) -> M:
    """Read ``path`` and validate it (plus ``extra`` fields) with ``model``."""
    raw = read_yaml_mapping(path, error, what, missing=missing)
    try:
        return model.model_validate({**raw, **(extra or {})})
    except ValidationError as exc:
        raise error(f"{path}: invalid {what}: {describe_validation_error(exc)}") from None
