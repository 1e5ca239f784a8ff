"""Argument checks shared by the public functions of every package.

Examples
--------
>>> check_choice("weights", "linear", ("unweighted", "linear", "quadratic"))
'linear'
>>> check_choice("weights", "cubic", ("unweighted", "linear", "quadratic"))
Traceback (most recent call last):
...
data_schema.errors.ArgumentError: weights='cubic' is not a valid choice; use one of: 'unweighted', 'linear', 'quadratic'
>>> check_columns(__import__("pandas").DataFrame({"a": [1]}), ["a", "b"], what="ratings")
Traceback (most recent call last):
...
data_schema.errors.ColumnError: ratings has no column 'b'; its columns are: 'a'
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TypeVar

import pandas as pd

from data_schema.errors import ArgumentError, ColumnError

__all__ = ["check_choice", "check_columns"]

T = TypeVar("T")


def check_choice(name: str, value: T, allowed: Sequence[T]) -> T:
    """Return ``value`` if it is one of ``allowed``, else raise an ``ArgumentError`` (a ``ValueError``) listing them."""
    if value not in allowed:
        valid = ", ".join(repr(a) for a in allowed)
        raise ArgumentError(f"{name}={value!r} is not a valid choice; use one of: {valid}")
    return value


def check_columns(frame: pd.DataFrame, columns: Iterable[str], *, what: str = "data") -> None:
    """Raise a ``ColumnError`` (a ``KeyError``) naming the first of ``columns`` that ``frame`` lacks."""
    for col in columns:
        if col not in frame.columns:
            have = ", ".join(repr(str(c)) for c in frame.columns)
            raise ColumnError(f"{what} has no column {col!r}; its columns are: {have}")
