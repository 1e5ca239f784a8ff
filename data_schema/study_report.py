"""The validation report of a whole study: one :class:`TableReport` a table, and their totals.

Examples
--------
>>> import pandas as pd
>>> from data_schema.report import TableReport
>>> t = TableReport(table="students", file="s.csv", format="csv", row_kind="line", n_read=3, n_valid=3,
...                 n_quarantined=0, failures=pd.DataFrame(columns=["row", "rule"]), fixes=pd.DataFrame())
>>> StudyReport({"students": t}).counts()[["table", "read", "valid", "quarantined"]].values.tolist()
[['students', 3, 3, 0]]
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from data_schema.report import FIX_COLUMNS, REPORT_FAILURE_COLUMNS, TableReport

__all__ = ["StudyReport"]


@dataclass(frozen=True, eq=False)
class StudyReport:
    """Validation of every table of a study, cross-table rules included."""

    tables: dict[str, TableReport]

    @property
    def failures(self) -> pd.DataFrame:
        """Every failing cell of every table: ``file, table, row, column, value, rule, message``."""
        parts = [r.failures for r in self.tables.values() if not r.failures.empty]
        if not parts:
            return pd.DataFrame(columns=REPORT_FAILURE_COLUMNS)
        return pd.concat(parts, ignore_index=True)[REPORT_FAILURE_COLUMNS]

    @property
    def n_quarantined(self) -> int:
        """Rows quarantined across all tables."""
        return sum(r.n_quarantined for r in self.tables.values())

    @property
    def reconciles(self) -> bool:
        """Whether read = valid + quarantined holds for every table."""
        return all(r.reconciles for r in self.tables.values())

    def counts(self) -> pd.DataFrame:
        """One row a table: ``table, file, read, valid, quarantined, reconciles``."""
        return pd.DataFrame(
            [
                {"table": t, "file": r.file, "read": r.n_read, "valid": r.n_valid,
                 "quarantined": r.n_quarantined, "reconciles": r.reconciles}
                for t, r in self.tables.items()
            ]
        )

    def failure_counts(self) -> pd.DataFrame:
        """Rows failing each rule, by table: ``table, rule, rows``."""
        parts = [r.failure_counts() for r in self.tables.values()]
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["table", "rule", "rows"])

    def fix_counts(self) -> pd.DataFrame:
        """Values repaired and kept, by table and column: ``table, column, fix, count``."""
        parts = [r.fixes for r in self.tables.values() if not r.fixes.empty]
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=FIX_COLUMNS)

    def summary(self) -> str:
        """The per-table summaries, one block a table."""
        return "\n".join(r.summary() for r in self.tables.values())

    def to_dict(self) -> dict:
        """JSON-safe record for the results bundle."""
        return {
            "reconciles": self.reconciles,
            "n_quarantined": self.n_quarantined,
            "tables": {t: r.to_dict() for t, r in self.tables.items()},
        }
