"""Assessments of the synthetic study: capstone portfolios with four rater roles, exams and certificates.

A graduate's capstone portfolio has a true quality :math:`q_i`; a rater of role
``r`` and identity ``j`` awards
:math:`\\mathrm{round}(q_i + \\ell_r + \\delta_j + e)` clipped to 0-100, with
leniency offsets :math:`\\ell_r` (:data:`LENIENCY`), rater severities
:math:`\\delta_j \\sim N(0, 1.5^2)` for teachers and mentors and role-specific
residual SDs (:data:`RATER_NOISE`).  Module exams and internships are scored by
named teachers and enterprise mentors; HSK results (international students) and
the CBEC certificate are external exams.

Examples
--------
>>> from data_schema.synthetic.design import make_design
>>> d = make_design(seed=1, n_institutions=6, students_per_class=4, classes_per_cohort=1,
...                 first_cohort=2018, n_cohorts=6)
>>> draw = draw_assessments(d, seed=1)
>>> sorted(draw.table["rater_role"].unique().tolist())
['enterprise_mentor', 'external_exam', 'peer', 'self', 'teacher']
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import ndtr

from data_schema.synthetic.design import AS_OF_YEAR, Design, stream
from data_schema.synthetic.effects import scaled_effects

__all__ = [
    "AssessmentDraw",
    "draw_assessments",
    "ASSESSMENT_COLUMNS",
    "LENIENCY",
    "RATER_NOISE",
    "RATER_SEVERITY_SD",
    "MODULES",
    "HSK_TARGET",
]

ASSESSMENT_COLUMNS = (
    "student_id",
    "assessment",
    "component",
    "rater_id",
    "rater_role",
    "score",
    "max_score",
    "level",
    "passed",
    "assessed_on",
)
LENIENCY = {"teacher": 0.0, "enterprise_mentor": -3.0, "peer": 4.0, "self": 8.0}
"""Mean offset of each rater role from the portfolio's true quality (0-100 points)."""
RATER_NOISE = {"teacher": 3.0, "enterprise_mentor": 4.0, "peer": 4.5, "self": 5.0}
RATER_SEVERITY_SD = 1.5
CAPSTONE = {"mean": 68.0, "ability": 4.0, "institution": 1.5, "residual": 3.0, "integrated": 3.0}
MODULES = {"CHN101": (1, 0.0), "ECO101": (1, 0.0), "ICE201": (2, 0.0), "CBEC201": (2, 5.0)}
"""Module code -> (study year of the January exam, effect of the integrated program in points)."""
EXAM = {"mean": 72.0, "ability": 6.0, "residual": 6.0}
INTERNSHIP = {"mean": 75.0, "ability": 4.0, "integrated": 3.0, "residual": 4.0}
HSK = {
    "gain_mean": 1.6,
    "ability": 0.5,
    "integrated": 0.8,
    "residual": 0.7,
    "score_base": 120.0,
    "score_per_level": 18.0,
    "score_residual": 12.0,
}
HSK_TARGET = 4
"""HSK level the synthetic study's config names as the target (``outcomes.hsk_target_level``)."""
ROUNDING = 1 / 12
"""Variance that rounding a score to whole points adds."""
CBEC = {"mean": 56.0, "ability": 8.0, "integrated": 10.0, "residual": 8.0, "pass_mark": 60.0}


@dataclass(frozen=True)
class AssessmentDraw:
    """Assessment rows and their truth (see ``truth.json``)."""

    table: pd.DataFrame
    truth: dict


def _dates(years: np.ndarray, month: int, rng: np.random.Generator) -> np.ndarray:
    days = rng.integers(3, 27, years.size)
    return np.array([f"{y}-{month:02d}-{d:02d}" for y, d in zip(years, days, strict=False)], dtype=object)


def _frame(ids, assessment, component, rater_id, role, score, max_score, dates, level=None, passed=None):
    n = len(ids)
    return pd.DataFrame(
        {
            "student_id": ids,
            "assessment": assessment,
            "component": component,
            "rater_id": rater_id if rater_id is not None else np.full(n, None, dtype=object),
            "rater_role": role,
            "score": np.asarray(score, dtype=float),
            "max_score": float(max_score),
            "level": pd.array(level if level is not None else np.full(n, None), dtype="Int64"),
            "passed": pd.array(passed if passed is not None else np.full(n, None), dtype="boolean"),
            "assessed_on": dates,
        }
    )


def _score(x: np.ndarray, top: float = 100.0) -> np.ndarray:
    return np.clip(np.round(x), 0, top)


