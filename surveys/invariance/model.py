"""The CFA specification: a simple-structure measurement model and its parameter table.

A confirmatory factor model for group :math:`g` implies the moments

.. math::

    \\Sigma_g = \\Lambda_g \\Phi_g \\Lambda_g' + \\Theta_g, \\qquad
    \\mu_g = \\nu_g + \\Lambda_g \\alpha_g,

with loadings :math:`\\Lambda_g` (each item loads on exactly one factor: simple
structure), factor covariances :math:`\\Phi_g`, diagonal residual variances
:math:`\\Theta_g`, item intercepts :math:`\\nu_g` and factor means
:math:`\\alpha_g`.  :func:`build_parameter_table` numbers the free parameters of
all groups in one vector :math:`\\theta`; an equality constraint across groups
is a parameter number shared by the groups (lavaan's ``group.equal``).

Examples
--------
>>> spec = MeasurementModel.from_mapping({"f": ["a", "b", "c"]})
>>> table = build_parameter_table(spec, n_groups=2, group_equal=("loadings",))
>>> table.n_free  # 2 shared loadings + per group: 1 variance, 3 residuals, 3 intercepts
16
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from data_schema.arguments import check_choice
from data_schema.errors import EstimationError

__all__ = [
    "EQUALITY_CHOICES",
    "IDENTIFICATION_CHOICES",
    "MeasurementModel",
    "GroupMap",
    "ParameterTable",
    "build_parameter_table",
]

EQUALITY_CHOICES = ("loadings", "intercepts", "residuals")
"""Parameter sets that can be held equal across groups (lavaan's ``group.equal`` names)."""

IDENTIFICATION_CHOICES = ("marker", "variance")
"""Scale identification: first loading fixed to 1 (``marker``) or factor variances fixed to 1."""


@dataclass(frozen=True)
class MeasurementModel:
    """A simple-structure measurement model: which items indicate which factor.

    Attributes
    ----------
    factors
        Factor names, in the order given.
    items
        Item names, factor by factor, in the order given.
    item_factor
        Index into ``factors`` of the factor each item loads on.
    """

    factors: tuple[str, ...]
    items: tuple[str, ...]
    item_factor: tuple[int, ...]

    @classmethod
    def from_mapping(cls, factors: Mapping[str, Sequence[str]]) -> MeasurementModel:
        """Validate ``{factor: [items]}`` and build the model.

        Raises
        ------
        EstimationError
            If there is no factor, a factor has fewer than two items, an item is
            listed twice or a factor shares its name with an item.
        """
        if not isinstance(factors, Mapping) or not factors:
            raise EstimationError(
                f"factors={factors!r} must be a non-empty mapping like {{'factor': ['item1', 'item2', 'item3']}}"
            )
        names, items, owner = [], [], []
        for k, (name, members) in enumerate(factors.items()):
            members = [members] if isinstance(members, str) else list(members)
            if len(members) < 2:
                raise EstimationError(
                    f"factor {name!r} has {len(members)} item(s) {members!r}; a factor needs at least two "
                    "items (three for a one-factor model) to be identified"
                )
            names.append(str(name))
            items.extend(str(i) for i in members)
            owner.extend([k] * len(members))
        repeated = sorted({i for i in items if items.count(i) > 1})
        if repeated:
            raise EstimationError(f"items {repeated} load on more than one factor; only simple structure is supported")
        clash = sorted(set(names) & set(items))
        if clash:
            raise EstimationError(f"names {clash} are used both as factor and item names; rename the factors")
        return cls(tuple(names), tuple(items), tuple(owner))

    @property
    def n_items(self) -> int:
        """Number of items :math:`p`."""
        return len(self.items)

    @property
    def n_factors(self) -> int:
        """Number of factors :math:`m`."""
        return len(self.factors)

    @property
    def markers(self) -> tuple[int, ...]:
        """Index of the first (marker) item of each factor."""
        return tuple(self.item_factor.index(k) for k in range(self.n_factors))


@dataclass(frozen=True, eq=False)
class GroupMap:
    """Where each model-matrix cell of one group takes its value from.

    Each ``*_index`` array holds the position of the cell's free parameter in
    :math:`\\theta`, or ``-1`` if the cell is fixed to the value in the matching
    ``*_fixed`` array.

    Attributes
    ----------
    loading_index, loading_fixed
        Loading of item ``i`` on its factor (length :math:`p`).
    phi_index, phi_fixed
        Factor (co)variances, symmetric :math:`m \\times m`.
    residual_index
        Residual variance of each item (length :math:`p`; always free).
    intercept_index
        Item intercepts (length :math:`p`); all ``-1`` without a mean structure.
    mean_index
        Factor means (length :math:`m`); ``-1`` means fixed to zero.
    """

    loading_index: np.ndarray
    loading_fixed: np.ndarray
    phi_index: np.ndarray
    phi_fixed: np.ndarray
    residual_index: np.ndarray
    intercept_index: np.ndarray
    mean_index: np.ndarray

    @property
    def free(self) -> np.ndarray:
        """Sorted positions in :math:`\\theta` of the parameters this group uses."""
        parts = [self.loading_index, self.phi_index.ravel(), self.residual_index, self.intercept_index, self.mean_index]
        idx = np.concatenate(parts)
        return np.unique(idx[idx >= 0])


@dataclass(frozen=True, eq=False)
class ParameterTable:
    """The free-parameter layout of a (multi-group) CFA.

    Attributes
    ----------
    model
        The measurement model.
    groups
        One :class:`GroupMap` per group.
    n_free
        Length of :math:`\\theta` (free parameters after equality constraints).
    group_equal
        Parameter sets held equal across groups.
    meanstructure
        Whether intercepts (and factor means) are part of the model.
    identification
        ``"marker"`` or ``"variance"``.
    shared
        Boolean per position of :math:`\\theta`: used by more than one group.
    """

    model: MeasurementModel
    groups: tuple[GroupMap, ...]
    n_free: int
    group_equal: tuple[str, ...]
    meanstructure: bool
    identification: str
    shared: np.ndarray

    def matrices(self, g: int, theta: np.ndarray) -> tuple[np.ndarray, ...]:
        """Return :math:`(\\Lambda, \\Phi, \\theta_{diag}, \\nu, \\alpha)` of group ``g`` at ``theta``."""
        gm, spec = self.groups[g], self.model
        lam_values = np.where(gm.loading_index >= 0, theta[gm.loading_index], gm.loading_fixed)
        lam = np.zeros((spec.n_items, spec.n_factors))
        lam[np.arange(spec.n_items), spec.item_factor] = lam_values
        phi = np.where(gm.phi_index >= 0, theta[gm.phi_index], gm.phi_fixed)
        resid = theta[gm.residual_index]
        nu = np.where(gm.intercept_index >= 0, theta[gm.intercept_index], 0.0)
        alpha = np.where(gm.mean_index >= 0, theta[gm.mean_index], 0.0)
        return lam, phi, resid, nu, alpha

    def implied(self, g: int, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Model-implied covariance :math:`\\Sigma_g` and mean :math:`\\mu_g` of group ``g``."""
        lam, phi, resid, nu, alpha = self.matrices(g, theta)
        return lam @ phi @ lam.T + np.diag(resid), nu + lam @ alpha


class _Counter:
    """Hand out parameter numbers, reusing one number per key for equal parameters."""

    def __init__(self) -> None:
        self._next = itertools.count()
        self._shared: dict[tuple, int] = {}
        self.uses: dict[int, int] = {}

    def __call__(self, key: tuple, equal: bool) -> int:
        if equal and key in self._shared:
            idx = self._shared[key]
        else:
            idx = next(self._next)
            if equal:
                self._shared[key] = idx
        self.uses[idx] = self.uses.get(idx, 0) + 1
        return idx


def _group_map(spec: MeasurementModel, g: int, take: _Counter, equal: set[str], meanstructure: bool, ident: str):
    """Number the parameters of group ``g``."""
    p, m = spec.n_items, spec.n_factors
    markers = set(spec.markers) if ident == "marker" else set()
    lam_idx = np.array([-1 if i in markers else take(("loading", i), "loadings" in equal) for i in range(p)])
    phi_idx = np.full((m, m), -1)
    phi_fixed = np.zeros((m, m))
    for f, h in itertools.combinations_with_replacement(range(m), 2):
        if ident == "variance" and f == h:
            phi_fixed[f, f] = 1.0
            continue
        phi_idx[f, h] = phi_idx[h, f] = take(("phi", g, f, h), False)
    resid_idx = np.array([take(("residual", i), "residuals" in equal) for i in range(p)])
    nu_idx = np.array([take(("intercept", i), "intercepts" in equal) if meanstructure else -1 for i in range(p)])
    free_means = meanstructure and "intercepts" in equal and g > 0
    alpha_idx = np.array([take(("mean", g, f), False) if free_means else -1 for f in range(m)])
    return GroupMap(lam_idx, np.where(lam_idx >= 0, 0.0, 1.0), phi_idx, phi_fixed, resid_idx, nu_idx, alpha_idx)


def build_parameter_table(
    spec: MeasurementModel,
    *,
    n_groups: int = 1,
    group_equal: Sequence[str] = (),
    meanstructure: bool = True,
    identification: str = "marker",
) -> ParameterTable:
    """Number the free parameters of a (multi-group) CFA with cross-group equalities.

    Parameters
    ----------
    spec
        The measurement model.
    n_groups
        Number of groups :math:`G`.
    group_equal
        Any of ``"loadings"``, ``"intercepts"``, ``"residuals"``: parameter sets
        held equal across groups.
    meanstructure
        Model the item means (intercepts :math:`\\nu_g`, factor means :math:`\\alpha_g`).
    identification
        ``"marker"``: the first loading of each factor is fixed to 1 (lavaan's
        default); ``"variance"``: factor variances are fixed to 1.

    Returns
    -------
    ParameterTable

    Notes
    -----
    Factor means are fixed to 0 in every group unless intercepts are held
    equal; then they are free in groups :math:`2, \\dots, G` (group 1 is the
    reference), as lavaan does for ``group.equal = "intercepts"``.  Factor
    (co)variances are always free per group.

    Examples
    --------
    >>> spec = MeasurementModel.from_mapping({"f": ["a", "b", "c"]})
    >>> build_parameter_table(spec, meanstructure=False).n_free
    6
    """
    equal = {check_choice("group_equal", e, EQUALITY_CHOICES) for e in group_equal}
    check_choice("identification", identification, IDENTIFICATION_CHOICES)
    if "intercepts" in equal and not meanstructure:
        raise EstimationError("equal intercepts need a mean structure; set meanstructure=True")
    if "intercepts" in equal and "loadings" not in equal:
        raise EstimationError("equal intercepts without equal loadings is not a standard invariance model")
    if identification == "variance" and equal:
        raise EstimationError(
            "identification='variance' fixes every group's factor variances to 1, which is wrong once loadings "
            "are held equal; use identification='marker' with group_equal"
        )
    take = _Counter()
    maps = tuple(_group_map(spec, g, take, equal, meanstructure, identification) for g in range(n_groups))
    n_free = len(take.uses)
    shared = np.array([take.uses[k] > 1 for k in range(n_free)], dtype=bool)
    ordered = tuple(e for e in EQUALITY_CHOICES if e in equal)
    return ParameterTable(spec, maps, n_free, ordered, meanstructure, identification, shared)
