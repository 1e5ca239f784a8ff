"""The synthetic CBEC-ICE study: draw every table, optionally break it like a real export, write it.

Examples
--------
>>> import tempfile
>>> study = generate_study(tempfile.mkdtemp(), n_institutions=4, students_per_class=4,
...                        classes_per_cohort=1, n_cohorts=6)
>>> study.config_path.name, study.students_path.name
('study.yaml', 'students.csv')
>>> study.truth["design"]["n_institutions"]
4
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from data_schema.atomic import atomic_write_bytes
from data_schema.codebook import BUILTIN_DIR, builtin_codebooks
from data_schema.errors import ConfigError
from data_schema.synthetic.assessments import HSK_TARGET, draw_assessments
from data_schema.synthetic.design import STUDENT_COLUMNS, Design, make_design
from data_schema.synthetic.effects import (
    AS_OF,
    COHORT_TREND,
    COMPETENCY_EFFECT,
    EFFECT_GROWTH,
    EFFECT_SCALE_RANGE,
    EXPOSURE_SHARE,
    STUDENT_SHARED,
    VARIANCE,
    WAVE_GROWTH,
    group_multipliers,
)
from data_schema.synthetic.employment import EMPLOYER_WAVE, draw_employment
from data_schema.synthetic.messy import inject_faults
from data_schema.synthetic.surveys import ITEM_NONRESPONSE, UNIT_NONRESPONSE, InterceptShift, draw_surveys
from data_schema.synthetic.writer import as_text, write_csv, write_json, write_key, write_xlsx, write_yaml

__all__ = ["SyntheticStudy", "generate_study", "WAVES"]

WAVES = {0: "entry", 1: "mid-program", 2: "graduation", EMPLOYER_WAVE: "employer follow-up"}
TABLES = ("students", "survey_responses", "assessments", "employment")


@dataclass(frozen=True)
class SyntheticStudy:
    """A written synthetic study.

    Attributes
    ----------
    root
        The study folder.
    config_path
        ``root/study.yaml``.
    truth
        The content of ``root/truth.json``: every built-in effect and, under ``faults``, the
        expected intake outcome.
    students_path, survey_responses_path, assessments_path, employment_path
        The four data files.
    """

    root: Path
    config_path: Path
    truth: dict
    students_path: Path
    survey_responses_path: Path
    assessments_path: Path
    employment_path: Path

    def table_path(self, table: str) -> Path:
        """Path of one of the four tables by name."""
        return getattr(self, f"{table}_path")


def _config(seed: int, adoption: dict[str, int | None], files: dict[str, str]) -> dict:
    data: dict = {"directory": "data", **{t: files[t] for t in TABLES}}
    if files["assessments"].endswith(".xlsx"):
        data["assessments"] = {"path": files["assessments"], "sheet": "assessments"}
    return {
        "title": f"Synthetic CBEC-ICE program evaluation (seed {seed})",
        "version": 1,
        "data": data,
        "instruments": {"directory": "instruments"},
        "waves": dict(WAVES),
        "treatment": {"integrated_program": "integrated", "comparison_program": "traditional",
                      "adoption_year": dict(adoption)},
        "reports": {"documents": ["annual_report", "evidence_brief"], "formats": ["html", "pdf", "docx"],
                    "output": "output"},
        "outcomes": {"as_of": AS_OF, "graduation_month": 6, "hsk_target_level": HSK_TARGET},
        "privacy": {"key_file": "pseudonym.key", "min_cell_size": 10},
        "currency": "CNY",
        "seed": seed,
    }


def _design_truth(design: Design, args: dict) -> dict:
    s = design.students
    adopters = [g for g in design.adoption.values() if g is not None]
    groups: dict[str, list[str]] = {}
    for code, g in sorted(design.adoption.items()):
        groups.setdefault("never" if g is None else str(g), []).append(code)
    return {
        "n_institutions": len(design.adoption),
        "institutions": sorted(design.adoption),
        "cohorts": list(design.cohorts),
        "adoption_year": dict(design.adoption),
        "adoption_groups": groups,
        "never_adopters": groups.get("never", []),
        "group_multipliers": group_multipliers(adopters) if adopters else {},
        "institution_effects": design.institution_effects,
        "n_students": len(s),
        "n_classes": int(s["cls"].nunique()),
        "class_key": ["institution_id", "class_id"],
        "program_rule": "integrated if the institution adopted and cohort >= adoption_year, else traditional",
        "students_by_program": {k: int(v) for k, v in s["program"].value_counts().sort_index().items()},
        "n_graduated": int(s["graduation_year"].notna().sum()),
        "n_dropouts": int(s["dropout"].sum()),
        "as_of": AS_OF,
        "arguments": args,
    }


def _competency_truth(draw_truth: dict, effect_scale: float) -> dict:
    return {
        "definition": ("theta = wave_growth[w] + cohort_trend*(cohort - first_cohort) + u_institution + v_class "
                       "+ student + occasion + tau; tau = base_effect[k] * exposure_share[w] * group_multiplier[g] "
                       "* (1 + effect_growth*(cohort - g)) for cohorts >= adoption year g. att_latent is in SD "
                       "units of the latent (variance components sum to 1); att_scale_score is the mean over the "
                       "treated wave-2 respondents of E[scale score | theta] - E[scale score | theta - tau], the "
                       "scale score being the mean of the items after reverse coding. Unit of the DiD: institution;"
                       " time: entry cohort; outcome: wave-2 score."),
        "base_effect": {k: v * effect_scale for k, v in COMPETENCY_EFFECT.items()},
        "exposure_share": EXPOSURE_SHARE,
        "effect_growth": EFFECT_GROWTH,
        "wave_growth": WAVE_GROWTH,
        "cohort_trend": COHORT_TREND,
        "instruments": {k: v for k, v in draw_truth.items() if k in COMPETENCY_EFFECT},
    }


def _check_scenario(baseline_gap: float, differential_attrition: float, effect_scale: float) -> None:
    for name, value, low, high in (("baseline_gap", baseline_gap, -1.0, 1.0),
                                   ("differential_attrition", differential_attrition, 0.0, 0.9),
                                   ("effect_scale", effect_scale, *EFFECT_SCALE_RANGE)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
            raise ConfigError(f"{name} must be a number from {low:g} to {high:g}, got {value!r}")


def generate_study(out_dir: str | Path, *, seed: int = 20261122, messy: bool = False, n_institutions: int = 8,
                   students_per_class: int = 30, classes_per_cohort: int = 2, first_cohort: int = 2016,
                   n_cohorts: int = 8, intercept_shift: InterceptShift | None = None, baseline_gap: float = 0.0,
                   differential_attrition: float = 0.0, effect_scale: float = 1.0) -> SyntheticStudy:
    """Draw and write a synthetic CBEC-ICE evaluation study with known effects.

    Parameters
    ----------
    out_dir
        Folder to write into (created when missing); the same arguments write byte-identical files.
    seed
        Seed of every random draw (also written to ``study.yaml``).
    messy
        Inject the faults of real exports (encodings, identifier columns, header variants, bad
        values, duplicates, orphans) and record the expected intake counts in ``truth.json``.
    n_institutions
        Number of institutions (4-60); two never adopt the integrated program (three from 10).
    students_per_class, classes_per_cohort
        Students in each teaching class and classes per institution and cohort.
    first_cohort, n_cohorts
        Entry years drawn; the last cohort must enter by the export year 2026.
    intercept_shift
        Break measurement invariance: shift one item's intercept for one program (default: none,
        every instrument is invariant across programs and waves).  Nothing else changes.
    baseline_gap
        Selection on ability: integrated students' entrance scores are higher by this many SD (from -1 to
        1; default 0), and their outcomes move with their ability (the WWC baseline-equivalence scenario).
    differential_attrition
        Extra share of integrated students who do not answer the wave-2 survey (0 to 0.9; default 0; the
        WWC differential-attrition scenario).
    effect_scale
        Multiplier of every built-in effect of the integrated program (0 to 5; default 1): on the competency
        and satisfaction latents, the module exam, internship, portfolio, HSK and certificate scores, and the
        employment status, sector, salary and employer rating (log-odds and log effects on their own scale).
        0 draws a null study; one seed draws the same students and wave-0 answers at every scale (common
        random numbers).  ``truth.json`` holds the scaled effects and, when it is not 1,
        ``design.arguments.effect_scale`` (absent means 1, so the default study's files are unchanged).
        Not scaled: the design, ``baseline_gap``, ``differential_attrition``, ``intercept_shift`` and the
        follow-up response model (higher response of integrated graduates).

    Returns
    -------
    SyntheticStudy

    Raises
    ------
    ConfigError
        When a size, ``baseline_gap``, ``differential_attrition`` or ``effect_scale`` is outside its range.

    Notes
    -----
    ``truth.json`` keys: ``design``, ``variance_components``, ``competencies``, ``items``,
    ``surveys``, ``programme_satisfaction``, ``assessments``, ``employment``, ``counts`` and
    ``faults``.
    """
    root = Path(out_dir)
    args = {"seed": seed, "messy": messy, "n_institutions": n_institutions, "students_per_class": students_per_class,
            "classes_per_cohort": classes_per_cohort, "first_cohort": first_cohort, "n_cohorts": n_cohorts,
            "intercept_shift": None if intercept_shift is None else intercept_shift.to_dict(),
            "baseline_gap": baseline_gap, "differential_attrition": differential_attrition}
    _check_scenario(baseline_gap, differential_attrition, effect_scale)
    if effect_scale != 1.0:
        args["effect_scale"] = effect_scale
    design = make_design(seed=seed, n_institutions=n_institutions, students_per_class=students_per_class,
                         classes_per_cohort=classes_per_cohort, first_cohort=first_cohort, n_cohorts=n_cohorts,
                         baseline_gap=baseline_gap)
    books = builtin_codebooks()
    surveys = draw_surveys(design, books, seed=seed, intercept_shift=intercept_shift,
                           differential_attrition=differential_attrition, effect_scale=effect_scale)
    assessments = draw_assessments(design, seed=seed, effect_scale=effect_scale)
    employment = draw_employment(design, books["employer_feedback"], surveys.graduation_latent, seed=seed,
                                 effect_scale=effect_scale)
    frames = {
        "students": design.students[list(STUDENT_COLUMNS)],
        "survey_responses": pd.concat([surveys.table, employment.feedback], ignore_index=True),
        "assessments": assessments.table,
        "employment": employment.table,
    }
    texts = {t: as_text(f) for t, f in frames.items()}
    counts = {t: len(f) for t, f in texts.items()}
    if messy:
        broken = inject_faults(texts, seed=seed)
        texts, cells, faults = broken.tables, broken.xlsx_text_cells, broken.faults
        files = {"students": "students.csv", "survey_responses": "survey_responses.csv",
                 "assessments": "assessments.xlsx", "employment": "employment.csv"}
    else:
        cells = {}
        files = {t: f"{t}.csv" for t in TABLES}
        faults = {"quarantine": [], "fixes": [], "encoding": {t: "utf-8" for t in TABLES},
                  "formats": {t: "csv" for t in TABLES}, "dropped_columns": {}, "header_variants": {},
                  "quarantined_students": [], "read": dict(counts), "valid": dict(counts)}
    data_dir = root / "data"
    (root / "instruments").mkdir(parents=True, exist_ok=True)
    data_dir.mkdir(parents=True, exist_ok=True)
    for path in sorted(BUILTIN_DIR.glob("*.yaml")):
        atomic_write_bytes(root / "instruments" / path.name, path.read_bytes())
    for table in TABLES:
        target = data_dir / files[table]
        if target.suffix == ".xlsx":
            write_xlsx(texts[table], target, sheet="assessments", text_cells=cells)
        else:
            write_csv(texts[table], target, encoding=faults["encoding"][table] or "utf-8")
    write_key(seed, root / "pseudonym.key")
    write_yaml(_config(seed, design.adoption, files), root / "study.yaml")
    truth = {
        "design": _design_truth(design, args),
        "variance_components": {**VARIANCE, "student_shared_ability_share": STUDENT_SHARED},
        "competencies": _competency_truth(surveys.truth, effect_scale),
        "items": {k: p.to_dict() for k, p in surveys.params.items()},
        "surveys": {"waves": WAVES, "unit_nonresponse": UNIT_NONRESPONSE, "item_nonresponse": ITEM_NONRESPONSE,
                    "definition": "missing completely at random; a skipped wave has no rows, a skipped item an "
                                  "empty response",
                    "reliability": {"definition": "population Cronbach's alpha of each instrument by wave, implied "
                                                  "by the response model for that wave's respondents",
                                    "alpha": surveys.reliability},
                    "intercept_shift": args["intercept_shift"],
                    "scenario": {"baseline_gap_sd": baseline_gap,
                                 "differential_attrition_wave2": differential_attrition,
                                 "definition": "baseline_gap_sd: integrated students' entrance scores are higher "
                                               "by this many SD through their ability; differential_attrition_"
                                               "wave2: extra share of integrated students missing at wave 2"}},
        "programme_satisfaction": surveys.truth["programme_satisfaction"],
        "assessments": assessments.truth,
        "employment": employment.truth,
        "counts": counts,
        "faults": faults,
    }
    write_json(truth, root / "truth.json")
    truth = json.loads((root / "truth.json").read_text(encoding="utf-8"))
    return SyntheticStudy(root, root / "study.yaml", truth, *(data_dir / files[t] for t in TABLES))
