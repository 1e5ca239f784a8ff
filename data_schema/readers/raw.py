"""The raw table every reader returns: values as the file holds them, with the file's own row numbers.

Examples
--------
>>> import pandas as pd
>>> raw = RawTable(pd.DataFrame({"a": ["1"]}, index=pd.Index([2], name="row")),
...                path="x.csv", format="csv", row_kind="line")
>>> raw.n_rows
1
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

__all__ = ["RawTable"]


@dataclass(frozen=True)
class RawTable:
    """A table as read, before any column matching or coercion.

    Attributes
    ----------
    frame
        One column per header cell, values as read (strings for text files,
        typed values for workbooks and statistics files).  The index, named
        ``row``, is the file's own numbering: the line of a CSV file (header =
        line 1), the row of a worksheet, the case number of an SPSS/Stata file,
        the 1-based row of a Parquet file.
    path
        The file read.
    format
        ``csv``, ``xlsx``, ``sav``, ``dta`` or ``parquet``.
    row_kind
        How ``row`` is counted: ``line``, ``sheet row``, ``case`` or ``row``.
    encoding
        Text encoding detected or forced (CSV only).
    sheet
        Worksheet read (XLSX only).
    blank_rows
        Entirely empty rows skipped (they are not data rows).
    invalid_rows
        Rows that could not be split into the header's columns: file row ->
        reason.  They are kept as rows with empty values and quarantined.
    """

    frame: pd.DataFrame
    path: str
    format: str
    row_kind: str
    encoding: str | None = None
    sheet: str | None = None
    blank_rows: int = 0
    invalid_rows: dict[int, str] = field(default_factory=dict)

    @property
    def n_rows(self) -> int:
        """Data rows read (blank rows excluded)."""
        return len(self.frame)
