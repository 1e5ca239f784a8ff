"""Print a study's validation report as Rich tables.

Examples
--------
>>> from rich.console import Console
>>> Console(width=60).print(_check(True))
yes
"""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

from data_schema.study import Study

__all__ = ["print_validation"]


def _check(ok: bool) -> str:
    return "yes" if ok else "[bold red]NO[/]"


def _tables(study: Study) -> Table:
    grid = Table(title="Rows read, kept and quarantined", title_justify="left")
    for name, justify in [("table", "left"), ("file", "left"), ("format", "left"), ("read", "right"),
                          ("valid", "right"), ("quarantined", "right"), ("read = valid + quarantined", "center")]:
        grid.add_column(name, justify=justify)
    for report in study.report.tables.values():
        fmt = report.format + (f" {report.encoding}" if report.encoding else "")
        grid.add_row(report.table, Path(report.file).name, fmt, f"{report.n_read:,}", f"{report.n_valid:,}",
                     f"{report.n_quarantined:,}", _check(report.reconciles))
    return grid


def _rules(study: Study) -> Table:
    grid = Table(title="Quarantined rows by rule (first example)", title_justify="left")
    for name in ("table", "rule", "rows", "example"):
        grid.add_column(name, justify="right" if name == "rows" else "left", overflow="fold")
    failures = study.report.failures
    for item in study.report.failure_counts().itertuples():
        report = study.report.tables[item.table]
        first = failures[(failures["table"] == item.table) & (failures["rule"] == item.rule)].iloc[0]
        example = f"{report.row_kind} {first['row']}, {first['column']} = {first['value']!r}: {first['message']}"
        grid.add_row(item.table, item.rule, f"{item.rows:,}", example)
    return grid


def _fixes(study: Study) -> Table:
    grid = Table(title="Values repaired and kept", title_justify="left")
    for name in ("table", "column", "repair", "values"):
        grid.add_column(name, justify="right" if name == "values" else "left")
    for fix in study.report.fix_counts().itertuples():
        grid.add_row(fix.table, fix.column, fix.fix, f"{fix.count:,}")
    return grid


def print_validation(study: Study, console: Console) -> None:
    """Print the summary tables and notes of a study's validation."""
    console.print(_tables(study))
    if not study.report.failure_counts().empty:
        console.print(_rules(study))
    else:
        console.print("No row broke a rule.")
    if not study.report.fix_counts().empty:
        console.print(_fixes(study))
    for report in study.report.tables.values():
        if report.dropped_columns:
            console.print(f"{report.table}: direct identifiers dropped on load: {', '.join(report.dropped_columns)}")
        if report.unknown_columns:
            extra = ", ".join(report.unknown_columns)
            console.print(f"{report.table}: extra columns kept out of the analysis: {extra}")
    total = study.report.n_quarantined
    console.print(f"{total:,} rows quarantined in all; every row read is accounted for: "
                  f"{_check(study.report.reconciles)}")
