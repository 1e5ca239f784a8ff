"""The fast exact engine: the profiled deviance of nested random effects from per-group sufficient statistics.

Levels are nested (students in classes in institutions; or one grouping factor).  With the random
effects of a level ordered before those of its ancestors, the Cholesky factor of
``Lambda'Z'Z Lambda + I`` has no fill-in, so it is computed by block elimination from the finest level
up: each group's ``q x q`` pivot is factored, and its coupling to its ancestors' effects and to
``[X, y]`` is eliminated by a rank-``q`` update (Woodbury within each top-level group).  Every step is
vectorised over the groups of a level with numpy (batched small Cholesky factors written out over the
``q`` columns), so one deviance evaluation costs O(groups), never a Python loop over groups.

Examples
--------
>>> from analyses.mixed.covariance import RandomLevel
>>> rng = np.random.default_rng(1)
>>> g = np.repeat(np.arange(30), 4)
>>> y = 1.0 + rng.normal(size=30)[g] + rng.normal(size=120)
>>> engine = NestedDeviance(y, np.ones((120, 1)), [g], [None], ThetaLayout((RandomLevel("g", ("Intercept",)),)))
>>> terms = engine.terms(np.array([1.0]))
>>> round(terms.criterion(reml=True), 6) == round(engine.criterion(np.array([1.0]), reml=True), 6)
True
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from analyses.mixed.covariance import ThetaLayout
from analyses.mixed.profile import DevianceTerms, orthogonal_fixed, solve_fixed
from data_schema.errors import EstimationError

__all__ = ["NestedDeviance"]


def _starts(codes: np.ndarray) -> np.ndarray:
    """First row of each run of equal codes."""
    return np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])


# Per-group small matrices are stored as (rows, cols, groups): the group axis is last and contiguous, so
# every elementwise operation runs over long inner loops.


def _tmul(t: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``T' B`` per group (``b`` is ``(q, c, m)``, ``t`` a fixed ``q x r`` matrix)."""
    if t.shape == (1, 1):
        return t[0, 0] * b
    out = np.zeros((t.shape[1], *b.shape[1:]))
    for i in range(t.shape[1]):
        for a in range(t.shape[0]):
            if t[a, i] != 0.0:
                out[i] += t[a, i] * b[a]
    return out


def _rmul(a: np.ndarray, t: np.ndarray) -> np.ndarray:
    """``A T`` per group (``a`` is ``(r, q, m)``, ``t`` a fixed ``q x c`` matrix)."""
    if t.shape == (1, 1):
        return a * t[0, 0]
    out = np.zeros((a.shape[0], t.shape[1], a.shape[2]))
    for k in range(t.shape[1]):
        for j in range(t.shape[0]):
            if t[j, k] != 0.0:
                out[:, k] += a[:, j] * t[j, k]
    return out


def _gram(a: np.ndarray) -> np.ndarray:
    """``sum over groups and first axis of a a'``: for ``a`` ``(q, c, m)`` the ``c x c`` matrix."""
    out = a[0] @ a[0].T
    for i in range(1, a.shape[0]):
        out += a[i] @ a[i].T
    return out


def _chol(p: np.ndarray) -> np.ndarray:
    """Lower Cholesky factor per group of ``p`` (``(q, q, m)``)."""
    q = p.shape[0]
    if q == 1:
        return np.sqrt(p)
    low = np.zeros_like(p)
    for j in range(q):
        d = p[j, j] - (low[j, :j] ** 2).sum(axis=0)
        low[j, j] = np.sqrt(d)
        for i in range(j + 1, q):
            low[i, j] = (p[i, j] - (low[i, :j] * low[j, :j]).sum(axis=0)) / low[j, j]
    return low


