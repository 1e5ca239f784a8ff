"""Treatment timing from a study's adoption years: ``first_treated`` and ``treated`` for every row.

A study config's ``treatment.adoption_year`` maps each institution to the first cohort taught in the
integrated program (``None``: never adopted).  The difference-in-differences estimators want two
columns on the student rows: the adoption cohort (0 for never-treated institutions, the convention of
:func:`~analyses.did.staggered`) and the 0/1 treatment indicator (the row's cohort is at or after the
adoption cohort).  :func:`adoption_columns` adds both, on a DataFrame or, through a join with a small
in-memory table, on an engine table.

Examples
--------
>>> import pandas as pd
>>> rows = pd.DataFrame({"institution_id": ["A", "A", "B"], "cohort": [2019, 2021, 2021]})
>>> adoption_columns(rows, {"A": 2020, "B": None})
  institution_id  cohort  first_treated  treated
0              A    2019           2020      0.0
1              A    2021           2020      1.0
2              B    2021              0      0.0
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from data_schema.arguments import check_columns
from data_schema.engine import execute, is_engine_table
from data_schema.errors import ArgumentError

if TYPE_CHECKING:
    import ibis.expr.types as ir

__all__ = ["adoption_columns"]


def _first_cohorts(adoption_year: Mapping[str, int | None]) -> dict[str, int]:
    out = {}
    for institution, year in adoption_year.items():
        if year is not None and (isinstance(year, bool) or not isinstance(year, (int, np.integer)) or year <= 0):
            raise ArgumentError(f"adoption year of {institution!r} is {year!r}; expected a positive whole "
                                "cohort year or None for an institution that never adopted")
        out[str(institution)] = 0 if year is None else int(year)
    return out


def _unknown_message(unknown: list[str], institution: str) -> str:
    shown = ", ".join(repr(u) for u in sorted(unknown)[:5])
    more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
    return (f"{len(unknown)} institution(s) in column {institution!r} have no adoption year: {shown}{more}; "
            "add them to treatment.adoption_year (null for an institution that never adopted)")


def adoption_columns(data: pd.DataFrame | ir.Table, adoption_year: Mapping[str, int | None], *,
                     institution: str = "institution_id", time: str = "cohort",
                     first_treated: str = "first_treated", treated: str = "treated") -> pd.DataFrame | ir.Table:
    """Add the adoption cohort and the treatment indicator to student rows.

    Parameters
    ----------
    data
        Rows with an institution and a cohort column: a DataFrame or an Ibis table.
    adoption_year
        Institution -> first cohort taught in the integrated program, ``None`` for never (the study
        config's ``treatment.adoption_year``).
    institution, time
        The institution column and the cohort column (whole years) the adoption year is compared with.
    first_treated, treated
        Names of the columns to add.

    Returns
    -------
    pandas.DataFrame or ibis.expr.types.Table
        ``data`` with ``first_treated`` (the adoption cohort, 0 for never) and ``treated`` (1.0 when the
        row's cohort is at or after it, else 0.0; missing when the cohort is missing), the same kind of
        table as ``data``.

    Raises
    ------
    ArgumentError
        An institution of the data has no adoption year, or an adoption year is not a positive whole number.
    ColumnError
        A named column is missing.

    Notes
    -----
    ``treated = 1[first_treated > 0 and cohort >= first_treated]``; the estimators then compare cohorts
    before and after adoption within institutions against never- and not-yet-treated institutions
    (Callaway and Sant'Anna, 2021).

    References
    ----------
    .. [1] Callaway, B. and Sant'Anna, P. H. C. (2021). Difference-in-differences with multiple time
       periods. *Journal of Econometrics*, 225(2), 200-230.
    """
    years = _first_cohorts(adoption_year)
    check_columns(data, [institution, time], what="adoption_columns")  # an Ibis table has .columns too
    if is_engine_table(data):
        return _engine_columns(data, years, institution, time, first_treated, treated)
    mapped = data[institution].astype("string").map(years)
    unknown = data.loc[mapped.isna() & data[institution].notna(), institution].astype(str).unique().tolist()
    if unknown:
        raise ArgumentError(_unknown_message(unknown, institution))
    out = data.copy()
    out[first_treated] = mapped.fillna(0).astype("int64").to_numpy()
    cohort = pd.to_numeric(out[time]).to_numpy(dtype=float, na_value=np.nan)
    out[treated] = np.where(np.isnan(cohort), np.nan,
                            ((out[first_treated] > 0) & (cohort >= out[first_treated])).astype(float))
    return out


def _engine_columns(data: Any, years: dict[str, int], institution: str, time: str, first_treated: str,
                    treated: str) -> Any:
    import ibis

    key = f"__{institution}_adoption"
    lookup = ibis.memtable(pd.DataFrame({key: list(years), first_treated: list(years.values())},
                                        columns=[key, first_treated]).astype({key: "string", first_treated: "int64"}))
    joined = data.left_join(lookup, data[institution].cast("string") == lookup[key])
    unknown = execute(joined.filter(joined[key].isnull() & joined[institution].notnull())
                      .select(institution).distinct())[institution].astype(str).tolist()
    if unknown:
        raise ArgumentError(_unknown_message(unknown, institution))
    cohort = joined[time]
    indicator = ibis.ifelse((joined[first_treated] > 0) & (cohort >= joined[first_treated]), 1.0, 0.0)
    return joined.drop(key).mutate(**{treated: ibis.ifelse(cohort.isnull(), ibis.null("float64"), indicator)})

