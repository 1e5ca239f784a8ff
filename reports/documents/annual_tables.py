"""The descriptive sections of the annual report: profile, reliability, competencies, attainment, employment.

Each function takes the :class:`~reports.documents.context.Sources` and returns the markdown blocks and
sentences of its section; a block is ``None`` when its table is absent, and the section's ``why`` then
says why (from the analyses that could not run).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from outcomes import INDICATORS
from reports.documents.context import Sources, by_program, first_only
from reports.documents.formatting import (
    NOT_AVAILABLE,
    SUPPRESSED,
    digits_for,
    fmt_count,
    fmt_estimate,
    fmt_interval,
    fmt_number,
    fmt_p,
    fmt_percent,
)
from reports.documents.markdown import Column, escape, markdown_table
from reports.documents.wording import program_name, reasons_for

__all__ = ["attainment", "competencies", "employment", "indicator_value", "profile", "reliability", "why"]


def why(src: Sources, *stages: str, default: str = "the analysis produced no table for these data") -> str:
    """One sentence saying why a section's tables are missing (the reasons of the analyses that did not run)."""
    reasons = reasons_for(src.results, *stages)
    text = " ".join(escape(r) for r in dict.fromkeys(reasons)) if reasons else escape(default[:1].upper()
                                                                                      + default[1:] + ".")
    return f"*Not available.* {text}"


def _program_columns(src: Sources, value: str, count: str | None = None) -> list[Column]:
    cols = []
    for p in src.programs:
        cols.append(Column(f"{program_name(p, short=True)} {value}".strip(), lambda r, p=p: r[p], align="right"))
        if count:
            cols.append(Column("n", lambda r, p=p: r[f"{p}_n"], align="right"))
    return cols


def _with_counts(frame: pd.DataFrame, keys: list[str], src: Sources, value, count) -> pd.DataFrame:
    values = by_program(frame, keys, src.programs, value)
    counts = by_program(frame, keys, src.programs, count).rename(columns={p: f"{p}_n" for p in src.programs})
    return values.merge(counts, on=keys, how="left", sort=False)


def indicator_value(row: pd.Series, *, currency: str = "") -> str:
    """An indicator's estimate with its interval: a rate in percent, a mean to 2-3 digits, a median whole."""
    kind = str(row.get("kind", "mean"))
    if kind == "proportion":
        return fmt_estimate(row["estimate"], row["ci_low"], row["ci_high"], 1, percent=True)
    if kind == "median":
        return fmt_estimate(row["estimate"], row["ci_low"], row["ci_high"], 0)
    return fmt_estimate(row["estimate"], row["ci_low"], row["ci_high"], digits_for([row["estimate"]], least=2))


def profile(src: Sources) -> dict[str, str | None]:
    """Students by entry cohort and program, and by institution, with the adoption years."""
    notes = src.results.notes
    out: dict[str, str | None] = {"why": why(src, "profile"), "cohorts": None, "institutions": None,
                                  "design": escape(notes.get("design", ""))}
    out["coverage"] = (f"The study covers {fmt_count(float(notes['n_students']))} students at "
                       f"{fmt_count(float(notes['n_institutions']))} institutions."
                       if "n_students" in notes and "n_institutions" in notes else "")
    totals = src.table("profile_totals")
    if totals is not None:
        wide = by_program(totals, ["cohort"], src.programs, lambda r: fmt_count(r["n"]), missing="0", sort=True)
        out["cohorts"] = markdown_table(
            wide, [Column("Entry cohort", lambda r: str(r["cohort"])), *_program_columns(src, "students")],
            caption="Students by entry cohort and program.", label="tbl-cohorts", min_cell=src.min_cell)
    per = src.table("profile")
    if per is not None:
        out["institutions"] = markdown_table(
            _institutions(per, src), [
                Column("Institution", lambda r: r["institution"], text=True),
                Column("Adopted in", lambda r: r["adopted"], align="right"),
                Column("Entry cohorts", lambda r: r["cohorts"], align="right"),
                *_program_columns(src, "")],
            caption="Students by institution and program; 'adopted in' is the first entry cohort the institution "
                    "taught in the integrated program.", label="tbl-institutions", min_cell=src.min_cell)
    return out


