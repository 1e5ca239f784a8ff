"""The annual QA report and the evidence brief: figures from the result tables, filled templates.

:func:`make_figures` draws the figures the documents show from :class:`~reports.study_results.StudyResults`;
:func:`write_documents` fills ``reports/templates/annual.qmd`` and ``brief.qmd`` (Jinja2) into the markdown
sources that :func:`reports.render.render` turns into HTML, PDF and DOCX.  Image paths in the sources are
relative to the bundle folder, which is the ``resource_dir`` to render with.

Examples
--------
>>> from reports.documents import DOCUMENTS, FIGURES
>>> DOCUMENTS, FIGURES[0]
(('annual_report', 'evidence_brief'), 'event_study')
"""

from reports.documents.figures import FIGURES, make_figures
from reports.documents.write import DOCUMENT_FILES, DOCUMENTS, Document, write_documents

__all__ = ["DOCUMENTS", "DOCUMENT_FILES", "Document", "FIGURES", "make_figures", "write_documents"]
