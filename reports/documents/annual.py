"""What the annual report template is filled with: :func:`annual_context`.

The template (``reports/templates/annual.qmd``) holds the headings and the fixed prose; this module
builds every number, table, figure and data-driven sentence from the result tables.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from reports.documents import annual_impact, annual_tables
from reports.documents.blocks import bullets, callout, yaml_block
from reports.documents.brief import plain_headline
from reports.documents.context import Sources
from reports.documents.formatting import fmt_count
from reports.documents.markdown import Column, escape, markdown_table
from reports.documents.wording import analysis_name

__all__ = ["SECTIONS", "annual_context"]

SECTIONS = ("Summary", "Program and cohort profile", "Instrument reliability", "Competency scores by wave",
            "Assessment, HSK and certificate results", "Employment outcomes",
            "Integrated versus traditional programs", "Baseline equivalence and attrition", "Evidence rating",
            "Analyses that could not run", "Appendix A: Data quality", "Appendix B: Methods and reproducibility")
"""The report's top-level headings, in order (the template writes them; tests look for them)."""


def _summary(src: Sources) -> str:
    items = []
    h = src.results.headline
    if h is not None:
        items.append(f"{plain_headline(src)} The evidence rating of this comparison: {escape(h.evidence_rating)}.")
    else:
        items.append("No headline comparison of the integrated and traditional programs could be made (see "
                     "*Analyses that could not run*).")
    notes = src.results.notes
    if "n_students" in notes:
        items.append(f"{fmt_count(float(notes['n_students']))} students at "
                     f"{fmt_count(float(notes.get('n_institutions', 'nan')))} institutions. "
                     f"{escape(notes.get('design', ''))}")
    count = len(src.results.not_run)
    items.append("Every analysis ran on these data." if count == 0 else
                 f"{fmt_count(count)} {'analysis' if count == 1 else 'analyses'} could not run on these data; "
                 "the section *Analyses that could not run* gives the reasons.")
    return bullets(items)


def _not_run(src: Sources) -> str:
    if not src.results.not_run:
        return "Every analysis ran on these data."
    return "\n\n".join(callout("important", analysis_name(n.analysis, src.labels), escape(n.reason))
                       for n in src.results.not_run)


def _data_quality(src: Sources) -> dict[str, str | None]:
    out: dict[str, str | None] = {"table": None, "rules": None, "totals": "", "rules_text": "",
                                  "why": annual_tables.why(src, "data_quality")}
    dq = src.table("data_quality")
    if dq is not None:
        out["table"] = markdown_table(dq, [
            Column("Table", lambda r: r["table"], text=True),
            Column("File", lambda r: r["file"], text=True),
            Column("Rows read", lambda r: fmt_count(r["read"]), align="right"),
            Column("Valid", lambda r: fmt_count(r["valid"]), align="right"),
            Column("Quarantined", lambda r: fmt_count(r["quarantined"]), align="right"),
            Column("Read = valid + quarantined", lambda r: "yes" if bool(r["reconciles"]) else "no")],
            caption="Rows of each input file read, valid and quarantined.", label="tbl-data-quality")
        out["totals"] = (f"In all {fmt_count(dq['read'].sum())} rows were read: {fmt_count(dq['valid'].sum())} valid "
                         f"and {fmt_count(dq['quarantined'].sum())} quarantined.")
    rules = src.results.tables.get("quarantine_rules")
    if rules is not None and not rules.empty:
        out["rules"] = markdown_table(rules, [
            Column("Table", lambda r: r["table"], text=True),
            Column("Rule", lambda r: r["rule"], text=True),
            Column("Rows quarantined", lambda r: fmt_count(r["rows"]), align="right")],
            caption="Quarantined rows by table and by the rule they broke (a row that breaks several rules counts "
                    "under each).", label="tbl-quarantine")
    elif rules is not None:
        out["rules_text"] = "No row was quarantined."
    return out


def _versions(versions: Mapping[str, str]) -> str | None:
    items = [(str(k), str(v)) for k, v in versions.items()]
    if not items:
        return None
    half = (len(items) + 1) // 2
    left, right = items[:half], items[half:] + [("", "")] * (2 * half - len(items))
    frame = pd.DataFrame([{"a": a, "av": av, "b": b, "bv": bv} for (a, av), (b, bv) in zip(left, right, strict=True)])
    return markdown_table(frame, [Column("Package", lambda r: r["a"], text=True),
                                  Column("Version", lambda r: r["av"], text=True),
                                  Column("Package", lambda r: r["b"], text=True),
                                  Column("Version", lambda r: r["bv"], text=True)],
                          caption="Versions of Python, progeval and the packages that can change a number, a figure "
                                  "or a document.", label="tbl-versions")


def annual_context(src: Sources, *, results_digest: str, versions: Mapping[str, str]) -> dict[str, object]:
    """Every variable of the annual report template.

    Parameters
    ----------
    src
        The results, config and saved figures.
    results_digest
        The bundle manifest's ``results_digest`` (printed in the reproducibility appendix).
    versions
        Package -> version (printed in the reproducibility appendix).

    Returns
    -------
    dict
        Template variables: ``front`` (the YAML block), ``sections`` (the headings), one dict per section
        and the figure blocks (``fig``) with their availability (``has``) and references (``ref``).
    """
    fig_names = ("reliability", "growth", "certification_trends", "employment_trends", "event_study",
                 "effects_forest", "baseline_equivalence")
    top = src.results.headline
    event_caption = ("Effect of the integrated program by cohorts since adoption" +
                     (f": {top.outcome_label}" if top is not None else "") +
                     ", with 95% intervals; the open circle is the reference cohort.")
    captions = {
        "reliability": "Reliability of each instrument's total scale by survey wave, with 95% intervals.",
        "growth": "Mean competency scores by survey wave and program, with 95% intervals.",
        "certification_trends": "HSK and certificate results by program and entry cohort, with 95% intervals.",
        "employment_trends": "Employment indicators by program and graduation year, with 95% intervals.",
        "event_study": event_caption,
        "effects_forest": "Effects of the integrated program across outcomes, by estimator, with 95% intervals.",
        "baseline_equivalence": "Standardised baseline differences between the integrated and traditional groups, "
                                "with the What Works Clearinghouse bands.",
    }
    notes = src.results.notes
    return {
        "front": yaml_block({"title": src.config.title, "subtitle": "Annual quality-assurance report"}),
        "sections": SECTIONS,
        "summary": _summary(src),
        "profile": annual_tables.profile(src),
        "reliability": annual_tables.reliability(src),
        "competencies": annual_tables.competencies(src),
        "attainment": annual_tables.attainment(src),
        "employment": annual_tables.employment(src),
        "comparison": annual_impact.comparison(src),
        "equivalence": annual_impact.equivalence(src),
        "attrition": annual_impact.attrition(src),
        "evidence": annual_impact.evidence(src),
        "not_run": _not_run(src),
        "quality": _data_quality(src),
        "fig": {name: src.figure(name, captions[name]) for name in fig_names},
        "has": {name: src.has_figure(name) for name in fig_names},
        "ref": {name: src.ref(name) for name in fig_names},
        "digest": results_digest,
        "seed": escape(notes.get("seed", str(src.config.seed))),
        "min_cell": fmt_count(src.min_cell),
        "versions": _versions(versions),
        "progeval": escape(versions.get("progeval", "not recorded")),
        "headline_label": escape(top.outcome_label) if top is not None else "",
    }
