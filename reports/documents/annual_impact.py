"""The comparison sections of the annual report: DiD, event study, effect sizes, equivalence, attrition, rating.

Each function takes the :class:`~reports.documents.context.Sources` and returns the markdown blocks and
sentences of its section; a block is ``None`` when its table is absent, and ``why`` says why.
"""

from __future__ import annotations

import re

import pandas as pd

from reports.documents.annual_tables import why
from reports.documents.blocks import bullets
from reports.documents.context import Sources
from reports.documents.figures import headline_outcome
from reports.documents.formatting import (
    NOT_AVAILABLE,
    SUPPRESSED,
    digits_for,
    fmt_count,
    fmt_estimate,
    fmt_number,
    fmt_p,
    fmt_percent,
    fmt_signed,
)
from reports.documents.markdown import Column, escape, markdown_table
from reports.documents.wording import ANALYSIS_NAMES, analysis_name, reasons_for

__all__ = ["attrition", "comparison", "equivalence", "evidence", "outcome_order"]

_WCB, _CR1, _CS = "TWFE (wild cluster bootstrap)", "TWFE (CR1)", "Callaway-Sant'Anna (simple)"


def outcome_order(src: Sources, outcomes: list[str]) -> list[str]:
    """``outcomes`` in the study's order of compared outcomes (the headline's first)."""
    compared = [o.strip() for o in src.results.notes.get("compared_outcomes", "").split(",") if o.strip()]
    ranked = [o for o in compared if o in outcomes] + sorted(o for o in outcomes if o not in compared)
    top = headline_outcome(src.results)
    return ([top] if top in ranked else []) + [o for o in ranked if o != top]


def _unit(unit: str) -> tuple[float, str, int]:
    """Multiplier, short unit and decimals of a ``did_estimates`` unit (rates in percentage points)."""
    if unit.startswith("proportion"):
        return 100.0, "pp", 1
    return 1.0, unit.replace("scale points", "points"), 2


def _cell(rows: pd.DataFrame, method: str, factor: float, digits: int) -> tuple[str, str]:
    part = rows[rows["method"] == method]
    if part.empty:
        return NOT_AVAILABLE, NOT_AVAILABLE
    r = part.iloc[0]
    if bool(r["suppressed"]):
        return SUPPRESSED, SUPPRESSED
    value = fmt_estimate(factor * r["estimate"], factor * r["ci_low"], factor * r["ci_high"], digits)
    return value, fmt_p(r["p_value"])


def comparison(src: Sources) -> dict[str, str | None]:
    """The DiD table, the event-study figure and pre-trend tests, the effect sizes and the cautions."""
    notes = src.results.notes
    out: dict[str, str | None] = {
        "why": why(src, "did"), "did": None, "clusters": "", "inference": "", "pretrend": None, "pretrend_text": "",
        "effects": None, "effects_why": why(src, "did", "effects"), "cautions": "",
        "design": escape(notes.get("design", "")), "definition": escape(notes.get("treatment_definition", ""))}
    did = src.table("did_estimates")
    if did is not None:
        out.update(_did(did, src))
    out.update(_pretrend(src))
    effects = src.table("effects")
    if effects is not None:
        out["effects"] = _effects(effects, src)
    caveats = src.table("caveats")
    if caveats is not None:
        grouped: dict[str, list[str]] = {}
        for row in caveats.itertuples():
            grouped.setdefault(str(row.message), []).append(ANALYSIS_NAMES.get(str(row.analysis), str(row.analysis)))
        out["cautions"] = bullets(f"{escape(message)} *({escape(', '.join(dict.fromkeys(where)))})*"
                                  for message, where in grouped.items())
    return out


