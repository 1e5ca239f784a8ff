"""The integrated-vs-traditional stages: comparisons of every main outcome, their standards and the headline.

Examples
--------
>>> default_headline_order(["employment_rate", "hsk_target_rate", "digital_commerce_skills"])
['employment_rate', 'digital_commerce_skills', 'hsk_target_rate']
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analyses import did
from analyses.cluster_attrition import ClusterAttritionResult
from analyses.effects import benjamini_hochberg
from analyses.equivalence import EquivalenceResult
from analyses.evidence import EvidenceRating
from data_schema.study import Study
from reports.study_results import comparison as cmp
from reports.study_results.competencies import labels as labels_of
from reports.study_results.results import Headline, sentence
from reports.study_results.samples import EMPLOYMENT_OUTCOMES, Sample
from reports.study_results.stages import Runner
from reports.study_results.standards import COVARIATES, attrition_rows, equivalence, evidence, study_attrition
from reports.study_results.suppression import suppress

__all__ = ["Impact", "build_headline", "default_headline_order", "run_comparisons", "run_standards"]

_EVENT_HIDE = ["estimate", "std_error", "statistic", "p_value", "ci_low", "ci_high", "n_treated_obs"]
_EFFECT_HIDE = ["estimate", "std_error", "ci_low", "ci_high", "p_value", "p_value_bh", "n_obs", "n_treated",
                "n_control"]
_EQUIVALENCE_HIDE = ["n_treated", "n_control", "treated_value", "control_value", "effect_size"]


@dataclass
class Impact:
    """What the comparison stages produced, outcome by outcome (keys: outcome names).

    Attributes
    ----------
    compared
        The TWFE comparison of every outcome that could be compared.
    staggered
        The Callaway-Sant'Anna simple aggregate, where it ran.
    pretrend
        The ``pretrend`` row of each outcome.
    estimates, events, dynamic
        Rows of ``did_estimates``, ``event_study`` and ``did_dynamic`` before protection.
    equivalence, attrition, evidence
        The standards of each compared outcome, where they could be judged.
    """

    compared: dict[str, cmp.Comparison] = field(default_factory=dict)
    staggered: dict[str, did.StaggeredAggregate] = field(default_factory=dict)
    pretrend: dict[str, dict] = field(default_factory=dict)
    estimates: list[dict] = field(default_factory=list)
    events: list[pd.DataFrame] = field(default_factory=list)
    dynamic: list[pd.DataFrame] = field(default_factory=list)
    equivalence: dict[str, EquivalenceResult] = field(default_factory=dict)
    attrition: dict[str, ClusterAttritionResult] = field(default_factory=dict)
    evidence: dict[str, EvidenceRating] = field(default_factory=dict)


def default_headline_order(names: Sequence[str]) -> list[str]:
    """Employment outcomes first, then competencies, then the HSK target (the brief's order of outcomes)."""
    def rank(name: str) -> tuple[int, int]:
        if name in EMPLOYMENT_OUTCOMES:
            return 0, EMPLOYMENT_OUTCOMES.index(name)
        return (2, 0) if name == "hsk_target_rate" else (1, 0)

    return sorted(names, key=rank)


def _event_table(frame: pd.DataFrame, min_cell: int) -> pd.DataFrame:
    ref = frame["reference"].astype(bool)
    parts = [frame[ref].assign(suppressed=False, suppression="")]
    if (~ref).any():
        parts.append(suppress(frame[~ref], count="n_treated_obs", by=["outcome", "event_time"], hide=_EVENT_HIDE,
                              min_cell=min_cell))
    return pd.concat(parts, ignore_index=True)


def run_comparisons(samples: Sequence[Sample], runner: Runner, *, seed: int, min_cell: int,
                    tables: dict[str, pd.DataFrame]) -> Impact:
    """TWFE with the wild cluster bootstrap, event study and staggered DiD for every sample; fills ``tables``."""
    impact = Impact()
    for sample in samples:
        name = sample.outcome.name
        comparison = runner.run(f"did:{name}", lambda s=sample: cmp.compare(s, seed=seed))
        if comparison is None:
            continue
        impact.compared[name] = comparison
        impact.estimates += cmp.estimate_rows(comparison)
        event = runner.run(f"event_study:{name}", lambda s=sample: cmp.event_rows(s))
        if event is not None:
            impact.events.append(event[0])
            impact.pretrend[name] = event[1]
        cs = runner.run(f"staggered:{name}", lambda s=sample, c=comparison: cmp.staggered_rows(s, c, seed=seed))
        if cs is not None:
            rows, components, pretest, simple = cs
            impact.estimates += rows
            impact.dynamic.append(components)
            impact.pretrend[name] = {**impact.pretrend.get(name, _no_event(sample)), **pretest}
            impact.staggered[name] = simple
    if not impact.compared:
        return impact
    tables["did_estimates"] = suppress(pd.DataFrame(impact.estimates), count="n_obs", by=["outcome", "method"],
                                       hide=["estimate", "std_error", "statistic", "ci_low", "ci_high", "p_value",
                                             "n_obs"], min_cell=min_cell)
    if impact.events:
        tables["event_study"] = _event_table(pd.concat(impact.events, ignore_index=True), min_cell)
    if impact.pretrend:
        tables["pretrend"] = pd.DataFrame([{**_no_staggered(), **row} for row in impact.pretrend.values()])
    if impact.dynamic:
        tables["did_dynamic"] = suppress(pd.concat(impact.dynamic, ignore_index=True), count="n_treated",
                                         by=["outcome", "event_time"], min_cell=min_cell,
                                         hide=["estimate", "std_error", "ci_low", "ci_high", "n_treated"])
    tables["effects"] = _effects(impact, min_cell)
    return impact


def _no_event(sample: Sample) -> dict:
    return {"outcome": sample.outcome.name, "outcome_label": sample.outcome.label, "statistic": np.nan,
            "df": np.nan, "df_denominator": np.nan, "p_value": np.nan, "null": "the event study did not run"}


def _no_staggered() -> dict:
    return {"staggered_statistic": np.nan, "staggered_df": np.nan, "staggered_p_value": np.nan,
            "staggered_note": "the staggered estimator did not run"}


def _effects(impact: Impact, min_cell: int) -> pd.DataFrame:
    rows = []
    for name, comparison in impact.compared.items():
        rows += cmp.effect_rows(comparison, impact.staggered.get(name))
    table = pd.DataFrame(rows).assign(p_value_bh=np.nan, headline=False)
    for _, block in table.groupby("method", sort=True):
        known = block["p_value"].notna()
        if known.any():
            adjusted = benjamini_hochberg(block.loc[known, "p_value"])["p_adjusted"]
            table.loc[adjusted.index, "p_value_bh"] = adjusted.to_numpy()
    table["_n"] = np.minimum(table["n_treated"], table["n_control"])
    table = suppress(table, count="_n", by=["outcome", "method"], hide=_EFFECT_HIDE, min_cell=min_cell)
    return table.drop(columns="_n")


def run_standards(impact: Impact, runner: Runner, study: Study, *, min_cell: int,
                  tables: dict[str, pd.DataFrame]) -> None:
    """Baseline equivalence, attrition and the evidence rating of every compared outcome; fills ``tables``."""
    if not impact.compared:
        for stage in ("equivalence", "attrition", "evidence"):
            runner.start(stage)
            runner.skip(stage, "no main outcome could be compared (see the did analyses), so there is nothing to judge")
        return
    treated = study.config.treatment.integrated_program
    runner.start("equivalence")
    labels = {**COVARIATES, **{f"{k}_entry": f"{labels_of(b)[0]} at entry" for k, b in study.codebooks.items()}}
    rows = []
    for name, c in impact.compared.items():
        data = c.sample.data
        names = [v for v in COVARIATES if v in data.columns] + sorted(v for v in data.columns if v.endswith("_entry"))
        eq = runner.run(f"equivalence:{name}", lambda d=data, v=names: equivalence(d, treated=treated, covariates=v,
                                                                                   labels=labels))
        if eq is not None:
            impact.equivalence[name] = eq
            rows.append(eq.table.assign(outcome=name, outcome_label=c.sample.outcome.label))
    if rows:
        table = pd.concat(rows, ignore_index=True)
        table["_n"] = np.minimum(table["n_treated"], table["n_control"])
        table = suppress(table, count="_n", by=["outcome", "characteristic", "level"], hide=_EQUIVALENCE_HIDE,
                         min_cell=min_cell)
        tables["equivalence"] = table.drop(columns="_n")
    runner.start("attrition")
    rows = []
    for name, c in impact.compared.items():
        result = runner.run(f"attrition:{name}", lambda s=c.sample: study_attrition(s, treated=treated))
        if result is not None:
            impact.attrition[name] = result[1]
            rows.append(attrition_rows(c.sample, *result))
    if rows:
        table = pd.concat(rows, ignore_index=True)
        students = table["level"] != "clusters"
        tables["attrition"] = pd.concat([
            suppress(table[students], count="n", by=["outcome", "level", "measure"], hide=["estimate", "n"],
                     min_cell=min_cell),
            table[~students].assign(suppressed=False, suppression="")], ignore_index=True)
    runner.start("evidence")
    checks, reasons = [], []
    for name, c in impact.compared.items():
        rating = runner.run(f"evidence:{name}", lambda s=c.sample, n=name: evidence(
            s, impact.equivalence.get(n), impact.attrition.get(n)))
        if rating is None:
            continue
        impact.evidence[name] = rating
        base = {"outcome": name, "outcome_label": c.sample.outcome.label}
        checks.append(rating.checks.assign(**base, rating=rating.rating))
        reasons += [{**base, "position": i, "reason": sentence(r)} for i, r in enumerate(rating.reasons, start=1)]
    if checks:
        tables["evidence"] = pd.concat(checks, ignore_index=True)
        tables["evidence_reasons"] = pd.DataFrame(reasons, columns=["outcome", "outcome_label", "position", "reason"])


def build_headline(impact: Impact, name: str, runner: Runner) -> Headline:
    """The headline of a compared outcome: TWFE estimate with its wild cluster bootstrap interval."""
    c = impact.compared[name]
    rating = impact.evidence.get(name)
    if rating is None:
        why = [n.reason for n in runner.not_run if n.analysis == f"evidence:{name}"]
        grade, reasons = "not rated", tuple(why or ["The evidence rating could not be computed."])
    else:
        grade, reasons = rating.rating, tuple(sentence(r) for r in rating.reasons)
    low, high = cmp.interval(c, c.boot.ci_low, c.boot.ci_high)
    return Headline(outcome=name, outcome_label=c.sample.outcome.label, estimate=c.factor * c.twfe.estimate,
                    ci_low=low, ci_high=high, p_value=c.boot.p_value,
                    ci_level=c.boot.level, scale=c.scale,
                    method="two-way fixed effects difference-in-differences (institutions and entry cohorts)",
                    inference="wild cluster bootstrap", n_clusters=c.twfe.n_clusters, n_students=c.twfe.n_obs,
                    evidence_rating=grade, evidence_reasons=reasons)
