"""Field helpers shared by the table schemas.

Each column of a source table is declared with :func:`column`, which records, in
the pandera field's metadata, the value kind the reader coerces to (``text``,
``code``, ``integer``, ``number``, ``date``, ``boolean``), so one declaration
drives the codebook, the coercion and the checks.

Examples
--------
>>> f = column("integer", "Entry year", "Year the student entered.", ge=2000, le=2100)
>>> f.metadata["kind"]
'integer'
"""

from __future__ import annotations

from typing import Any, Literal

import pandera.pandas as pa

__all__ = ["Kind", "column", "KINDS"]

Kind = Literal["text", "code", "integer", "number", "date", "boolean"]
KINDS: tuple[str, ...] = ("text", "code", "integer", "number", "date", "boolean")


def column(
    kind: Kind,
    title: str,
    description: str,
    *,
    required: bool = False,
    **checks: Any,
) -> Any:
    """Declare a table column.

    Parameters
    ----------
    kind
        ``text`` (free identifiers, trimmed), ``code`` (a fixed vocabulary,
        trimmed and lower-cased), ``integer``, ``number``, ``date`` (ISO 8601),
        ``boolean``.
    title, description
        Codebook text printed by the reports.
    required
        Whether a value must be present in every row.
    **checks
        pandera built-in checks (``isin``, ``ge``, ``le``, ``gt``, ``str_matches``).
    """
    return pa.Field(
        title=title,
        description=description,
        nullable=not required,
        coerce=False,
        metadata={"kind": kind, "required": required},
        **checks,
    )
