"""progeval.surveys — score instruments and check their measurement quality.

Scoring of survey responses against the instrument codebooks of
:mod:`data_schema.codebook`, reliability (alpha, omega, item analysis), rater
agreement and measurement invariance live here.  The package imports from
``data_schema`` only.
"""

__all__: list[str] = []
