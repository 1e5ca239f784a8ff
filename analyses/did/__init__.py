"""Difference-in-differences: 2x2, two-way fixed effects, event studies, staggered adoption, wild cluster bootstrap."""

__all__: list[str] = []