def _did(did: pd.DataFrame, src: Sources) -> dict[str, str | None]:
    rows = []
    for outcome in outcome_order(src, list(dict.fromkeys(did["outcome"]))):
        part = did[did["outcome"] == outcome]
        factor, unit, digits = _unit(str(part["unit"].iloc[0]))
        twfe, p = _cell(part, _WCB, factor, digits)
        cs, _ = _cell(part, _CS, factor, digits)
        rows.append({"outcome": str(part["outcome_label"].iloc[0]), "unit": unit, "twfe": twfe, "p": p, "cs": cs})
    table = markdown_table(pd.DataFrame(rows), [
        Column("Outcome", lambda r: r["outcome"], text=True),
        Column("Unit", lambda r: r["unit"], text=True),
        Column("TWFE estimate [95% CI]", lambda r: r["twfe"], align="right"),
        Column("p-value", lambda r: r["p"], align="right"),
        Column("Callaway-Sant'Anna [95% CI]", lambda r: r["cs"], align="right")],
        caption="Difference-in-differences estimates of the integrated program's effect (pp: percentage points): "
                "two-way fixed effects (TWFE) with wild cluster bootstrap intervals and p-values, and the "
                "Callaway-Sant'Anna average effect on adopting cohorts.", label="tbl-did", min_cell=src.min_cell)
    wcb = did[(did["method"] == _WCB) & ~did["suppressed"]]
    text = ""
    if len(wcb):
        treated = wcb["n_treated_clusters"]
        text = (f"Each comparison uses {_span(wcb['n_clusters'])} institutions, {_span(treated)} of which adopted the "
                f"integrated program, and {_span(wcb['n_obs'])} students.")
    inference = ""
    if len(wcb):
        inference = f"The TWFE intervals and p-values come from the {escape(wcb['inference'].iloc[0])}."
    return {"did": table, "clusters": text, "inference": inference}


def _span(values: pd.Series) -> str:
    low, high = values.min(), values.max()
    return fmt_count(low) if low == high else f"{fmt_count(low)} to {fmt_count(high)}"


def _test(statistic: object, df: object, df_den: object) -> str:
    if statistic != statistic or statistic is None:  # NaN
        return NOT_AVAILABLE
    return f"F({fmt_count(df)}, {fmt_count(df_den)}) = {fmt_number(statistic, 2)}"


def _pretrend(src: Sources) -> dict[str, str | None]:
    table = src.table("pretrend")
    if table is None:
        return {}
    rows = table.set_index("outcome").loc[outcome_order(src, list(table["outcome"]))].reset_index()
    block = markdown_table(rows, [
        Column("Outcome", lambda r: r["outcome_label"], text=True),
        Column("TWFE pre-trend test", lambda r: _test(r["statistic"], r["df"], r["df_denominator"]), align="right"),
        Column("p-value", lambda r: fmt_p(r["p_value"]), align="right"),
        Column("Callaway-Sant'Anna p-value", lambda r: fmt_p(r["staggered_p_value"]), align="right")],
        caption="Pre-trend tests: the joint test that every pre-adoption estimate is zero, in the TWFE event study "
                "and in the Callaway-Sant'Anna estimates.",
        label="tbl-pretrend", min_cell=src.min_cell)
    notes = sorted({str(n) for n, p in zip(rows["staggered_note"], rows["staggered_p_value"], strict=True)
                    if n and p != p})
    if notes:
        block += f"\n\n{NOT_AVAILABLE}: the Callaway-Sant'Anna test could not be computed ({escape('; '.join(notes))})."
    top = headline_outcome(src.results)
    text = ""
    if top in set(rows["outcome"]):
        r = rows[rows["outcome"] == top].iloc[0]
        if r["p_value"] == r["p_value"]:
            verdict = ("gives no sign of different trends before adoption" if r["p_value"] >= 0.05 else
                       "suggests that adopting institutions already moved differently before adoption, which "
                       "weakens the comparison")
            text = (f"For {escape(r['outcome_label'])}, the pre-trend test is "
                    f"{_test(r['statistic'], r['df'], r['df_denominator'])}, p = {fmt_p(r['p_value'])}, which "
                    f"{verdict}.").replace("p = < ", "p < ").replace("p = > ", "p > ")
    return {"pretrend": block, "pretrend_text": text}


def _effects(effects: pd.DataFrame, src: Sources) -> str | None:
    twfe = effects[effects["method"] == "TWFE"]
    if twfe.empty:
        return None
    rows = twfe.set_index("outcome").loc[outcome_order(src, list(twfe["outcome"]))].reset_index()

    def size(r: pd.Series) -> str:
        digits = 1 if r["scale"] == "percentage points" else 2
        return fmt_estimate(r["estimate"], r["ci_low"], r["ci_high"], digits)

    return markdown_table(rows, [
        Column("Outcome", lambda r: r["outcome_label"], text=True),
        Column("Effect [95% CI]", size, align="right"),
        Column("Scale", lambda r: r["scale"], text=True),
        Column("p-value", lambda r: fmt_p(r["p_value"]), align="right"),
        Column("Adjusted p-value", lambda r: fmt_p(r["p_value_bh"]), align="right")],
        caption="Effect sizes of the integrated program (TWFE): rates in percentage points, scores in standard "
                "deviations (Hedges' g); p-values adjusted for the number of outcomes (Benjamini-Hochberg).",
        label="tbl-effects", min_cell=src.min_cell)


