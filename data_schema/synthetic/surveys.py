"""Survey waves of the synthetic study: competency instruments at waves 0-2, satisfaction at wave 2.

A student answers at entry (wave 0, September of the entry year), mid-program
(wave 1, March two years later) and graduation (wave 2, May of the graduation
year) when that date is before the export date and the student is still
enrolled; a whole wave is skipped at random (unit non-response) and single
items are left empty at random (item non-response), both missing completely at
random.  The competency latent of instrument ``k`` at wave ``w`` is

.. math::

    \\theta_{ikw} = \\mu_w + c\\,(t_i - t_0) + u_j + v_c + a_{ik} + e_{ikw} + \\tau_k(g_j, t_i, w)

with the variance components of :data:`~data_schema.synthetic.effects.VARIANCE`
and the effect of :func:`~data_schema.synthetic.effects.competency_effect`.

Examples
--------
>>> from data_schema.synthetic.design import make_design
>>> from data_schema.codebook import builtin_codebooks
>>> d = make_design(seed=1, n_institutions=6, students_per_class=4, classes_per_cohort=1,
...                 first_cohort=2018, n_cohorts=6)
>>> draw = draw_surveys(d, builtin_codebooks(), seed=1)
>>> sorted(draw.table["wave"].unique().tolist())
[0, 1, 2]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from data_schema.codebook import Codebook
from data_schema.synthetic.design import AS_OF_YEAR, Design, ability_part, stream
from data_schema.synthetic.effects import (
    COHORT_TREND,
    COMPETENCY_INSTRUMENTS,
    VARIANCE,
    WAVE_GROWTH,
    competency_effect,
    group_multipliers,
)
from data_schema.synthetic.likert import (
    ItemParameters,
    expected_score,
    item_parameters,
    likert,
    population_alpha,
)

__all__ = ["SurveyDraw", "draw_surveys", "long_block", "InterceptShift", "SURVEY_COLUMNS", "UNIT_NONRESPONSE",
           "ITEM_NONRESPONSE", "SATISFACTION_EFFECT"]

SURVEY_COLUMNS = ("student_id", "instrument", "wave", "item", "response", "response_date")
UNIT_NONRESPONSE = {0: 0.03, 1: 0.10, 2: 0.08}
ITEM_NONRESPONSE = 0.03
SATISFACTION_EFFECT = 0.35
"""Effect of the integrated program on the satisfaction latent (SD units), constant."""


@dataclass(frozen=True)
class InterceptShift:
    """Make one item non-invariant: add ``shift`` (latent SD units) to its latent response for one program.

    The generator is measurement-invariant by construction; this variant breaks scalar invariance
    of one item between programs, at every wave, and draws no extra random numbers.
    """

    instrument: str
    item: str
    program: str = "integrated"
    shift: float = 0.5

    def to_dict(self) -> dict:
        """JSON-safe fields."""
        return {"instrument": self.instrument, "item": self.item, "program": self.program, "shift": self.shift}


@dataclass(frozen=True)
class SurveyDraw:
    """Survey rows and what the generator knows about them.

    Attributes
    ----------
    table
        The survey_responses rows of waves 0-2.
    params
        Item parameters per instrument.
    graduation_latent
        Mean over the competency instruments of each graduate's wave-2 latent, answered or not
        (NaN for students who have not graduated).
    truth
        Effects on the competency and satisfaction instruments (see ``truth.json``).
    reliability
        Population Cronbach's alpha of each instrument at each wave, implied by the response model
        for that wave's respondents (:func:`~data_schema.synthetic.likert.population_alpha`).
    """

    table: pd.DataFrame
    params: dict[str, ItemParameters]
    graduation_latent: np.ndarray
    truth: dict
    reliability: dict[str, dict[int, float]]


def _dates(years: np.ndarray, month: int, rng: np.random.Generator) -> np.ndarray:
    days = rng.integers(5, 26, years.size)
    return np.array([f"{y}-{month:02d}-{d:02d}" for y, d in zip(years, days, strict=False)], dtype=object)


def long_block(ids: np.ndarray, instrument: str, wave: int, params: ItemParameters, answers: np.ndarray,
               rng: np.random.Generator, dates: np.ndarray) -> pd.DataFrame:
    """Long rows of one instrument x wave, with items left empty at random."""
    n, m = answers.shape
    response = pd.array(answers.ravel(), dtype="Int64")
    response[rng.random(n * m) < ITEM_NONRESPONSE] = pd.NA
    return pd.DataFrame({
        "student_id": np.repeat(ids, m),
        "instrument": instrument,
        "wave": wave,
        "item": np.tile(np.array(params.items, dtype=object), n),
        "response": response,
        "response_date": np.repeat(dates, m),
    })


def _waves(design: Design, rng: np.random.Generator, differential_attrition: float = 0.0,
           seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    s = design.students
    cohort = s["cohort"].to_numpy(dtype=int)
    eligible = np.column_stack([
        np.ones(len(s), dtype=bool),
        cohort + 2 <= AS_OF_YEAR,
        s["graduation_year"].notna().to_numpy(),
    ])
    answered = eligible & (rng.random(eligible.shape) >= np.array([UNIT_NONRESPONSE[w] for w in range(3)]))
    if differential_attrition:
        # a separate stream, so the default study (no differential attrition) is drawn unchanged
        lost = stream(seed, 120).random(len(s)) < differential_attrition
        answered[:, 2] &= ~(lost & s["treated"].to_numpy())
    year = np.column_stack([cohort, cohort + 2, s["graduation_year"].fillna(0).to_numpy(dtype=int)])
    return answered, year


def _cell_truth(design: Design, answered2: np.ndarray, tau: np.ndarray, gain: np.ndarray) -> dict:
    s = design.students
    mask = answered2 & s["treated"].to_numpy()
    cells = (pd.DataFrame({"adoption_year": s["adoption_year"].to_numpy()[mask].astype(int),
                           "cohort": s["cohort"].to_numpy(dtype=int)[mask], "tau": tau[mask], "gain": gain[mask]})
             .groupby(["adoption_year", "cohort"], sort=True)
             .agg(att_latent=("tau", "mean"), att_scale_score=("gain", "mean"), n_students=("tau", "size"))
             .reset_index())
    records = [{"adoption_year": int(r.adoption_year), "cohort": int(r.cohort),
                "exposure": int(r.cohort - r.adoption_year), "att_latent": float(r.att_latent),
                "att_scale_score": float(r.att_scale_score), "n_students": int(r.n_students)}
               for r in cells.itertuples()]
    return {
        "att_wave2_by_group_cohort": records,
        "att_wave2_overall": {"att_latent": float(tau[mask].mean()) if mask.any() else None,
                              "att_scale_score": float(gain[mask].mean()) if mask.any() else None,
                              "n_students": int(mask.sum())},
    }


def _offset(shift: InterceptShift | None, instrument: str, params: ItemParameters,
            program: np.ndarray) -> np.ndarray | None:
    if shift is None or shift.instrument != instrument:
        return None
    offset = np.zeros((program.size, len(params.items)))
    offset[:, params.items.index(shift.item)] = shift.shift * (program == shift.program)
    return offset


def draw_surveys(design: Design, books: dict[str, Codebook], *, seed: int,
                 intercept_shift: InterceptShift | None = None, differential_attrition: float = 0.0,
                 effect_scale: float = 1.0) -> SurveyDraw:
    """Draw the competency instruments (waves 0-2) and programme satisfaction (wave 2).

    ``differential_attrition`` is the extra share of integrated students who do not answer wave 2;
    ``effect_scale`` multiplies the program's effects on the competency and satisfaction latents (the
    ``intercept_shift``, a measurement artefact, is not scaled).
    """
    rng = stream(seed, 2)
    s = design.students
    n = len(s)
    ids = s["student_id"].to_numpy(dtype=object)
    answered, year = _waves(design, rng, differential_attrition, seed)
    months = {0: 9, 1: 3, 2: 5}
    dates = {w: _dates(year[:, w], months[w], rng) for w in range(3)}
    mult = group_multipliers([g for g in design.adoption.values() if g is not None])
    m_g = np.array([mult.get(g, 0.0) if not np.isnan(g) else 0.0 for g in s["adoption_year"].to_numpy()])
    base = (COHORT_TREND * (s["cohort"].to_numpy(dtype=float) - design.cohorts[0])
            + s["u_inst"].to_numpy() + s["v_class"].to_numpy())
    params: dict[str, ItemParameters] = {}
    blocks, truth, grad_latent = [], {}, np.zeros(n)
    reliability: dict[str, dict[int, float]] = {}
    program = s["program"].to_numpy(dtype=object)
    for k in COMPETENCY_INSTRUMENTS:
        params[k] = item_parameters(books[k], stream(seed, 100 + COMPETENCY_INSTRUMENTS.index(k)))
        offset = _offset(intercept_shift, k, params[k], program)
        student = ability_part(s, rng)
        reliability[k] = {}
        for w in range(3):
            tau = competency_effect(k, s["exposure"].to_numpy(), w, m_g, effect_scale)
            theta = base + student + WAVE_GROWTH[w] + np.sqrt(VARIANCE["occasion"]) * rng.standard_normal(n) + tau
            rows = answered[:, w]
            off = None if offset is None else offset[rows]
            blocks.append(long_block(ids[rows], k, w, params[k], likert(theta[rows], params[k], rng, off), rng,
                                     dates[w][rows]))
            reliability[k][w] = population_alpha(theta[rows], params[k], off)
            if w == 2:
                grad_latent += theta / len(COMPETENCY_INSTRUMENTS)
                gain = np.zeros(n)
                hit = rows & (tau != 0)
                off_hit = None if offset is None else offset[hit]
                gain[hit] = (expected_score(theta[hit], params[k], off_hit)
                             - expected_score(theta[hit] - tau[hit], params[k], off_hit))
                truth[k] = _cell_truth(design, rows, tau, gain)
    sat = (s["u_inst"].to_numpy() + np.sqrt(0.9) * (0.4 * s["ability"].to_numpy()
           + np.sqrt(0.84) * rng.standard_normal(n)) + SATISFACTION_EFFECT * effect_scale * s["treated"].to_numpy())
    book = books["programme_satisfaction"]
    params[book.id] = item_parameters(book, stream(seed, 110))
    rows = answered[:, 2]
    blocks.append(long_block(ids[rows], book.id, 2, params[book.id], likert(sat[rows], params[book.id], rng), rng,
                             dates[2][rows]))
    reliability[book.id] = {2: population_alpha(sat[rows], params[book.id])}
    truth["programme_satisfaction"] = {"effect_latent": SATISFACTION_EFFECT * effect_scale, "wave": 2}
    table = pd.concat(blocks, ignore_index=True)
    grad_latent[s["graduation_year"].isna().to_numpy()] = np.nan
    return SurveyDraw(table, params, grad_latent, truth, reliability)
