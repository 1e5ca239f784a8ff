"""Outcome indicators by program and cohort: assessment, HSK, certificates, employment, trends.

Each table is :func:`outcomes.summarise` by program x entry cohort (employment: x graduation year, per
follow-up) with margin rows (``"All"``), protected as a whole by :func:`outcomes.protect` so that a hidden
cell cannot be recovered from the totals.  The ``trends`` table takes the interior cells of the indicators
the figures draw (employment at the main follow-up only), with an integer cohort.

Examples
--------
>>> GROUPS["hsk"]
('hsk_level', 'hsk_gain', 'hsk_target_rate')
"""

from __future__ import annotations

import pandas as pd

from data_schema.errors import EstimationError
from outcomes import INDICATORS, nonresponse_bounds, summarise
from reports.study_results.catalogue import TOTAL
from reports.study_results.suppression import suppress

__all__ = ["BOUNDED", "GROUPS", "TREND_INDICATORS", "bounds_table", "indicator_table", "trend_table"]

GROUPS: dict[str, tuple[str, ...]] = {
    "assessment": ("portfolio_score", "assessment_composite"),
    "hsk": ("hsk_level", "hsk_gain", "hsk_target_rate"),
    "certificates": ("certificate_pass_rate", "dual_certification_rate"),
    "employment": tuple(name for name, ind in INDICATORS.items() if ind.family == "employment"),
}
"""The indicators of each summary table."""

TREND_INDICATORS = ("employment_rate", "cbec_sector_share", "field_match_rate", "hsk_target_rate",
                    "certificate_pass_rate", "dual_certification_rate")
"""Indicators of the trends table (the figure of indicators by program and cohort)."""

BOUNDED = ("destination_rate", "employment_rate")
"""Employment rates given worst-case bounds over all graduates (non-respondents counted as 0 and as 1)."""

_MONTHS = "months_after_graduation"


def _describe(table: pd.DataFrame) -> pd.DataFrame:
    return table.assign(indicator_label=table["indicator"].map(lambda i: INDICATORS[i].label),
                        kind=table["indicator"].map(lambda i: INDICATORS[i].kind))


def indicator_table(frame: pd.DataFrame, name: str, *, min_cell: int) -> pd.DataFrame:
    """The summary table ``name`` of :data:`GROUPS`, with margins, small-cell protected.

    Parameters
    ----------
    frame
        The indicator frame (:func:`outcomes.study_indicators`): employment for ``"employment"``,
        certification for ``"hsk"`` and ``"certificates"``, assessment for ``"assessment"``.
    name
        The table.
    min_cell
        Smallest published count.

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    EstimationError
        When no student has any of the table's indicators.
    """
    wanted = [i for i in GROUPS[name] if i in frame.columns]
    time = "graduation_year" if name == "employment" else "cohort"
    table = summarise(frame, by=["program", time], indicators=wanted, margins=True, total=TOTAL) if wanted else None
    if table is None or table.empty:
        words = ", ".join(INDICATORS[i].label.lower() for i in GROUPS[name])
        raise EstimationError(f"no student has a result for any of: {words}.")
    table = table.astype({"program": str, time: str})
    separate = ["indicator", _MONTHS] if name == "employment" else ["indicator"]
    if name != "employment":
        table = table.drop(columns=_MONTHS)
    protected = suppress(table, count="n", by=["program", time], additive=["numerator"], separate=separate,
                         min_cell=min_cell)
    return _describe(protected)


def bounds_table(frame: pd.DataFrame, *, min_cell: int) -> pd.DataFrame:
    """Worst-case bounds of the :data:`BOUNDED` rates over all graduates due, by program and follow-up."""
    parts = [nonresponse_bounds(frame, name, by=["program"]) for name in BOUNDED]
    table = pd.concat(parts, ignore_index=True).astype({"program": str})
    hide = ["graduates", "respondents", "numerator", "respondent_rate", "lower", "upper", "ci_low", "ci_high"]
    protected = suppress(table, count="graduates", by=["program"], additive=["respondents", "numerator"],
                         separate=["indicator", _MONTHS], hide=hide, min_cell=min_cell)
    return protected.assign(indicator_label=protected["indicator"].map(lambda i: INDICATORS[i].label))


def trend_table(tables: dict[str, pd.DataFrame], *, follow_up: int | None) -> pd.DataFrame:
    """Interior program x cohort cells of the :data:`TREND_INDICATORS` found in the summary ``tables``.

    Raises
    ------
    EstimationError
        When none of the indicators was summarised.
    """
    parts = []
    for name, table in tables.items():
        rows = table[table["indicator"].isin(TREND_INDICATORS)]
        time = "graduation_year" if name == "employment" else "cohort"
        if name == "employment":
            rows = rows[rows[_MONTHS] == follow_up]
        rows = rows[(rows["program"] != TOTAL) & (rows[time] != TOTAL)]
        basis = "graduation year" if name == "employment" else "entry cohort"
        label = rows["indicator_label"] + (f" ({follow_up} months after graduation)" if name == "employment" else "")
        parts.append(rows.assign(cohort=rows[time].astype("int64"), cohort_basis=basis, indicator_label=label))
    if not parts or all(p.empty for p in parts):
        raise EstimationError("none of the trend indicators (employment, certification) could be summarised.")
    return pd.concat([p for p in parts if not p.empty], ignore_index=True)
