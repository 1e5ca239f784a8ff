"""Errors raised while rendering a report document.

Examples
--------
>>> from reports.render.errors import QuartoError
>>> err = QuartoError("annual.qmd", "pdf", 1, "ERROR: Typst compilation failed")
>>> print(err)  # doctest: +ELLIPSIS
quarto could not render annual.qmd to pdf (exit code 1): ERROR: Typst compilation failed. Fix: ...
>>> isinstance(err, RenderError)
True
"""

from __future__ import annotations

from data_schema.errors import ProgevalError

__all__ = ["RenderError", "FontNotFoundError", "QuartoError"]


class RenderError(ProgevalError, RuntimeError):
    """A document could not be rendered (bad source syntax, a missing tool, a failing converter)."""

    exit_code: int = 3


class FontNotFoundError(RenderError):
    """No font with Chinese glyphs is installed, so Chinese text would show as empty boxes."""


class QuartoError(RenderError):
    """``quarto render`` failed, timed out, or is missing or too old.

    Parameters
    ----------
    document
        The source document's file name.
    fmt
        The output format asked for (``html``, ``pdf`` or ``docx``).
    exit_status
        quarto's exit status, or ``None`` when it did not finish.
    detail
        The last lines quarto printed on stderr, or what went wrong.
    hint
        How to fix it; a generic hint when ``None``.
    """

    def __init__(
        self,
        document: str,
        fmt: str,
        exit_status: int | None,
        detail: str,
        *,
        hint: str | None = None,
    ) -> None:
        self.document = document
        self.format = fmt
        self.exit_status = exit_status
        self.detail = detail
        status = f" (exit code {exit_status})" if exit_status is not None else ""
        fix = hint or "correct the document or its YAML as quarto's message says, or render with engine='builtin'"
        super().__init__(f"quarto could not render {document} to {fmt}{status}: {detail.rstrip('.')}. Fix: {fix}.")
