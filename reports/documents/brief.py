"""What the evidence brief template is filled with: :func:`brief_context`, in plain words.

The brief is for policy staff: the headline effect in one sentence with its 95% interval, how far to trust
it and why, one figure, what the result does and does not show, and who the data cover.  Every number comes
from :class:`~reports.study_results.Headline` and the result tables.

Examples
--------
>>> from reports.study_results import Headline
>>> h = Headline(outcome="employment_rate", outcome_label="Employment rate (12 months after graduation)",
...              estimate=4.12, ci_low=1.21, ci_high=7.04, p_value=0.01, ci_level=0.95,
...              scale="percentage points", method="TWFE", inference="wild cluster bootstrap", n_clusters=8,
...              n_students=1946, evidence_rating="meets WWC standards with reservations", evidence_reasons=())
>>> print(headline_sentence(h, follow_up=12))  # doctest: +NORMALIZE_WHITESPACE
Graduates of the integrated program were 4.1 percentage points more likely to be employed a year after
graduation than graduates of the traditional program (95% interval 1.2 to 7.0 points).
>>> import dataclasses
>>> g = dataclasses.replace(h, outcome="digital_commerce_skills", estimate=0.53, ci_low=0.37, ci_high=0.70,
...                         scale="standard deviations")
>>> print(headline_sentence(g, instrument="Digital Commerce Skills"))  # doctest: +NORMALIZE_WHITESPACE
At graduation, students of the integrated program rated their Digital Commerce Skills 0.53 standard deviations
higher than students of the traditional program (95% interval 0.37 to 0.70).
"""

from __future__ import annotations

import pandas as pd

from reports.documents.blocks import bullets, yaml_block
from reports.documents.context import Sources
from reports.documents.formatting import fmt_count, fmt_number, fmt_percent, fmt_signed
from reports.documents.markdown import escape
from reports.documents.wording import follow_up_words, lower_first, rating_level, reasons_for
from reports.study_results import Headline

__all__ = ["brief_context", "headline_sentence", "plain_headline"]

_EMPLOYMENT = {
    "employment_rate": ("Graduates of the integrated program", "to be employed"),
    "cbec_sector_share": ("Graduates of the integrated program who were in work",
                          "to work for a cross-border e-commerce firm"),
    "field_match_rate": ("Graduates of the integrated program who were in work",
                         "to have a job that matches their field of study"),
}
_CLUSTER_CAUTION = 12
"""Fewer institutions than this get the caution that the result rests on few institutions."""


def _points(h: Headline) -> tuple[str, str, str]:
    return fmt_number(abs(h.estimate), 1), fmt_number(h.ci_low, 1), fmt_number(h.ci_high, 1)


def headline_sentence(h: Headline, *, follow_up: int | None = None, hsk_target: int = 4,
                      instrument: str | None = None) -> str:
    """The headline effect as one plain sentence with its 95% interval (not escaped for markdown).

    Parameters
    ----------
    h
        The headline of :class:`~reports.study_results.StudyResults`.
    follow_up
        Months after graduation of the employment outcomes.
    hsk_target
        The HSK level that counts as the target.
    instrument
        The competency instrument's name, for a score headline.
    """
    level = f"{h.ci_level:.0%}"
    if h.scale == "percentage points":
        size, low, high = _points(h)
        more = "more" if h.estimate >= 0 else "less"
        tail = f"({level} interval {low} to {high} points)."
        if h.outcome in _EMPLOYMENT:
            who, what = _EMPLOYMENT[h.outcome]
            when = f" {follow_up_words(follow_up)} after graduation" if follow_up else ""
            return (f"{who} were {size} percentage points {more} likely {what}{when} than graduates of the "
                    f"traditional program {tail}")
        if h.outcome == "hsk_target_rate":
            return (f"Students of the integrated program were {size} percentage points {more} likely to reach HSK "
                    f"level {hsk_target} or higher than students of the traditional program {tail}")
    if h.scale == "standard deviations" and instrument:
        higher = "higher" if h.estimate >= 0 else "lower"
        return (f"At graduation, students of the integrated program rated their {instrument} "
                f"{fmt_number(abs(h.estimate), 2)} standard deviations {higher} than students of the traditional "
                f"program ({level} interval {fmt_number(h.ci_low, 2)} to {fmt_number(h.ci_high, 2)}).")
    return h.sentence()


