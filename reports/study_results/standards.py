"""Evaluation standards of one comparison: baseline equivalence, attrition and the evidence rating (WWC).

Baseline equivalence is judged on the students analysed for the outcome, integrated cohorts against
traditional ones, on every baseline characteristic the data hold (entrance score, prior HSK level, the
shares of women and of international students, the entry-wave competency scores).  A characteristic that
does not vary in the sample cannot differ and is left out; one whose difference cannot be estimated (e.g.
present in one group only) counts as not satisfied, so the rating never overstates.  The impact model (TWFE
on institutions and cohorts) adjusts for none of them.

Attrition counts the students who should have been measured (graduates due for the follow-up; students of
the cohorts the survey wave was run for) against those with the outcome, for students overall and as a
cluster design whose clusters are institution x cohort cells (the level at which the program is assigned).

Examples
--------
>>> data = pd.DataFrame({"group": ["integrated"] * 3 + ["traditional"] * 3, "x": [1.0, 2, 3, 1, 2, 4],
...                      "c": 1.0})
>>> eq = equivalence(data, treated="integrated", covariates=["x", "c"])
>>> eq.table["characteristic"].tolist(), eq.table["status"].tolist()
(['x'], ['not satisfied (not adjusted)'])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from analyses.attrition import AttritionResult, attrition
from analyses.cluster_attrition import ClusterAttritionResult, cluster_attrition
from analyses.equivalence import TABLE_COLUMNS, EquivalenceResult, baseline_equivalence
from analyses.evidence import EvidenceRating, evidence_rating
from data_schema.errors import EstimationError
from reports.study_results.samples import Sample

__all__ = ["COVARIATES", "attrition_rows", "equivalence", "evidence", "study_attrition"]

COVARIATES = {"entrance_score": "entrance score", "prior_hsk_level": "prior HSK level", "female": "share of women",
              "international": "share of international students"}
"""Baseline characteristics from the students table and their labels (entry-wave scores follow)."""


def equivalence(data: pd.DataFrame, *, treated: str, covariates: Sequence[str],
                labels: Mapping[str, str] | None = None) -> EquivalenceResult:
    """Baseline equivalence of ``data`` (column ``group``) on each characteristic that varies.

    Each characteristic is judged on its own, so one that cannot be estimated does not hide the others: it
    gets the status ``"not estimable"`` and counts as not satisfied.  The table gets a ``characteristic_label``
    column from ``labels`` (default: the column name), which the reasons use too.
    """
    names = dict(labels or {})
    frames, reasons = [], []
    for cov in covariates:
        values = data[cov].dropna()
        if values.nunique() < 2:
            continue
        try:
            frames.append(baseline_equivalence(data, group="group", treated=treated, covariates=[cov]).table)
        except EstimationError as err:
            frames.append(pd.DataFrame([{"characteristic": cov, "level": "", "measure": "", "n_treated": 0,
                                         "n_control": 0, "treated_value": np.nan, "control_value": np.nan,
                                         "effect_size": np.nan, "band": "not estimable", "adjusted": False,
                                         "status": "not estimable"}]))
            reasons.append(f"{names.get(cov, cov)}: the baseline difference cannot be estimated ({err})")
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(TABLE_COLUMNS))
    table["characteristic_label"] = [names.get(c, c) for c in table["characteristic"]]
    failing = table[~table["status"].isin(["satisfied", "satisfied by adjustment", "not estimable"])]
    reasons = [f"{r.characteristic_label}{'' if not r.level else ' = ' + str(r.level)}: difference "
               f"{r.effect_size:+.3f} SD is {r.status}" for r in failing.itertuples()] + reasons
    if table.empty:
        reasons = ["no baseline characteristic varies in the analysed sample, so equivalence cannot be shown"]
    return EquivalenceResult(table, not reasons, tuple(reasons), str(treated))


def study_attrition(sample: Sample, *, treated: str) -> tuple[AttritionResult, ClusterAttritionResult]:
    """Student attrition and cluster-design attrition (institution x cohort cells) of the sample's outcome.

    Raises
    ------
    EstimationError
        When the data do not say who should have been measured, or one group is absent.
    """
    if sample.assigned is None:
        raise EstimationError(sample.no_attrition)
    a = sample.assigned
    students = attrition(a, group="group", treated=treated, observed="observed")
    clusters = cluster_attrition(a, cluster="cell", group="group", treated=treated, observed="observed")
    return students, clusters


def attrition_rows(sample: Sample, students: AttritionResult, clusters: ClusterAttritionResult) -> pd.DataFrame:
    """The ``attrition`` rows: students overall, then clusters and students within retained clusters."""
    parts = []
    for level, result in (("students", students), ("clusters", clusters.clusters),
                          ("students in retained clusters", clusters.students)):
        t = result.tidy()
        parts.append(pd.DataFrame({"level": level, "measure": t["term"], "estimate": t["estimate"], "n": t["n_obs"],
                                   "max_differential_pct": t["max_differential_pct"],
                                   "low_attrition": t["low_attrition"].astype(bool), "boundary": result.boundary,
                                   "reason": result.reason}))
    out = pd.concat(parts, ignore_index=True)
    return out.assign(outcome=sample.outcome.name, outcome_label=sample.outcome.label)


def evidence(sample: Sample, eq: EquivalenceResult, attr: ClusterAttritionResult | None) -> EvidenceRating:
    """The WWC rating of the comparison (a comparison-group design), with institutions counted per condition."""
    d = sample.data
    n_treated = int(d.loc[d["treated"] == 1, "institution_id"].nunique())
    n_comparison = int(d.loc[d["treated"] == 0, "institution_id"].nunique())
    return evidence_rating(design="comparison_group", equivalence=eq, attrition=attr, n_treated_clusters=n_treated,
                           n_comparison_clusters=n_comparison, n_clusters=int(d["institution_id"].nunique()),
                           clustering_accounted=True)
