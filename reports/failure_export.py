"""Write validation failures and quarantined rows as CSV files a spreadsheet opens safely.

Values that a spreadsheet would run as a formula (starting with ``=``, ``+``,
``-``, ``@``, tab or carriage return) are written with a leading apostrophe, the
OWASP-recommended neutralisation of CSV injection, so an ``=HYPERLINK(...)``
found in an export is shown, never executed or written back raw.  Files are
written atomically.

Examples
--------
>>> neutralise("=HYPERLINK(\\"x\\")")
'\\'=HYPERLINK("x")'
>>> neutralise("-5")
'-5'
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from data_schema.atomic import atomic_write_text
from data_schema.study import Study

__all__ = ["neutralise", "write_failures", "write_quarantined"]

_ACTIVE = re.compile(r"^(?:[=@\t\r]|[+\-](?![\d.]*$))")


def neutralise(value: object) -> object:
    """Prefix an apostrophe to text a spreadsheet would evaluate; numbers pass unchanged."""
    if isinstance(value, str) and _ACTIVE.match(value) and not _is_number(value):
        return "'" + value
    return value


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _safe(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or isinstance(out[column].dtype, pd.StringDtype):
            out[column] = out[column].astype(object).map(neutralise)
    return out


def write_failures(study: Study, path: str | Path) -> Path:
    """Write every failing cell (``file, table, row, column, value, rule, message``) to ``path``."""
    path = Path(path)
    atomic_write_text(path, _safe(study.report.failures).to_csv(index=False, lineterminator="\n"))
    return path


def write_quarantined(study: Study, folder: str | Path) -> list[Path]:
    """Write each table's quarantined rows to ``folder/quarantined_<table>.csv``; return the paths."""
    written = []
    for table, frame in study.quarantined.items():
        if frame.empty:
            continue
        path = Path(folder) / f"quarantined_{table}.csv"
        atomic_write_text(path, _safe(frame.reset_index()).to_csv(index=False, lineterminator="\n"))
        written.append(path)
    return written