def _interval_meaning(h: Headline, topic: str) -> str:
    digits = 1 if h.scale == "percentage points" else 2
    unit = "points" if h.scale == "percentage points" else h.scale
    low, high = fmt_number(h.ci_low, digits), fmt_number(h.ci_high, digits)
    if h.ci_low > 0 or h.ci_high < 0:
        side = "above" if h.ci_low > 0 else "below"
        return (f"The whole interval lies {side} zero, so the data point to a real difference, somewhere between "
                f"{low} and {high} {unit}.")
    return (f"The interval includes zero, so these data cannot rule out that the program makes no difference to "
            f"{topic}; they are also consistent with a difference anywhere from {low} to {high} {unit}.")


def _instrument(src: Sources, outcome: str) -> str | None:
    for name in ("competency_scores", "reliability"):
        table = src.table(name)
        if table is not None and outcome in set(table["instrument"]):
            return str(table.loc[table["instrument"] == outcome, "instrument_label"].iloc[0])
    return None


def _topic(h: Headline, instrument: str | None) -> str:
    topics = {"employment_rate": "employment", "cbec_sector_share": "work in cross-border e-commerce",
              "field_match_rate": "jobs that match the field of study", "hsk_target_rate": "HSK results"}
    return topics.get(h.outcome, instrument or lower_first(h.outcome_label))


def _equivalence_gaps(src: Sources, outcome: str) -> list[str]:
    table = src.table("equivalence")
    if table is None:
        return []
    rows = table[(table["outcome"] == outcome) & table["status"].str.startswith("not satisfied")]
    return [str(v) for v in rows["characteristic_label"]]


def _attrition_numbers(src: Sources, outcome: str) -> tuple[str, str] | None:
    table = src.table("attrition")
    if table is None:
        return None
    rows = table[(table["outcome"] == outcome) & ~table["suppressed"]]
    for level in ("students in retained clusters", "students"):
        part = dict(zip(rows.loc[rows["level"] == level, "measure"], rows.loc[rows["level"] == level, "estimate"],
                        strict=True))
        if "overall_attrition" in part and "differential_attrition" in part:
            return fmt_number(part["overall_attrition"], 0), fmt_number(abs(part["differential_attrition"]), 0)
    return None


def _trust_reasons(src: Sources, h: Headline) -> list[str]:
    table = src.table("evidence")
    checks = {} if table is None else dict(zip(table.loc[table["outcome"] == h.outcome, "check"],
                                               table.loc[table["outcome"] == h.outcome, "result"], strict=True))
    if not checks:
        return [escape(r) for r in h.evidence_reasons]
    items = []
    if checks.get("confounding factor") == "fail":
        items.append("Only one institution ran one of the two programs, so the program cannot be told apart from "
                     "that institution.")
    gaps = _equivalence_gaps(src, h.outcome)
    base = checks.get("baseline equivalence")
    if base == "fail" and gaps:
        named = ", ".join(gaps[:4]) + (f" and {len(gaps) - 4} more" if len(gaps) > 4 else "")
        items.append(f"Before the program, the two groups of students already differed in {escape(named)}; the "
                     "comparison does not take all of these differences into account.")
    elif base in ("fail", "not assessed"):
        items.append("It could not be shown that the two groups of students were alike before the program.")
    elif base == "pass":
        items.append("Before the program, the two groups of students were alike, or the comparison allowed for "
                     "their differences.")
    lost = _attrition_numbers(src, h.outcome)
    if checks.get("attrition") == "fail" and lost:
        items.append(f"Many students are missing from the results: {lost[0]}% have no result (for example, they did "
                     f"not answer the follow-up survey), and {lost[1]} percentage points more in one group than in "
                     "the other.")
    elif checks.get("attrition") == "pass":
        items.append("Few students are missing from the results, and about as many in each group.")
    elif checks.get("attrition") == "not assessed":
        items.append("It is not known how many students are missing from the results.")
    if h.n_clusters < _CLUSTER_CAUTION:
        items.append(f"Only {fmt_count(h.n_clusters)} institutions took part, so the result rests on few "
                     "institutions.")
    return items


