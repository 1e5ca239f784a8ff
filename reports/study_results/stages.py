"""Run one analysis at a time: report progress, turn a data problem into a reason, keep the design warnings.

An analysis that cannot run on the data raises a :class:`~data_schema.errors.ProgevalError` (an
``EstimationError`` with the reason, an ``ArgumentError`` naming an input the data cannot satisfy); the
runner records it as a :class:`~reports.study_results.results.NotRun` with that reason and carries on.  Any
other exception is a bug and propagates.  Warnings of progeval's own classes (design warnings of the
estimators, data-quality warnings) are kept as caveats for the report; other warnings pass through.  A
student id quoted in a message (pseudonymised or not) is replaced by ``[a student]`` before it is kept, so no
reason or caveat names a student.

Examples
--------
>>> from data_schema.errors import EstimationError
>>> runner = Runner(progress=None)
>>> def fails():
...     raise EstimationError("only 2 institutions")
>>> runner.run("did", fails) is None, runner.not_run
(True, [NotRun(analysis='did', reason='Only 2 institutions.')])
>>> Runner(progress=None, private=["s004217"])._redact("duplicate rows of student_id='s004217'")
"duplicate rows of student_id='[a student]'"
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable
from typing import TypeVar

from data_schema.errors import ProgevalError, ProgevalWarning
from reports.study_results.results import NotRun, sentence

__all__ = ["Runner"]

T = TypeVar("T")
_MIN_ID = 6
"""Shorter ids are not searched for: they would match ordinary numbers in the messages."""


class Runner:
    """Runs analyses, collecting those that could not run and the caveats the estimators raised.

    Parameters
    ----------
    progress
        Called with the analysis name as each analysis starts (see :meth:`start`); ``None`` for silence.
    private
        Student ids that must not appear in a reason or a caveat (ids of six characters or more).
    """

    def __init__(self, progress: Callable[[str], None] | None, private: Iterable[str] = ()) -> None:
        self._progress = progress
        self._private = sorted({str(p) for p in private if len(str(p)) >= _MIN_ID}, key=len, reverse=True)
        self.not_run: list[NotRun] = []
        self.caveats: list[tuple[str, str]] = []

    def _redact(self, text: str) -> str:
        for value in self._private:
            if value in text:
                text = text.replace(value, "[a student]")
        return text

    def start(self, stage: str) -> None:
        """Announce that the analysis ``stage`` starts."""
        if self._progress is not None:
            self._progress(stage)

    def skip(self, analysis: str, reason: str) -> None:
        """Record that ``analysis`` did not run, with ``reason``."""
        self.not_run.append(NotRun(analysis, sentence(self._redact(reason))))

    def run(self, analysis: str, function: Callable[[], T]) -> T | None:
        """``function()``, or ``None`` with a :class:`NotRun` when it raises a :class:`ProgevalError`."""
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ProgevalWarning)
            try:
                result = function()
            except ProgevalError as err:
                self.skip(analysis, str(err))
                result = None
        for w in caught:
            if issubclass(w.category, ProgevalWarning):
                self.caveats.append((analysis, sentence(self._redact(str(w.message)))))
            else:
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno, source=w.source)
        return result
