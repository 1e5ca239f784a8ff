"""The analysis stage of the study pipeline: every analysis of a loaded study, as small tidy tables.

:func:`run_analyses` takes a study loaded by :func:`data_schema.load_study` and returns
:class:`StudyResults`: the tables of :data:`TABLES` (each small-cell protected), the analyses
that could not run on these data with their reasons (:class:`NotRun`), the brief's
:class:`Headline` and short notes.  The results bundle, the figures and the documents are
built from it.
"""

from reports.study_results.catalogue import TABLES, TOTAL, TableSpec
from reports.study_results.comparison import METHODS
from reports.study_results.pipeline import STAGES, run_analyses
from reports.study_results.results import Headline, NotRun, StudyResults

__all__ = ["METHODS", "STAGES", "TABLES", "TOTAL", "Headline", "NotRun", "StudyResults", "TableSpec", "run_analyses"]