def _institutions(per: pd.DataFrame, src: Sources) -> pd.DataFrame:
    adoption = src.config.treatment.adoption_year
    rows = []
    for institution, part in per.groupby("institution_id", sort=True):
        year = adoption.get(str(institution))
        row = {"institution": str(institution), "adopted": "never" if year is None else str(year),
               "cohorts": f"{int(part['cohort'].min())}\u2013{int(part['cohort'].max())}"}
        for p in src.programs:
            cells = part[part["program"] == p]
            hidden = bool(cells["suppressed"].any())
            row[p] = SUPPRESSED if hidden else fmt_count(float(cells["n"].sum())) if len(cells) else "0"
        rows.append(row)
    return pd.DataFrame(rows)


def reliability(src: Sources) -> dict[str, str | None]:
    """Alpha and omega of each instrument's total scale by wave, and a sentence on the subscales."""
    table = src.table("reliability")
    out: dict[str, str | None] = {"why": why(src, "reliability"), "table": None, "summary": "", "subscales": ""}
    if table is None:
        return out
    total = table[table["scale"] == "total"].reset_index(drop=True)
    if total.empty:
        return out
    names = [f"{a} {z}".strip() for a, z in zip(total["instrument_label"], total["instrument_label_zh"], strict=True)]
    shown = total.assign(name=first_only(pd.Series(names)))
    out["table"] = markdown_table(shown, [
        Column("Instrument", lambda r: r["name"], text=True),
        Column("Wave", lambda r: r["wave_label"] or str(r["wave"]), text=True, hide=False),
        Column("Students", lambda r: fmt_count(r["n"]), align="right"),
        Column("Items", lambda r: str(r["k"]), align="right"),
        Column("Alpha [95% CI]", lambda r: fmt_estimate(r["alpha"], r["alpha_ci_low"], r["alpha_ci_high"], 2),
               align="right"),
        Column("Omega [95% CI]", lambda r: fmt_estimate(r["omega"], r["omega_ci_low"], r["omega_ci_high"], 2),
               align="right")],
        caption="Reliability of each instrument's total scale by survey wave: Cronbach's alpha and McDonald's omega.",
        label="tbl-reliability", min_cell=src.min_cell)
    published = total[~total["suppressed"] & np.isfinite(total["alpha"])]
    if len(published):
        alpha = published["alpha"]
        out["summary"] = (f"Cronbach's alpha of the total scales ranges from {fmt_number(alpha.min(), 2)} to "
                          f"{fmt_number(alpha.max(), 2)}: {int((alpha >= 0.8).sum())} of {len(alpha)} estimates "
                          f"reach 0.80 and {int((alpha < 0.7).sum())} fall below 0.70.")
    sub = table[(table["scale"] != "total") & ~table["suppressed"] & np.isfinite(table["alpha"])]
    if len(sub):
        out["subscales"] = (f"The {fmt_count(sub['scale'].nunique())} subscales give {fmt_count(len(sub))} alpha "
                            f"estimates from {fmt_number(sub['alpha'].min(), 2)} to {fmt_number(sub['alpha'].max(), 2)}"
                            "; the results bundle's reliability table lists each one.")
    notes = sorted({n for n in total["note"] if n})
    if notes:
        out["subscales"] += f" Where a value shows {NOT_AVAILABLE}: {escape('; '.join(notes))}."
    return out


def competencies(src: Sources) -> dict[str, str | None]:
    """Mean scores by instrument, wave and program; the growth model's fixed effects and variance shares."""
    out: dict[str, str | None] = {"why": why(src, "competency_scores"), "table": None, "growth": None,
                                  "growth_why": why(src, "growth", "competency_scores"), "growth_text": "",
                                  "waves": ""}
    scores = src.table("competency_scores")
    if scores is not None:
        waves = scores.drop_duplicates("wave").sort_values("wave")
        out["waves"] = escape(", ".join(str(w) for w in waves["wave_label"] if w))
        def mean(r: pd.Series) -> str:
            return fmt_estimate(r["estimate"], r["ci_low"], r["ci_high"], 2)

        wide = _with_counts(scores, ["instrument_label", "wave_label"], src, mean, lambda r: fmt_count(r["n"]))
        wide["name"] = first_only(wide["instrument_label"])
        out["table"] = markdown_table(wide, [
            Column("Instrument", lambda r: r["name"], text=True),
            Column("Wave", lambda r: r["wave_label"], text=True),
            *_program_columns(src, "mean [95% CI]", "n")],
            caption="Mean total score (scale 1 to 5) by instrument, survey wave and program.",
            label="tbl-competencies", min_cell=src.min_cell)
    growth = src.table("growth")
    if growth is not None:
        out["growth"] = _growth_table(growth, src)
        out["growth_text"] = _growth_text(growth, src.table("growth_icc"))
    return out