def _trust(src: Sources, h: Headline) -> dict[str, str]:
    level = rating_level(h.evidence_rating)
    standard = ("the evidence standards of the What Works Clearinghouse (the US Department of Education's rules "
                "for judging research on education programs)")
    words = {"high": f"The comparison meets {standard}.",
             "moderate": f"The comparison meets {standard}, with reservations.",
             "low": f"The comparison does not meet {standard}."}
    text = words.get(level, f"The comparison could not be rated against {standard}.")
    return {"level": level, "text": text, "reasons": bullets(_trust_reasons(src, h))}


def _effects_words(src: Sources, outcome: str) -> list[str]:
    table = src.table("effects")
    if table is None:
        return []
    rows = table[(table["method"] == "TWFE") & (table["outcome"] != outcome) & ~table["suppressed"]]
    rows = rows[rows["estimate"].notna()]

    def size(r: pd.Series) -> str:
        if r["scale"] == "percentage points":
            return f"{fmt_signed(r['estimate'], 1)} points"
        return f"{fmt_signed(r['estimate'], 2)} standard deviations"

    better = rows[rows["ci_low"] > 0]
    worse = rows[rows["ci_high"] < 0]
    unclear = rows[(rows["ci_low"] <= 0) & (rows["ci_high"] >= 0)]
    items = []
    if len(better):
        items.append("Clearly higher in the integrated program: " + "; ".join(
            f"{escape(r['outcome_label'])}, {size(r)}" for _, r in better.iterrows()) + ".")
    if len(worse):
        items.append("Clearly lower in the integrated program: " + "; ".join(
            f"{escape(r['outcome_label'])}, {size(r)}" for _, r in worse.iterrows()) + ".")
    if len(unclear):
        items.append("No clear difference: " + "; ".join(escape(r) for r in unclear["outcome_label"]) + ".")
    return items


def _pretrend_ok(src: Sources, outcome: str) -> bool | None:
    table = src.table("pretrend")
    if table is None or outcome not in set(table["outcome"]):
        return None
    p = float(table.loc[table["outcome"] == outcome, "p_value"].iloc[0])
    return None if p != p else p >= 0.05


def _response(src: Sources, follow_up: int | None) -> str | None:
    table = src.table("nonresponse_bounds")
    if table is None or follow_up is None:
        return None
    rows = table[(table["indicator"] == "employment_rate") & (table["months_after_graduation"] == follow_up)
                 & ~table["suppressed"]]
    shares = {str(r["program"]): fmt_percent(r["respondents"] / r["graduates"], 0) for _, r in rows.iterrows()
              if r["graduates"] > 0}
    integrated, traditional = src.programs
    if integrated not in shares or traditional not in shares:
        return None
    return (f"It counts only graduates who answered the follow-up survey: {shares[integrated]} of integrated and "
            f"{shares[traditional]} of traditional graduates did.")


def _shows(src: Sources, h: Headline, topic: str) -> tuple[list[str], list[str]]:
    shows = _effects_words(src, h.outcome)
    limits = ["It is not a randomised experiment: institutions chose when to start the integrated program, and "
              "other changes at the same time could account for part of the difference."]
    did = src.table("did_estimates")
    treated = None
    if did is not None and h.outcome in set(did["outcome"]):
        treated = did.loc[did["outcome"] == h.outcome, "n_treated_clusters"].max()
    known = treated is not None and treated == treated
    adopted = f", {fmt_count(treated)} of which adopted the program" if known else ""
    limits.append(f"It rests on {fmt_count(h.n_clusters)} institutions{adopted}; other institutions could see a "
                  "different result.")
    pretrend = _pretrend_ok(src, h.outcome)
    if pretrend is True:
        shows.append(f"Before the program started, {escape(topic)} developed alike in the institutions that later "
                     "adopted it and in the others, which supports the comparison.")
    elif pretrend is False:
        limits.append(f"Before the program started, {escape(topic)} already developed differently in the "
                      "institutions that later adopted it, which weakens the comparison.")
    follow_up = _follow_up(src)
    if h.outcome in _EMPLOYMENT:
        if follow_up:
            limits.append(f"Employment is measured {follow_up_words(follow_up)} after graduation; later careers are "
                          "not covered.")
        response = _response(src, follow_up)
        if response:
            limits.append(response)
    elif h.scale == "standard deviations":
        limits.append("Competencies are the students' own ratings in surveys, not test results.")
    elif h.outcome == "hsk_target_rate":
        limits.append("Only students who sat the HSK exam are counted.")
    return shows, limits


