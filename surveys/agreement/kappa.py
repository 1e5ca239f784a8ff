"""Cohen's (weighted) kappa for two raters and Fleiss' kappa for m raters, with z tests and bootstrap intervals.

Examples
--------
>>> import pandas as pd
>>> pairs = pd.DataFrame({"teacher": [1, 2, 3, 3, 2, 1, 3, 2, 1, 3],
...                       "mentor":  [1, 2, 3, 2, 2, 1, 3, 3, 1, 3]})
>>> result = cohen_kappa(pairs, rater_a="teacher", rater_b="mentor", n_boot=0)
>>> f"{result.estimate:.4f}", result.n_subjects
('0.6970', 10)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from data_schema.arguments import check_choice, check_columns
from data_schema.errors import ArgumentError, EstimationError
from surveys.agreement._bootstrap import percentile_interval, resample_counts, resolve_seed
from surveys.agreement._inputs import check_ci_level, check_n_boot, describe_labels, factorize, long_to_grid, plain
from surveys.agreement.results import KappaResult

__all__ = ["cohen_kappa", "cohen_kappa_from_table", "fleiss_kappa", "fleiss_kappa_from_counts", "KappaWeights"]

KappaWeights = Literal["unweighted", "linear", "quadratic"]
_WEIGHTS: tuple[KappaWeights, ...] = ("unweighted", "linear", "quadratic")
_NULL = "kappa = 0 (agreement no better than chance)"


def agreement_weights(k: int, weights: str) -> np.ndarray:
    """Agreement weights :math:`w_{ij}` for ``k`` ordered categories (1 on the diagonal)."""
    d = np.abs(np.subtract.outer(np.arange(k), np.arange(k))) / max(k - 1, 1)
    if weights == "linear":
        return 1 - d
    if weights == "quadratic":
        return 1 - d**2
    return np.eye(k)


def _kappa(p: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Kappa, :math:`p_o` and :math:`p_e` of proportion tables ``p`` of shape ``(..., k, k)``; NaN if undefined."""
    rows, cols = p.sum(axis=-1), p.sum(axis=-2)
    po = (p * w).sum(axis=(-2, -1))
    pe = np.einsum("...i,ij,...j->...", rows, w, cols)
    room = 1 - pe
    kappa = np.where(np.abs(room) > 1e-12, (po - pe) / np.where(room == 0, 1, room), np.nan)
    return kappa, po, pe


def _cohen_se(p: np.ndarray, w: np.ndarray, kappa: float, pe: float, n: int) -> tuple[float, float]:
    """Large-sample SEs of weighted kappa under the alternative and under kappa = 0 (Fleiss et al. 1969)."""
    rows, cols = p.sum(axis=1), p.sum(axis=0)
    wbar = (w @ cols)[:, None] + (rows @ w)[None, :]
    var1 = ((p * (w - wbar * (1 - kappa)) ** 2).sum() - (kappa - pe * (1 - kappa)) ** 2) / (n * (1 - pe) ** 2)
    var0 = ((np.outer(rows, cols) * (w - wbar) ** 2).sum() - pe**2) / (n * (1 - pe) ** 2)
    return float(np.sqrt(max(var1, 0.0))), float(np.sqrt(max(var0, 0.0)))


def _categories(observed: pd.Series, categories: Sequence | None, weights: str, dtype: object) -> list:
    values = pd.unique(observed)
    if categories is not None:
        cats = list(categories)
        if len(set(cats)) != len(cats):
            raise ArgumentError(f"categories={cats!r} has duplicates; list each category once, in order")
        known = set(cats)
        unknown = [v for v in values if v not in known]
        if unknown:
            raise EstimationError(
                f"ratings {describe_labels(unknown)} are not among categories={cats!r}. "
                f"Fix: add them to categories or correct the ratings."
            )
        return cats
    if isinstance(dtype, pd.CategoricalDtype):
        return list(dtype.categories)
    try:
        return sorted(values)
    except TypeError as err:
        if weights == "unweighted":
            return list(values)
        raise EstimationError(
            f"the ratings ({describe_labels(values)}) cannot be put in order, which weights={weights!r} needs. "
            f"Fix: pass categories=[...] in their order."
        ) from err