def _expect(means: list, rows: pd.DataFrame, assessment: str, component: str | None, mu: np.ndarray,
            var: float) -> None:
    """Record each row's expected score and residual variance for the composite truth."""
    means.append(pd.DataFrame({"idx": rows.index.to_numpy(), "assessment": assessment, "component": component,
                               "mu": mu, "var": var}))


def _capstone(s: pd.DataFrame, rng: np.random.Generator, means: list,
             scale: float) -> tuple[list[pd.DataFrame], dict]:
    g = s[s["graduation_year"].notna()]
    n = len(g)
    inst = g["inst"].to_numpy()
    expected = (
        CAPSTONE["mean"]
        + CAPSTONE["ability"] * g["ability"].to_numpy()
        + CAPSTONE["institution"] * g["u_inst"].to_numpy() / math.sqrt(0.10)
        + CAPSTONE["integrated"] * scale * g["treated"].to_numpy()
    )
    q = expected + CAPSTONE["residual"] * rng.standard_normal(n)
    dates = _dates(g["graduation_year"].to_numpy(dtype=int), 4, rng)
    ids = g["student_id"].to_numpy(dtype=object)
    teacher = rng.integers(1, 9, s["cls"].max() + 1)[g["cls"].to_numpy()]
    mentor = rng.integers(1, 11, n)
    sev_t = rng.normal(0, RATER_SEVERITY_SD, (inst.max() + 1, 9))
    sev_m = rng.normal(0, RATER_SEVERITY_SD, (inst.max() + 1, 11))
    codes = {
        "teacher": np.array([f"T{i + 1:02d}{k:02d}" for i, k in zip(inst, teacher, strict=False)], dtype=object),
        "enterprise_mentor": np.array(
            [f"M{i + 1:02d}{k:02d}" for i, k in zip(inst, mentor, strict=False)], dtype=object
        ),
        "peer": np.array(
            [f"PR{c:05d}{k:02d}" for c, k in zip(g["cls"], rng.integers(1, 31, n), strict=False)], dtype=object
        ),
        "self": None,
    }
    severity = {
        "teacher": sev_t[inst, teacher],
        "enterprise_mentor": sev_m[inst, mentor],
        "peer": np.zeros(n),
        "self": np.zeros(n),
    }
    out = []
    for role in ("teacher", "enterprise_mentor", "peer", "self"):
        score = _score(q + LENIENCY[role] + severity[role] + RATER_NOISE[role] * rng.standard_normal(n))
        out.append(_frame(ids, "capstone_portfolio", None, codes[role], role, score, 100, dates))
    mean_of_raters = expected + (sum(LENIENCY.values()) + severity["teacher"] + severity["enterprise_mentor"]) / 4
    noise = CAPSTONE["residual"] ** 2 + sum(v**2 for v in RATER_NOISE.values()) / 16
    _expect(means, g, "capstone_portfolio", None, mean_of_raters, noise + ROUNDING / 4)
    return out, _by_program(g["treated"].to_numpy(), quality=expected)


def _modules(s: pd.DataFrame, rng: np.random.Generator, means: list, scale: float) -> list[pd.DataFrame]:
    out = []
    for code, (year, effect) in MODULES.items():
        m = s[s["cohort"].to_numpy(dtype=int) + year <= AS_OF_YEAR]
        n = len(m)
        inst = m["inst"].to_numpy()
        mu = EXAM["mean"] + EXAM["ability"] * m["ability"].to_numpy() + effect * scale * m["treated"].to_numpy()
        score = _score(mu + EXAM["residual"] * rng.standard_normal(n))
        _expect(means, m, "module_exam", code, mu, EXAM["residual"] ** 2 + ROUNDING)
        teacher = np.array(
            [f"T{i + 1:02d}{k:02d}" for i, k in zip(inst, rng.integers(1, 9, inst.max() + 1)[inst], strict=False)],
            dtype=object,
        )
        dates = _dates(m["cohort"].to_numpy(dtype=int) + year, 1, rng)
        out.append(
            _frame(m["student_id"].to_numpy(dtype=object), "module_exam", code, teacher, "teacher", score, 100, dates)
        )
    return out


def _internship(s: pd.DataFrame, rng: np.random.Generator, means: list, scale: float) -> pd.DataFrame:
    m = s[~s["dropout"].to_numpy() & (s["cohort"].to_numpy(dtype=int) + 3 <= AS_OF_YEAR)]
    n = len(m)
    inst = m["inst"].to_numpy()
    mentor = rng.integers(1, 11, n)
    mu = (INTERNSHIP["mean"] + INTERNSHIP["ability"] * m["ability"].to_numpy()
          + INTERNSHIP["integrated"] * scale * m["treated"].to_numpy())
    score = _score(mu + INTERNSHIP["residual"] * rng.standard_normal(n))
    _expect(means, m, "internship", None, mu, INTERNSHIP["residual"] ** 2 + ROUNDING)
    rater = np.array([f"M{i + 1:02d}{k:02d}" for i, k in zip(inst, mentor, strict=False)], dtype=object)
    return _frame(
        m["student_id"].to_numpy(dtype=object),
        "internship",
        None,
        rater,
        "enterprise_mentor",
        score,
        100,
        _dates(m["cohort"].to_numpy(dtype=int) + 3, 7, rng),
    )


