"""A general per-group engine: the profiled deviance with dense matrices inside each top-level group.

Used where the nested engine does not apply (variance components crossed within the top-level
groups, as statsmodels' ``vc_formula`` allows) and as an independent check of the nested engine.
Inside group ``g`` the random effects are the ``q`` correlated effects of the top level and one
effect per level of each variance component present in ``g`` (identified by group and label, as in
statsmodels), so ``Lambda_g = diag(T, lambda_1 I, ..., lambda_K I)`` and
``A_g = Lambda_g'Z_g'Z_g Lambda_g + I``.  The loop over groups is in Python: this engine is for the
uncommon structures, not for speed.

Examples
--------
>>> from analyses.mixed.covariance import RandomLevel
>>> rng = np.random.default_rng(2)
>>> g, c = np.repeat(np.arange(6), 20), np.tile(np.arange(4), 30)
>>> y = rng.normal(size=6)[g] + rng.normal(size=24)[g * 4 + c] + rng.normal(size=120)
>>> layout = ThetaLayout((RandomLevel("g", ("Intercept",)), RandomLevel("c", ("Intercept",))))
>>> dense = DenseGroupsDeviance(y, np.ones((120, 1)), g, None, [c], layout)
>>> round(dense.terms(np.array([1.0, 0.5])).criterion(reml=True), 6) > 0
True
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from analyses.mixed.covariance import ThetaLayout
from analyses.mixed.profile import DevianceTerms, orthogonal_fixed, solve_fixed

__all__ = ["DenseGroupsDeviance"]


class DenseGroupsDeviance:
    """Profiled deviance with one dense block per top-level group.

    Parameters
    ----------
    y, x
        Response ``(n,)`` and fixed-effect design ``(n, p)``.
    groups
        Integer top-level group codes ``(n,)``.
    z
        Top-level random-effect design ``(n, q)``; ``None`` for a random intercept.
    components
        Integer labels of each variance component ``(n,)``; a label's effect is shared by the rows of
        the same group with that label.
    layout
        The theta layout: the top level first, then one scalar level per component.

    References
    ----------
    Bates, D., Mächler, M., Bolker, B., & Walker, S. (2015). Fitting linear mixed-effects models using
    lme4. *Journal of Statistical Software*, 67(1), 1-48.
    """

    def __init__(self, y: np.ndarray, x: np.ndarray, groups: np.ndarray, z: np.ndarray | None,
                 components: Sequence[np.ndarray], layout: ThetaLayout) -> None:
        self.layout = layout
        self.n_obs, self.n_fixed = int(y.shape[0]), int(x.shape[1])
        w, self._r, self._c = orthogonal_fixed(x, y)
        self._ww = w.T @ w
        zt = np.ones((y.shape[0], 1)) if z is None else np.asarray(z, dtype=float)
        order = np.argsort(groups, kind="stable")
        bounds = np.flatnonzero(np.r_[True, np.diff(np.asarray(groups)[order]) != 0, True])
        self._blocks: list[tuple[np.ndarray, np.ndarray, list[int]]] = []
        for a, b in zip(bounds[:-1], bounds[1:], strict=True):
            rows = order[a:b]
            cols, sizes = [zt[rows]], []
            for comp in components:
                _, inverse = np.unique(np.asarray(comp)[rows], return_inverse=True)
                onehot = np.zeros((rows.size, int(inverse.max()) + 1))
                onehot[np.arange(rows.size), inverse] = 1.0
                cols.append(onehot)
                sizes.append(onehot.shape[1])
            zg = np.hstack(cols)
            self._blocks.append((zg.T @ zg, zg.T @ w[rows], sizes))
        self.n_groups = len(self._blocks)

    def terms(self, theta: np.ndarray) -> DevianceTerms:
        """The penalized least-squares solution at ``theta``."""
        factors = self.layout.factors(theta)
        top, lambdas = factors[0], [f[0, 0] for f in factors[1:]]
        ww, logdet = self._ww.copy(), 0.0
        for ztz, ztw, sizes in self._blocks:
            lam = np.zeros((ztz.shape[0], ztz.shape[0]))
            q = top.shape[0]
            lam[:q, :q] = top
            k = q
            for size, value in zip(sizes, lambdas, strict=True):
                lam[k:k + size, k:k + size] = np.eye(size) * value
                k += size
            low = np.linalg.cholesky(lam.T @ ztz @ lam + np.eye(k))
            u = np.linalg.solve(low, lam.T @ ztw)
            ww -= u.T @ u
            logdet += 2.0 * float(np.log(np.diag(low)).sum())
        return solve_fixed(ww, logdet, self._r, self._c, self.n_obs)

    def criterion(self, theta: np.ndarray, *, reml: bool) -> float:
        """Profiled REML criterion or ML deviance at ``theta``."""
        return self.terms(theta).criterion(reml=reml)