def _forward(low: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Solve ``L U = B`` per group (``low`` is ``(q, q, m)``, ``b`` is ``(q, c, m)``)."""
    if b.shape[0] == 1:
        return b / low[0, 0]
    u = np.empty(b.shape)
    for i in range(b.shape[0]):
        acc = b[i].copy()
        for k in range(i):
            acc -= low[i, k] * u[k]
        u[i] = acc / low[i, i]
    return u


def _cross(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per-group ``A'B`` for ``a`` ``(q, r, m)`` and ``b`` ``(q, c, m)``: result ``(r, c, m)``."""
    out = a[0][:, None, :] * b[0][None, :, :]
    for i in range(1, a.shape[0]):
        out += a[i][:, None, :] * b[i][None, :, :]
    return out


def _bmm(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per-group ``A B`` for ``a`` ``(q, r, m)`` and ``b`` ``(r, c, m)``: result ``(q, c, m)``."""
    out = a[:, 0, None, :] * b[0][None]
    for j in range(1, a.shape[1]):
        out += a[:, j, None, :] * b[j][None]
    return out


def _pivot(t: np.ndarray, s: np.ndarray) -> np.ndarray:
    """``T' S T + I`` per group."""
    p = _rmul(_tmul(t, s), t)
    idx = np.arange(t.shape[0])
    p[idx, idx] += 1.0
    return p


class NestedDeviance:
    """Profiled deviance engine for nested grouping levels.

    Parameters
    ----------
    y, x
        Response ``(n,)`` and fixed-effect design ``(n, p)``.
    codes
        Integer group codes per level, in output order (top level first); each level must be nested
        in the one before (a group of level ``k`` lies inside one group of level ``k - 1``).
    z
        Random-effect design per level, ``(n, q_l)``; ``None`` for a random intercept.
    layout
        The theta layout of the same levels.

    Notes
    -----
    The sufficient statistics are, per group of level ``l``, the cross products of its ``z`` columns with
    its own and every ancestor's ``z`` columns and with ``[X, y]``, plus ``[X, y]'[X, y]``.  At theta the
    engine eliminates level after level, finest first: with ``S`` the current blocks of a group,
    ``P = T' S_ll T + I = L L'``, ``U_a = L^-1 T' S_la`` and every remaining block ``S_ab`` loses
    ``U_a'U_b`` (aggregated to the ancestor groups).  What is left of ``[X, y]'[X, y]`` is
    ``[X, y]' V^-1 [X, y]``, and ``log|L_theta|^2`` is the sum of ``2 log diag L``.

    References
    ----------
    Bates, D., Mächler, M., Bolker, B., & Walker, S. (2015). Fitting linear mixed-effects models using
    lme4. *Journal of Statistical Software*, 67(1), 1-48.
    Pinheiro, J. C., & Bates, D. M. (2000). *Mixed-Effects Models in S and S-PLUS*, ch. 2. Springer.
    """

    def __init__(self, y: np.ndarray, x: np.ndarray, codes: Sequence[np.ndarray], z: Sequence[np.ndarray | None],
                 layout: ThetaLayout) -> None:
        n = y.shape[0]
        self.layout = layout
        self.n_obs = int(n)
        self.n_fixed = int(x.shape[1])
        order = np.lexsort(tuple(np.asarray(c) for c in reversed(codes)))
        w, self._r, self._c = orthogonal_fixed(np.asarray(x, dtype=float)[order], np.asarray(y, dtype=float)[order])
        self._last: tuple[bytes, DevianceTerms] | None = None
        self._ww = w.T @ w
        fine = list(reversed(range(len(codes))))  # engine order: finest level first
        sorted_codes = [np.asarray(codes[k])[order] for k in fine]
        zs = [np.ones((n, 1)) if z[k] is None else np.asarray(z[k], dtype=float)[order] for k in fine]
        starts = [_starts(c) for c in sorted_codes]
        node_of_obs = [np.cumsum(np.r_[True, c[1:] != c[:-1]]) - 1 for c in sorted_codes]
        for c, s in zip(sorted_codes, starts, strict=True):
            if np.unique(c).size != s.size:
                raise EstimationError("the grouping levels are not nested, so the nested engine cannot fit "
                                      "them; call mixed.fit, which sends crossed components to statsmodels")
        self.n_groups = tuple(s.size for s in starts)
        self._q = [zl.shape[1] for zl in zs]
        self._zz, self._zw, self._seg = [], [], []
        for lvl in range(len(fine)):
            zl, st = zs[lvl], starts[lvl]
            self._zz.append([self._sum(zl, zs[a], st) for a in range(lvl, len(fine))])
            self._zw.append(self._sum(zl, w, st))
            self._seg.append([_starts(node_of_obs[a][st]) for a in range(lvl + 1, len(fine))])
        self._zz_total = self._zz[0][0].sum(axis=2)

    @classmethod
    def from_group_blocks(cls, zz: np.ndarray, zw: np.ndarray, ww: np.ndarray, r: np.ndarray, c: np.ndarray,
                          n_obs: int, layout: ThetaLayout) -> NestedDeviance:
        """The engine of one grouping level from its per-group blocks, without the rows.

        Parameters
        ----------
        zz
            ``Z_g'Z_g`` per group, ``(q, q, m)``.
        zw
            ``Z_g'W_g`` per group, ``(q, p + 1, m)``, with ``W = [X R^-1, y - X R^-1 c]``.
        ww
            ``W'W``, ``(p + 1, p + 1)``.
        r, c
            Any invertible upper-triangular ``R`` (``p x p``) and vector ``c`` defining ``W``; the row
            constructor uses ``X = QR`` and ``c = Q'y`` (:func:`~analyses.mixed.profile.orthogonal_fixed`),
            but every quantity the engine returns is the same for any choice (see the Notes).
        n_obs
            Number of observations.
        layout
            The theta layout of the one level.

        Notes
        -----
        ``W`` is an invertible linear recombination of ``[X, y]``: ``y - X beta = W [c - R beta; 1]``, so ``V``
        and the residual are unchanged, ``beta = R^-1 (c + gamma)`` and ``X'V^-1X = R' (Q'V^-1Q) R``
        whatever ``R`` and ``c`` are; their choice affects only rounding.
        """
        if len(layout.levels) != 1 or zz.shape[0] != layout.levels[0].q:
            raise EstimationError("per-group blocks build the engine of one grouping level with q random effects "
                                  f"each; got {len(layout.levels)} levels and blocks for {zz.shape[0]} effects")
        self = cls.__new__(cls)
        self.layout = layout
        self.n_obs, self.n_fixed = int(n_obs), int(r.shape[0])
        self._r, self._c = np.asarray(r, dtype=float), np.asarray(c, dtype=float)
        self._last = None
        self._ww = np.asarray(ww, dtype=float)
        self.n_groups = (int(zz.shape[2]),)
        self._q = [int(zz.shape[0])]
        self._zz, self._zw, self._seg = [[np.asarray(zz, dtype=float)]], [np.asarray(zw, dtype=float)], [[]]
        self._zz_total = self._zz[0][0].sum(axis=2)
        return self

    @staticmethod
    def _sum(za: np.ndarray, zb: np.ndarray, starts: np.ndarray) -> np.ndarray:
        """Per-group ``za' zb`` as ``(q_a, q_b, m)``."""
        out = np.empty((za.shape[1], zb.shape[1], starts.size))
        for i in range(za.shape[1]):
            out[i] = np.add.reduceat(za[:, i:i + 1] * zb, starts, axis=0).T
        return out

    def terms(self, theta: np.ndarray) -> DevianceTerms:
        """The penalized least-squares solution at ``theta`` (see :class:`DevianceTerms`)."""
        key = np.asarray(theta, dtype=float).tobytes()
        if self._last is not None and self._last[0] == key:
            return self._last[1]
        out = self._eliminate(self.layout.factors(theta)[::-1])
        self._last = (key, out)
        return out

    def _eliminate(self, factors: list[np.ndarray]) -> DevianceTerms:
        ds: dict[tuple[int, int], np.ndarray] = {}
        dr: dict[int, np.ndarray] = {}
        ww = self._ww.copy()
        logdet = 0.0
        for lvl, t in enumerate(factors):
            blocks = [b - ds.pop((lvl, lvl + j), 0.0) for j, b in enumerate(self._zz[lvl])]
            r = self._zw[lvl] - dr.pop(lvl, 0.0)
            low = _chol(_pivot(t, blocks[0]))
            idx = np.arange(t.shape[0])
            logdet += 2.0 * float(np.log(low[idx, idx]).sum())
            ua = [_forward(low, _tmul(t, b)) for b in blocks[1:]]
            uw = _forward(low, _tmul(t, r))
            ww -= _gram(uw)
            for j, u in enumerate(ua):
                a, seg = lvl + 1 + j, self._seg[lvl][j]
                dr[a] = dr.get(a, 0.0) + np.add.reduceat(_cross(u, uw), seg, axis=2)
                for k in range(j, len(ua)):
                    key = (a, lvl + 1 + k)
                    ds[key] = ds.get(key, 0.0) + np.add.reduceat(_cross(u, ua[k]), seg, axis=2)
        return solve_fixed(ww, logdet, self._r, self._c, self.n_obs)

    def criterion(self, theta: np.ndarray, *, reml: bool) -> float:
        """Profiled REML criterion or ML deviance at ``theta``."""
        return self.terms(theta).criterion(reml=reml)

    @property
    def has_gradient(self) -> bool:
        """Whether :meth:`gradient` is analytic (one grouping level); otherwise use finite differences."""
        return len(self._q) == 1

    def gradient(self, theta: np.ndarray, *, reml: bool) -> np.ndarray:
        """Analytic gradient of the profiled criterion for one grouping level.

        With ``V_g = I + Z_g T T' Z_g'`` and ``D_k = d(T T')/d theta_k``, the derivative is
        ``tr(D_k G)`` with ``G = sum_g [Z_g'V_g^-1 Z_g - (df / r^2) b_g b_g' - B_g (X'V^-1X)^-1 B_g']``,
        ``b_g = Z_g'V_g^-1 r_g``, ``B_g = Z_g'V_g^-1 X_g`` (the last term only for REML), and
        ``tr(D_k G) = 2 (G T)_ij`` for the element ``(i, j)`` of ``T`` that ``theta_k`` holds.
        """
        if not self.has_gradient:
            raise EstimationError("the analytic gradient covers one grouping level; use finite differences")
        terms = self.terms(theta)
        t = self.layout.factors(theta)[0]
        s, r = self._zz[0][0], self._zw[0]
        q, p = t.shape[0], self.n_fixed
        low = _chol(_pivot(t, s))
        linv = _forward(low, np.broadcast_to(np.eye(q)[:, :, None], low.shape))
        h = _rmul(linv, t.T).transpose(1, 0, 2)  # H = T L^-T per group, so T P^-1 T' = H H'
        sh = _bmm(s, h)
        f = r - _bmm(sh, _bmm(h.transpose(1, 0, 2), r))  # Z'V^-1 [X, y] per group
        coef = np.r_[self._c - self._r @ terms.beta, 1.0]  # the residual in the orthonormal coordinates
        b = np.stack([coef @ f[i] for i in range(q)])  # (q, m): Z'V^-1 r per group
        df = self.n_obs - p if reml else self.n_obs
        flat = sh.reshape(q, -1)
        g = self._zz_total - flat @ flat.T - (df / terms.pwrss) * (b @ b.T)
        if reml:
            cinv = self._r @ np.linalg.inv(terms.xtvx) @ self._r.T  # (Q'V^-1Q)^-1
            cf = [cinv @ f[j, :p] for j in range(q)]
            g -= np.array([[np.vdot(f[i, :p], cf[j]) for j in range(q)] for i in range(q)])
        gt = 2.0 * (g @ t)
        cols, rows = np.triu_indices(q)
        return gt[rows, cols]
