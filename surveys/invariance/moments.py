"""Sufficient statistics of a (multi-group) CFA: per-group means, covariances and sizes.

Maximum likelihood for a normal-theory CFA depends on the data only through each
group's size :math:`N_g`, mean vector :math:`m_g` and covariance matrix
:math:`S_g`, so everything downstream works from a :class:`SampleMoments` and the
raw rows are read once.  :func:`sample_moments` builds it from a long DataFrame
(listwise deletion of rows with a missing item or a missing group, counted);
:func:`moments_from_summary` builds it from published summaries.

Examples
--------
>>> import pandas as pd
>>> df = pd.DataFrame({"a": [1.0, 2.0, 3.0, None], "b": [2.0, 1.0, 4.0, 3.0]})
>>> mom = sample_moments(df, items=["a", "b"])
>>> mom.n_obs, mom.n_excluded
((3,), 1)
>>> mom.means[0].tolist()
[2.0, 2.3333333333333335]
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from data_schema.arguments import check_columns
from data_schema.errors import EstimationError

__all__ = ["SampleMoments", "sample_moments", "moments_from_summary"]


@dataclass(frozen=True, eq=False)
class SampleMoments:
    """Per-group sample moments of the items, as maximum likelihood uses them.

    Attributes
    ----------
    items
        Item (column) names, in the order of the rows/columns of ``covariances``.
    groups
        Group labels; a single-group analysis has one group labelled ``None``.
    n_obs
        Number of complete rows used in each group, :math:`N_g`.
    means
        Mean vector :math:`m_g` of each group (length ``len(items)``).
    covariances
        Covariance matrix :math:`S_g` of each group with divisor :math:`N_g`
        (the maximum likelihood estimate, lavaan's ``likelihood = "normal"``).
    n_excluded
        Rows dropped before the moments were computed: rows with a missing item
        or a missing group label (listwise deletion).
    """

    items: tuple[str, ...]
    groups: tuple[Hashable, ...]
    n_obs: tuple[int, ...]
    means: tuple[np.ndarray, ...]
    covariances: tuple[np.ndarray, ...]
    n_excluded: int = 0

    @property
    def n_total(self) -> int:
        """Total number of rows used, :math:`N = \\sum_g N_g`."""
        return int(sum(self.n_obs))

    @property
    def n_groups(self) -> int:
        """Number of groups :math:`G`."""
        return len(self.groups)


def _numeric_items(frame: pd.DataFrame, items: Sequence[str]) -> np.ndarray:
    """Return the item columns as a float array, refusing non-numeric columns."""
    for col in items:
        series = frame[col]
        if pd.api.types.is_bool_dtype(series) or not pd.api.types.is_numeric_dtype(series):
            raise EstimationError(
                f"item {col!r} has dtype {series.dtype}, expected numeric scores; "
                "recode it to numbers (e.g. 1-5) before fitting a factor model"
            )
    return frame.loc[:, list(items)].to_numpy(dtype=float, na_value=np.nan)


def _group_labels(column: pd.Series, order: Sequence[Hashable] | None) -> list[Hashable]:
    """Group labels in order of first appearance, or in ``order`` when given."""
    present = [g.item() if isinstance(g, np.generic) else g for g in pd.unique(column.dropna())]
    if order is None:
        return present
    missing = [g for g in present if g not in list(order)]
    unknown = [g for g in order if g not in present]
    if missing or unknown:
        raise EstimationError(
            f"group_order={list(order)!r} does not match the groups in the data {present!r}; "
            "list every group exactly once"
        )
    return list(order)


def _moments_of(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean vector and covariance (divisor N) of the rows of ``values``."""
    mean = values.mean(axis=0)
    centred = values - mean
    return mean, centred.T @ centred / values.shape[0]


def _check_group(label: Hashable, n: int, cov: np.ndarray, items: Sequence[str]) -> None:
    """Raise if a group is too small or its covariance matrix is singular."""
    p = len(items)
    where = "the data" if label is None else f"group {label!r}"
    if n <= p:
        raise EstimationError(
            f"{where} has {n} complete rows but the model has {p} items; the sample covariance "
            f"matrix needs more rows than items (at least {p + 1}); merge small groups or drop items"
        )
    try:
        np.linalg.cholesky(cov)
    except np.linalg.LinAlgError:
        sd = np.sqrt(np.clip(np.diag(cov), 0.0, None))
        constant = [items[i] for i in np.flatnonzero(sd < 1e-12)]
        hint = f"items without variance: {constant}" if constant else "some items are linearly dependent"
        raise EstimationError(
            f"the sample covariance matrix of {where} is not positive definite ({hint}); "
            "drop or combine those items"
        ) from None


def sample_moments(
    data: pd.DataFrame,
    *,
    items: Sequence[str],
    group: str | None = None,
    group_order: Sequence[Hashable] | None = None,
) -> SampleMoments:
    """Compute per-group means and ML covariances of ``items`` after listwise deletion.

    Parameters
    ----------
    data
        Long DataFrame, one row per respondent.
    items
        Names of the numeric item columns.
    group
        Name of the grouping column; ``None`` for a single group.
    group_order
        Order of the groups (the first is the reference group of a multi-group
        model); default: order of first appearance in ``data``, as lavaan does.

    Returns
    -------
    SampleMoments
        Sizes, means and covariances (divisor :math:`N_g`) per group.

    Notes
    -----
    Rows with a missing value on any item, or a missing group label, are dropped
    (listwise deletion) and counted in ``n_excluded``.  The covariance uses the
    divisor :math:`N_g`: :math:`S_g = N_g^{-1}\\sum_i (y_i - m_g)(y_i - m_g)'`.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"a": [1.0, 2, 3, 4], "b": [2.0, 1, 4, 3], "g": ["x", "x", "y", "y"]})
    >>> sample_moments(df, items=["a"], group="g").groups
    ('x', 'y')
    """
    items = list(items)
    check_columns(data, items + ([group] if group is not None else []), what="data")
    values = _numeric_items(data, items)
    keep = ~np.isnan(values).any(axis=1)
    labels: list[Hashable] = [None]
    codes = np.zeros(len(data), dtype=int)
    if group is not None:
        column = data[group]
        keep &= column.notna().to_numpy()
        labels = _group_labels(column[keep], group_order)
        codes = pd.Index(labels).get_indexer(column.to_numpy(dtype=object))
    means, covs, sizes = [], [], []
    for k, label in enumerate(labels):
        rows = values[keep & (codes == k)]
        mean, cov = _moments_of(rows) if len(rows) else (np.full(len(items), np.nan), np.eye(len(items)))
        _check_group(label, len(rows), cov, items)
        means.append(mean)
        covs.append(cov)
        sizes.append(len(rows))
    return SampleMoments(
        items=tuple(items),
        groups=tuple(labels),
        n_obs=tuple(sizes),
        means=tuple(means),
        covariances=tuple(covs),
        n_excluded=int((~keep).sum()),
    )


def _as_group_mapping(value: object, what: str) -> Mapping[Hashable, object]:
    """Wrap a single-group summary as ``{None: value}``; pass mappings through."""
    if isinstance(value, Mapping):
        if not value:
            raise EstimationError(f"{what} is an empty mapping; give one entry per group")
        return value
    return {None: value}


def moments_from_summary(
    *,
    covariances: pd.DataFrame | Mapping[Hashable, pd.DataFrame],
    n_obs: int | Mapping[Hashable, int],
    means: pd.Series | Mapping[Hashable, pd.Series] | None = None,
    items: Sequence[str] | None = None,
) -> SampleMoments:
    """Build :class:`SampleMoments` from published covariance matrices (and means).

    Parameters
    ----------
    covariances
        Unbiased (divisor :math:`N_g - 1`) covariance matrix with item names as
        index and columns, or a mapping group -> such a matrix.
    n_obs
        Sample size, or a mapping group -> sample size.
    means
        Item means, or a mapping group -> means; ``None`` when not published (the
        model is then fitted without a mean structure).
    items
        Items to use, in order; default: the columns of the first matrix.

    Returns
    -------
    SampleMoments
        With covariances rescaled to the divisor :math:`N_g`.

    Notes
    -----
    Like lavaan's ``sample.cov`` argument under ``likelihood = "normal"``, the
    matrices are rescaled by :math:`(N_g - 1)/N_g`.

    Examples
    --------
    >>> import pandas as pd
    >>> cov = pd.DataFrame([[2.0, 1.0], [1.0, 2.0]], index=["a", "b"], columns=["a", "b"])
    >>> moments_from_summary(covariances=cov, n_obs=11).covariances[0].tolist()
    [[1.8181818181818181, 0.9090909090909091], [0.9090909090909091, 1.8181818181818181]]
    """
    cov_map = _as_group_mapping(covariances, "covariances")
    n_map = _as_group_mapping(n_obs, "n_obs")
    mean_map = _as_group_mapping(means, "means") if means is not None else None
    labels = list(cov_map)
    if set(n_map) != set(labels) or (mean_map is not None and set(mean_map) != set(labels)):
        raise EstimationError("covariances, n_obs and means must name the same groups")
    items = list(items) if items is not None else [str(c) for c in cov_map[labels[0]].columns]
    out_means, out_covs, sizes = [], [], []
    for label in labels:
        n = int(n_map[label])
        frame = cov_map[label]
        check_columns(frame, items, what=f"covariance matrix of group {label!r}")
        cov = frame.loc[items, items].to_numpy(dtype=float) * (n - 1) / n
        mean = np.full(len(items), np.nan)
        if mean_map is not None:
            mean = pd.Series(mean_map[label]).loc[items].to_numpy(dtype=float)
        _check_group(label, n, cov, items)
        out_means.append(mean)
        out_covs.append(cov)
        sizes.append(n)
    return SampleMoments(tuple(items), tuple(labels), tuple(sizes), tuple(out_means), tuple(out_covs))
