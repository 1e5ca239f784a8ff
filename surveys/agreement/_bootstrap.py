"""Bootstrap machinery shared by the agreement coefficients: seeds, resampled counts, percentile intervals.

A coefficient of agreement depends on its units (subjects, targets) only
through a few sufficient statistics, so resampling units with replacement is
the same as drawing how often each *kind* of unit appears.  Units are grouped
by kind (a cell of a confusion matrix, a pattern of category counts); a
bootstrap replicate is a vector of counts over the groups, and every replicate
is evaluated at once by matrix algebra.

Examples
--------
>>> rng = np.random.default_rng(resolve_seed(3))
>>> blocks = list(resample_counts(rng, np.array([0, 0, 1, 2]), n_groups=3, n_boot=5))
>>> counts = np.vstack(blocks)
>>> counts.shape, counts.sum(axis=1).tolist()
((5, 3), [4.0, 4.0, 4.0, 4.0, 4.0])
>>> low, high, se, failed = percentile_interval(np.array([1.0, 2.0, 3.0, np.nan]), 0.5)
>>> float(low), float(high), failed
(1.5, 2.5, 1)
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from data_schema.errors import ArgumentError

__all__ = ["resolve_seed", "resample_counts", "percentile_interval"]

_MAX_CELLS = 4_000_000
"""Largest number of random draws held in memory at once."""


def resolve_seed(seed: int | None) -> int:
    """The seed to use: ``seed`` itself, or a fresh one (recorded in the result) when it is ``None``."""
    if seed is None:
        return int(np.random.SeedSequence().generate_state(1)[0])
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ArgumentError(f"seed={seed!r} must be a non-negative integer or None")
    return int(seed)


def resample_counts(rng: np.random.Generator, group: np.ndarray, *, n_groups: int, n_boot: int) -> Iterator[np.ndarray]:
    """Yield blocks of bootstrap replicates as counts per group.

    Parameters
    ----------
    rng
        The random generator.
    group
        Group (kind) of each of the ``n`` units, integers in ``[0, n_groups)``.
    n_groups
        Number of groups.
    n_boot
        Number of replicates in all.

    Yields
    ------
    numpy.ndarray
        Float array of shape ``(b, n_groups)``: how many of the ``n`` units drawn with
        replacement fall in each group, one row per replicate.

    Notes
    -----
    With few groups the counts are drawn as one multinomial with the groups'
    shares (the exact distribution of the counts of a resample); otherwise unit
    indices are drawn and counted.  Draws are made in blocks so that memory stays
    bounded whatever the number of units.
    """
    n = int(group.size)
    if n_groups * 8 <= n:
        shares = np.bincount(group, minlength=n_groups) / n
        block = max(1, _MAX_CELLS // n_groups)
        for start in range(0, n_boot, block):
            yield rng.multinomial(n, shares, size=min(block, n_boot - start)).astype(float)
        return
    block = max(1, _MAX_CELLS // max(n, 1))
    for start in range(0, n_boot, block):
        b = min(block, n_boot - start)
        draws = group[rng.integers(0, n, size=(b, n), dtype=np.int32)] + (np.arange(b) * n_groups)[:, None]
        yield np.bincount(draws.ravel(), minlength=b * n_groups).reshape(b, n_groups).astype(float)


def percentile_interval(replicates: np.ndarray, ci_level: float) -> tuple[float, float, float, int]:
    """Percentile interval, standard deviation and number of undefined (non-finite) replicates.

    Replicates in which the coefficient is undefined (e.g. every resampled rating
    falls in one category) are left out and counted; with none left the interval
    and the standard deviation are NaN.
    """
    finite = replicates[np.isfinite(replicates)]
    failed = int(replicates.size - finite.size)
    if finite.size < 2:
        return float("nan"), float("nan"), float("nan"), failed
    a = 1 - ci_level
    low, high = np.quantile(finite, [a / 2, 1 - a / 2])
    return float(low), float(high), float(finite.std(ddof=1)), failed