def cohen_kappa(
    data: pd.DataFrame,
    *,
    rater_a: str,
    rater_b: str,
    weights: KappaWeights = "unweighted",
    categories: Sequence | None = None,
    n_boot: int = 2000,
    seed: int | None = None,
    ci_level: float = 0.95,
) -> KappaResult:
    """Cohen's kappa, or weighted kappa, between two raters who rated the same subjects.

    Parameters
    ----------
    data
        One row per subject.
    rater_a, rater_b
        Columns holding the two raters' categories.  Rows where either is missing
        are dropped and counted (``n_dropped``).
    weights
        ``"unweighted"`` (Cohen 1960), ``"linear"`` or ``"quadratic"`` agreement weights (Cohen 1968).
    categories
        The categories in order.  Default: the declared categories of an (ordered)
        categorical column, else the sorted distinct ratings, as R ``irr::kappa2``
        does.  Weights use the categories' positions, not their numeric values, so
        pass unobserved categories here to keep the spacing of the scale.
    n_boot
        Bootstrap replicates for the percentile interval (0: no interval; else at least 100).
    seed
        Seed of the bootstrap; ``None`` draws one and records it in the result.
    ci_level
        Confidence level of the interval.

    Returns
    -------
    KappaResult

    Raises
    ------
    EstimationError
        Fewer than two subjects, ratings outside ``categories``, or chance agreement of 1
        (both raters used one and the same category only).

    Notes
    -----
    With cell proportions :math:`p_{ij}`, margins :math:`p_{i.}`, :math:`p_{.j}` and
    agreement weights :math:`w_{ij}` (identity; :math:`1 - |i-j|/(K-1)`;
    :math:`1 - (i-j)^2/(K-1)^2`),

    .. math::

        \\kappa = \\frac{p_o - p_e}{1 - p_e},\\quad p_o = \\sum_{ij} w_{ij} p_{ij},\\quad
        p_e = \\sum_{ij} w_{ij} p_{i.} p_{.j}.

    With :math:`\\bar w_{i.} = \\sum_j p_{.j} w_{ij}` and :math:`\\bar w_{.j} = \\sum_i p_{i.} w_{ij}`,
    the large-sample variances of Fleiss, Cohen & Everitt (1969) are, under the alternative,

    .. math::

        \\widehat{Var}(\\kappa) = \\frac{\\sum_{ij} p_{ij}[w_{ij} - (\\bar w_{i.} + \\bar w_{.j})(1-\\kappa)]^2
            - [\\kappa - p_e(1-\\kappa)]^2}{n (1-p_e)^2},

    and under :math:`\\kappa = 0`,

    .. math::

        Var_0 = \\frac{\\sum_{ij} p_{i.} p_{.j}[w_{ij} - (\\bar w_{i.} + \\bar w_{.j})]^2 - p_e^2}{n (1-p_e)^2}.

    The z test is :math:`z = \\kappa / \\sqrt{Var_0}`, two-sided, as R ``irr::kappa2``
    reports it; the SE under the alternative is SAS PROC FREQ's ASE.  The interval is the
    percentile bootstrap over subjects; resampling subjects is the same as drawing the
    confusion table from a multinomial with the observed cell shares, which is how the
    replicates are drawn (all at once).

    References
    ----------
    Cohen, J. (1960). A coefficient of agreement for nominal scales. *Educational and
    Psychological Measurement*, 20(1), 37-46.

    Cohen, J. (1968). Weighted kappa: Nominal scale agreement with provision for scaled
    disagreement or partial credit. *Psychological Bulletin*, 70(4), 213-220.

    Fleiss, J. L., Cohen, J., & Everitt, B. S. (1969). Large sample standard errors of
    kappa and weighted kappa. *Psychological Bulletin*, 72(5), 323-327.

    Examples
    --------
    >>> import pandas as pd
    >>> levels = pd.DataFrame({"self": [3, 4, 4, 5, 2, 3, 4, 5, 3, None],
    ...                        "peer": [3, 4, 5, 5, 3, 3, 3, 4, 3, 4]})
    >>> result = cohen_kappa(levels, rater_a="self", rater_b="peer", weights="quadratic", n_boot=500, seed=7)
    >>> f"{result.estimate:.4f}", result.n_dropped
    ('0.7143', 1)
    >>> result.ci_low <= result.estimate <= result.ci_high
    True
    """
    check_choice("weights", weights, _WEIGHTS)
    check_columns(data, [rater_a, rater_b], what="data")
    a, b = data[rater_a], data[rater_b]
    keep = (a.notna() & b.notna()).to_numpy()
    a, b = a[keep], b[keep]
    dtype = a.dtype if isinstance(a.dtype, pd.CategoricalDtype) else b.dtype
    cats = _categories(pd.concat([a.astype(object), b.astype(object)]), categories, weights, dtype)
    code_a = pd.Categorical(a.astype(object), categories=cats).codes.astype(np.int64)
    code_b = pd.Categorical(b.astype(object), categories=cats).codes.astype(np.int64)
    k = len(cats)
    table = np.bincount(code_a * k + code_b, minlength=k * k).reshape(k, k)
    return _cohen(table, cats, weights, n_boot, seed, ci_level, n_dropped=int((~keep).sum()))


