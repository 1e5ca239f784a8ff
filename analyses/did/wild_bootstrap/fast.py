"""The fast wild cluster bootstrap: every bootstrap t-statistic from per-cluster sums and two G x G maps.

Notes
-----
Weighted least squares :math:`\\hat\\beta = A^{-1}X'Wy`, :math:`A = X'WX`, clusters
:math:`g = 1..G`, tested coefficient :math:`j` with :math:`a = A^{-1}e_j`.  The bootstrap
data are :math:`y^* = X\\ddot\\beta + (\\ddot u_g v_g)_g` with :math:`\\ddot\\beta` the
restricted estimate (WCR: :math:`\\beta_j = r` imposed) or :math:`\\hat\\beta` (WCU), and
:math:`\\ddot u = y - X\\ddot\\beta`.  With the per-cluster scores
:math:`\\ddot s_g = X_g'W_g\\ddot u_g` (a :math:`k \\times G` matrix :math:`\\ddot S`) and
:math:`q_g = X_g'W_gX_g a`, Roodman et al. (2019) show that

.. math::

    \\beta^*_j - \\ddot\\beta_j = c'v, \\qquad c_g = a'\\ddot s_g,

    a'X_h'W_h u^*_h = (Kv)_h, \\qquad K = \\operatorname{diag}(c) - Q'A^{-1}\\ddot S,

so the bootstrap t-statistic of draw :math:`v` is
:math:`t^* = c'v / \\sqrt{m\\,\\lVert Kv\\rVert^2}` with the CR1 factor
:math:`m = \\frac{n-1}{n-K}\\frac{G}{G-1}` (Cameron, Gelbach & Miller 2008).  All :math:`B`
statistics cost one :math:`(G\\times G)(G\\times B)` product; the data are read once, to form
:math:`\\hat S` and :math:`Q`.

For WCR the restricted estimate is affine in the null value :math:`r`,
:math:`\\tilde\\beta(r) = \\hat\\beta - (\\hat\\beta_j - r)\\,a/a_j`, hence
:math:`\\ddot S(r) = \\hat S + (\\hat\\beta_j - r)\\,Q/a_j`, and :math:`c` and :math:`K` are affine
in :math:`r`: :math:`c = c_0 + r c_1`, :math:`K = K_0 + r K_1`.  The numerator
:math:`N_0 + rN_1` and the squared denominator :math:`D_{00} + 2rD_{01} + r^2D_{11}` of every draw are
then stored as five :math:`B`-vectors, and the bootstrap distribution at any other null value costs
:math:`O(B)`, which is what makes test inversion for confidence intervals cheap (Roodman et al.
2019).  For WCU, :math:`c_1 = 0` and :math:`K_1 = 0`.

References
----------
Cameron, A. C., Gelbach, J. B., & Miller, D. L. (2008). Bootstrap-based improvements for inference
with clustered errors. *The Review of Economics and Statistics*, 90(3), 414-427.

Roodman, D., Nielsen, M. Ø., MacKinnon, J. G., & Webb, M. D. (2019). Fast and wild: Bootstrap
inference in Stata using boottest. *The Stata Journal*, 19(1), 4-60.

Examples
--------
>>> rng = np.random.default_rng(1)
>>> X = np.column_stack([np.ones(40), rng.normal(size=40)])
>>> y = X @ [1.0, 0.5] + rng.normal(size=40)
>>> parts = cluster_parts(y, X, np.ones(40), np.repeat(np.arange(8), 5), column=1, ssc=1.0, impose_null=True)
>>> from analyses.did.wild_bootstrap.draws import enumerate_signs
>>> t_all = bootstrap_moments(parts, enumerate_signs(8)).t_boot(0.0)
>>> t_all.shape, bool(np.isclose(t_all[-1], parts.t_stat(0.0)))  # the all-ones draw reproduces the sample
((256,), True)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from data_schema.errors import EstimationError

__all__ = ["ClusterParts", "BootstrapMoments", "cluster_parts", "bootstrap_moments", "concat_moments"]

_RCOND = 1e-12


@dataclass(frozen=True, eq=False)
class ClusterParts:
    """What the bootstrap needs from the data: the estimate, its CR1 error and the affine maps of the draws.

    Attributes
    ----------
    estimate
        :math:`\\hat\\beta_j`.
    std_error
        CR1 standard error :math:`\\sqrt{m \\sum_g (a'\\hat s_g)^2}`.
    ssc
        The CR1 factor :math:`m` used in the standard error and in every bootstrap denominator.
    c0, c1
        Numerator coefficients: :math:`c(r) = c_0 + r c_1` (length ``G``).
    k0, k1
        Score maps: :math:`K(r) = K_0 + r K_1` (``G x G``).
    restricted
        True for WCR (null imposed); then ``c1`` and ``k1`` are non-zero.
    """

    estimate: float
    std_error: float
    ssc: float
    c0: np.ndarray
    c1: np.ndarray
    k0: np.ndarray
    k1: np.ndarray
    restricted: bool

    def t_stat(self, null: float) -> float:
        """The CR1 t-statistic :math:`(\\hat\\beta_j - r)/\\mathrm{se}` of the null value ``null``."""
        return (self.estimate - null) / self.std_error


def _segment_sums(codes: np.ndarray, n_clusters: int, values: np.ndarray) -> np.ndarray:
    """Sums of the rows of ``values`` within each cluster: shape ``(G, values.shape[1])``."""
    m = codes.shape[0]
    ind = sparse.csr_matrix((np.ones(m), (codes, np.arange(m))), shape=(n_clusters, m))
    return np.asarray(ind @ values)


def _inverse(A: np.ndarray) -> np.ndarray:
    """Inverse of X'WX, computed and checked for collinearity on the unit-diagonal rescaling D A D."""
    diag = np.diag(A).copy()
    if np.any(diag <= 0):
        raise EstimationError("a regressor is zero in every row with positive weight, so its coefficient is not "
                              "identified. Fix: drop it")
    scale = 1.0 / np.sqrt(diag)
    scaled = A * scale[:, None] * scale[None, :]
    eig = np.linalg.eigvalsh(scaled)
    if eig[0] <= _RCOND * eig[-1]:
        raise EstimationError(
            f"the regressors are collinear (scaled X'WX has condition number {eig[-1] / max(eig[0], 1e-300):.3g}); "
            "the tested coefficient is not identified. Fix: drop regressors that repeat the fixed effects "
            "or each other.")
    return np.linalg.inv(scaled) * scale[:, None] * scale[None, :]


