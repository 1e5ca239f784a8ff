"""Instrument codebooks: the schema of a survey instrument and its loader.

A codebook is a YAML file (format in ``DATA_CONTRACT.md``) naming an
instrument's items, its response scale, subscales, reverse-coded items and
scoring rule.  It is validated on load: an unknown subscale, a duplicate item,
a scale whose minimum is not below its maximum or a scoring rule outside
``(0, 1]`` raises :class:`~data_schema.errors.CodebookError` naming the file
and the field.  The built-in instruments ship as data in ``surveys/instruments``
(where the design card puts them); the format and its validation live here,
because reading survey responses already checks them against the codebooks.
Users add their own by naming a folder in the study config.

Examples
--------
>>> from data_schema.codebook import builtin_codebooks
>>> books = builtin_codebooks()
>>> books["intercultural_competence"].scale.max
5
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from data_schema.errors import CodebookError
from data_schema.yaml_model import load_yaml_model

__all__ = [
    "Codebook",
    "Item",
    "Scale",
    "Scoring",
    "Subscale",
    "builtin_codebooks",
    "load_codebook",
    "load_codebooks",
    "BUILTIN_DIR",
]

BUILTIN_DIR = Path(__file__).resolve().parent.parent / "surveys" / "instruments"
"""The built-in codebooks: YAML data shipped beside the ``surveys`` package (no import of it)."""

Text = dict[str, str]
"""Text in one or more languages, keyed by language code (``en``, ``zh``)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Scale(_Strict):
    """Integer response scale, e.g. a 1–5 Likert scale."""

    min: int = Field(description="Lowest valid answer.")
    max: int = Field(description="Highest valid answer.")
    labels: dict[int, Text] = Field(default_factory=dict, description="Value labels.")

    @model_validator(mode="after")
    def _ordered(self) -> Scale:
        if self.min >= self.max:
            raise ValueError(f"scale min ({self.min}) must be below max ({self.max})")
        outside = [v for v in self.labels if not self.min <= v <= self.max]
        if outside:
            raise ValueError(f"value labels {outside} lie outside the scale {self.min}-{self.max}")
        return self


class Subscale(_Strict):
    """A named group of items scored together."""

    id: str
    title: Text


class Item(_Strict):
    """One question of the instrument."""

    id: str
    text: Text
    subscale: str | None = None
    reverse: bool = Field(False, description="Scored as min + max - answer.")


class Scoring(_Strict):
    """How a scale score is formed from item answers."""

    method: Literal["mean", "sum"] = "mean"
    min_answered: float = Field(
        0.8, gt=0, le=1, description="Least share of a scale's items answered for a score."
    )


class Codebook(_Strict):
    """A validated instrument codebook."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: Text
    version: str
    citation: str | None = None
    respondent: Literal["student", "employer"] = "student"
    languages: tuple[str, ...] = ("en", "zh")
    scale: Scale
    subscales: tuple[Subscale, ...] = ()
    items: tuple[Item, ...] = Field(min_length=1)
    scoring: Scoring = Scoring()

    @model_validator(mode="after")
    def _consistent(self) -> Codebook:
        seen: set[str] = set()
        for item in self.items:
            if item.id in seen:
                raise ValueError(f"item id {item.id!r} appears more than once")
            seen.add(item.id)
            missing = [lang for lang in self.languages if lang not in item.text]
            if missing:
                raise ValueError(f"item {item.id!r} has no text in {missing}")
        sub_ids = [s.id for s in self.subscales]
        if len(set(sub_ids)) != len(sub_ids):
            raise ValueError(f"subscale ids repeat: {sub_ids}")
        for item in self.items:
            if item.subscale is not None and item.subscale not in sub_ids:
                raise ValueError(
                    f"item {item.id!r} names subscale {item.subscale!r}, "
                    f"which is not among the declared subscales {sub_ids}"
                )
        return self

    @property
    def item_ids(self) -> tuple[str, ...]:
        """Item ids in codebook order."""
        return tuple(item.id for item in self.items)

    @property
    def reverse_items(self) -> tuple[str, ...]:
        """Ids of the reverse-coded items."""
        return tuple(item.id for item in self.items if item.reverse)


def load_codebook(path: str | Path) -> Codebook:
    """Read and validate one codebook YAML file.

    Parameters
    ----------
    path
        A ``<id>.yaml`` codebook file.

    Returns
    -------
    Codebook

    Raises
    ------
    CodebookError
        When the file is missing, is not YAML, or breaks a codebook rule.
    """
    path = Path(path)
    book = load_yaml_model(path, Codebook, CodebookError, "codebook", missing="codebook file not found")
    if book.id != path.stem:
        raise CodebookError(f"{path}: codebook id {book.id!r} must match the file name {path.stem!r}")
    return book


def load_codebooks(directory: str | Path, ids: Iterable[str] | None = None) -> dict[str, Codebook]:
    """Load every ``*.yaml`` codebook in a folder, or only the given ids."""
    directory = Path(directory)
    if not directory.is_dir():
        raise CodebookError(f"{directory}: instrument folder not found")
    if ids is None:
        paths = sorted(directory.glob("*.yaml"))
    else:
        paths = [directory / f"{i}.yaml" for i in ids]
    books = [load_codebook(p) for p in paths]
    return {b.id: b for b in books}


def builtin_codebooks() -> dict[str, Codebook]:
    """The six instruments shipped with progeval, keyed by id."""
    return load_codebooks(BUILTIN_DIR)
