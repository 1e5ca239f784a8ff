"""Validation reports: what was read, what was kept, what was quarantined and why.

Examples
--------
>>> import pandas as pd
>>> r = TableReport(table="students", file="s.csv", format="csv", row_kind="line", n_read=3, n_valid=2,
...                 n_quarantined=1, failures=pd.DataFrame(), fixes=pd.DataFrame())
>>> r.reconciles
True
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

__all__ = ["TableReport", "REPORT_FAILURE_COLUMNS", "FIX_COLUMNS"]

REPORT_FAILURE_COLUMNS = ["file", "table", "row", "column", "value", "rule", "message"]
FIX_COLUMNS = ["table", "column", "fix", "count"]


@dataclass(frozen=True, eq=False)
class TableReport:
    """The validation record of one input file.

    Attributes
    ----------
    table, file, format, row_kind
        Which table, which file, its format, and how its rows are numbered
        (``line`` for CSV, ``sheet row`` for XLSX, ``case`` for SAV/DTA, ``row``).
    n_read, n_valid, n_quarantined
        Data rows read, kept and quarantined; ``n_read == n_valid + n_quarantined``.
    failures
        One row a failing cell: ``file, table, row, column, value, rule, message``.
    fixes
        Values repaired and kept: ``table, column, fix, count``.
    encoding, sheet
        Text encoding (CSV) or worksheet (XLSX) read.
    blank_rows
        Empty rows skipped (not data rows).
    renamed_columns, dropped_columns, unknown_columns, absent_optional_columns
        Header matching: headers that differed from the canonical names,
        direct identifiers dropped, extra columns kept out of the analysis,
        optional columns the file lacks.
    """

    table: str
    file: str
    format: str
    row_kind: str
    n_read: int
    n_valid: int
    n_quarantined: int
    failures: pd.DataFrame
    fixes: pd.DataFrame
    encoding: str | None = None
    sheet: str | None = None
    blank_rows: int = 0
    renamed_columns: dict[str, str] = field(default_factory=dict)
    dropped_columns: tuple[str, ...] = ()
    unknown_columns: tuple[str, ...] = ()
    absent_optional_columns: tuple[str, ...] = ()

    @property
    def reconciles(self) -> bool:
        """Whether every row read is either valid or quarantined."""
        return self.n_read == self.n_valid + self.n_quarantined

    def failure_counts(self) -> pd.DataFrame:
        """Rows failing each rule: ``table, rule, rows`` (a row failing two rules counts under both)."""
        if self.failures.empty:
            return pd.DataFrame({"table": [], "rule": [], "rows": []}).astype({"rows": "int64"})
        counts = self.failures.groupby("rule")["row"].nunique().rename("rows").reset_index()
        counts.insert(0, "table", self.table)
        return counts.sort_values("rule", ignore_index=True)

    def summary(self) -> str:
        """A few lines a person reads."""
        where = self.format.upper() + (f", {self.encoding}" if self.encoding else "")
        where += f", sheet {self.sheet!r}" if self.sheet else ""
        lines = [
            f"{self.file} ({self.table}; {where}): {self.n_read:,} rows read = "
            f"{self.n_valid:,} valid + {self.n_quarantined:,} quarantined"
        ]
        if self.dropped_columns:
            lines.append("  direct identifiers dropped: " + ", ".join(self.dropped_columns))
        if self.unknown_columns:
            lines.append("  extra columns kept out of the analysis: " + ", ".join(self.unknown_columns))
        if self.renamed_columns:
            lines.append("  headers matched: " + ", ".join(f"{k!r} -> {v}" for k, v in self.renamed_columns.items()))
        if self.blank_rows:
            lines.append(f"  blank rows skipped: {self.blank_rows}")
        for fix in self.fixes.itertuples():
            lines.append(f"  repaired: {fix.fix} in {fix.column}: {fix.count:,} values")
        for rule in self.failure_counts().itertuples():
            lines.append(f"  quarantined: {rule.rule}: {rule.rows:,} rows")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        """JSON-safe record (failures summarised by rule; the full table is written separately)."""
        return {
            "table": self.table,
            "file": self.file,
            "format": self.format,
            "row_kind": self.row_kind,
            "encoding": self.encoding,
            "sheet": self.sheet,
            "n_read": self.n_read,
            "n_valid": self.n_valid,
            "n_quarantined": self.n_quarantined,
            "reconciles": self.reconciles,
            "blank_rows": self.blank_rows,
            "renamed_columns": dict(self.renamed_columns),
            "dropped_columns": list(self.dropped_columns),
            "unknown_columns": list(self.unknown_columns),
            "absent_optional_columns": list(self.absent_optional_columns),
            "fixes": self.fixes.to_dict(orient="records"),
            "failures_by_rule": {r.rule: int(r.rows) for r in self.failure_counts().itertuples()},
        }
