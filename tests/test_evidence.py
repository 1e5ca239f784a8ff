"""The evidence rating: the WWC group-design rules, and the three synthetic scenarios of the issue.

Rules (WWC Procedures and Standards Handbook v5.0, group designs): randomised + low attrition can meet
standards without reservations; randomised with high attrition and every comparison-group design can at best
meet them with reservations, and only with baseline equivalence on the analytic sample; one unit per
condition is a confounding factor.  The scenarios use the synthetic study's built-in truth: no baseline gap,
a 0.15 SD gap (selection on ability), and 30% extra wave-2 attrition of integrated students.
"""

from __future__ import annotations

import pandas as pd
import pytest

from analyses.attrition import attrition, attrition_from_counts
from analyses.equivalence import baseline_equivalence
from analyses.evidence import RATINGS, evidence_rating
from data_schema.synthetic import generate_study

BASELINE = ["entrance_score", "prior_hsk_level", "student_origin"]
WITHOUT, WITH, NOT = RATINGS


def _low():
    return attrition_from_counts(n_treated=100, n_comparison=100, observed_treated=95, observed_comparison=94)


def _high():
    return attrition_from_counts(n_treated=100, n_comparison=100, observed_treated=60, observed_comparison=90)


def _equivalent():
    data = pd.DataFrame({"g": ["a", "b"] * 50, "x": [1.0, 1.0, 2.0, 2.0] * 25})
    return baseline_equivalence(data, group="g", treated="a", covariates=["x"])


def test_rules():
    assert evidence_rating(design="randomised", equivalence=None, attrition=_low(), n_treated_clusters=20,
                           n_comparison_clusters=20).rating == WITHOUT
    high = evidence_rating(design="randomised", equivalence=_equivalent(), attrition=_high(), n_treated_clusters=20,
                           n_comparison_clusters=20)
    assert high.rating == WITH
    assert evidence_rating(design="randomised", equivalence=None, attrition=_high(), n_treated_clusters=20,
                           n_comparison_clusters=20).rating == NOT
    best_qed = evidence_rating(design="comparison_group", equivalence=_equivalent(), attrition=_low(),
                               n_treated_clusters=20, n_comparison_clusters=20)
    assert best_qed.rating == WITH  # never without reservations
    single = evidence_rating(design="comparison_group", equivalence=_equivalent(), attrition=_low(),
                             n_treated_clusters=1, n_comparison_clusters=7)
    assert single.rating == NOT and "confounded" in single.reasons[0]
    caution = evidence_rating(design="comparison_group", equivalence=_equivalent(), attrition=_low(),
                              n_treated_clusters=3, n_comparison_clusters=5, clustering_accounted=False)
    assert caution.rating == WITH
    assert any("ignored clustering" in r for r in caution.reasons)
    assert any("8 institutions" in r for r in caution.reasons)
    assert "Evidence rating" in caution.summary() and caution.to_dict()["rating"] == WITH


def _analytic_sample(syn) -> tuple[pd.DataFrame, pd.DataFrame]:
    students = pd.read_csv(syn.students_path, dtype={"student_id": str})
    responses = pd.read_csv(syn.survey_responses_path, dtype={"student_id": str})
    wave2 = set(responses.loc[(responses["wave"] == 2) & (responses["instrument"] == "digital_commerce_skills"),
                              "student_id"])
    due = students[students["graduation_year"].notna()].assign(observed=lambda d: d["student_id"].isin(wave2))
    return due, due[due["observed"]]


def _rate(syn, adjusted: list[str]):
    due, analytic = _analytic_sample(syn)
    n_inst = analytic.groupby("program")["institution_id"].nunique()
    return evidence_rating(
        design="comparison_group",
        equivalence=baseline_equivalence(analytic, group="program", treated="integrated", covariates=BASELINE,
                                         adjusted=adjusted),
        attrition=attrition(due, group="program", treated="integrated", observed="observed"),
        n_treated_clusters=int(n_inst["integrated"]), n_comparison_clusters=int(n_inst["traditional"]),
        n_clusters=int(analytic["institution_id"].nunique()))


@pytest.fixture(scope="module")
def scenarios(tmp_path_factory):
    return {name: generate_study(tmp_path_factory.mktemp(name), **kw)
            for name, kw in {"equivalent": {}, "gap": {"baseline_gap": 0.15},
                             "attrition": {"differential_attrition": 0.3}}.items()}


def test_equivalent_groups_meet_with_reservations(scenarios):
    rating = _rate(scenarios["equivalent"], adjusted=BASELINE)
    assert rating.rating == WITH, rating.summary()
    assert rating.reasons == ("8 institutions in all: cluster-robust intervals are fragile; report the "
                              "wild-bootstrap interval",)
    assert rating.checks.set_index("check").loc["attrition", "result"] == "pass"


def test_a_baseline_gap_fails_without_adjustment_and_passes_with_it(scenarios):
    plain = _rate(scenarios["gap"], adjusted=[])
    assert plain.rating == NOT, plain.summary()
    assert any(r.startswith("entrance_score: difference +0.1") for r in plain.reasons), plain.reasons
    adjusted = _rate(scenarios["gap"], adjusted=BASELINE)
    assert adjusted.rating == WITH, adjusted.summary()


def test_high_differential_attrition_is_named(scenarios):
    rating = _rate(scenarios["attrition"], adjusted=BASELINE)
    checks = rating.checks.set_index("check")
    assert checks.loc["attrition", "result"] == "fail"
    assert any(r.startswith("high attrition") for r in rating.reasons)
    # attrition at random leaves the remaining students equivalent: a comparison-group design can still meet
    # standards with reservations, on the equivalence of the analytic sample
    assert rating.rating == WITH, rating.summary()