def cohen_kappa_from_table(
    table: pd.DataFrame | np.ndarray,
    *,
    weights: KappaWeights = "unweighted",
    n_boot: int = 2000,
    seed: int | None = None,
    ci_level: float = 0.95,
) -> KappaResult:
    """Cohen's (weighted) kappa from a published K x K table of counts (rater A in rows, rater B in columns).

    Parameters
    ----------
    table
        Square table of counts, categories in order; a DataFrame's index gives the categories.
    weights, n_boot, seed, ci_level
        As in :func:`cohen_kappa`.

    Returns
    -------
    KappaResult

    Notes
    -----
    See :func:`cohen_kappa` for the formulas.

    References
    ----------
    Fleiss, J. L., Cohen, J., & Everitt, B. S. (1969). Large sample standard errors of
    kappa and weighted kappa. *Psychological Bulletin*, 72(5), 323-327.

    Examples
    --------
    >>> result = cohen_kappa_from_table([[20, 5], [10, 15]], n_boot=0)
    >>> f"{result.estimate:.2f}", f"{result.observed_agreement:.2f}"
    ('0.40', '0.70')
    """
    check_choice("weights", weights, _WEIGHTS)
    counts = np.asarray(table, dtype=float)
    if counts.ndim != 2 or counts.shape[0] != counts.shape[1] or counts.shape[0] < 2:
        raise EstimationError(f"table must be a square K x K table of counts with K >= 2, got shape {counts.shape}")
    if (counts < 0).any() or not np.allclose(counts, np.round(counts)):
        raise EstimationError("table must hold non-negative whole counts of subjects")
    cats = list(table.index) if isinstance(table, pd.DataFrame) else list(range(counts.shape[0]))
    return _cohen(np.round(counts).astype(np.int64), cats, weights, n_boot, seed, ci_level, n_dropped=0)


def _cohen(table: np.ndarray, cats: list, weights: str, n_boot: int, seed: int | None, ci_level: float,
           *, n_dropped: int) -> KappaResult:
    level, n_boot, seed_used = check_ci_level(ci_level), check_n_boot(n_boot), resolve_seed(seed)
    n, k = int(table.sum()), table.shape[0]
    if n < 2:
        raise EstimationError(f"Cohen's kappa needs at least 2 subjects rated by both raters, got {n}")
    w = agreement_weights(k, weights)
    p = table / n
    kappa, po, pe = (float(v) for v in _kappa(p, w))
    if not np.isfinite(kappa):
        raise EstimationError(
            "chance agreement is 1 (both raters used a single category, or weights give every pair full credit), "
            "so kappa is undefined"
        )
    se, se0 = _cohen_se(p, w, kappa, pe, n)
    z = kappa / se0 if se0 > 0 else float("nan")
    reps = np.empty(0)
    if n_boot:
        cells = np.repeat(np.arange(k * k), table.ravel())
        blocks = resample_counts(np.random.default_rng(seed_used), cells, n_groups=k * k, n_boot=n_boot)
        reps = np.concatenate([_kappa(c.reshape(-1, k, k) / n, w)[0] for c in blocks])
    low, high, _, failed = percentile_interval(reps, level)
    return KappaResult(
        method="Cohen's kappa", weights=weights, estimate=kappa, std_error=se,
        std_error_method="large-sample, under the alternative (Fleiss, Cohen & Everitt 1969)",
        std_error_null=se0, statistic=z, p_value=float(2 * stats.norm.sf(abs(z))), null=_NULL,
        ci_low=low, ci_high=high, ci_level=level, observed_agreement=po, expected_agreement=pe,
        categories=tuple(cats), n_subjects=n, n_dropped=n_dropped, n_raters=2, n_boot=n_boot,
        n_boot_failed=failed, seed=seed_used,
    )


