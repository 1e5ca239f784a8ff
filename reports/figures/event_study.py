"""Event-study plot: effect estimates by time since adoption, with the pre-trend test in the subtitle.

The input is the tidy table of :func:`analyses.did.event_study` (``EventStudyResult.tidy()``: one row an
estimated event time, reference periods left out) or its ``event_table()`` (reference rows included,
flagged in a ``reference`` column, and binned endpoints flagged in ``binned``), optionally stacked for
several outcomes with an ``outcome`` column: each outcome then gets its own panel.

Examples
--------
>>> import textwrap
>>> import pandas as pd
>>> tidy = pd.DataFrame({"event_time": [-3, -2, 0, 1, 2], "estimate": [0.01, -0.01, 0.02, 0.04, 0.05],
...                      "ci_low": [-0.03, -0.05, -0.02, 0.0, 0.01], "ci_high": [0.05, 0.03, 0.06, 0.08, 0.09]})
>>> pretrend = pd.DataFrame({"statistic": [0.45], "df_numerator": [2], "df_denominator": [7], "p_value": [0.64]})
>>> fig = event_study_figure(tidy, pretrend=pretrend)
>>> fig.subtitle
'Pre-trend test (every lead is zero): F(2, 7) = 0.45, p = 0.64 · reference: event time -1, set to 0'
>>> print(textwrap.fill(fig.alt_text, 100))
Event-study estimates for the outcome: before adoption the estimates lie between -0.010 and 0.010
(pre-trend test F(2, 7) = 0.45, p = 0.64); from adoption on they range from 0.020 to 0.050 and reach
0.050 at event time 2.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from data_schema.errors import ArgumentError
from reports.figures.checks import check_interval, check_name, check_table, display_label, numeric_column
from reports.figures.layout import finish, minus, panel_grid, shared_legend, wrap
from reports.figures.result import ReportFigure
from reports.figures.theme import OKABE_ITO, Theme, figure_theme
from reports.figures.wording import decimals_for, fmt, fmt_p, fmt_test, join_words

__all__ = ["event_study_figure"]

_COLUMNS = ("event_time", "estimate", "ci_low", "ci_high")
_PRE, _POST = "0.35", OKABE_ITO["blue"]


def _flag(table: pd.DataFrame, column: str) -> np.ndarray:
    """A true/false column as booleans; missing (e.g. rows of a stacked table without the column) is false."""
    if column not in table.columns:
        return np.zeros(len(table), dtype=bool)
    return table[column].eq(True).to_numpy(dtype=bool)


def _events(table: pd.DataFrame, reference: Sequence[int]) -> pd.DataFrame:
    """Estimated and reference event times of one outcome, sorted, with ``kind`` pre/post/reference."""
    data = pd.DataFrame({c: numeric_column(table, c, what="event-study table") for c in _COLUMNS})
    data["binned"] = _flag(table, "binned")
    flagged = _flag(table, "reference")
    if np.isnan(data["event_time"]).any():
        raise ArgumentError("event-study table has a missing event_time; expected an integer event time per row")
    refs = set(data.loc[flagged, "event_time"].astype(int)) | {int(r) for r in reference}
    data = data[~flagged]
    data = pd.concat([data, pd.DataFrame({"event_time": sorted(refs - set(data["event_time"].astype(int))),
                                          "estimate": 0.0, "ci_low": np.nan, "ci_high": np.nan, "binned": False})],
                     ignore_index=True)
    data["kind"] = np.where(data["event_time"].isin(refs) & np.isnan(data["ci_low"]), "reference",
                            np.where(data["event_time"] < 0, "pre", "post"))
    return data.sort_values("event_time", kind="stable").reset_index(drop=True)


def _test_text(test: pd.Series | None) -> str | None:
    if test is None:
        return None
    d1 = test.get("df_numerator", test.get("df"))
    d2 = test.get("df_denominator")
    return f"{fmt_test(float(test['statistic']), d1, d2)}, {fmt_p(float(test['p_value']))}"


def _pretrend_rows(pretrend: pd.DataFrame | None, outcomes: list[str]) -> dict[str, pd.Series | None]:
    if pretrend is None:
        return dict.fromkeys(outcomes)
    table = check_table(pretrend, ("statistic", "p_value"), what="pretrend")
    for c in ("statistic", "p_value", "df", "df_numerator", "df_denominator"):
        if c in table.columns:
            table[c] = numeric_column(table, c, what="pretrend")
    if "outcome" in table.columns:
        rows = {str(o): table[table["outcome"].astype(str) == o] for o in outcomes}
        return {o: (r.iloc[0] if len(r) else None) for o, r in rows.items()}
    if len(table) != 1 or len(outcomes) != 1:
        raise ArgumentError(f"pretrend has {len(table)} rows and no 'outcome' column, but the event-study table "
                            f"has {len(outcomes)} outcome(s); add an 'outcome' column to pretrend to match them")
    return {outcomes[0]: table.iloc[0]}


def _draw(ax: Axes, events: pd.DataFrame) -> None:
    ax.axhline(0.0, color="0.35", linewidth=0.9, zorder=1)
    ax.axvline(-0.5, color="0.45", linewidth=1.0, linestyle=(0, (4, 3)), zorder=1)
    ax.annotate("adoption", (-0.5, 1.0), xycoords=("data", "axes fraction"), xytext=(3, -2),
                textcoords="offset points", va="top", ha="left", fontsize="small", color="0.35")
    for kind, colour in (("pre", _PRE), ("post", _POST)):
        part = events[events["kind"] == kind]
        if len(part):
            est = part["estimate"].to_numpy()
            ax.errorbar(part["event_time"], est, yerr=[est - part["ci_low"], part["ci_high"] - est], fmt="o",
                        color=colour, ecolor=colour, elinewidth=1.4, capsize=2.5, markersize=5, zorder=3)
    ref = events[events["kind"] == "reference"]
    ax.plot(ref["event_time"], ref["estimate"], "o", markerfacecolor="white", markeredgecolor="0.2",
            markersize=5.5, zorder=4)
    times = events["event_time"].astype(int).tolist()
    ticks = [str(t) for t in times]
    for i, t in enumerate(times):
        if events["binned"].iloc[i]:
            ticks[i] = f"\u2264{t}" if t < 0 else f"\u2265{t}"
    if len(times) > 14:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    else:
        ax.set_xticks(times, [minus(t) for t in ticks])
    ax.grid(axis="x", visible=False)


def _sentence(label: str, events: pd.DataFrame, test: str | None, decimals: int) -> str:
    pre, post = events[events["kind"] == "pre"], events[events["kind"] == "post"]
    parts = [f"Event-study estimates for {label}:"]
    if len(pre):
        tail = f" (pre-trend test {test})" if test else ""
        parts.append(f"before adoption the estimates lie between {fmt(pre['estimate'].min(), decimals)} and "
                     f"{fmt(pre['estimate'].max(), decimals)}{tail};")
    else:
        parts.append("there is no estimate before adoption, so no pre-trend test;")
    if len(post):
        last = post.iloc[-1]
        parts.append(f"from adoption on they range from {fmt(post['estimate'].min(), decimals)} to "
                     f"{fmt(post['estimate'].max(), decimals)} and reach {fmt(last['estimate'], decimals)} at event "
                     f"time {int(last['event_time'])}.")
    else:
        parts[-1] = parts[-1].rstrip(";") + "; there is no estimate after adoption."
    return " ".join(parts)


def event_study_figure(table: pd.DataFrame, *, pretrend: pd.DataFrame | None = None,
                       reference: int | Sequence[int] = -1, theme: Theme | None = None,
                       labels: Mapping[str, str] | None = None,
                       time_label: str = "Cohorts relative to adoption (0 = first integrated cohort)",
                       name: str = "event_study",
                       title: str = "Effect of the integrated program by time since adoption") -> ReportFigure:
    """Event-study estimates with 95% intervals by event time, one panel per outcome.

    Parameters
    ----------
    table
        ``EventStudyResult.tidy()`` or ``.event_table()``: ``event_time, estimate, ci_low, ci_high``; optional
        ``outcome`` (one panel each), ``outcome_label``, ``reference`` and ``binned`` (flags), ``scale``
        (the y axis unit).
    pretrend
        The joint pre-trend test: ``statistic, p_value`` and ``df_numerator``/``df_denominator`` (or
        ``df``), with an ``outcome`` column when ``table`` has several outcomes.  Shown in the subtitle
        (one outcome) or beside each panel title (several).
    reference
        Event time(s) normalised to zero, drawn as open circles at 0 (``EventStudyResult.reference``).
    theme
        From :func:`~reports.figures.figure_theme`.
    labels
        Display names of outcomes (``outcome`` values).
    time_label, name, title
        The x axis label, the file stem and the caption title.

    Returns
    -------
    ReportFigure
    """
    check_name(name)
    theme = theme or figure_theme()
    table = check_table(table, _COLUMNS, what="event-study table")
    refs = [reference] if isinstance(reference, int | np.integer) else list(reference)
    key = table["outcome"].astype(str) if "outcome" in table.columns else pd.Series("outcome", index=table.index)
    outcomes = list(dict.fromkeys(key))
    tests = _pretrend_rows(pretrend, outcomes if "outcome" in table.columns else ["outcome"])
    named = "outcome_label" in table.columns
    label_of = {o: display_label(o, labels, str(table.loc[key == o, "outcome_label"].iloc[0]) if named else
                                 ("the outcome" if o == "outcome" else None)) for o in outcomes}
    events = {o: _events(table[key == o], refs) for o in outcomes}
    for o in outcomes:
        check_interval(events[o]["ci_low"].to_numpy(), events[o]["ci_high"].to_numpy(), what="event-study table")
    texts = {o: _test_text(tests.get(o)) for o in outcomes}
    scale = str(table["scale"].iloc[0]) if "scale" in table.columns else ""
    ref_text = f"reference: event time {join_words([str(r) for r in sorted(refs)])}, set to 0"
    if len(outcomes) == 1:
        t = texts[outcomes[0]]
        subtitle = (f"Pre-trend test (every lead is zero): {t} · " if t else "") + ref_text
    else:
        subtitle = f"Estimates with 95% intervals · pre-trend test: every lead is zero · {ref_text}"
    with theme.context(salt=name):
        fig, axes = panel_grid(theme, len(outcomes), ncols=2, panel_height=2.6 if len(outcomes) > 1 else 3.2)
        low = min(e["event_time"].min() for e in events.values()) - 0.6
        high = max(e["event_time"].max() for e in events.values()) + 0.6
        for ax, o in zip(axes, outcomes, strict=True):
            _draw(ax, events[o])
            ax.set_xlim(low, high)
            heading = "" if label_of[o] == "the outcome" else wrap(label_of[o], 44 if len(outcomes) == 1 else 34)
            if len(outcomes) > 1 and texts[o]:
                heading += f"\npre-trend test {texts[o]}"
            ax.set_title(heading, loc="left")
            ax.set_ylabel("Estimated effect" + (f" ({scale})" if scale else ""))
        for ax in axes[-2:] if len(outcomes) > 1 else axes:
            ax.set_xlabel(time_label if len(outcomes) == 1 else wrap(time_label, 40))
        handles = [Line2D([], [], color=_PRE, marker="o", linestyle="none"),
                   Line2D([], [], color=_POST, marker="o", linestyle="none"),
                   Line2D([], [], marker="o", markerfacecolor="white", markeredgecolor="0.2", linestyle="none")]
        shared_legend(fig, handles, ["before adoption (leads)", "from adoption (lags)", "reference period"])
    values = np.concatenate([e[["estimate", "ci_low", "ci_high"]].to_numpy().ravel() for e in events.values()])
    decimals = decimals_for(values)
    alt = " ".join(_sentence(label_of[o], events[o], texts[o], decimals) for o in outcomes)
    return finish(fig, theme, name=name, title=title, subtitle=subtitle, alt_text=alt)
