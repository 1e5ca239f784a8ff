"""Survey instruments: reliability by wave, mean scores by wave and program, growth models.

Reliability is Cronbach's alpha with its Feldt interval and McDonald's omega total with its Wald interval,
for every instrument (and subscale) at every wave (:func:`surveys.reliability.reliability_table`).  Mean
scale scores come with a t interval.  The growth model of each competency (an instrument scored at two or
more waves) is ``score ~ wave * integrated`` with random intercepts for institutions and for students within
them (REML, :func:`analyses.mixed.fit`), reported as fixed effects and intraclass correlations with
profile-likelihood intervals.

Examples
--------
>>> from data_schema.codebook import builtin_codebooks
>>> labels(builtin_codebooks()["global_market_awareness"])[0]
'Global Market Awareness'
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analyses import mixed
from data_schema.codebook import Codebook
from data_schema.errors import EstimationError
from data_schema.study import Study
from outcomes.cells import mean_columns
from reports.study_results.suppression import suppress
from surveys.reliability import reliability_table
from surveys.scoring import TOTAL

__all__ = ["growth_tables", "labels", "mean_scores", "reliability"]

LEVEL = 0.95
MIN_INSTITUTIONS = 4
"""Fewest institutions for the growth model: fewer cannot estimate the variance between institutions."""
_RELIABILITY_VALUES = ["n", "alpha", "alpha_ci_low", "alpha_ci_high", "omega", "omega_ci_low", "omega_ci_high"]


def labels(book: Codebook) -> tuple[str, str]:
    """The instrument's English and Chinese titles (without a parenthesised remark); ``""`` when absent."""
    def clean(text: str) -> str:
        for bracket in (" (", "（"):
            text = text.split(bracket)[0]
        return text.strip()

    return clean(book.title.get("en", book.id)), clean(book.title.get("zh", ""))


def _labelled(frame: pd.DataFrame, study: Study) -> pd.DataFrame:
    pairs = {k: labels(b) for k, b in study.codebooks.items()}
    out = frame.assign(instrument_label=frame["instrument"].map(lambda k: pairs.get(k, (k, ""))[0]),
                       instrument_label_zh=frame["instrument"].map(lambda k: pairs.get(k, (k, ""))[1]))
    if "wave" in out.columns:
        out["wave_label"] = out["wave"].map(lambda w: study.config.waves.get(int(w), f"wave {int(w)}"))
    return out


def reliability(responses: pd.DataFrame, study: Study, *, min_cell: int) -> pd.DataFrame:
    """Alpha and omega with intervals for every instrument, scale and wave, small-cell protected."""
    present = set(responses["instrument"].unique())
    books = {k: b for k, b in sorted(study.codebooks.items()) if k in present}
    table = reliability_table(responses, books, by=["wave"], n_boot=0, ci_level=LEVEL).scales
    table = table.assign(note=table["note"].fillna("").astype(str), n=table["n"].astype("int64"))
    protected = suppress(table, count="n", by=["instrument", "scale", "wave"], hide=_RELIABILITY_VALUES,
                         min_cell=min_cell)
    return _labelled(protected, study)


def _students_program(study: Study) -> pd.DataFrame:
    return study.students[["student_id", "institution_id", "program"]]


def mean_scores(scores_long: pd.DataFrame, study: Study, *, min_cell: int) -> pd.DataFrame:
    """Mean total score by instrument, wave and program with its t interval, small-cell protected."""
    rows = scores_long[(scores_long["scale"] == TOTAL) & scores_long["scored"]]
    rows = rows.merge(_students_program(study), on="student_id")
    keys = ["instrument", "wave", "program"]
    grouped = rows.groupby(keys, sort=True)["score"]
    stats = grouped.agg(n="size", mean="mean", var=lambda s: s.var(ddof=0)).reset_index()
    n = stats["n"].to_numpy(dtype=float)
    cols = mean_columns(n, stats["mean"].to_numpy(dtype=float), stats["var"].to_numpy(dtype=float) * n, level=LEVEL)
    table = stats[keys].assign(n=stats["n"].astype("int64"), estimate=cols["estimate"], std_error=cols["std_error"],
                               ci_low=cols["ci_low"], ci_high=cols["ci_high"], ci_level=LEVEL)
    return _labelled(suppress(table, count="n", by=keys, min_cell=min_cell), study)


def growth_tables(scores: pd.DataFrame, instrument: str, study: Study, *,
                  min_cell: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fixed effects and ICCs of the growth model of one competency.

    Parameters
    ----------
    scores
        Wide scores, one row a student x wave (``surveys.score(...).scores``).
    instrument
        The competency.
    study
        The study (students, the integrated program's name, codebooks).
    min_cell
        Smallest published count.

    Returns
    -------
    tuple of pandas.DataFrame
        The ``growth`` rows (one per fixed effect) and the ``growth_icc`` rows (one per level).

    Raises
    ------
    EstimationError
        When the model cannot be fitted (e.g. a single institution).
    """
    data = scores.loc[scores[instrument].notna(), ["student_id", "wave", instrument]].rename(
        columns={instrument: "score"}).merge(_students_program(study), on="student_id")
    data = data.assign(wave=data["wave"].astype(float),
                       integrated=(data["program"] == study.config.treatment.integrated_program).astype(float))
    data = data.sort_values(["institution_id", "student_id", "wave"], kind="mergesort").reset_index(drop=True)
    n_inst = int(data["institution_id"].nunique())
    label = labels(study.codebooks[instrument])[0]
    if n_inst < MIN_INSTITUTIONS:
        raise EstimationError(f"{label}: only {n_inst} institution(s) have scores; the growth model's variance "
                              f"between institutions needs at least {MIN_INSTITUTIONS}.")
    fit = mixed.fit(data, "score ~ wave * integrated", groups="institution_id", vc={"student": "student_id"})
    fixed = fit.tidy(level=LEVEL).assign(instrument=instrument, instrument_label=label)
    fixed = suppress(fixed, count="n_obs", by=["term"], min_cell=min_cell,
                     hide=["estimate", "std_error", "statistic", "p_value", "ci_low", "ci_high", "n_obs"])
    icc = mixed.icc(fit, level=LEVEL)
    names = {"institution_id": "institution", "student": "student"}
    levels = pd.DataFrame({"level": [names.get(v, v) for v in icc.levels], "estimate": icc.icc, "ci_low": icc.ci_low,
                           "ci_high": icc.ci_high, "ci_level": icc.ci_level, "variance": icc.variances,
                           "share": icc.shares, "n_obs": icc.n_obs, "n_groups": np.asarray(icc.n_groups, dtype=float)})
    levels = suppress(levels.assign(instrument=instrument, instrument_label=label), count="n_obs", by=["level"],
                      min_cell=min_cell, hide=["estimate", "ci_low", "ci_high", "variance", "share", "n_obs"])
    return fixed, levels
