"""An evidence rating in the What Works Clearinghouse's categories for group designs, with its reasons.

The rating never overstates: a comparison-group design (cohorts before and after adoption, institutions
that never adopt) can at best *meet WWC standards with reservations*, and only when baseline equivalence
holds on the analytic sample; a randomised design meets standards *without reservations* only with low
attrition.  A design in which the integrated program is delivered by a single institution has a
confounding factor (the institution and the program cannot be told apart) and does not meet standards.

Examples
--------
>>> from analyses.attrition import attrition_from_counts
>>> rating = evidence_rating(design="comparison_group", equivalence=None,
...                          attrition=attrition_from_counts(n_treated=100, n_comparison=100, observed_treated=90,
...                                                          observed_comparison=92),
...                          n_treated_clusters=6, n_comparison_clusters=4)
>>> rating.rating
'does not meet WWC standards'
>>> rating.reasons[0]
'baseline equivalence was not assessed; a comparison-group design must show it on the analytic sample'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pandas as pd

from analyses.attrition import AttritionResult
from analyses.cluster_attrition import ClusterAttritionResult
from analyses.equivalence import EquivalenceResult
from analyses.tidy import tidy_frame
from data_schema.arguments import check_choice
from data_schema.json_safe import json_safe

__all__ = ["RATINGS", "EvidenceRating", "evidence_rating"]

RATINGS = ("meets WWC standards without reservations", "meets WWC standards with reservations",
           "does not meet WWC standards")
"""The WWC's ratings for group designs, best first."""

Design = Literal["randomised", "comparison_group"]


@dataclass(frozen=True)
class EvidenceRating:
    """The rating, the checks behind it and the reasons in words.

    Attributes
    ----------
    rating
        One of :data:`RATINGS`.
    design
        ``"randomised"`` or ``"comparison_group"``.
    checks
        One row per check: ``check, result`` (``"pass"``, ``"fail"`` or ``"not assessed"``) and ``detail``.
    reasons
        Sentences for the brief: every failed or missing check, then the cautions that do not change the
        rating (few clusters, an analysis that ignored clustering).
    """

    rating: str
    design: str
    checks: pd.DataFrame
    reasons: tuple[str, ...]

    def tidy(self) -> pd.DataFrame:
        """One row per check (``term`` = the check, ``method`` = its result)."""
        return tidy_frame([{"term": r.check, "method": r.result, "detail": r.detail}
                           for r in self.checks.itertuples()])

    def to_dict(self) -> dict:
        """JSON-safe dictionary of every field."""
        return json_safe({"rating": self.rating, "design": self.design, "checks": self.checks,
                          "reasons": self.reasons})

    def summary(self) -> str:
        """The rating and its reasons as text for people."""
        return "\n".join([f"Evidence rating: {self.rating} ({self.design.replace('_', '-')} design)",
                          self.checks.to_string(index=False)] + [f"  - {r}" for r in self.reasons])


def evidence_rating(*, design: Design, equivalence: EquivalenceResult | None,
                    attrition: AttritionResult | ClusterAttritionResult | None,
                    n_treated_clusters: int, n_comparison_clusters: int,
                    n_clusters: int | None = None, clustering_accounted: bool = True,
                    min_clusters: int = 12) -> EvidenceRating:
    """Rate a comparison of integrated and traditional cohorts by the WWC group-design standards.

    Parameters
    ----------
    design
        ``"randomised"`` (students or institutions assigned at random) or ``"comparison_group"`` (every
        other design, including difference-in-differences across cohorts and institutions).
    equivalence
        Baseline equivalence on the analytic sample (:func:`analyses.equivalence.baseline_equivalence`);
        None when it was not assessed.
    attrition
        Overall and differential attrition for the outcome's follow-up (:func:`analyses.attrition.attrition`,
        or :func:`analyses.cluster_attrition.cluster_attrition` when clusters were assigned); None when unknown.
    n_treated_clusters, n_comparison_clusters
        Institutions (or the unit that delivers the program) in each condition.
    n_clusters
        Distinct institutions in all (default: the sum of the two counts).  In a design where institutions
        switch from traditional to integrated cohorts, an institution counts in both conditions but once here.
    clustering_accounted
        Whether the impact estimate's inference accounts for clustering (cluster-robust, mixed model or the
        WWC correction); False adds a caution.
    min_clusters
        Below this many clusters in all, a caution says cluster-robust inference is fragile.

    Returns
    -------
    EvidenceRating

    Notes
    -----
    The rules (WWC Procedures and Standards Handbook v5.0, group designs): a randomised design with low
    attrition can meet standards without reservations; a randomised design with high attrition, and every
    comparison-group design, can at best meet standards with reservations, and only if baseline equivalence
    is established on the analytic sample (differences within 0.05 SD, or within 0.25 SD with statistical
    adjustment); one unit per condition is a confounding factor and the study does not meet standards.
    """
    check_choice("design", design, ("randomised", "comparison_group"))
    checks: list[tuple[str, str, str]] = []
    fatal: list[str] = []
    cautions: list[str] = []
    if min(n_treated_clusters, n_comparison_clusters) <= 1:
        which = "integrated" if n_treated_clusters <= 1 else "traditional"
        fatal.append(f"only one institution delivers the {which} condition: the institution and the program "
                     "are confounded")
        checks.append(("confounding factor", "fail", fatal[-1]))
    else:
        checks.append(("confounding factor", "pass", f"{n_treated_clusters} integrated and {n_comparison_clusters} "
                                                     "traditional institutions"))
    low_attrition = None if attrition is None else attrition.low_attrition
    if attrition is None:
        checks.append(("attrition", "not assessed", "attrition unknown"))
    else:
        checks.append(("attrition", "pass" if low_attrition else "fail", attrition.reason))
    needs_equivalence = design == "comparison_group" or not low_attrition
    if needs_equivalence:
        if equivalence is None:
            why = ("a comparison-group design must show it on the analytic sample" if design == "comparison_group"
                   else "with high or unknown attrition a randomised design must show it on the analytic sample")
            fatal.insert(0, f"baseline equivalence was not assessed; {why}")
            checks.append(("baseline equivalence", "not assessed", fatal[0]))
        elif equivalence.satisfied:
            checks.append(("baseline equivalence", "pass", "every baseline difference within 0.05 SD or adjusted "
                                                           "for within 0.25 SD"))
        else:
            fatal.extend(equivalence.reasons)
            checks.append(("baseline equivalence", "fail", "; ".join(equivalence.reasons)))
    else:
        checks.append(("baseline equivalence", "not required", "randomised with low attrition"))
    if not clustering_accounted:
        cautions.append("the impact analysis ignored clustering: apply the WWC clustering correction before "
                        "calling the effect statistically significant")
    total = n_treated_clusters + n_comparison_clusters if n_clusters is None else n_clusters
    if total < min_clusters:
        cautions.append(f"{total} institutions in all: cluster-robust "
                        "intervals are fragile; report the wild-bootstrap interval")
    if attrition is not None and not low_attrition and design == "comparison_group":
        cautions.append("high attrition: the rating rests on equivalence of the students who remain")
    if fatal:
        rating = RATINGS[2]
    elif design == "randomised" and low_attrition:
        rating = RATINGS[0]
    else:
        rating = RATINGS[1]
    table = pd.DataFrame(checks, columns=["check", "result", "detail"])
    return EvidenceRating(rating, design, table, tuple(fatal + cautions))