def fleiss_kappa(
    data: pd.DataFrame,
    *,
    subject: str,
    rater: str,
    rating: str,
    n_boot: int = 2000,
    seed: int | None = None,
    ci_level: float = 0.95,
) -> KappaResult:
    """Fleiss' kappa for subjects each put in a category by the same number of raters.

    Parameters
    ----------
    data
        Long table, one row per (subject, rater) rating.
    subject, rater, rating
        Columns holding the subject id, the rater id and the (nominal) category.
    n_boot
        Bootstrap replicates for the percentile interval (0: no interval; else at least 100).
    seed
        Seed of the bootstrap; ``None`` draws one and records it in the result.
    ci_level
        Confidence level of the interval.

    Returns
    -------
    KappaResult

    Raises
    ------
    EstimationError
        A (subject, rater) pair rated twice, fewer than two subjects or raters,
        or a single category used by everyone.

    Notes
    -----
    :math:`m` is the largest number of ratings a subject has; subjects with fewer
    (a missing rating) are dropped and counted in ``n_dropped``, as R
    ``irr::kappam.fleiss`` drops incomplete rows.  The raters need not be the same
    people for every subject.  With :math:`n_{ij}` raters putting subject :math:`i`
    (of :math:`N`) in category :math:`j`,

    .. math::

        P_i = \\frac{\\sum_j n_{ij}^2 - m}{m(m-1)},\\quad \\bar P = \\frac{1}{N}\\sum_i P_i,\\quad
        p_j = \\frac{\\sum_i n_{ij}}{N m},\\quad \\bar P_e = \\sum_j p_j^2,\\quad
        \\kappa = \\frac{\\bar P - \\bar P_e}{1 - \\bar P_e}.

    The z test of :math:`\\kappa = 0` uses the null variance of Fleiss, Nee & Landis (1979)
    (Fleiss, Levin & Paik 2003, ch. 18), as current R ``irr::kappam.fleiss`` (early irr
    versions used the variance printed in Fleiss 1971 and give a smaller z): with
    :math:`q_j = 1 - p_j`,

    .. math::

        Var_0 = \\frac{2}{N m (m-1) (\\sum_j p_j q_j)^2}
            \\Bigl[\\bigl(\\sum_j p_j q_j\\bigr)^2 - \\sum_j p_j q_j (q_j - p_j)\\Bigr].

    ``std_error`` is the standard deviation of the bootstrap replicates and the interval
    is the percentile bootstrap over subjects; subjects are grouped by their pattern of
    category counts and all replicates are drawn at once.

    References
    ----------
    Fleiss, J. L. (1971). Measuring nominal scale agreement among many raters.
    *Psychological Bulletin*, 76(5), 378-382.

    Fleiss, J. L., Nee, J. C. M., & Landis, J. R. (1979). Large sample variance of kappa
    in the case of different sets of raters. *Psychological Bulletin*, 86(5), 974-977.

    Fleiss, J. L., Levin, B., & Paik, M. C. (2003). *Statistical Methods for Rates and
    Proportions* (3rd ed.), chapter 18. Wiley.

    Examples
    --------
    >>> import pandas as pd
    >>> long = pd.DataFrame({
    ...     "essay": [1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 5, 5, 5],
    ...     "grader": ["a", "b", "c"] * 5,
    ...     "grade": ["pass", "pass", "pass", "fail", "fail", "pass", "merit", "merit", "merit",
    ...               "fail", "fail", "fail", "pass", "merit", "pass"],
    ... })
    >>> result = fleiss_kappa(long, subject="essay", rater="grader", rating="grade", n_boot=0)
    >>> f"{result.estimate:.4f}", result.n_raters
    ('0.5946', 3)
    """
    check_columns(data, [subject, rater, rating], what="data")
    grid = long_to_grid(data, row=subject, col=rater, row_name="subject", col_name="rater")
    codes, cats = factorize(data[rating])
    matrix = grid.place_codes(codes)
    k = max(len(cats), 1)
    subjects, raters = np.nonzero(matrix >= 0)
    flat = subjects * k + matrix[subjects, raters]
    counts = np.bincount(flat, minlength=matrix.shape[0] * k).reshape(matrix.shape[0], k)
    per_subject = counts.sum(axis=1)
    complete = per_subject == per_subject.max()
    return _fleiss(counts[complete], list(cats), n_boot, seed, ci_level, n_dropped=int((~complete).sum()))