_TERMS = {"integrated": "Entry difference", "wave": "Growth per wave", "wave:integrated": "Extra growth per wave"}


def _growth_table(growth: pd.DataFrame, src: Sources) -> str:
    rows = []
    for instrument, part in growth.groupby("instrument_label", sort=False):
        row = {"instrument": instrument}
        for term in _TERMS:
            cell = part[part["term"] == term]
            if cell.empty:
                row[term], row[f"p:{term}"] = NOT_AVAILABLE, NOT_AVAILABLE
                continue
            r = cell.iloc[0]
            hidden = bool(r["suppressed"])
            row[term] = SUPPRESSED if hidden else fmt_estimate(r["estimate"], r["ci_low"], r["ci_high"], 2)
            row[f"p:{term}"] = SUPPRESSED if hidden else fmt_p(r["p_value"])
        rows.append(row)
    cols = [Column("Instrument", lambda r: r["instrument"], text=True)]
    cols += [Column(head, lambda r, t=term: r[t], align="right") for term, head in _TERMS.items()]
    cols.append(Column("p-value", lambda r: r["p:wave:integrated"], align="right"))
    return markdown_table(pd.DataFrame(rows), cols, label="tbl-growth", min_cell=src.min_cell,
                          caption="Growth model of competency scores (scale points, with 95% intervals): the "
                                  "difference between the programs at entry, the growth per wave in the traditional "
                                  "program and the extra growth per wave in the integrated program (with its "
                                  "p-value); a linear mixed model with random intercepts for institutions and "
                                  "students.")


def _span(values: pd.Series) -> str:
    low, high = values.min(), values.max()
    return fmt_count(low) if low == high else f"{fmt_count(low)} to {fmt_count(high)}"


def _growth_text(growth: pd.DataFrame, icc: pd.DataFrame | None) -> str:
    first = growth.iloc[0]
    text = (f"Each instrument's model uses {_span(growth['n_obs'])} scores from {fmt_count(first['n_clusters'])} "
            f"institutions (method: {escape(first['method'])}).")
    if icc is not None and not icc.empty:
        share = icc[(icc["level"] == "institution") & ~icc["suppressed"]]["estimate"]
        if len(share):
            text += (f" Between {fmt_percent(share.min())} and {fmt_percent(share.max())} of the variance in scores "
                     "lies between institutions (the institutions' intraclass correlation), which is why the "
                     "comparisons below treat institutions as clusters.")
    return text


def attainment(src: Sources) -> dict[str, str | None]:
    """Assessment, HSK and certificate indicators by program over all cohorts."""
    parts = [src.table(n) for n in ("assessment", "hsk", "certificates")]
    frames = [p[(p["cohort"] == "All") & p["program"].isin(src.programs)] for p in parts if p is not None]
    out: dict[str, str | None] = {"table": None, "why": why(src, "assessment", "hsk", "certificates")}
    missing = [n for n, p in zip(("assessment", "hsk", "certificates"), parts, strict=True) if p is None]
    out["missing"] = why(src, *missing) if missing and len(missing) < 3 else ""
    rows = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if rows.empty:
        return out
    wide = _with_counts(rows, ["indicator_label"], src, indicator_value, lambda r: fmt_count(r["n"]))
    out["table"] = markdown_table(wide, [
        Column("Result", lambda r: r["indicator_label"], text=True), *_program_columns(src, "[95% CI]", "n")],
        caption="Assessment, HSK and certificate results by program, all cohorts (rates in percent; the assessment "
                "composite in standard-deviation units; the portfolio score in percent of the maximum).",
        label="tbl-attainment", min_cell=src.min_cell)
    return out


