"""Simulated multilevel data with known variance components, for examples, tests and benchmarks.

Two designs: a growth panel (waves within students, random intercept and slope per student) and the
study's hierarchy (waves within students within classes within institutions, one random intercept per
level), whose default variance components are the synthetic study's latent-scale ones
(:data:`data_schema.synthetic.effects.VARIANCE`).

Examples
--------
>>> growth = simulate_growth(n_students=3, waves=2, seed=0)
>>> list(growth.columns), len(growth)
(['student_id', 'wave', 'program', 'score'], 6)
>>> nested = simulate_nested(n_institutions=2, classes_per_institution=2, students_per_class=3, waves=2)
>>> list(nested.columns), len(nested)
(['institution_id', 'class_id', 'student_id', 'wave', 'program', 'score'], 24)
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from data_schema.errors import ArgumentError
from data_schema.synthetic.effects import VARIANCE

__all__ = ["simulate_growth", "simulate_nested"]

PROGRAMS = np.array(["integrated", "traditional"])


def simulate_growth(*, n_students: int = 200, waves: int = 5, intercept: float = 0.0, growth: float = 0.3,
                    program_effect: float = 0.2, program_growth: float = 0.1, intercept_sd: float = 1.0,
                    slope_sd: float = 0.3, correlation: float = 0.0, residual_sd: float = 0.7,
                    seed: int = 0) -> pd.DataFrame:
    """Students measured at waves ``0 .. waves-1``: ``score = b0 + b1 wave + program terms + u0 + u1 wave + e``.

    Parameters
    ----------
    n_students, waves
        Students (half in each program, alternating) and waves per student.
    intercept, growth
        Mean score at wave 0 and mean growth per wave of the integrated program.
    program_effect, program_growth
        Traditional minus integrated at wave 0, and in growth per wave.
    intercept_sd, slope_sd, correlation
        SDs and correlation of the student random intercept and slope.
    residual_sd
        Occasion-level SD.
    seed
        Random seed.

    Returns
    -------
    pandas.DataFrame
        ``student_id`` (``"S00001"`` ...), ``wave`` (float), ``program``, ``score``.
    """
    if n_students < 1 or waves < 1:
        raise ArgumentError(f"n_students={n_students} and waves={waves} must both be at least 1")
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n_students, 2))
    u = np.column_stack([intercept_sd * z[:, 0],
                         slope_sd * (correlation * z[:, 0] + np.sqrt(1.0 - correlation ** 2) * z[:, 1])])
    sid = np.repeat(np.arange(n_students), waves)
    wave = np.tile(np.arange(waves, dtype=float), n_students)
    trad = (sid % 2 == 1).astype(float)
    score = (intercept + growth * wave + program_effect * trad + program_growth * trad * wave
             + u[sid, 0] + u[sid, 1] * wave + rng.normal(0.0, residual_sd, sid.size))
    width = max(5, len(str(n_students)))
    return pd.DataFrame({"student_id": np.char.add("S", np.char.zfill(sid.astype(str), width)), "wave": wave,
                         "program": PROGRAMS[sid % 2], "score": score})


def simulate_nested(*, n_institutions: int = 20, classes_per_institution: int = 4, students_per_class: int = 15,
                    waves: int = 3, variances: Mapping[str, float] | None = None, growth: float = 0.3,
                    program_effect: float = 0.3, seed: int = 0) -> pd.DataFrame:
    """Waves within students within classes within institutions, one random intercept per level.

    ``score = growth * wave + program_effect * integrated + u_institution + v_class + w_student + e``, with
    the variances of ``u, v, w, e`` from ``variances`` (keys ``institution``, ``class``, ``student`` and
    ``occasion``; default the synthetic study's latent-scale components 0.10, 0.05, 0.60, 0.25).
    Institutions alternate between the programs.  Class labels (``"C1"``, ``"C2"``, ...) repeat across
    institutions, as real class names do; student ids are unique.

    Parameters
    ----------
    n_institutions, classes_per_institution, students_per_class, waves
        The sizes of the hierarchy.
    variances
        Variance of each level (missing keys take the default).
    growth, program_effect
        Mean change per wave, and integrated minus traditional.
    seed
        Random seed.

    Returns
    -------
    pandas.DataFrame
        ``institution_id``, ``class_id``, ``student_id``, ``wave``, ``program``, ``score``.
    """
    sizes = (n_institutions, classes_per_institution, students_per_class, waves)
    if min(sizes) < 1:
        raise ArgumentError(f"every size must be at least 1, got {sizes}")
    var = {k: float(v) for k, v in VARIANCE.items()}
    var.update({k: float(v) for k, v in (variances or {}).items()})
    rng = np.random.default_rng(seed)
    n_cls = n_institutions * classes_per_institution
    n_stu = n_cls * students_per_class
    stu = np.repeat(np.arange(n_stu), waves)
    cls = stu // students_per_class
    inst = cls // classes_per_institution
    wave = np.tile(np.arange(waves, dtype=float), n_stu)
    integrated = (inst % 2 == 0).astype(float)
    score = (growth * wave + program_effect * integrated
             + rng.normal(0.0, np.sqrt(var["institution"]), n_institutions)[inst]
             + rng.normal(0.0, np.sqrt(var["class"]), n_cls)[cls]
             + rng.normal(0.0, np.sqrt(var["student"]), n_stu)[stu]
             + rng.normal(0.0, np.sqrt(var["occasion"]), stu.size))
    return pd.DataFrame({
        "institution_id": np.char.add("I", np.char.zfill((inst + 1).astype(str), 3)),
        "class_id": np.char.add("C", (cls % classes_per_institution + 1).astype(str)),
        "student_id": np.char.add("S", np.char.zfill((stu + 1).astype(str), 6)),
        "wave": wave, "program": np.where(integrated == 1, "integrated", "traditional"), "score": score})