def _hsk_expectations(prior: np.ndarray, mean_gain: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per student E[level], E[level - prior] and P(level >= HSK_TARGET) under the HSK model."""
    k = np.arange(10)
    edges = ndtr((k[None, 1:] - 0.5 - mean_gain[:, None]) / HSK["residual"])  # P(gain < k - 0.5)
    cdf = np.column_stack([edges, np.ones(len(prior))])  # P(round(max(gain, 0)) <= k), k = 0..9 (9 = 9 or more)
    p = np.diff(cdf, axis=1, prepend=0.0)
    level = np.clip(prior[:, None] + k[None, :], 1, 9)
    e_level = (p * level).sum(axis=1)
    return e_level, e_level - prior, (p * (level >= HSK_TARGET)).sum(axis=1)


def _by_program(treated: np.ndarray, **values: np.ndarray) -> dict:
    out = {}
    for program, mask in (("integrated", treated), ("traditional", ~treated)):
        out[program] = {"n": int(mask.sum()), **{k: float(v[mask].mean()) if mask.any() else None
                                                  for k, v in values.items()}}
    return out


def _hsk(s: pd.DataFrame, rng: np.random.Generator, scale: float) -> tuple[pd.DataFrame, pd.Series]:
    m = s[(s["student_origin"] == "international").to_numpy() & s["graduation_year"].notna().to_numpy()]
    n = len(m)
    mean_gain = (
        HSK["gain_mean"] + HSK["ability"] * m["ability"].to_numpy()
        + HSK["integrated"] * scale * m["treated"].to_numpy()
    )
    gain = mean_gain + HSK["residual"] * rng.standard_normal(n)
    level = np.clip(m["prior_hsk_level"].to_numpy(dtype=int) + np.round(np.maximum(gain, 0)), 1, 9).astype(int)
    score = _score(
        HSK["score_base"] + HSK["score_per_level"] * level + HSK["score_residual"] * rng.standard_normal(n), 300
    )
    frame = _frame(
        m["student_id"].to_numpy(dtype=object),
        "hsk",
        None,
        None,
        "external_exam",
        score,
        300,
        _dates(m["graduation_year"].to_numpy(dtype=int), 3, rng),
        level=level,
    )
    e_level, e_gain, p_target = _hsk_expectations(m["prior_hsk_level"].to_numpy(dtype=int), mean_gain)
    expected = pd.DataFrame({"level": e_level, "gain": e_gain, "target": p_target}, index=m.index)
    return frame, expected


def _cbec(s: pd.DataFrame, rng: np.random.Generator, means: list,
          scale: float) -> tuple[pd.DataFrame, dict, pd.Series]:
    effect = CBEC["integrated"] * scale
    m = s[~s["dropout"].to_numpy() & (s["cohort"].to_numpy(dtype=int) + 3 <= AS_OF_YEAR - 1)]
    n = len(m)
    treated = m["treated"].to_numpy()
    mu = CBEC["mean"] + CBEC["ability"] * m["ability"].to_numpy()
    score = _score(mu + effect * treated + CBEC["residual"] * rng.standard_normal(n))
    passed = score >= CBEC["pass_mark"]
    _expect(means, m, "cbec_certificate", None, mu + effect * treated, CBEC["residual"] ** 2 + ROUNDING)
    frame = _frame(
        m["student_id"].to_numpy(dtype=object),
        "cbec_certificate",
        None,
        None,
        "external_exam",
        score,
        100,
        _dates(m["cohort"].to_numpy(dtype=int) + 3, 11, rng),
        passed=passed,
    )

    # P(round(x) >= 60) = P(x >= 59.5) for x ~ N(mean, residual^2)
    def p_pass(mean: np.ndarray) -> np.ndarray:
        return ndtr((mean - (CBEC["pass_mark"] - 0.5)) / CBEC["residual"])

    att = float((p_pass(mu[treated] + effect) - p_pass(mu[treated])).mean()) if treated.any() else None
    expected = pd.Series(p_pass(mu + effect * treated), index=m.index)
    return frame, {"att_pass_probability": att, "n_treated_takers": int(treated.sum())}, expected


def _composite_truth(s: pd.DataFrame, means: pd.DataFrame) -> dict:
    """Expected assessment composite per program; see the ``definition`` it returns."""
    m = means.assign(cohort=s["cohort"].to_numpy(dtype=int)[means["idx"]], component=means["component"].fillna(""))
    g = m.groupby(["assessment", "component", "cohort"])["mu"]
    m["z"] = (m["mu"] - g.transform("mean")) / np.sqrt(g.transform("var", ddof=0) + m["var"])
    per_student = m.groupby(["idx", "assessment"])["z"].mean().groupby("idx").mean()
    return {**_by_program(s["treated"].to_numpy()[per_student.index], composite=per_student.to_numpy()),
            "definition": "per program, the mean over students with any assessment of the mean over assessments "
            "(components averaged first) of (mu - mean of mu in the group) / sqrt(var of mu in the group + "
            "residual variance), groups = assessment x component x cohort; mu = the row's expected score "
            "(mean over raters for the portfolio, including the raters' severities)"}


def _certification_truth(s: pd.DataFrame, hsk: pd.DataFrame, cbec: pd.Series) -> dict:
    """Expected certification indicators per program, given each student's covariates and ability."""
    treated = s["treated"].to_numpy()
    both = hsk.index.intersection(cbec.index)
    return {
        "hsk_target_level": HSK_TARGET,
        "hsk": _by_program(treated[hsk.index], level=hsk["level"].to_numpy(), gain=hsk["gain"].to_numpy(),
                           target=hsk["target"].to_numpy()),
        "certificate_pass": _by_program(treated[cbec.index], rate=cbec.to_numpy()),
        "dual_certification": _by_program(treated[both], rate=(hsk.loc[both, "target"] * cbec.loc[both]).to_numpy()),
        "definition": "means over the students with the result(s) of each student's model expectation given "
        "prior level, ability and program; dual = P(HSK level >= target) * P(certificate pass), "
        "independent given ability",
    }


def draw_assessments(design: Design, *, seed: int, effect_scale: float = 1.0) -> AssessmentDraw:
    """Draw every assessment row of the study and record the built-in effects, each multiplied by ``effect_scale``."""
    rng = stream(seed, 3)
    s = design.students
    means: list[pd.DataFrame] = []
    cbec, cbec_truth, cbec_expected = _cbec(s, rng, means, effect_scale)
    capstone, capstone_expected = _capstone(s, rng, means, effect_scale)
    parts = [*capstone, *_modules(s, rng, means, effect_scale), _internship(s, rng, means, effect_scale)]
    hsk, hsk_expected = _hsk(s, rng, effect_scale)
    parts += [hsk, cbec]
    table = pd.concat(parts, ignore_index=True).sort_values(
        ["student_id", "assessment", "component", "rater_role"], kind="stable", na_position="first"
    )
    truth = {
        "capstone_portfolio": {
            "leniency_offsets": dict(LENIENCY),
            "rater_noise_sd": dict(RATER_NOISE),
            "rater_severity_sd": {
                "teacher": RATER_SEVERITY_SD,
                "enterprise_mentor": RATER_SEVERITY_SD,
                "peer": 0.0,
                "self": 0.0,
            },
            "quality_model": scaled_effects(CAPSTONE, effect_scale),
            "expected_quality": capstone_expected,
            "definition": "score = clip(round(quality + leniency[role] + severity[rater] + noise[role]), 0, 100); "
            "quality = mean + ability*z_ability + institution*u_inst/sd(u) + residual*z + integrated*D; "
            "expected_quality = per program, the mean over graduates of quality without its residual "
            "(what a leniency-corrected portfolio score on the teacher scale estimates)",
        },
        "certification": _certification_truth(s, hsk_expected, cbec_expected),
        "composite": _composite_truth(s, pd.concat(means, ignore_index=True)),
        "module_exam": {"model": dict(EXAM),
                        "integrated_effect_points": {k: v[1] * effect_scale for k, v in MODULES.items()}},
        "internship": scaled_effects(INTERNSHIP, effect_scale),
        "hsk": {
            **scaled_effects(HSK, effect_scale),
            "definition": "level = clip(prior_hsk_level + round(max(gain, 0)), 1, 9); "
            "gain = gain_mean + ability*z + integrated*D + residual*z2",
        },
        "cbec_certificate": {
            **scaled_effects(CBEC, effect_scale),
            **cbec_truth,
            "definition": "score = clip(round(mean + ability*z + integrated*D + residual*z2), 0, 100);"
            " passed = score >= pass_mark",
        },
    }
    return AssessmentDraw(table.reset_index(drop=True)[list(ASSESSMENT_COLUMNS)], truth)
