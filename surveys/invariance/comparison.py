"""Compare two nested invariance models: chi-square difference test and Chen's (2007) cut-offs.

Examples
--------
>>> cut = ChenCutoffs()
>>> judge_step(delta_cfi=-0.002, delta_rmsea=-0.004, delta_srmr=0.004, srmr_cutoff=cut.srmr_loadings, cutoffs=cut)[0]
'holds'
>>> judge_step(delta_cfi=-0.038, delta_rmsea=0.014, delta_srmr=0.021, srmr_cutoff=cut.srmr_intercepts, cutoffs=cut)[0]
'fails'
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from scipy import stats

from .results import CFAResult, json_safe

__all__ = ["ChenCutoffs", "StepComparison", "compare_models", "judge_step"]


@dataclass(frozen=True)
class ChenCutoffs:
    """Cut-offs on the change in fit when invariance constraints are added (Chen, 2007).

    A step indicates non-invariance when the CFI drops by at least ``-cfi``
    *and*, as supplementary evidence, the RMSEA rises by at least ``rmsea`` or
    the SRMR rises by at least the SRMR cut-off of that step.

    Attributes
    ----------
    cfi
        Change in CFI (restricted minus less restricted) at or below which the
        CFI signals non-invariance; Chen's value for total :math:`N > 300`: -0.010.
    rmsea
        Rise in RMSEA at or above which the RMSEA supports it: 0.015.
    srmr_loadings
        Rise in SRMR supporting non-invariance of loadings (metric step): 0.030.
    srmr_intercepts
        Rise in SRMR supporting non-invariance of intercepts or residual
        variances (scalar and strict steps): 0.010.

    Notes
    -----
    For small or unequal groups (total :math:`N \\le 300`) Chen (2007) suggests
    stricter values (CFI -0.005, RMSEA 0.010, SRMR 0.025 for loadings and 0.005
    for intercepts/residuals); pass them as ``ChenCutoffs(-0.005, 0.010, 0.025, 0.005)``.

    References
    ----------
    Chen, F. F. (2007). Sensitivity of goodness of fit indexes to lack of
    measurement invariance. *Structural Equation Modeling*, 14(3), 464-504.
    https://doi.org/10.1080/10705510701301834
    """

    cfi: float = -0.010
    rmsea: float = 0.015
    srmr_loadings: float = 0.030
    srmr_intercepts: float = 0.010

    def srmr_for(self, level: str) -> float:
        """SRMR cut-off of the step that adds ``level`` (``metric`` vs. the others)."""
        return self.srmr_loadings if level == "metric" else self.srmr_intercepts


@dataclass(frozen=True)
class StepComparison:
    """One step of the invariance ladder: a model against the previous, less restricted one.

    Attributes
    ----------
    level, compared_with
        The restricted model's level and the level it is compared with.
    delta_chisq, delta_df, p_value
        Likelihood-ratio (chi-square difference) test
        :math:`\\Delta T = T_1 - T_0 \\sim \\chi^2_{\\Delta df}` under the null
        that the added constraints hold.
    delta_cfi, delta_rmsea, delta_srmr
        Restricted minus less restricted value (a negative ``delta_cfi`` and
        positive ``delta_rmsea``/``delta_srmr`` mean worse fit).
    cfi_flag, rmsea_flag, srmr_flag
        Whether each change reaches its non-invariance cut-off.
    srmr_cutoff
        SRMR cut-off used for this step.
    verdict
        ``"fails"`` when the CFI flag is supported by the RMSEA or SRMR flag
        (Chen, 2007), else ``"holds"``.
    reason
        The verdict in words, with the numbers.
    """

    level: str
    compared_with: str
    delta_chisq: float
    delta_df: int
    p_value: float
    delta_cfi: float
    delta_rmsea: float
    delta_srmr: float
    cfi_flag: bool
    rmsea_flag: bool
    srmr_flag: bool
    srmr_cutoff: float
    verdict: str
    reason: str

    def to_dict(self) -> dict[str, object]:
        """JSON-safe dict."""
        return json_safe(asdict(self))


def judge_step(
    *, delta_cfi: float, delta_rmsea: float, delta_srmr: float, srmr_cutoff: float, cutoffs: ChenCutoffs
) -> tuple[str, str, tuple[bool, bool, bool]]:
    """Apply Chen's (2007) rule to the changes in fit of one step.

    Returns
    -------
    tuple
        ``(verdict, reason, (cfi_flag, rmsea_flag, srmr_flag))``.

    Notes
    -----
    Flags: :math:`\\Delta CFI \\le c_{CFI}`, :math:`\\Delta RMSEA \\ge c_{RMSEA}`,
    :math:`\\Delta SRMR \\ge c_{SRMR}`.  Verdict ``"fails"`` iff the CFI flag is
    set and at least one of the RMSEA and SRMR flags is set: Chen (2007)
    recommends reading a CFI drop of .010 or more, supplemented by an RMSEA
    rise of .015 or more or an SRMR rise of .030 (loadings) or .010
    (intercepts, residual variances) or more, as non-invariance (total
    :math:`N > 300`).  Differences are rounded to 10 decimals before comparison
    so that exact ties count as reaching the cut-off.
    """
    cfi_flag = round(delta_cfi, 10) <= cutoffs.cfi
    rmsea_flag = round(delta_rmsea, 10) >= cutoffs.rmsea
    srmr_flag = round(delta_srmr, 10) >= srmr_cutoff
    numbers = (
        f"dCFI = {delta_cfi:+.4f} (cut-off {cutoffs.cfi:+.3f}), dRMSEA = {delta_rmsea:+.4f} "
        f"(cut-off {cutoffs.rmsea:+.3f}), dSRMR = {delta_srmr:+.4f} (cut-off {srmr_cutoff:+.3f})"
    )
    if cfi_flag and (rmsea_flag or srmr_flag):
        support = " and ".join(n for n, f in (("RMSEA", rmsea_flag), ("SRMR", srmr_flag)) if f)
        why = f"CFI drop reaches the cut-off, supported by {support}: {numbers}"
        return "fails", why, (True, rmsea_flag, srmr_flag)
    if cfi_flag:
        why = f"CFI drop reaches the cut-off but neither RMSEA nor SRMR supports it: {numbers}"
    else:
        why = f"CFI drop stays within the cut-off: {numbers}"
    return "holds", why, (cfi_flag, rmsea_flag, srmr_flag)


def compare_models(restricted: CFAResult, free: CFAResult, *, cutoffs: ChenCutoffs) -> StepComparison:
    """Chi-square difference test and Chen verdict for ``restricted`` against ``free``.

    Notes
    -----
    :math:`\\Delta T = T_{restricted} - T_{free}`,
    :math:`\\Delta df = df_{restricted} - df_{free}`,
    :math:`p = P(\\chi^2_{\\Delta df} > \\Delta T)` (lavaan's ``lavTestLRT`` for ML).
    """
    a, b = restricted.fit, free.fit
    delta_chisq, delta_df = a.chisq - b.chisq, a.df - b.df
    p_value = float(stats.chi2.sf(delta_chisq, delta_df)) if delta_df > 0 else float("nan")
    level = restricted.level or "restricted"
    srmr_cutoff = cutoffs.srmr_for(level)
    d_cfi, d_rmsea, d_srmr = a.cfi - b.cfi, a.rmsea - b.rmsea, a.srmr - b.srmr
    verdict, reason, flags = judge_step(
        delta_cfi=d_cfi, delta_rmsea=d_rmsea, delta_srmr=d_srmr, srmr_cutoff=srmr_cutoff, cutoffs=cutoffs
    )
    return StepComparison(
        level=level, compared_with=free.level or "free", delta_chisq=float(delta_chisq), delta_df=int(delta_df),
        p_value=p_value, delta_cfi=float(d_cfi), delta_rmsea=float(d_rmsea), delta_srmr=float(d_srmr),
        cfi_flag=flags[0], rmsea_flag=flags[1], srmr_flag=flags[2], srmr_cutoff=srmr_cutoff,
        verdict=verdict, reason=reason,
    )
