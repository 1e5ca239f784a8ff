"""Attrition in a cluster design: clusters first, then students within the retained clusters.

The rule (WWC Standards Handbook v4.1, section III, cluster-level assignment) applies the boundary of
Table II.1 twice; the boundary values themselves are checked against their sources in
``tests/test_attrition.py``.  Here the counting is checked by hand on small designs: which clusters count as
lost, which students enter the student-level rates, and that the verdict needs both levels low.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from analyses.attrition import attrition_from_counts
from analyses.cluster_attrition import cluster_attrition, cluster_attrition_from_counts
from analyses.evidence import evidence_rating
from data_schema.errors import ArgumentError, ColumnError, EstimationError


def _students(layout: dict[str, tuple[str, int, int]]) -> pd.DataFrame:
    """``layout``: cluster -> (group, assigned students, observed students)."""
    rows = []
    for cluster, (group, n, seen) in layout.items():
        rows += [{"institution": cluster, "program": group, "answered": int(i < seen)} for i in range(n)]
    return pd.DataFrame(rows)


def test_lost_cluster_counts_once_at_the_cluster_level() -> None:
    """A cluster with nobody measured is lost; its students do not enter the student-level rates."""
    data = _students({"A": ("integrated", 30, 27), "B": ("integrated", 30, 0), "C": ("integrated", 30, 28),
                      "D": ("traditional", 30, 29), "E": ("traditional", 30, 26), "F": ("traditional", 30, 30)})
    r = cluster_attrition(data, cluster="institution", group="program", treated="integrated", observed="answered")
    # Clusters: 1 of 3 integrated lost (33.33 %), 0 of 3 traditional; 1 of 6 overall (16.67 %).
    assert (r.clusters.n_treated, r.clusters.observed_treated) == (3, 2)
    assert r.clusters.overall_pct == pytest.approx(100 / 6, abs=1e-12)
    assert r.clusters.differential_pct == pytest.approx(100 / 3, abs=1e-12)
    assert not r.clusters.low_attrition
    # Students within retained clusters: integrated 55 of 60 (A, C), traditional 85 of 90.
    assert (r.students.n_treated, r.students.observed_treated) == (60, 55)
    assert (r.students.n_comparison, r.students.observed_comparison) == (90, 85)
    assert r.students.overall_pct == pytest.approx(100 * 10 / 150, abs=1e-12)
    assert r.students.low_attrition
    assert not r.low_attrition
    assert r.reason.startswith("High attrition in a cluster design.")
    assert "Clusters: High attrition" in r.reason


def test_both_levels_low_is_low_and_equals_the_counts_version() -> None:
    layout = {f"T{i}": ("integrated", 20, 18) for i in range(10)}
    layout.update({f"C{i}": ("traditional", 20, 19) for i in range(10)})
    data = _students(layout)
    r = cluster_attrition(data, cluster="institution", group="program", treated="integrated", observed="answered")
    by_hand = cluster_attrition_from_counts(clusters_treated=10, clusters_comparison=10, retained_treated=10,
                                            retained_comparison=10, n_treated=200, n_comparison=200,
                                            observed_treated=180, observed_comparison=190,
                                            treated="integrated")
    assert r.to_dict() == by_hand.to_dict()
    # Students: 10 % and 5 %, overall 7.5 %, differential 5.0 <= 6.3 (cautious row 7 and 8 both 6.3).
    assert r.students.max_differential_pct == 6.3
    assert r.low_attrition and r.clusters.overall_pct == 0.0
    assert r.students.to_dict() == attrition_from_counts(n_treated=200, n_comparison=200, observed_treated=180,
                                                         observed_comparison=190, treated="integrated").to_dict()


def test_optimistic_boundary_applies_at_both_levels() -> None:
    # 20 vs 20 clusters, 2 integrated lost: overall 5 %, differential 10 pp: high (cautious 6.1), low optimistic
    # (10.5 at 5 %).
    kwargs = dict(clusters_treated=20, clusters_comparison=20, retained_treated=18, retained_comparison=20,
                  n_treated=360, n_comparison=400, observed_treated=340, observed_comparison=380)
    cautious = cluster_attrition_from_counts(**kwargs)
    optimistic = cluster_attrition_from_counts(**kwargs, boundary="optimistic")
    assert not cautious.clusters.low_attrition and cautious.clusters.max_differential_pct == 6.1
    assert optimistic.clusters.low_attrition and optimistic.clusters.max_differential_pct == 10.5
    assert optimistic.boundary == "optimistic" and optimistic.low_attrition


def test_layout_and_evidence_rating_accepts_it() -> None:
    r = cluster_attrition_from_counts(clusters_treated=12, clusters_comparison=12, retained_treated=12,
                                      retained_comparison=12, n_treated=300, n_comparison=300,
                                      observed_treated=290, observed_comparison=285)
    tidy = r.tidy()
    assert list(tidy["level"]) == ["cluster"] * 4 + ["student"] * 4
    assert json.loads(json.dumps(r.to_dict()))["low_attrition"] is True
    assert "Student level, within retained clusters:" in r.summary()
    rating = evidence_rating(design="randomised", equivalence=None, attrition=r, n_treated_clusters=12,
                             n_comparison_clusters=12, clustering_accounted=True)
    assert rating.rating == "meets WWC standards without reservations"


def test_bad_input() -> None:
    data = _students({"A": ("integrated", 5, 3), "B": ("traditional", 5, 4)})
    with pytest.raises(ColumnError, match="cohort"):
        cluster_attrition(data, cluster="cohort", group="program", treated="integrated", observed="answered")
    mixed = pd.concat([data, pd.DataFrame({"institution": ["A"], "program": ["traditional"], "answered": [1]})])
    with pytest.raises(ArgumentError, match="both groups"):
        cluster_attrition(mixed, cluster="institution", group="program", treated="integrated", observed="answered")
    with pytest.raises(ArgumentError, match="not a value"):
        cluster_attrition(data, cluster="institution", group="program", treated="ICE", observed="answered")
    with pytest.raises(EstimationError, match="comparison group"):
        cluster_attrition(data[data["program"] == "integrated"], cluster="institution", group="program",
                          treated="integrated", observed="answered")
    with pytest.raises(EstimationError, match="no treated cluster was retained"):
        cluster_attrition_from_counts(clusters_treated=3, clusters_comparison=3, retained_treated=0,
                                      retained_comparison=3, n_treated=0, n_comparison=60, observed_treated=0,
                                      observed_comparison=50)
    with pytest.raises(ArgumentError, match="exceeds"):
        cluster_attrition_from_counts(clusters_treated=3, clusters_comparison=3, retained_treated=4,
                                      retained_comparison=3, n_treated=60, n_comparison=60, observed_treated=50,
                                      observed_comparison=50)