def fleiss_kappa_from_counts(
    counts: pd.DataFrame | np.ndarray,
    *,
    n_boot: int = 2000,
    seed: int | None = None,
    ci_level: float = 0.95,
) -> KappaResult:
    """Fleiss' kappa from a subjects x categories table of counts, as Fleiss (1971) prints his data.

    Parameters
    ----------
    counts
        :math:`n_{ij}`: how many raters put subject :math:`i` in category :math:`j`; every row
        sums to the same :math:`m`.  A DataFrame's columns name the categories.
    n_boot, seed, ci_level
        As in :func:`fleiss_kappa`.

    Returns
    -------
    KappaResult

    Notes
    -----
    See :func:`fleiss_kappa` for the formulas.

    References
    ----------
    Fleiss, J. L. (1971). Measuring nominal scale agreement among many raters.
    *Psychological Bulletin*, 76(5), 378-382.

    Examples
    --------
    >>> result = fleiss_kappa_from_counts([[3, 0], [0, 3], [2, 1], [3, 0]], n_boot=0)
    >>> f"{result.estimate:.4f}"
    '0.6250'
    """
    n = np.asarray(counts, dtype=float)
    if n.ndim != 2 or (n < 0).any() or not np.allclose(n, np.round(n)):
        raise EstimationError("counts must be a subjects x categories table of non-negative whole counts")
    totals = n.sum(axis=1)
    if totals.size and not np.all(totals == totals[0]):
        raise EstimationError(
            f"every subject must have the same number of ratings; row totals range from {totals.min():g} to "
            f"{totals.max():g}. Fix: drop incomplete subjects, or use fleiss_kappa on the long table."
        )
    cats = list(counts.columns) if isinstance(counts, pd.DataFrame) else list(range(n.shape[1]))
    return _fleiss(np.round(n).astype(np.int64), cats, n_boot, seed, ci_level, n_dropped=0)


def _fleiss_kappa(colsums: np.ndarray, sumsq: np.ndarray, n: int, m: int) -> np.ndarray:
    """Kappa from category totals (..., K) and the sum of squared counts (...,); NaN if undefined."""
    p = colsums / (n * m)
    pe = (p**2).sum(axis=-1)
    pbar = (sumsq - n * m) / (n * m * (m - 1))
    room = 1 - pe
    return np.where(room > 1e-12, (pbar - pe) / np.where(room == 0, 1, room), np.nan)


def _fleiss(counts: np.ndarray, cats: list, n_boot: int, seed: int | None, ci_level: float,
            *, n_dropped: int) -> KappaResult:
    level, n_boot, seed_used = check_ci_level(ci_level), check_n_boot(n_boot), resolve_seed(seed)
    n = counts.shape[0]
    m = int(counts[0].sum()) if n else 0
    if n < 2 or m < 2:
        raise EstimationError(
            f"Fleiss' kappa needs at least 2 subjects each rated by at least 2 raters, got {n} complete subjects"
            f" with {m} ratings each" + (f" ({n_dropped} subjects with fewer ratings dropped)" if n_dropped else "")
        )
    colsums = counts.sum(axis=0)
    kappa = float(_fleiss_kappa(colsums, float((counts**2).sum()), n, m))
    if not np.isfinite(kappa):
        raise EstimationError(f"every rating is in one category ({plain(cats[int(np.argmax(colsums))])!r}), so chance "
                              f"agreement is 1 and kappa is undefined")
    p = colsums / (n * m)
    pe, pq = float((p**2).sum()), float((p * (1 - p)).sum())
    se0 = float(np.sqrt(2 / (n * m * (m - 1) * pq**2) * (pq**2 - (p * (1 - p) * (1 - 2 * p)).sum())))
    reps = np.empty(0)
    if n_boot:
        patterns, group = np.unique(counts, axis=0, return_inverse=True)
        sq = (patterns**2).sum(axis=1)
        blocks = resample_counts(np.random.default_rng(seed_used), group.ravel(), n_groups=len(patterns),
                                 n_boot=n_boot)
        reps = np.concatenate([_fleiss_kappa(c @ patterns, c @ sq, n, m) for c in blocks])
    low, high, boot_se, failed = percentile_interval(reps, level)
    pbar = ((counts**2).sum() - n * m) / (n * m * (m - 1))
    z = kappa / se0
    return KappaResult(
        method="Fleiss' kappa", weights="unweighted", estimate=kappa, std_error=boot_se,
        std_error_method=f"standard deviation of {n_boot} bootstrap replicates over subjects",
        std_error_null=se0, statistic=z, p_value=float(2 * stats.norm.sf(abs(z))), null=_NULL,
        ci_low=low, ci_high=high, ci_level=level, observed_agreement=float(pbar), expected_agreement=pe,
        categories=tuple(cats), n_subjects=n, n_dropped=n_dropped, n_raters=m, n_boot=n_boot,
        n_boot_failed=failed, seed=seed_used,
    )