def employment(src: Sources) -> dict[str, str | None]:
    """Employment indicators at the main follow-up, key rates by follow-up, and the nonresponse bounds."""
    table = src.table("employment")
    notes = src.results.notes
    out: dict[str, str | None] = {"why": why(src, "employment"), "table": None, "follow_ups": None,
                                  "bounds": None, "bounds_why": why(src, "nonresponse_bounds", "employment"),
                                  "months": ""}
    if table is None:
        return out
    months = int(notes.get("employment_follow_up", table["months_after_graduation"].mode().iloc[0]))
    out["months"] = str(months)
    main = table[(table["months_after_graduation"] == months) & (table["graduation_year"] == "All")
                 & table["program"].isin(src.programs)]
    if main.empty:
        out["why"] = why(src, "employment",
                         default=f"no indicator has a summary over all graduates at the {months}-month follow-up")
        return out
    rank = {name: i for i, name in enumerate(INDICATORS)}
    main = main.assign(_rank=main["indicator"].map(rank).fillna(len(rank))).sort_values("_rank", kind="stable")
    currency = src.config.currency
    labels = main["indicator_label"].where(main["kind"] != "median", main["indicator_label"] + f", {currency}")
    wide = _with_counts(main.assign(indicator_label=labels), ["indicator_label"], src, indicator_value,
                        lambda r: fmt_count(r["n"]))
    out["table"] = markdown_table(wide, [
        Column("Indicator", lambda r: r["indicator_label"], text=True), *_program_columns(src, "[95% CI]", "n")],
        caption=f"Employment indicators {months} months after graduation by program, all graduation years.",
        label="tbl-employment", min_cell=src.min_cell)
    out["follow_ups"] = _follow_ups(table, src)
    bounds = src.table("nonresponse_bounds")
    if bounds is not None:
        out["bounds"] = _bounds(bounds, src)
    return out


def _follow_ups(table: pd.DataFrame, src: Sources) -> str | None:
    keep = table[(table["graduation_year"] == "All") & table["program"].isin(src.programs)
                 & table["indicator"].isin(["response_rate", "employment_rate"])]
    if keep.empty:
        return None
    rows = []
    for (months, program), part in keep.groupby(["months_after_graduation", "program"], sort=True):
        row = {"months": f"{months} months", "program": program_name(str(program), short=True)}
        for indicator in ("response_rate", "employment_rate"):
            cell = part[part["indicator"] == indicator]
            if cell.empty:
                row[indicator] = NOT_AVAILABLE
            else:
                row[indicator] = SUPPRESSED if bool(cell["suppressed"].iloc[0]) else fmt_percent(
                    cell["estimate"].iloc[0])
        rows.append(row)
    frame = pd.DataFrame(rows)
    frame["months"] = first_only(frame["months"])
    return markdown_table(frame, [
        Column("Follow-up", lambda r: r["months"]),
        Column("Program", lambda r: r["program"], text=True),
        Column("Answered", lambda r: r["response_rate"], align="right"),
        Column("Employed, of those who answered", lambda r: r["employment_rate"], align="right")],
        label="tbl-follow-ups", min_cell=src.min_cell,
        caption="Share of graduates who answered each follow-up survey, and the employment rate among those who "
                "answered.")


def _bounds(bounds: pd.DataFrame, src: Sources) -> str:
    shown = bounds.assign(name=first_only(bounds["indicator_label"]),
                          months=first_only(bounds["indicator_label"] + bounds["months_after_graduation"].astype(str)))

    def pct(value: object) -> str:
        return fmt_number(100.0 * value, 1) if value == value else NOT_AVAILABLE  # type: ignore[operator]

    def interval(low: object, high: object) -> str:
        return fmt_interval(100.0 * low, 100.0 * high, 1)  # type: ignore[operator]

    return markdown_table(shown, [
        Column("Indicator", lambda r: r["name"], text=True),
        Column("Follow-up", lambda r: f"{r['months_after_graduation']} months" if r["months"] else ""),
        Column("Program", lambda r: program_name(str(r["program"]), short=True), text=True),
        Column("Answered", lambda r: f"{fmt_count(r['respondents'])} of {fmt_count(r['graduates'])}", align="right"),
        Column("Rate (%)", lambda r: pct(r["respondent_rate"]), align="right"),
        Column("Range (%)", lambda r: interval(r["lower"], r["upper"]), align="right"),
        Column("95% CI (%)", lambda r: interval(r["ci_low"], r["ci_high"]), align="right")],
        caption="Rate among the graduates who answered, the worst-case range of the rate over all graduates "
                "(non-respondents counted as all without, then all with, the outcome) and the Imbens-Manski 95% "
                "interval of that range.", label="tbl-nonresponse", min_cell=src.min_cell)