def _follow_up(src: Sources) -> int | None:
    value = src.results.notes.get("employment_follow_up")
    return int(value) if value else None


def _coverage(src: Sources) -> str:
    notes = src.results.notes
    parts = []
    if "n_students" in notes and "n_institutions" in notes:
        years = src.config.treatment.adoption_year
        adopted = sum(1 for v in years.values() if v is not None)
        parts.append(f"{fmt_count(float(notes['n_students']))} students at "
                     f"{fmt_count(float(notes['n_institutions']))} institutions, {fmt_count(adopted)} of which "
                     "adopted the integrated program")
    totals = src.table("profile_totals")
    if totals is not None:
        parts.append(f"entering in {int(totals['cohort'].min())} to {int(totals['cohort'].max())}")
    text = (", ".join(parts) + ".") if parts else ""
    return text[:1].upper() + text[1:]


def plain_headline(src: Sources) -> str | None:
    """The headline of the results as the brief words it (escaped for markdown), or None without one."""
    h = src.results.headline
    if h is None:
        return None
    return escape(headline_sentence(h, follow_up=_follow_up(src), hsk_target=src.config.outcomes.hsk_target_level,
                                    instrument=_instrument(src, h.outcome)))


def brief_context(src: Sources, *, results_digest: str) -> dict[str, object]:
    """Every variable of the evidence brief template.

    Parameters
    ----------
    src
        The results, config and saved figures.
    results_digest
        The bundle manifest's ``results_digest`` (printed at the end, to match the brief to its bundle).

    Returns
    -------
    dict
        Template variables: ``front``, ``headline`` (None without one), ``why`` (the reason when there is no
        headline), ``trust``, ``shows``, ``limits``, ``coverage``, the figure block and the digest.
    """
    h = src.results.headline
    figure = next((n for n in ("brief_effects", "effects_forest", "event_study") if src.has_figure(n)), None)
    out: dict[str, object] = {
        "front": yaml_block({"title": src.config.title,
                             "subtitle": "Evidence brief: integrated CBEC-ICE programs compared with traditional "
                                         "programs"}),
        "headline": None, "meaning": "", "why": "", "trust": None, "shows": "", "limits": "",
        "coverage": escape(_coverage(src)), "digest": results_digest,
        "min_cell": fmt_count(src.min_cell), "figure": None, "figure_ref": "", "comparison": "",
    }
    if figure is not None:
        caption = ("Difference between the integrated and traditional programs on each outcome compared: the dot is "
                   "the best estimate, the line its 95% interval; a line that crosses zero means no clear difference.")
        out["figure"] = src.figure(figure, caption, width="80%")
        out["figure_ref"] = src.ref(figure)
    if h is None:
        reasons = reasons_for(src.results, "headline") + reasons_for(src.results, "did")
        out["why"] = escape(" ".join(dict.fromkeys(reasons)) or "No main outcome could be compared.")
        return out
    instrument = _instrument(src, h.outcome)
    topic = _topic(h, instrument)
    out["headline"] = plain_headline(src)
    out["meaning"] = escape(_interval_meaning(h, topic))
    out["trust"] = _trust(src, h)
    shows, limits = _shows(src, h, topic)
    out["shows"] = bullets(shows) if shows else "The comparison of the other outcomes could not be made."
    out["limits"] = bullets(limits)
    out["comparison"] = (f"The comparison uses {fmt_count(h.n_students)} "
                         f"{'graduates' if h.outcome in _EMPLOYMENT else 'students'} at "
                         f"{fmt_count(h.n_clusters)} institutions.")
    return out
