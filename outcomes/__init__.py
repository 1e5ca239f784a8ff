"""progeval.outcomes — employment, certification and assessment measures as QA offices report them.

Indicators are derived from the validated tables of :mod:`data_schema`; the
package imports from ``data_schema`` only.
"""

__all__: list[str] = []
