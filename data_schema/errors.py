"""Errors and warnings raised by progeval.

Every error a person can meet derives from :class:`ProgevalError`; the CLI turns
any of them into one readable message and a non-zero exit code.  Messages say
what was received, what was expected and how to fix it.

Examples
--------
>>> from data_schema.errors import InputFileError
>>> err = InputFileError("data/students.csv", "the file is empty", hint="export it again")
>>> print(err)
data/students.csv: the file is empty. Fix: export it again.
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "ProgevalError",
    "InputFileError",
    "ConfigError",
    "CodebookError",
    "PseudonymKeyError",
    "ProgevalWarning",
    "DataQualityWarning",
    "EstimationError",
    "EstimationWarning",
    "ArgumentError",
    "ColumnError",
]


class ProgevalError(Exception):
    """Base class of every error progeval raises on purpose."""

    exit_code: int = 2


class InputFileError(ProgevalError, ValueError):
    """A data file cannot be used at all (missing, empty, not a table, bad header).

    Parameters
    ----------
    path
        The file concerned.
    reason
        What is wrong, in words.
    hint
        How to fix it; optional.
    """

    def __init__(self, path: str | Path, reason: str, *, hint: str | None = None) -> None:
        self.path = str(path)
        self.reason = reason
        self.hint = hint
        text = f"{self.path}: {reason.rstrip('.')}"
        if hint:
            text += f". Fix: {hint.rstrip('.')}"
        super().__init__(text + ".")


class ConfigError(ProgevalError, ValueError):
    """A study config (``study.yaml``) is missing, malformed or inconsistent."""


class CodebookError(ProgevalError, ValueError):
    """An instrument codebook is malformed or inconsistent."""


class PseudonymKeyError(ConfigError):
    """The secret key for pseudonymising student ids is missing or too weak."""


class ArgumentError(ProgevalError, ValueError):
    """A function was called with a value outside its documented choices."""


class ColumnError(ProgevalError, KeyError):
    """A table passed to a function lacks a column the call names."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class EstimationError(ProgevalError, ValueError):
    """An analysis cannot be run as asked on these data.

    Raised with the reason in words, e.g. an incomplete rating design, a scale with
    fewer than two items, too few clusters, no variation in adoption.
    """


class ProgevalWarning(UserWarning):
    """Base class of progeval's warnings."""


class DataQualityWarning(ProgevalWarning):
    """Rows were quarantined or values repaired while reading input data."""


class EstimationWarning(ProgevalWarning):
    """A fit was made but needs care: a boundary or singular fit, a weak optimum, a small sample."""
