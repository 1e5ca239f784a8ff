"""Graduate follow-ups of the synthetic study, and the employers' feedback on employed graduates.

Graduates are surveyed 6, 12 and 36 months after graduation (June of the
graduation year) when that date lies before the export date.  Whether a
graduate answers depends on the program and on ability (logistic model
:data:`RESPONSE`), so rates among respondents differ from rates among all
graduates; ``truth.json`` records both.  Status is multinomial logit
(:data:`STATUS`, baseline ``seeking``); the sector of a working graduate
depends on the program only (:data:`SECTOR`), so the sector shares among
working respondents estimate the model's shares without bias; the log monthly
salary is linear (:data:`SALARY`).

Examples
--------
>>> from data_schema.synthetic.design import make_design
>>> from data_schema.codebook import builtin_codebooks
>>> d = make_design(seed=1, n_institutions=6, students_per_class=4, classes_per_cohort=1,
...                 first_cohort=2016, n_cohorts=6)
>>> draw = draw_employment(d, builtin_codebooks()["employer_feedback"], None, seed=1)
>>> sorted(draw.table["months_after_graduation"].unique().tolist())
[6, 12, 36]
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import ndtr

from data_schema.codebook import Codebook
from data_schema.synthetic.design import AS_OF_YEAR, Design, stream
from data_schema.synthetic.effects import scaled_effects
from data_schema.synthetic.likert import item_parameters, likert
from data_schema.synthetic.surveys import long_block

__all__ = [
    "EmploymentDraw",
    "draw_employment",
    "EMPLOYMENT_COLUMNS",
    "RESPONSE",
    "STATUS",
    "SECTOR",
    "SALARY",
    "EMPLOYER_EFFECT",
    "EMPLOYER_WAVE",
]

EMPLOYMENT_COLUMNS = (
    "student_id",
    "months_after_graduation",
    "status",
    "sector",
    "field_match",
    "monthly_salary",
    "employer_country",
    "employer_satisfaction",
    "surveyed_on",
)
FOLLOW_UPS = {6: (0, 12), 12: (1, 6), 36: (3, 6)}
"""Months after graduation -> (years after the graduation year, month of the survey)."""
RESPONSE = {"intercept": 1.0, "integrated": 0.5, "ability": 0.5, "months": {6: 0.0, 12: -0.2, 36: -0.8}}
STATUS = {
    "employed": {"intercept": 1.8, "ability": 0.4, "integrated": 0.3, "after_6_months": 0.4},
    "self_employed": {"intercept": -1.0, "ability": 0.1, "integrated": 0.4, "after_6_months": 0.0},
    "further_study": {"intercept": -0.2, "ability": 0.5, "integrated": 0.0, "after_6_months": -0.5},
    "not_seeking": {"intercept": -1.6, "ability": 0.0, "integrated": 0.0, "after_6_months": 0.0},
    "seeking": {"intercept": 0.0, "ability": 0.0, "integrated": 0.0, "after_6_months": 0.0},
}
SECTOR = {
    "cbec": {"intercept": -0.3, "integrated": 1.1},
    "cultural_exchange": {"intercept": -1.0, "integrated": 0.4},
    "other": {"intercept": 0.0, "integrated": 0.0},
}
SALARY = {
    "log_base": math.log(5500.0),
    "per_graduation_year": 0.02,
    "ability": 0.10,
    "integrated": 0.12,
    "cbec": 0.15,
    "cultural_exchange": 0.05,
    "month_36": 0.25,
    "residual_sd": 0.35,
    "missing": 0.05,
}
FIELD_MATCH = {"cbec": 0.85, "cultural_exchange": 0.80, "other": 0.35}
EMPLOYER_EFFECT = 0.30
EMPLOYER_WAVE = 3
ABROAD = ("us", "de", "sg", "ae", "gb")
SATISFACTION_CUTS = np.array([-1.6, -0.8, 0.1, 1.0])
"""Employer rating = 1 + number of cut points below the graduate's performance."""


