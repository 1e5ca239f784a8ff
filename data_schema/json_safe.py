"""Turn result fields into values ``json.dumps`` writes the same way every time (for ``to_dict()`` and bundles).

Examples
--------
>>> import numpy as np
>>> json_safe({"a": float("nan"), "b": (np.int64(1), 2.5), "c": np.array([True, False])})
{'a': None, 'b': [1, 2.5], 'c': [True, False]}
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

__all__ = ["json_safe"]


def json_safe(value: object) -> object:
    """Numpy scalars and arrays as Python values, NaN, infinity and NA as ``None``, frames as records, recursively.

    Dictionary keys become strings; tuples, lists and arrays become lists.
    """
    if isinstance(value, pd.DataFrame):
        return [json_safe(row) for row in value.to_dict(orient="records")]
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [json_safe(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if value is pd.NA or value is None:
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
