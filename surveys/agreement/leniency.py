"""Rater leniency: how far each rater role's scores sit from a reference role's scores on the same targets.

Examples
--------
>>> import pandas as pd
>>> scores = pd.DataFrame({
...     "student_id": ["s1", "s1", "s2", "s2", "s3", "s3"],
...     "assessment": ["capstone_portfolio"] * 6,
...     "rater_role": ["teacher", "self"] * 3,
...     "score": [70.0, 80.0, 60.0, 66.0, 85.0, 92.0],
...     "max_score": [100.0] * 6,
... })
>>> table = leniency_table(scores, rater=None).table  # no rater ids: the paired t interval
>>> table["rater_role"].tolist(), [f"{d:.3f}" for d in table["mean_difference"]]
(['teacher', 'self'], ['0.000', '7.667'])
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from data_schema.arguments import check_columns
from data_schema.errors import EstimationError
from surveys.agreement._inputs import check_ci_level, numeric_values
from surveys.agreement.results import LeniencyResult

__all__ = ["leniency_table"]

_COLUMNS = ("rater_role", "n_scores", "n_targets", "mean_score", "mean_difference", "std_error", "statistic", "df",
            "p_value", "ci_low", "ci_high", "n_paired", "note")


def leniency_table(
    assessments: pd.DataFrame,
    *,
    target: str | Sequence[str] = ("student_id", "assessment"),
    role: str = "rater_role",
    score: str = "score",
    max_score: str | None = "max_score",
    reference: str = "teacher",
    rater: str | None = "rater_id",
    ci_level: float = 0.95,
) -> LeniencyResult:
    """Mean score of each rater role and its mean difference from the reference role on the same targets.

    Parameters
    ----------
    assessments
        Long table of scores, one row a score (the ``assessments`` table of the data
        contract: one row a student x assessment x rater).
    target
        Column or columns that identify the thing scored; two scores with equal values
        here score the same target.  Add ``"component"`` to keep module exams apart.
    role
        Column holding the rater role (``teacher``, ``enterprise_mentor``, ``peer``, ``self``, ...).
    score
        Column holding the score.
    max_score
        Column holding the maximum possible score: scores are then expressed as a percentage
        of it (so scales of different lengths can be compared); ``None`` keeps raw scores.
    reference
        The role the others are compared with.
    rater
        Column holding the rater id.  The standard error is then clustered two ways, by the
        role's rater and by the reference's rater (a target scored by no identified rater, or by
        several raters of one role, is its own cluster on that side), so that the shared
        severity of a finite set of raters is part of the uncertainty.  ``None`` gives the
        paired t interval, which treats targets as independent.
    ci_level
        Confidence level of the intervals.

    Returns
    -------
    LeniencyResult
        ``table`` has one row per role, the reference first and the others in order of
        appearance: ``n_scores`` (scores given), ``n_targets`` (targets scored),
        ``mean_score``, and, over the ``n_paired`` targets that both this role and the
        reference scored, ``mean_difference`` (role minus reference; 0 for the reference
        row), its ``std_error``, the paired t ``statistic`` with ``df`` and ``p_value``, and
        the t interval ``ci_low``, ``ci_high``.  ``note`` says why a row has no interval.

    Raises
    ------
    EstimationError
        The reference role does not occur, scores are not numbers, or a maximum score is not positive.
    KeyError
        A named column is absent.

    Notes
    -----
    When a role scored a target more than once (several peers, several module
    components under one target) its scores on that target are averaged first, so every
    target counts once.  For role :math:`r` with reference :math:`R`, over the
    :math:`n` targets :math:`t` scored by both,

    .. math::

        d_t = \\bar y_{t r} - \\bar y_{t R},\\quad \\bar d = \\frac1n \\sum_t d_t,\\quad
        SE = \\frac{s_d}{\\sqrt n},\\quad \\bar d \\pm t_{n-1,\\,1-a/2}\\, SE,

    the paired-difference (matched pairs) t interval, used with ``rater=None``.  Rows
    with a missing score are dropped and counted (``n_rows_dropped``).  That interval
    treats targets as independent, but raters who score many targets share their own
    severity, so with few raters per role it is too narrow for the role's leniency in
    general.  With ``rater`` (the default) the variance of :math:`\\bar d` is the two-way
    cluster-robust one of Cameron, Gelbach & Miller (2011),
    :math:`V = V_A + V_B - V_{A\\cap B}` with :math:`V_C = \\frac{G_C}{G_C-1}\\sum_{g \\in C}
    (\\sum_{t \\in g} (d_t - \\bar d)/n)^2` over the :math:`G_C` clusters of the role's
    raters (A), the reference's raters (B) and their pairs; when :math:`V \\le 0` the larger
    one-way variance is used; the t reference has :math:`\\min(G_A, G_B) - 1` df.

    References
    ----------
    Student (1908). The probable error of a mean. *Biometrika*, 6(1), 1-25.

    Cameron, A. C., Gelbach, J. B., & Miller, D. L. (2011). Robust inference with multiway
    clustering. *Journal of Business & Economic Statistics*, 29(2), 238-249.

    Myford, C. M., & Wolfe, E. W. (2003). Detecting and measuring rater effects using
    many-facet Rasch measurement: Part I. *Journal of Applied Measurement*, 4(4), 386-422.

    Examples
    --------
    >>> import pandas as pd
    >>> scores = pd.DataFrame({
    ...     "student_id": ["s1", "s1", "s1", "s2", "s2", "s2"],
    ...     "assessment": ["capstone_portfolio"] * 6,
    ...     "rater_role": ["teacher", "peer", "peer", "teacher", "peer", "peer"],
    ...     "score": [7.0, 8.0, 9.0, 5.0, 6.0, 6.0],
    ...     "max_score": [10.0] * 6,
    ... })
    >>> result = leniency_table(scores, rater=None)
    >>> peer = result.table.loc[1]
    >>> peer["rater_role"], int(peer["n_scores"]), int(peer["n_targets"]), float(peer["mean_difference"])
    ('peer', 4, 2, 12.5)
    """
    targets = [target] if isinstance(target, str) else list(target)
    optional = [c for c in (max_score, rater) if c]
    check_columns(assessments, [*targets, role, score, *optional], what="assessments")
    level = check_ci_level(ci_level)
    values = numeric_values(assessments[score], column=score)
    if max_score:
        top = numeric_values(assessments[max_score], column=max_score)
        if (top <= 0).any():
            raise EstimationError(f"column {max_score!r} has {int((top <= 0).sum())} values <= 0; a maximum score "
                                  f"must be positive. Fix: correct them, or pass max_score=None for raw scores.")
        values = 100 * values / top
    frame = assessments[targets + [role]].assign(_value=values)
    keep = frame["_value"].notna() & frame[role].notna()
    frame = frame[keep]
    roles = list(pd.unique(frame[role]))
    if reference not in roles:
        raise EstimationError(
            f"the reference role {reference!r} gives no scores; roles present: {', '.join(map(repr, roles))}. "
            f"Fix: pass reference= one of them."
        )
    roles = [reference] + [r for r in roles if r != reference]
    means = frame.groupby(targets + [role], sort=False, dropna=False)["_value"].mean().unstack(role)
    clusters = _clusters(assessments.loc[keep, [*targets, role, rater]], targets, role, rater) if rater else None
    rows = [_row(r, frame.loc[frame[role] == r, "_value"], means, reference, level, clusters) for r in roles]
    table = pd.DataFrame(rows, columns=list(_COLUMNS))
    return LeniencyResult(table=table, reference=reference, target=tuple(targets),
                          scale="percent of max_score" if max_score else "score", ci_level=level,
                          n_rows_dropped=int((~keep).sum()))


def _clusters(frame: pd.DataFrame, targets: list[str], role: str, rater: str) -> pd.DataFrame:
    """Cluster label of each target x role: its one identified rater, or the target itself."""
    by = frame[targets + [role]].assign(_rater=frame[rater].astype("string"))
    agg = by.groupby(targets + [role], sort=False, dropna=False)["_rater"].agg(["nunique", "first", "size"])
    one = (agg["nunique"] == 1) & (agg["size"] == 1)
    own = pd.Series(np.arange(len(agg)), index=agg.index).astype(str)  # a cluster of its own
    label = ("rater:" + agg["first"].astype(str)).where(one, "target:" + own)
    return label.unstack(role)


def _cluster_variance(d: np.ndarray, labels: list[np.ndarray]) -> list[float]:
    e = (d - d.mean()) / d.size
    out = []
    for lab in labels:
        sums = pd.Series(e).groupby(lab).sum().to_numpy()
        g = sums.size
        out.append(g / (g - 1) * float((sums**2).sum()) if g > 1 else np.nan)
    return out


def _clustered_se(d: pd.Series, clusters: pd.DataFrame, name: object, reference: str) -> tuple[float, int]:
    lab = clusters.reindex(d.index)
    a, b = lab[name].to_numpy(dtype=str), lab[reference].to_numpy(dtype=str)
    pair = np.char.add(np.char.add(a, "|"), b)
    v_a, v_b, v_ab = _cluster_variance(d.to_numpy(), [a, b, pair])
    v = v_a + v_b - v_ab
    if not v > 0:
        v = max(v_a, v_b)
    return float(np.sqrt(v)), min(len(set(a)), len(set(b))) - 1


def _row(name: object, scores: pd.Series, means: pd.DataFrame, reference: str, ci_level: float,
         clusters: pd.DataFrame | None = None) -> dict:
    own = means[name].dropna()
    base = {"rater_role": name, "n_scores": int(scores.size), "n_targets": int(own.size),
            "mean_score": float(scores.mean())}
    nan = float("nan")
    blank = {"std_error": nan, "statistic": nan, "df": nan, "p_value": nan, "ci_low": nan, "ci_high": nan}
    if name == reference:
        return {**base, "mean_difference": 0.0, **blank, "n_paired": int(own.size), "note": "reference role"}
    paired = (means[name] - means[reference]).dropna()
    d = paired.to_numpy()
    if d.size < 2:
        why = "no target" if d.size == 0 else "only 1 target"
        return {**base, "mean_difference": float(d.mean()) if d.size else nan, **blank, "n_paired": int(d.size),
                "note": f"{why} scored by both {name!r} and {reference!r}; a t interval needs 2"}
    mean, se, df = float(d.mean()), float(d.std(ddof=1) / np.sqrt(d.size)), d.size - 1
    if clusters is not None and se > 0:
        se, df = _clustered_se(paired, clusters, name, reference)
        if df < 1:
            return {**base, "mean_difference": mean, **blank, "n_paired": int(d.size),
                    "note": f"a single rater cluster on one side; no clustered interval for {name!r}"}
    if se == 0:
        return {**base, "mean_difference": mean, **blank, "std_error": 0.0, "n_paired": int(d.size),
                "note": f"every difference from {reference!r} is {mean:g}; no variation for a t interval"}
    t_stat = mean / se
    half = float(stats.t.ppf(1 - (1 - ci_level) / 2, df)) * se
    return {**base, "mean_difference": mean, "std_error": se, "statistic": t_stat, "df": float(df),
            "p_value": float(2 * stats.t.sf(abs(t_stat), df)), "ci_low": mean - half, "ci_high": mean + half,
            "n_paired": int(d.size), "note": ""}
