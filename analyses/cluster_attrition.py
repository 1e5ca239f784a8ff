"""Attrition when whole clusters (institutions, classes) were assigned: cluster level, then students.

When the integrated programme is assigned to institutions (or classes), students can be lost in two ways:
a whole cluster provides no outcome data (it left the study, or did not run the follow-up), or students of
a cluster that stayed were not measured.  The WWC judges the two in turn with the same boundary
(:mod:`analyses.attrition`): cluster-level attrition counts clusters (a cluster is lost when none of its
students has the outcome), and individual-level attrition counts students **within the clusters that
remain**, so students of a lost cluster are counted once, at the cluster level.  The sample has low
attrition only when both are low.

Examples
--------
>>> r = cluster_attrition_from_counts(clusters_treated=20, clusters_comparison=20, retained_treated=20,
...                                   retained_comparison=19, n_treated=300, n_comparison=270,
...                                   observed_treated=270, observed_comparison=250)
>>> round(r.clusters.overall_pct, 2), r.clusters.low_attrition
(2.5, True)
>>> round(r.students.overall_pct, 2), r.students.low_attrition, r.low_attrition
(8.77, True, True)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analyses.attrition import BOUNDARIES, AttritionResult, Boundary, _observed_flags, attrition_from_counts
from analyses.tidy import tidy_frame
from data_schema.arguments import check_choice, check_columns
from data_schema.errors import ArgumentError, EstimationError
from data_schema.json_safe import json_safe

__all__ = ["ClusterAttritionResult", "cluster_attrition", "cluster_attrition_from_counts"]


@dataclass(frozen=True)
class ClusterAttritionResult:
    """Cluster-level and individual-level attrition at one follow-up, and the combined WWC verdict.

    Attributes
    ----------
    clusters
        Attrition of clusters: assigned clusters against clusters with at least one measured student.
    students
        Attrition of students within the retained clusters.
    low_attrition
        Whether both levels have low attrition under the boundary.
    reason
        The verdict in one or two sentences, with the figures behind it.
    """

    clusters: AttritionResult
    students: AttritionResult
    low_attrition: bool
    reason: str

    @property
    def boundary(self) -> str:
        """The WWC boundary applied (the same at both levels)."""
        return self.clusters.boundary

    def tidy(self) -> pd.DataFrame:
        """The rows of both levels, with a ``level`` column (``"cluster"`` or ``"student"``)."""
        frames = []
        for level, result in (("cluster", self.clusters), ("student", self.students)):
            rows = result.tidy().to_dict("records")
            frames.extend({**row, "level": level} for row in rows)
        return tidy_frame(frames)

    def to_dict(self) -> dict:
        """JSON-safe dictionary: both levels and the verdict."""
        return json_safe({"clusters": self.clusters.to_dict(), "students": self.students.to_dict(),
                          "low_attrition": self.low_attrition, "reason": self.reason})

    def summary(self) -> str:
        """Both levels' counts, rates and verdicts as text for people."""
        head = f"Attrition in a cluster design (WWC {self.boundary} boundary): " \
               f"{'LOW' if self.low_attrition else 'HIGH'}"
        return "\n".join([head, "Cluster level:", self.clusters.summary(),
                          "Student level, within retained clusters:", self.students.summary(), self.reason])


def _combined_reason(clusters: AttritionResult, students: AttritionResult) -> str:
    low = clusters.low_attrition and students.low_attrition
    head = "Low attrition at both levels." if low else "High attrition in a cluster design."
    return f"{head} Clusters: {clusters.reason} Students within retained clusters: {students.reason}"


def cluster_attrition_from_counts(*, clusters_treated: int, clusters_comparison: int, retained_treated: int,
                                  retained_comparison: int, n_treated: int, n_comparison: int,
                                  observed_treated: int, observed_comparison: int,
                                  boundary: Boundary = "cautious", treated: str = "treated") -> ClusterAttritionResult:
    """Cluster-level and individual-level attrition from counts, judged against the WWC boundary.

    Parameters
    ----------
    clusters_treated, clusters_comparison
        Clusters assigned to the integrated (treated) and the comparison group.
    retained_treated, retained_comparison
        Clusters of each group with at least one student measured at the follow-up.
    n_treated, n_comparison
        Students assigned to each group **in the retained clusters**.
    observed_treated, observed_comparison
        Students of each group measured at the follow-up (all of them are in retained clusters).
    boundary
        ``"cautious"`` (default) or ``"optimistic"``; the same boundary judges both levels.
    treated
        A label for the treated group, used in the summaries.

    Returns
    -------
    ClusterAttritionResult

    Raises
    ------
    ArgumentError
        When a count is not a whole number of 0 or more, or more are retained or observed than assigned.
    EstimationError
        When a group has no assigned (or no retained) clusters.

    Notes
    -----
    Each level is :func:`analyses.attrition.attrition_from_counts` on its own counts: clusters (assigned
    :math:`M_g`, retained :math:`R_g`), then students of the retained clusters (assigned :math:`N_g`,
    observed :math:`O_g`).  The sample has low attrition when both levels do.

    References
    ----------
    What Works Clearinghouse (2020). *Standards Handbook, Version 4.1*, section III (cluster-level
    assignment: attrition is assessed for clusters and for individuals within the remaining clusters,
    against the boundary of Table II.1).
    What Works Clearinghouse (2022). *Procedures and Standards Handbook, Version 5.0*.

    Examples
    --------
    >>> r = cluster_attrition_from_counts(clusters_treated=6, clusters_comparison=6, retained_treated=4,
    ...                                   retained_comparison=6, n_treated=120, n_comparison=180,
    ...                                   observed_treated=110, observed_comparison=165)
    >>> r.clusters.low_attrition, r.students.low_attrition, r.low_attrition
    (False, True, False)
    """
    check_choice("boundary", boundary, BOUNDARIES)
    for name, retained, assigned in (("treated", retained_treated, clusters_treated),
                                     ("comparison", retained_comparison, clusters_comparison)):
        if isinstance(retained, (int, np.integer)) and isinstance(assigned, (int, np.integer)) \
                and retained == 0 and assigned > 0:
            raise EstimationError(f"no {name} cluster was retained ({assigned} assigned), so student-level "
                                  "attrition within retained clusters is not defined; the cluster-level "
                                  "attrition alone already fails")
    clusters = attrition_from_counts(n_treated=clusters_treated, n_comparison=clusters_comparison,
                                     observed_treated=retained_treated, observed_comparison=retained_comparison,
                                     boundary=boundary, treated=treated)
    students = attrition_from_counts(n_treated=n_treated, n_comparison=n_comparison, observed_treated=observed_treated,
                                     observed_comparison=observed_comparison, boundary=boundary, treated=treated)
    low = clusters.low_attrition and students.low_attrition
    return ClusterAttritionResult(clusters=clusters, students=students, low_attrition=low,
                                  reason=_combined_reason(clusters, students))