def equivalence(src: Sources) -> dict[str, str | None]:
    """Baseline equivalence of the featured outcome's sample, and how many outcomes pass the check."""
    out: dict[str, str | None] = {"why": why(src, "equivalence", "did"), "table": None, "sample": "",
                                  "summary": "", "outcome": ""}
    table, top = src.table("equivalence"), headline_outcome(src.results)
    if table is None or top is None or top not in set(table["outcome"]):
        return out
    rows = table[table["outcome"] == top].reset_index(drop=True)
    out["outcome"] = escape(rows["outcome_label"].iloc[0])

    def value(r: pd.Series, column: str) -> str:
        if r["measure"] == "cox_index":
            return fmt_percent(r[column])
        return fmt_number(r[column], digits_for([r[column]], least=2))

    out["table"] = markdown_table(rows, [
        Column("Characteristic", lambda r: r["characteristic_label"][:1].upper() + r["characteristic_label"][1:],
               text=True),
        Column("Integrated", lambda r: value(r, "treated_value"), align="right"),
        Column("Traditional", lambda r: value(r, "control_value"), align="right"),
        Column("Difference (SD)", lambda r: fmt_signed(r["effect_size"], 3), align="right"),
        Column("Status", lambda r: r["status"], text=True, hide=False)],
        caption=f"Baseline characteristics of the students in the comparison of {rows['outcome_label'].iloc[0]} "
                "(means, or shares in percent), with the standardised difference.",
        label="tbl-equivalence", min_cell=src.min_cell)
    published = rows[~rows["suppressed"]]
    if len(published):
        out["sample"] = (f"The comparison of {out['outcome']} includes {_span(published['n_treated'])} integrated and "
                         f"{_span(published['n_control'])} traditional students with a baseline value.")
    checks = src.table("evidence")
    if checks is not None:
        base = checks[checks["check"] == "baseline equivalence"]
        out["summary"] = (f"Baseline equivalence is established for {int((base['result'] == 'pass').sum())} of "
                          f"{len(base)} compared outcomes (see @tbl-evidence).")
    return out


def _attrition_row(part: pd.DataFrame) -> dict[str, str]:
    def level(name: str) -> tuple[str, pd.DataFrame]:
        rows = part[part["level"] == name]
        return name, rows

    row = {"outcome": str(part["outcome_label"].iloc[0])}
    students = level("students in retained clusters")[1]
    if students.empty:
        students = level("students")[1]
    for key, rows in (("clusters", level("clusters")[1]), ("students", students)):
        if rows.empty:
            row[key] = NOT_AVAILABLE
            continue
        if bool(rows["suppressed"].any()):
            row[key] = SUPPRESSED
            continue
        values = dict(zip(rows["measure"], rows["estimate"], strict=True))
        row[key] = (f"{fmt_number(values.get('overall_attrition'), 1)}% / "
                    f"{fmt_number(values.get('differential_attrition'), 1)}")
        row[f"{key}_low"] = "low" if bool(rows["low_attrition"].iloc[0]) else "high"
        row[f"{key}_allowed"] = fmt_number(rows["max_differential_pct"].iloc[0], 1)
    return row


