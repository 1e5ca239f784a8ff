"""The built-in effects and variance components of the synthetic study.

Every number the generator uses to create an effect lives here, so the truth
written to ``truth.json`` and the data come from one place.  Competency latents
are in standard-deviation units of the untreated population at a wave (the
variance components below sum to one).

The treatment effect on competency instrument ``k`` at wave ``w`` for a student
of an institution that adopted the integrated program in year ``g`` (the
adoption group) and entered in cohort ``t >= g`` is

.. math::

    \\tau_k(g, t, w) = \\beta_k \\, s_w \\, m_g \\, (1 + \\gamma (t - g)),

with base effect :math:`\\beta_k` at graduation, exposure share :math:`s_w`
(0 at entry, 0.5 mid-program, 1 at graduation), group multiplier :math:`m_g`
(earlier adopters gain more) and growth :math:`\\gamma` per year since
adoption.  Because effects change with both ``g`` and ``t - g``, a two-way
fixed-effects regression on institutions and cohorts is biased, while the
group-time ATTs :math:`\\tau_k(g, t, 2)` are well defined.

Every built-in effect of the integrated program (on the competency and
satisfaction latents, the assessments and certificates, and the employment
outcomes) is multiplied by the study's ``effect_scale`` :math:`\\lambda`
(:data:`EFFECT_SCALE_RANGE`; 1 = the built-in effects, 0 = a null study), so
here :math:`\\tau_k` becomes :math:`\\lambda\\tau_k`.  Effects on a log-odds or
log scale are multiplied on that scale.

Examples
--------
>>> round(competency_effect("intercultural_competence", 0, 2, 1.0), 3)
0.3
>>> competency_effect("intercultural_competence", 0.0, 0.0, 1.0)
0.0
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "AS_OF",
    "COMPETENCY_EFFECT",
    "COMPETENCY_INSTRUMENTS",
    "EXPOSURE_SHARE",
    "EFFECT_GROWTH",
    "VARIANCE",
    "WAVE_GROWTH",
    "COHORT_TREND",
    "EFFECT_SCALE_RANGE",
    "group_multipliers",
    "competency_effect",
    "scaled_effects",
]

AS_OF = "2026-09-30"
"""The date the synthetic exports were taken: later events are not in the data."""

COMPETENCY_INSTRUMENTS: tuple[str, ...] = (
    "intercultural_competence",
    "digital_commerce_skills",
    "business_chinese_self_efficacy",
    "global_market_awareness",
)

COMPETENCY_EFFECT: dict[str, float] = {
    "intercultural_competence": 0.30,
    "digital_commerce_skills": 0.50,
    "business_chinese_self_efficacy": 0.40,
    "global_market_awareness": 0.25,
}
"""Base effect beta_k at graduation (wave 2) for a cohort entering in the adoption year, latent SD."""

EXPOSURE_SHARE: dict[int, float] = {0: 0.0, 1: 0.5, 2: 1.0}
"""Share of the graduation effect reached at each wave (s_w)."""

EFFECT_GROWTH = 0.15
"""gamma: relative growth of the effect per cohort since adoption (the program matures)."""

WAVE_GROWTH: dict[int, float] = {0: 0.0, 1: 0.3, 2: 0.6}
"""Mean change of every student's competency latent by wave, untreated."""

COHORT_TREND = 0.02
"""Common change of the competency latent per entry cohort (parallel trends hold)."""

VARIANCE: dict[str, float] = {
    "institution": 0.10,
    "class": 0.05,
    "student": 0.60,
    "occasion": 0.25,
}
"""Variance components of a competency latent at a wave; they sum to 1 (SD units)."""

EFFECT_SCALE_RANGE = (0.0, 5.0)
"""Smallest and largest ``effect_scale``: multiplier of every built-in effect of the integrated program."""

STUDENT_SHARED = 0.6
"""Share of the student variance that comes from general ability (shared by instruments)."""


def group_multipliers(adoption_years: list[int]) -> dict[int, float]:
    """Effect multiplier m_g of each adoption group: 1.2 for the earliest, 0.8 for the latest.

    Examples
    --------
    >>> group_multipliers([2019, 2021, 2020])
    {2019: 1.2, 2020: 1.0, 2021: 0.8}
    """
    years = sorted(set(adoption_years))
    if len(years) == 1:
        return {years[0]: 1.0}
    span = years[-1] - years[0]
    return {g: round(1.2 - 0.4 * (g - years[0]) / span, 10) for g in years}


def scaled_effects(params: dict[str, float], effect_scale: float, keys: tuple[str, ...] = ("integrated",)
                   ) -> dict[str, float]:
    """A copy of a parameter block with the program effects named by ``keys`` multiplied by ``effect_scale``.

    Examples
    --------
    >>> scaled_effects({"mean": 68.0, "integrated": 3.0}, 0.5)
    {'mean': 68.0, 'integrated': 1.5}
    """
    return {k: v * effect_scale if k in keys else v for k, v in params.items()}


def competency_effect(instrument: str, exposure_years: np.ndarray | float, wave: np.ndarray | float,
                      multiplier: np.ndarray | float, effect_scale: float = 1.0) -> np.ndarray | float:
    """tau_k(g, t, w) for cohorts ``t = g + exposure_years`` (0 where exposure is negative).

    Parameters
    ----------
    instrument
        A competency instrument id.
    exposure_years
        ``t - g``; negative or NaN means untreated.
    wave
        Survey wave 0, 1 or 2.
    multiplier
        The group multiplier m_g.
    effect_scale
        Multiplier of the base effect beta_k (the study's ``effect_scale``).

    Returns
    -------
    float or numpy.ndarray
        The effect in latent SD units.

    Examples
    --------
    >>> round(competency_effect("digital_commerce_skills", 0, 1, 1.0), 3)
    0.25
    """
    e = np.asarray(exposure_years, dtype=float)
    w = np.asarray(wave)
    share = np.select([w == 1, w == 2], [EXPOSURE_SHARE[1], EXPOSURE_SHARE[2]], EXPOSURE_SHARE[0])
    treated = np.nan_to_num(e, nan=-1.0) >= 0
    out = np.where(treated, COMPETENCY_EFFECT[instrument] * effect_scale * share * multiplier
                   * (1 + EFFECT_GROWTH * np.where(treated, e, 0.0)), 0.0)
    return float(out) if out.ndim == 0 else out
