"""progeval.analyses — difference-in-differences, mixed models, effect sizes, equivalence and power.

Analyses take the tables produced by ``data_schema``, ``surveys`` and ``outcomes``
and return frozen results objects with ``tidy()``, ``summary()`` and ``to_dict()``.
"""

__all__: list[str] = []