def cluster_parts(y: np.ndarray, X: np.ndarray, weights: np.ndarray, codes: np.ndarray, *, column: int,
                  ssc: float, impose_null: bool) -> ClusterParts:
    """Fit the weighted regression once and reduce it to the per-cluster maps of the fast bootstrap.

    Parameters
    ----------
    y, X, weights
        Outcome ``(m,)``, regressors ``(m, k)`` and positive regression weights ``(m,)``.
    codes
        Cluster codes ``0..G-1`` of every row.
    column
        Index of the tested coefficient.
    ssc
        CR1 small-sample factor :math:`m`.
    impose_null
        WCR (True) or WCU (False).

    Returns
    -------
    ClusterParts
    """
    n_clusters = int(codes.max()) + 1
    Xw = X * weights[:, None]
    A_inv = _inverse(Xw.T @ X)
    beta = A_inv @ (Xw.T @ y)
    a = A_inv[:, column]
    s_hat = _segment_sums(codes, n_clusters, Xw * (y - X @ beta)[:, None])   # (G, k): X_g'W_g u_g
    q = _segment_sums(codes, n_clusters, Xw * (X @ a)[:, None])              # (G, k): X_g'W_g X_g a
    std_error = float(np.sqrt(ssc * np.sum((s_hat @ a) ** 2)))
    if not std_error > 0:
        raise EstimationError(
            "the CR1 standard error of the tested coefficient is zero (the fit is exact within every "
            "cluster), so no t-statistic can be bootstrapped. Fix: check the outcome varies around the fit.")
    estimate = float(beta[column])
    if impose_null:
        # S(r) = S_hat + (beta_j - r) Q / a_j  =  S0 + r S1
        s1 = -q / a[column]
        s0 = s_hat - estimate * s1
    else:
        s0, s1 = s_hat, np.zeros_like(s_hat)
    c0, c1 = s0 @ a, s1 @ a
    qa = q @ A_inv
    k0 = np.diag(c0) - qa @ s0.T
    k1 = np.diag(c1) - qa @ s1.T
    return ClusterParts(estimate=estimate, std_error=std_error, ssc=float(ssc), c0=c0, c1=c1, k0=k0, k1=k1,
                        restricted=bool(impose_null))


@dataclass(frozen=True, eq=False)
class BootstrapMoments:
    """The five per-draw quantities from which the bootstrap t-statistics at every null value follow.

    Attributes
    ----------
    parts
        The :class:`ClusterParts` the draws were applied to.
    n0, n1
        Numerator :math:`N(r) = N_0 + rN_1` of each draw (length ``B``).
    d00, d01, d11
        Squared-denominator parts: :math:`\\lVert K(r)v\\rVert^2 = D_{00} + 2rD_{01} + r^2D_{11}`.
    """

    parts: ClusterParts
    n0: np.ndarray
    n1: np.ndarray
    d00: np.ndarray
    d01: np.ndarray
    d11: np.ndarray

    @property
    def n_draws(self) -> int:
        """Number of bootstrap draws :math:`B`."""
        return int(self.n0.shape[0])

    def t_boot(self, null: float) -> np.ndarray:
        """Bootstrap t-statistics at the null value ``null`` (WCR regenerates the data under that null).

        A draw whose denominator is zero gives ``inf`` (``nan`` when its numerator is zero too).
        """
        numer = self.n0 + null * self.n1 if self.parts.restricted else self.n0
        denom2 = self.d00 + null * (2.0 * self.d01 + null * self.d11) if self.parts.restricted else self.d00
        with np.errstate(divide="ignore", invalid="ignore"):
            return numer / np.sqrt(self.parts.ssc * np.maximum(denom2, 0.0))


def bootstrap_moments(parts: ClusterParts, draws: np.ndarray) -> BootstrapMoments:
    """Apply a ``(G, B)`` block of draws to ``parts``: two matrix products and three column sums of squares."""
    n0 = parts.c0 @ draws
    z0 = parts.k0 @ draws
    d00 = np.einsum("gb,gb->b", z0, z0)
    if parts.restricted:
        n1 = parts.c1 @ draws
        z1 = parts.k1 @ draws
        d01 = np.einsum("gb,gb->b", z0, z1)
        d11 = np.einsum("gb,gb->b", z1, z1)
    else:
        n1 = d01 = d11 = np.zeros_like(n0)
    return BootstrapMoments(parts=parts, n0=n0, n1=n1, d00=d00, d01=d01, d11=d11)


def concat_moments(blocks: list[BootstrapMoments]) -> BootstrapMoments:
    """Join the moments of consecutive blocks of draws."""
    if len(blocks) == 1:
        return blocks[0]
    return BootstrapMoments(parts=blocks[0].parts, **{name: np.concatenate([getattr(b, name) for b in blocks])
                                                     for name in ("n0", "n1", "d00", "d01", "d11")})