def cluster_attrition(data: pd.DataFrame, *, cluster: str, group: str, treated: object, observed: str,
                      boundary: Boundary = "cautious") -> ClusterAttritionResult:
    """Cluster-level, then within-cluster, attrition at a follow-up from student records.

    Parameters
    ----------
    data
        One row per student assigned (everyone who should have been measured), with the cluster the student
        was assigned through.
    cluster
        The cluster column (institution or class): the unit the programme was assigned to.
    group, treated
        The group column (two values, constant within a cluster) and the value marking the integrated group.
    observed
        A 0/1 (or boolean) column: 1 when the student has the outcome at this follow-up.
    boundary
        ``"cautious"`` (default) or ``"optimistic"``.

    Returns
    -------
    ClusterAttritionResult

    Raises
    ------
    ColumnError
        When a named column is missing.
    ArgumentError
        When ``observed`` is not 0/1, a cluster or group is missing, a cluster is in both groups, or
        ``treated`` is not a value of ``group``.
    EstimationError
        When only one group is present, or no cluster of a group was retained.

    Notes
    -----
    A cluster is retained when at least one of its students is observed; the student counts passed on
    are those of the retained clusters (see :func:`cluster_attrition_from_counts`).

    References
    ----------
    What Works Clearinghouse (2020). *Standards Handbook, Version 4.1*, section III.

    Examples
    --------
    >>> import pandas as pd
    >>> data = pd.DataFrame({"institution": ["A"] * 4 + ["B"] * 4 + ["C"] * 4 + ["D"] * 4,
    ...                      "program": ["integrated"] * 8 + ["traditional"] * 8,
    ...                      "answered": [1, 1, 1, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 0]})
    >>> r = cluster_attrition(data, cluster="institution", group="program", treated="integrated",
    ...                       observed="answered")
    >>> r.clusters.observed_treated, r.clusters.n_treated  # clusters retained of those assigned
    (1, 2)
    >>> r.clusters.differential_pct, r.low_attrition
    (50.0, False)
    """
    check_choice("boundary", boundary, BOUNDARIES)
    check_columns(data, [cluster, group, observed], what="data")
    for col in (cluster, group):
        if data[col].isna().any():
            raise ArgumentError(f"column {col!r} has {int(data[col].isna().sum())} missing values; every assigned "
                                "student needs a cluster and a group")
    labels = list(pd.unique(data[group]))
    if treated not in labels:
        raise ArgumentError(f"treated={treated!r} is not a value of {group!r}; its values are {labels}")
    if len(labels) != 2:
        raise (EstimationError if len(labels) < 2 else ArgumentError)(
            f"group column {group!r} has {len(labels)} value(s) {labels[:5]}; attrition compares the treated "
            "group with one comparison group")
    flags = _observed_flags(data[observed], observed)
    frame = pd.DataFrame({"cluster": data[cluster].to_numpy(), "treated": (data[group] == treated).to_numpy(),
                          "observed": flags})
    per = frame.groupby("cluster", sort=True).agg(treated_min=("treated", "min"), treated_max=("treated", "max"),
                                                  n=("observed", "size"), observed=("observed", "sum"))
    mixed = per.index[per["treated_min"] != per["treated_max"]]
    if len(mixed):
        raise ArgumentError(f"cluster(s) {list(mixed[:5])} of {cluster!r} have students in both groups; in a "
                            "cluster design every student of a cluster has its cluster's group")
    per["retained"] = per["observed"] > 0
    t, kept = per["treated_max"].astype(bool), per["retained"]
    return cluster_attrition_from_counts(
        clusters_treated=int(t.sum()), clusters_comparison=int((~t).sum()),
        retained_treated=int((t & kept).sum()), retained_comparison=int((~t & kept).sum()),
        n_treated=int(per.loc[t & kept, "n"].sum()), n_comparison=int(per.loc[~t & kept, "n"].sum()),
        observed_treated=int(per.loc[t, "observed"].sum()), observed_comparison=int(per.loc[~t, "observed"].sum()),
        boundary=boundary, treated=str(treated))