def attrition(src: Sources) -> dict[str, str | None]:
    """Overall and differential attrition of institutions and students, per compared outcome."""
    out: dict[str, str | None] = {"why": why(src, "attrition", "did"), "table": None, "missing": ""}
    table = src.table("attrition")
    if table is not None:
        rows = [_attrition_row(table[table["outcome"] == o])
                for o in outcome_order(src, list(dict.fromkeys(table["outcome"])))]
        out["table"] = markdown_table(pd.DataFrame(rows).fillna(NOT_AVAILABLE), [
            Column("Outcome", lambda r: r["outcome"], text=True),
            Column("Institutions lost: overall / differential", lambda r: r["clusters"], align="right"),
            Column("Students lost: overall / differential", lambda r: r["students"], align="right"),
            Column("Differential allowed", lambda r: r.get("students_allowed", NOT_AVAILABLE), align="right"),
            Column("Student attrition", lambda r: r.get("students_low", NOT_AVAILABLE), align="right")],
            caption="Attrition under the What Works Clearinghouse cautious boundary: overall attrition in percent, "
                    "differential attrition (integrated minus traditional) in percentage points.",
            label="tbl-attrition", min_cell=src.min_cell)
    skipped = [n for n in src.results.not_run if n.analysis.startswith("attrition:")]
    if skipped:
        out["missing"] = "*Not assessed.* " + " ".join(
            f"{escape(analysis_name(n.analysis, src.labels))}: {escape(n.reason)}" for n in skipped)
    return out


_EQUIVALENCE_REASON = re.compile(r": difference [^ ]+ SD is not satisfied")


def _imbalance(src: Sources, outcome: str) -> str:
    table = src.table("equivalence")
    if table is None:
        return ""
    rows = table[(table["outcome"] == outcome) & table["status"].str.startswith("not satisfied") & ~table["suppressed"]]
    if rows.empty:
        return ""
    named = "; ".join(f"{escape(r['characteristic_label'])} ({fmt_signed(r['effect_size'], 3)} SD)"
                      for _, r in rows.iterrows())
    return f"Baseline differences not satisfied: {named}."


def _reasons(reasons: pd.DataFrame, src: Sources, ratings: dict[str, str]) -> str:
    """The reasons per outcome, with the baseline differences summarised and shared reasons said once."""
    outcomes = outcome_order(src, list(dict.fromkeys(reasons["outcome"])))
    own: dict[str, list[str]] = {}
    for outcome in outcomes:
        part = reasons[reasons["outcome"] == outcome].sort_values("position")
        own[outcome] = [str(r) for r in part["reason"] if not _EQUIVALENCE_REASON.search(str(r))]
    shared = [r for r in own[outcomes[0]] if all(r in own[o] for o in outcomes)] if len(outcomes) > 1 else []
    items = []
    for outcome in outcomes:
        label = str(reasons.loc[reasons["outcome"] == outcome, "outcome_label"].iloc[0])
        text = " ".join(x for x in [_imbalance(src, outcome), *(escape(r) for r in own[outcome] if r not in shared)]
                        if x)
        items.append(f"**{escape(label)}** ({escape(ratings.get(label, ''))}). {text or 'No further reason.'}")
    lead = f"For every outcome: {' '.join(escape(r) for r in shared)}\n\n" if shared else ""
    return lead + bullets(items)


def evidence(src: Sources) -> dict[str, str | None]:
    """The rating of each compared outcome with its checks, and the reasons in words."""
    out: dict[str, str | None] = {"why": why(src, "evidence", "did"), "table": None, "reasons": ""}
    checks = src.table("evidence")
    if checks is None:
        return out
    rows = []
    for outcome in outcome_order(src, list(dict.fromkeys(checks["outcome"]))):
        part = checks[checks["outcome"] == outcome]
        result = dict(zip(part["check"], part["result"], strict=True))
        rows.append({"outcome": str(part["outcome_label"].iloc[0]), "rating": str(part["rating"].iloc[0]),
                     **{k: result.get(k, NOT_AVAILABLE) for k in ("attrition", "baseline equivalence",
                                                                  "confounding factor")}})
    out["table"] = markdown_table(pd.DataFrame(rows), [
        Column("Outcome", lambda r: r["outcome"], text=True),
        Column("Rating", lambda r: r["rating"], text=True),
        Column("Attrition", lambda r: r["attrition"], text=True),
        Column("Baseline equivalence", lambda r: r["baseline equivalence"], text=True),
        Column("Confounding factor", lambda r: r["confounding factor"], text=True)],
        caption="Evidence rating of each comparison by the What Works Clearinghouse group-design standards, with "
                "the result of each check.", label="tbl-evidence", min_cell=src.min_cell)
    reasons = src.table("evidence_reasons")
    if reasons is not None:
        out["reasons"] = _reasons(reasons, src, {r["outcome"]: r["rating"] for r in rows})
    if not out["reasons"] and reasons_for(src.results, "evidence"):
        out["reasons"] = why(src, "evidence")
    return out
