"""progeval.reports — the study pipeline, validation views and the ``progeval`` command line.

This is the only package that knows the whole pipeline; it imports from every
other package and none imports from it.
"""

__all__: list[str] = []
