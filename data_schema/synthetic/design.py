"""Study design of the synthetic study: institutions, staggered adoption, classes and students.

Students are nested in classes (one teaching class a program x cohort x class
number) nested in institutions.  An institution that adopts the integrated
program in year ``g`` teaches every cohort entering in ``g`` or later in it and
every earlier cohort in the traditional program; two or three institutions
never adopt.  Class names are the institution's own (``跨境电商2019级1班``), so a
class is identified by ``(institution_id, class_id)``.

Examples
--------
>>> d = make_design(seed=1, n_institutions=6, students_per_class=4, classes_per_cohort=1,
...                 first_cohort=2018, n_cohorts=6)
>>> len(d.students), sorted(d.adoption)[:2]
(144, ['I01', 'I02'])
>>> sum(v is None for v in d.adoption.values())
2
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from data_schema.errors import ConfigError
from data_schema.synthetic.effects import AS_OF, STUDENT_SHARED, VARIANCE

__all__ = ["Design", "make_design", "stream", "ability_part", "STUDENT_COLUMNS", "AS_OF_YEAR"]

AS_OF_YEAR = int(AS_OF[:4])

STUDENT_COLUMNS: tuple[str, ...] = (
    "student_id", "institution_id", "program", "class_id", "cohort", "graduation_year", "gender",
    "birth_year", "entrance_score", "prior_hsk_level", "student_origin", "nationality",
)
"""Columns of the exported students table, in contract order."""

NATIONALITIES = ("kr", "th", "vn", "ru", "id", "kz", "la", "my", "pk", "mn", "jp", "us", "it", "eg")
NATIONALITY_WEIGHTS = np.array([16, 14, 12, 10, 8, 7, 6, 6, 5, 5, 4, 3, 2, 2], dtype=float)

CLASS_PREFIX = {"integrated": "跨境电商", "traditional": "国际中文教育"}
ENTRANCE_ABILITY_LOADING = 0.7
"""Entrance score = 480 + 40 (0.7 ability + sqrt(0.51) noise): SD 40, correlation 0.7 with ability."""

DROPOUT_RATE = 0.04
FIVE_YEAR_RATE = 0.06
INTERNATIONAL_SHARE = 0.35


def stream(seed: int, part: int) -> np.random.Generator:
    """An independent random generator for one part of the study (same seed, same draws).

    Examples
    --------
    >>> float(stream(3, 1).random()) == float(stream(3, 1).random())
    True
    """
    return np.random.default_rng(np.random.SeedSequence([seed, part]))


@dataclass(frozen=True)
class Design:
    """The drawn design.

    Attributes
    ----------
    students
        One row a student: the exported columns (:data:`STUDENT_COLUMNS`) plus the hidden
        truth columns ``inst``, ``cls`` (global class number), ``ability``, ``u_inst``,
        ``v_class``, ``treated``, ``adoption_year``, ``exposure`` (cohort - adoption year),
        ``dropout`` and ``years``.
    adoption
        Adoption year per institution code; ``None`` = never adopts.
    cohorts
        The entry cohorts drawn.
    institution_effects
        The drawn institution random effects (latent SD units).
    """

    students: pd.DataFrame
    adoption: dict[str, int | None]
    cohorts: tuple[int, ...]
    institution_effects: dict[str, float]


def _check(n_institutions: int, students_per_class: int, classes_per_cohort: int,
           first_cohort: int, n_cohorts: int) -> None:
    limits = {
        "n_institutions": (n_institutions, 4, 60),
        "students_per_class": (students_per_class, 4, 999),
        "classes_per_cohort": (classes_per_cohort, 1, 99),
        "n_cohorts": (n_cohorts, 4, 30),
        "first_cohort": (first_cohort, 2000, AS_OF_YEAR - 3),
    }
    for name, (value, low, high) in limits.items():
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not low <= value <= high:
            raise ConfigError(f"{name} must be an integer from {low} to {high}, got {value!r}")
    if first_cohort + n_cohorts - 1 > AS_OF_YEAR:
        raise ConfigError(
            f"the last cohort ({first_cohort + n_cohorts - 1}) enters after the export date {AS_OF}; "
            f"use first_cohort + n_cohorts - 1 <= {AS_OF_YEAR}"
        )


def _adoption(rng: np.random.Generator, codes: list[str], cohorts: tuple[int, ...]) -> dict[str, int | None]:
    n_never = 2 if len(codes) < 10 else 3
    candidates = list(cohorts[2:-2]) if len(cohorts) >= 6 else list(cohorts[1:-1])
    candidates = [int(c) for c in rng.permutation(candidates)]
    years: list[int | None] = [candidates[i % len(candidates)] for i in range(len(codes) - n_never)]
    years += [None] * n_never
    order = rng.permutation(len(codes))
    return {codes[i]: years[k] for k, i in enumerate(order)}


def _student_ids(cohort: np.ndarray, inst: np.ndarray, klass: np.ndarray, seat: np.ndarray, width: int) -> list[str]:
    return [f"{c}{i:02d}{k:02d}{s:0{width}d}" for c, i, k, s in zip(cohort, inst, klass, seat, strict=False)]


def make_design(*, seed: int, n_institutions: int, students_per_class: int, classes_per_cohort: int,
                first_cohort: int, n_cohorts: int, baseline_gap: float = 0.0) -> Design:
    """Draw institutions, adoption years, classes and students with baseline covariates.

    Parameters
    ----------
    seed
        Seed of the whole study.
    n_institutions, students_per_class, classes_per_cohort, first_cohort, n_cohorts
        Size of the design (see :func:`data_schema.synthetic.generate_study`).
    baseline_gap
        Selection into the integrated program: integrated students' general ability is shifted by
        ``baseline_gap / 0.7`` SD, so their entrance scores are higher by ``baseline_gap`` SD (and every
        outcome that depends on ability moves with it).  0 draws the default study unchanged.

    Returns
    -------
    Design

    Raises
    ------
    ConfigError
        When a size is outside its range.
    """
    _check(n_institutions, students_per_class, classes_per_cohort, first_cohort, n_cohorts)
    rng = stream(seed, 1)
    codes = [f"I{j + 1:02d}" for j in range(n_institutions)]
    cohorts = tuple(range(first_cohort, first_cohort + n_cohorts))
    adoption = _adoption(rng, codes, cohorts)
    u = rng.normal(0.0, np.sqrt(VARIANCE["institution"]), n_institutions)
    intl_p = np.clip(INTERNATIONAL_SHARE + rng.normal(0.0, 0.08, n_institutions), 0.1, 0.7)

    inst, cohort, klass, seat = (a.ravel() for a in np.meshgrid(
        np.arange(n_institutions), np.array(cohorts), np.arange(1, classes_per_cohort + 1),
        np.arange(1, students_per_class + 1), indexing="ij"))
    n = inst.size
    cls = (inst * n_cohorts + (cohort - first_cohort)) * classes_per_cohort + (klass - 1)
    v = rng.normal(0.0, np.sqrt(VARIANCE["class"]), n_institutions * n_cohorts * classes_per_cohort)
    adopt = np.array([np.nan if adoption[c] is None else adoption[c] for c in codes])[inst]
    exposure = cohort - adopt
    treated = np.nan_to_num(exposure, nan=-1.0) >= 0
    program = np.where(treated, "integrated", "traditional")

    ability = rng.standard_normal(n)
    if baseline_gap:
        ability = ability + baseline_gap / ENTRANCE_ABILITY_LOADING * treated
    international = rng.random(n) < intl_p[inst]
    gender = rng.choice(np.array(["female", "male", "other", "unknown"]), n, p=[0.62, 0.36, 0.005, 0.015])
    birth_year = cohort - np.where(international, 20 + rng.integers(-2, 3, n), 18 + rng.integers(-1, 2, n))
    entrance = np.round(480 + 40 * (ENTRANCE_ABILITY_LOADING * ability + np.sqrt(0.51) * rng.standard_normal(n)))
    hsk = np.where(international, np.clip(np.round(2.6 + 0.6 * ability + 0.8 * rng.standard_normal(n)), 1, 4), 0)
    nat = rng.choice(np.array(NATIONALITIES), n, p=NATIONALITY_WEIGHTS / NATIONALITY_WEIGHTS.sum())
    dropout = rng.random(n) < DROPOUT_RATE
    years = np.where(rng.random(n) < FIVE_YEAR_RATE, 5, 4)
    grad = cohort + years
    grad_out = pd.array(np.where(dropout | (grad > AS_OF_YEAR), 0, grad), dtype="Int64")
    grad_out[dropout | (grad > AS_OF_YEAR)] = pd.NA
    width = max(2, len(str(students_per_class)))
    frame = pd.DataFrame({
        "student_id": _student_ids(cohort, inst + 1, klass, seat, width),
        "institution_id": np.array(codes)[inst],
        "program": program,
        "class_id": [f"{CLASS_PREFIX[p]}{c}级{k}班" for p, c, k in zip(program, cohort, klass, strict=False)],
        "cohort": pd.array(cohort, dtype="Int64"),
        "graduation_year": grad_out,
        "gender": gender,
        "birth_year": pd.array(birth_year, dtype="Int64"),
        "entrance_score": pd.array(entrance.astype(int), dtype="Int64"),
        "prior_hsk_level": pd.array(hsk.astype(int), dtype="Int64"),
        "student_origin": np.where(international, "international", "domestic"),
        "nationality": np.where(international, nat, "cn"),
        "inst": inst, "cls": cls, "ability": ability, "u_inst": u[inst], "v_class": v[cls],
        "treated": treated, "adoption_year": adopt, "exposure": exposure, "dropout": dropout,
        "years": years,
    })
    return Design(frame, adoption, cohorts, {c: float(x) for c, x in zip(codes, u, strict=False)})


def ability_part(students: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    """Student-level part of a competency latent: shared ability plus an instrument-specific part.

    Its variance is ``VARIANCE['student']``; a share ``STUDENT_SHARED`` comes from ability.
    """
    a = students["ability"].to_numpy()
    own = rng.standard_normal(len(a))
    return np.sqrt(VARIANCE["student"]) * (np.sqrt(STUDENT_SHARED) * a + np.sqrt(1 - STUDENT_SHARED) * own)