@dataclass(frozen=True)
class EmploymentDraw:
    """Employment rows, employer-feedback survey rows (wave 3) and their truth."""

    table: pd.DataFrame
    feedback: pd.DataFrame
    truth: dict


def _softmax_draw(logits: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    return (rng.random((len(p), 1)) > p.cumsum(axis=1)).sum(axis=1).clip(0, p.shape[1] - 1)


def _follow_ups(s: pd.DataFrame) -> pd.DataFrame:
    g = s[s["graduation_year"].notna()].reset_index(drop=True)
    parts = []
    for months, (years, month) in FOLLOW_UPS.items():
        year = g["graduation_year"].to_numpy(dtype=int) + years
        keep = (year < AS_OF_YEAR) | ((year == AS_OF_YEAR) & (month <= 9))
        parts.append(g[keep].assign(months=months, survey_year=year[keep], survey_month=month))
    return pd.concat(parts, ignore_index=True)


def _sector_probabilities(scale: float) -> dict:
    out = {}
    for program, d in (("integrated", 1.0), ("traditional", 0.0)):
        z = {k: v["intercept"] + v["integrated"] * scale * d for k, v in SECTOR.items()}
        total = sum(math.exp(v) for v in z.values())
        out[program] = {k: math.exp(v) / total for k, v in z.items()}
    return out


def _rates(f: pd.DataFrame, responded: np.ndarray, working: np.ndarray) -> list[dict]:
    d = pd.DataFrame({"months": f["months"], "program": f["program"], "responded": responded, "working": working})
    rows = []
    for (months, program), x in d.groupby(["months", "program"], sort=True):
        resp = x[x["responded"]]
        rows.append(
            {
                "months_after_graduation": int(months),
                "program": program,
                "graduates": len(x),
                "respondents": len(resp),
                "response_rate": float(x["responded"].mean()),
                "working_rate_graduates": float(x["working"].mean()),
                "working_rate_respondents": float(resp["working"].mean()) if len(resp) else None,
            }
        )
    return rows


def _median_of_mixture(mu: np.ndarray, sd: float) -> float | None:
    """The x with mean_i Phi((log x - mu_i)/sd) = 1/2, by bisection on log x."""
    if mu.size == 0:
        return None
    lo, hi = float(mu.min()) - 1, float(mu.max()) + 1
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if ndtr((mid - mu) / sd).mean() < 0.5 else (lo, mid)
    return math.exp((lo + hi) / 2)


def _mean(x: np.ndarray) -> float | None:
    return float(x.mean()) if x.size else None


def _expected(f: pd.DataFrame, p: dict, responded: np.ndarray, table: pd.DataFrame) -> dict:
    """Model expectations of the outcome indicators per follow-up and program, given each graduate's covariates.

    ``graduates``: over every graduate due for the follow-up; ``respondents``: over those who answered, each
    indicator over its own population (working, with a salary, ...) as the ``outcomes`` indicators define it.
    """
    dest = p["employed"] + p["self_employed"] + p["further_study"]
    work = p["employed"] + p["self_employed"]
    status = table["status"].to_numpy()
    working = np.isin(status, ["employed", "self_employed"])
    sector = table["sector"].to_numpy()
    has_salary = table["monthly_salary"].notna().to_numpy()
    has_sat = table["employer_satisfaction"].notna().to_numpy()
    out: dict = {}
    for (months, program), idx in f.groupby(["months", "program"], sort=True).indices.items():
        r = idx[responded[idx]]
        w = r[working[r]]
        rates = {"contract_employment_rate": p["employed"], "self_employment_rate": p["self_employed"],
                 "further_study_rate": p["further_study"], "seeking_rate": p["seeking"],
                 "employment_rate": work, "destination_rate": dest}
        out.setdefault(str(months), {})[program] = {
            "graduates": {"n": int(idx.size), "response_rate": _mean(p["respond"][idx]),
                          "destination_rate_all_graduates": _mean(p["respond"][idx] * dest[idx]),
                          **{k: _mean(v[idx]) for k, v in rates.items()}},
            "respondents": {
                "n": int(r.size), **{k: _mean(v[r]) for k, v in rates.items()},
                **{f"{k}": _mean(p["sector"][k][w]) for k in ("cbec_sector_share", "cultural_exchange_share",
                                                               "target_sector_share")},
                "field_match_rate": _mean(np.array([FIELD_MATCH[x] for x in sector[w]], dtype=float)),
                "working_abroad_share": _mean(p["abroad"][w]),
                "monthly_salary": _median_of_mixture(p["log_salary"][w[has_salary[w]]], SALARY["residual_sd"]),
                "employer_satisfaction": _mean(p["satisfaction"][r[has_sat[r]]]),
                "employer_satisfied_rate": _mean(p["satisfied"][r[has_sat[r]]]),
            },
        }
    return out


def draw_employment(
    design: Design, book: Codebook, graduation_latent: np.ndarray | None, *, seed: int, effect_scale: float = 1.0
) -> EmploymentDraw:
    """Draw follow-ups of every graduate (respondents only are exported) and employer feedback.

    ``effect_scale`` multiplies the program's effects on status, sector and salary (on the log-odds and log
    scales) and on the employers' rating; the response model is a data-collection mechanism and is not scaled.
    """
    rng = stream(seed, 4)
    s = design.students.copy()
    s["grad_latent"] = 0.0 if graduation_latent is None else np.nan_to_num(graduation_latent)
    f = _follow_ups(s)
    n = len(f)
    a, d, months = f["ability"].to_numpy(), f["treated"].to_numpy().astype(float), f["months"].to_numpy()
    eta = (
        RESPONSE["intercept"]
        + RESPONSE["integrated"] * d
        + RESPONSE["ability"] * a
        + np.select([months == 12, months == 36], [RESPONSE["months"][12], RESPONSE["months"][36]], 0.0)
    )
    responded = rng.random(n) < 1 / (1 + np.exp(-eta))
    names = list(STATUS)
    logits = np.column_stack(
        [
            c["intercept"] + c["ability"] * a + c["integrated"] * effect_scale * d + c["after_6_months"] * (months > 6)
            for c in STATUS.values()
        ]
    )
    status = np.array(names)[_softmax_draw(logits, rng)]
    working = np.isin(status, ["employed", "self_employed"])
    sectors = list(SECTOR)
    sector = np.array(sectors)[
        _softmax_draw(np.column_stack([c["intercept"] + c["integrated"] * effect_scale * d for c in SECTOR.values()]),
                      rng)
    ]
    log_s = (
        SALARY["log_base"]
        + SALARY["per_graduation_year"] * (f["graduation_year"].to_numpy(dtype=float) - 2020)
        + SALARY["ability"] * a
        + SALARY["integrated"] * effect_scale * d
        + SALARY["cbec"] * (sector == "cbec")
        + SALARY["cultural_exchange"] * (sector == "cultural_exchange")
        + SALARY["month_36"] * (months == 36)
        + SALARY["residual_sd"] * (residual := rng.standard_normal(n))
    )
    salary = np.round(np.exp(log_s) / 10) * 10
    has_salary = working & (rng.random(n) >= SALARY["missing"])
    match = rng.random(n) < np.array([FIELD_MATCH[x] for x in sector])
    intl = (f["student_origin"] == "international").to_numpy()
    country = np.where(
        intl & (rng.random(n) < 0.45),
        f["nationality"].to_numpy(),
        np.where(~intl & (rng.random(n) < 0.08), rng.choice(np.array(ABROAD), n), "cn"),
    )
    perf_mean = 0.5 * a + 0.3 * f["grad_latent"].to_numpy() + EMPLOYER_EFFECT * effect_scale * d
    perf = perf_mean + 0.8 * rng.standard_normal(n)
    satisfaction = 1 + (perf[:, None] > SATISFACTION_CUTS).sum(axis=1)
    employed = status == "employed"
    has_sat = employed & (rng.random(n) < 0.85)
    days = rng.integers(1, 29, n)
    dates = np.array(
        [f"{y}-{m:02d}-{dd:02d}" for y, m, dd in zip(f["survey_year"], f["survey_month"], days, strict=False)],
        dtype=object,
    )
    table = pd.DataFrame(
        {
            "student_id": f["student_id"].to_numpy(dtype=object),
            "months_after_graduation": pd.array(months, dtype="Int64"),
            "status": status,
            "sector": np.where(working, sector, None),
            "field_match": pd.array(np.where(working, match, None), dtype="boolean"),
            "monthly_salary": pd.array(np.where(has_salary, salary, np.nan), dtype="Float64"),
            "employer_country": np.where(working, country, None),
            "employer_satisfaction": pd.array(np.where(has_sat, satisfaction, 0), dtype="Int64"),
            "surveyed_on": dates,
        }
    )
    table.loc[~has_sat, "employer_satisfaction"] = pd.NA
    fb = responded & employed & (months == 12) & (rng.random(n) < 0.7)
    params = item_parameters(book, stream(seed, 111))
    feedback = long_block(
        f["student_id"].to_numpy(dtype=object)[fb],
        book.id,
        EMPLOYER_WAVE,
        params,
        likert(perf[fb] / math.sqrt(0.25 + 0.09 + 0.64), params, rng),
        rng,
        dates[fb],
    )
    probs = np.exp(logits - logits.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    share = _sector_probabilities(effect_scale)
    by_row = {k: np.where(d > 0, share["integrated"][k], share["traditional"][k]) for k in SECTOR}
    expected = {
        "respond": 1 / (1 + np.exp(-eta)),
        **{name: probs[:, j] for j, name in enumerate(names)},
        "sector": {"cbec_sector_share": by_row["cbec"], "cultural_exchange_share": by_row["cultural_exchange"],
                   "target_sector_share": by_row["cbec"] + by_row["cultural_exchange"]},
        "abroad": np.where(intl, 0.45 * (f["nationality"].to_numpy() != "cn"), 0.08),
        "log_salary": log_s - SALARY["residual_sd"] * residual,
        "satisfaction": 1 + ndtr((perf_mean[:, None] - SATISFACTION_CUTS) / 0.8).sum(axis=1),
        "satisfied": ndtr((perf_mean - SATISFACTION_CUTS[2]) / 0.8),
    }
    out = table[responded].sort_values(["student_id", "months_after_graduation"], kind="stable")
    truth = {
        "response_model": {
            **RESPONSE,
            "definition": "P(respond) = logistic(intercept + integrated*D + ability*z "
            "+ months[m]); non-respondents have no row",
        },
        "status_model": {
            "coefficients": {k: scaled_effects(v, effect_scale) for k, v in STATUS.items()},
            "baseline": "seeking",
            "definition": "multinomial logit; after_6_months applies at 12 and 36 months",
        },
        "sector_model": {
            "coefficients": {k: scaled_effects(v, effect_scale) for k, v in SECTOR.items()},
            "probabilities_given_working": share,
            "definition": "sector of a working graduate depends on the program only",
        },
        "salary_model": {
            **scaled_effects(SALARY, effect_scale),
            "definition": "log(salary) = log_base + per_graduation_year*(graduation_year-2020)"
            " + ability*z + integrated*D + cbec + cultural_exchange + month_36 + residual; "
            "rounded to 10 CNY; missing completely at random with probability 'missing'",
        },
        "field_match_probability": FIELD_MATCH,
        "rates": _rates(f, responded, working),
        "expected": _expected(f, expected, responded, table),
        "expected_definition": "per months after graduation and program, model expectations given each "
        "graduate's ability, program and (for field match and salary) realised sector: 'graduates' over every "
        "graduate due for the follow-up, 'respondents' over those who answered, each indicator over its own "
        "population as outcomes.INDICATORS defines it (salary: median of the log-normal mixture)",
        "employer_feedback": {
            "wave": EMPLOYER_WAVE,
            "effect_latent": EMPLOYER_EFFECT * effect_scale,
            "definition": "performance = 0.5*ability + 0.3*graduation competency + effect*D + "
            "0.8*z; employers of graduates employed at 12 months answer with "
            "probability 0.7; items use performance / sd(performance)",
        },
    }
    return EmploymentDraw(out.reset_index(drop=True), feedback, truth)
