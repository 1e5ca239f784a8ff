"""The integrated-vs-traditional comparison of one outcome: TWFE, wild cluster bootstrap, event study, staggered DiD.

Institutions are the units and clusters, entry cohorts the periods.  The two-way fixed-effects (TWFE)
estimate is reported with CR1 standard errors and with the wild cluster bootstrap (the headline inference:
few institutions); the event study gives the leads and lags with the joint pre-trend test; the
Callaway-Sant'Anna estimator gives the staggered-adoption ATT that TWFE can miss when effects grow.
Every function raises :class:`~data_schema.errors.EstimationError` with the reason when the design cannot
support it, which the pipeline reports as an analysis that did not run.

Examples
--------
>>> METHODS
('TWFE (CR1)', 'TWFE (wild cluster bootstrap)', "Callaway-Sant'Anna (simple)", "Callaway-Sant'Anna (dynamic)")
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analyses import did
from analyses.effects import adjusted_g
from data_schema.errors import EstimationError
from reports.study_results.samples import Sample

__all__ = ["Comparison", "METHODS", "MIN_INSTITUTIONS", "MIN_TREATED_INSTITUTIONS", "check_design", "compare",
           "effect_rows", "estimate_rows", "event_rows", "interval", "staggered_rows"]

MIN_INSTITUTIONS = 4
"""Fewest institutions for a comparison: fewer clusters leave no cluster-robust or bootstrap inference."""
MIN_TREATED_INSTITUTIONS = 2
"""Fewest adopting institutions: with one, the program and the institution cannot be told apart."""

TWFE_CR1, TWFE_WCB = "TWFE (CR1)", "TWFE (wild cluster bootstrap)"
CS_SIMPLE, CS_DYNAMIC = "Callaway-Sant'Anna (simple)", "Callaway-Sant'Anna (dynamic)"
METHODS = (TWFE_CR1, TWFE_WCB, CS_SIMPLE, CS_DYNAMIC)
"""The ``method`` values of the ``did_estimates`` table."""

_KEYS = {"outcome": "y", "unit": "institution_id", "time": "cohort", "cluster": "institution_id"}
_CS_INFERENCE = "influence function clustered by institution, normal interval"


@dataclass(frozen=True)
class Comparison:
    """The TWFE comparison of one outcome with its bootstrap and the scale of its effect size.

    Attributes
    ----------
    sample
        The analysed students.
    twfe, boot
        The TWFE fit (CR1) and its wild cluster bootstrap.
    factor
        Multiplier from the raw difference to the effect-size ``scale`` (100 for a rate; the small-sample
        correction over the pooled SD for a score).
    scale
        ``"percentage points"`` or ``"standard deviations"``.
    n_treated, n_control
        Students in integrated and traditional cohorts.
    """

    sample: Sample
    twfe: did.TwfeResult
    boot: did.WildBootstrapResult
    factor: float
    scale: str
    n_treated: int
    n_control: int


def _count(data: pd.DataFrame, treated: bool) -> int:
    return int(data.loc[data["treated"] == (1.0 if treated else 0.0), "institution_id"].nunique())


def check_design(sample: Sample) -> None:
    """Raise ``EstimationError`` with the reason when the sample cannot support the comparison."""
    d, label = sample.data, sample.outcome.label
    n_inst = int(d["institution_id"].nunique())
    n_treated = _count(d, True)
    if d.empty:
        raise EstimationError(f"{label}: no student has this outcome, so there is nothing to compare.")
    if n_treated == 0:
        raise EstimationError(f"{label}: no student with this outcome entered an institution after it adopted the "
                              "integrated program, so there is no integrated cohort to compare.")
    if (d["treated"] == 0).sum() == 0:
        raise EstimationError(f"{label}: every student with this outcome is in an integrated cohort, so there is no "
                              "traditional cohort to compare with.")
    if n_inst < MIN_INSTITUTIONS:
        raise EstimationError(f"{label}: only {n_inst} institution(s) have this outcome; the comparison needs at least "
                              f"{MIN_INSTITUTIONS} institutions (clusters) for any cluster-robust or wild-bootstrap "
                              "interval.")
    if n_treated < MIN_TREATED_INSTITUTIONS:
        raise EstimationError(f"{label}: only {n_treated} institution adopted the integrated program among those with "
                              f"this outcome; at least {MIN_TREATED_INSTITUTIONS} are needed, because with one the "
                              "program and the institution cannot be told apart.")


def _scale(sample: Sample, estimate: float, n_treated: int, n_control: int) -> tuple[float, str]:
    if sample.outcome.kind == "proportion":
        return 100.0, "percentage points"
    y, treated = sample.data["y"], sample.data["treated"] == 1
    es = adjusted_g(estimate, sd_treated=float(y[treated].std(ddof=1)), sd_control=float(y[~treated].std(ddof=1)),
                    n_treated=n_treated, n_control=n_control)
    if not es.scale > 0:
        raise EstimationError(f"{sample.outcome.label}: the outcome does not vary, so no effect size can be formed.")
    return es.correction / es.scale, "standard deviations"


def compare(sample: Sample, *, seed: int) -> Comparison:
    """TWFE with CR1 standard errors and the wild cluster bootstrap (WCR, B = 9999) of the treatment effect.

    Raises
    ------
    EstimationError
        When the design cannot support the comparison (see :func:`check_design`) or the regression is not
        identified (e.g. adoption collinear with the cohorts).
    """
    check_design(sample)
    fit = did.twfe(sample.data, treatment="treated", **_KEYS)
    boot = did.wild_cluster_bootstrap(sample.data, treatment="treated", seed=seed, **_KEYS)
    treated = sample.data["treated"] == 1
    n_treated, n_control = int(treated.sum()), int((~treated).sum())
    factor, scale = _scale(sample, fit.estimate, n_treated, n_control)
    return Comparison(sample, fit, boot, factor, scale, n_treated, n_control)


def _base(sample: Sample) -> dict[str, object]:
    return {"outcome": sample.outcome.name, "outcome_label": sample.outcome.label}


def estimate_rows(c: Comparison) -> list[dict[str, object]]:
    """The ``did_estimates`` rows of the TWFE fit: CR1 and wild cluster bootstrap inference."""
    f, b = c.twfe, c.boot
    shared = {**_base(c.sample), "unit": c.sample.outcome.unit, "estimate": f.estimate, "std_error": f.std_error,
              "statistic": f.statistic, "ci_level": f.ci_level, "n_obs": f.n_obs, "n_clusters": f.n_clusters,
              "n_treated_clusters": f.n_treated_clusters}
    return [{**shared, "method": TWFE_CR1, "ci_low": f.ci_low, "ci_high": f.ci_high, "p_value": f.p_value,
             "inference": f"CR1 cluster-robust by institution, t({f.df:g})"},
            {**shared, "method": TWFE_WCB, "ci_low": b.ci_low, "ci_high": b.ci_high, "p_value": b.p_value,
             "inference": b.method}]


def interval(c: Comparison, low: float, high: float) -> tuple[float, float]:
    """An interval on the effect-size scale; for a rate, cut to the +-100 points a difference of rates can take.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> interval(SimpleNamespace(factor=100.0, scale="percentage points"), -0.2, 3.1)
    (-20.0, 100.0)
    """
    low, high = c.factor * low, c.factor * high
    if c.scale == "percentage points":
        low, high = max(low, -100.0), min(high, 100.0)
    return low, high


def effect_rows(c: Comparison, staggered: did.StaggeredAggregate | None) -> list[dict[str, object]]:
    """The ``effects`` rows: TWFE with the bootstrap interval and, when it ran, the staggered simple ATT."""
    k = c.factor
    shared = {**_base(c.sample), "scale": c.scale, "n_obs": c.twfe.n_obs, "n_clusters": c.twfe.n_clusters,
              "n_treated": c.n_treated, "n_control": c.n_control}
    low, high = interval(c, c.boot.ci_low, c.boot.ci_high)
    rows = [{**shared, "method": "TWFE", "estimate": k * c.twfe.estimate, "std_error": k * c.twfe.std_error,
             "ci_low": low, "ci_high": high, "p_value": c.boot.p_value, "inference": "wild cluster bootstrap"}]
    if staggered is not None:
        low, high = interval(c, staggered.ci_low, staggered.ci_high)
        rows.append({**shared, "method": "Callaway-Sant'Anna", "estimate": k * staggered.estimate,
                     "std_error": k * staggered.std_error, "ci_low": low, "ci_high": high,
                     "p_value": staggered.p_value, "inference": _CS_INFERENCE})
    return rows


def event_rows(sample: Sample) -> tuple[pd.DataFrame, dict[str, object]]:
    """The event-study rows (reference periods included, at zero) and the pre-trend test.

    Without never-treated institutions a second reference period (the earliest lead) is needed, since
    relative time is then collinear with the institution and cohort effects.

    Raises
    ------
    EstimationError
        When the event study is not identified.
    """
    data = sample.data
    reference: tuple[int, ...] = (-1,)
    if not (data["first_treated"] == 0).any():
        earliest = int((data["cohort"] - data["first_treated"]).min())
        if earliest >= -1:
            raise EstimationError(f"{sample.outcome.label}: no institution never adopted and none has two cohorts "
                                  "before adopting, so the event study is not identified.")
        reference = (earliest, -1)
    result = did.event_study(data, first_treated="first_treated", reference=reference, **_KEYS)
    table = result.event_table()
    tidy = result.tidy().set_index("event_time")
    event = table["event_time"].astype(int)
    for col in ("statistic", "df", "p_value"):
        table[col] = event.map(tidy[col]).to_numpy() if len(tidy) else np.nan
    level = result.coefficients[0].ci_level if result.coefficients else np.nan
    table = table.assign(**_base(sample), event_time=event, term=[f"event={e}" for e in event], ci_level=level,
                         n_obs=result.n_obs, n_clusters=result.n_clusters, method=result.method)
    p = result.pretrend
    test = {**_base(sample), "statistic": np.nan if p is None else p.statistic,
            "df": np.nan if p is None else p.df_numerator, "df_denominator": np.nan if p is None else p.df_denominator,
            "p_value": np.nan if p is None else p.p_value,
            "null": "no lead before adoption" if p is None else p.null}
    return table, test


def staggered_rows(sample: Sample, c: Comparison, *, seed: int
                   ) -> tuple[list[dict[str, object]], pd.DataFrame, dict[str, object], did.StaggeredAggregate]:
    """Callaway-Sant'Anna ATT (simple and dynamic), the dynamic components and the pre-test.

    The comparison group is the never-treated institutions, or the not-yet-treated ones when every
    institution adopts.  A dynamic component's ``n_treated`` counts the students of the adoption groups in
    the cohorts its ATT(g,t) compare (summed over the cells at that event time).
    """
    data = sample.data
    control = "never" if (data["first_treated"] == 0).any() else "not_yet"
    result = did.staggered(data, outcome="y", unit="row", time="cohort", first_treated="first_treated", panel=False,
                           cluster="institution_id", control_group=control, n_boot=0, seed=seed)
    simple, dynamic = result.aggregate("simple", na_rm=True), result.aggregate("dynamic", na_rm=True)
    shared = {**_base(sample), "unit": sample.outcome.unit, "ci_level": result.level, "n_obs": result.n_obs,
              "n_clusters": result.n_clusters, "n_treated_clusters": c.twfe.n_treated_clusters,
              "inference": _CS_INFERENCE}
    rows = [{**shared, "method": name, "estimate": a.estimate, "std_error": a.std_error, "statistic": a.statistic,
             "ci_low": a.ci_low, "ci_high": a.ci_high, "p_value": a.p_value}
            for name, a in ((CS_SIMPLE, simple), (CS_DYNAMIC, dynamic))]
    comp = dynamic.components
    cells = result.att_gt[result.att_gt["estimate"].notna()]
    treated = cells.groupby("event")["n_treated"].sum()
    components = pd.DataFrame({"event_time": comp["event"].astype(int).to_numpy(), "estimate": comp["estimate"],
                               "std_error": comp["std_error"], "ci_low": comp["ci_low"], "ci_high": comp["ci_high"],
                               "n_treated": comp["event"].map(treated).fillna(0).astype(int).to_numpy()})
    components = components.assign(**_base(sample), ci_level=result.level, method=CS_DYNAMIC)
    pretest = {"staggered_statistic": result.pretest_statistic, "staggered_df": result.pretest_df,
               "staggered_p_value": result.pretest_p_value, "staggered_note": result.pretest_note}
    return rows, components, pretest, simple
