"""Published example datasets that ship with progeval, for examples, tests and teaching.

Each loader returns the data exactly as published; the file's origin and the
values published for it are named in the loader's docstring.

Examples
--------
>>> realstats_items().shape
(15, 10)
>>> shrout_fleiss().shape
(6, 4)
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

__all__ = ["DATA_DIR", "realstats_items", "shrout_fleiss"]

DATA_DIR = Path(__file__).parent / "example_data"


def realstats_items() -> pd.DataFrame:
    """The Real Statistics Cronbach's alpha example: 15 respondents x 10 items, wide.

    Origin: raphaelvallat/pingouin, ``src/pingouin/datasets/cronbach_alpha.csv`` at commit
    14994d6e77545823bb5e0c435649ec3574d5f585 (sha256 94585f1b…68d7), which credits
    real-statistics.com.  Published: alpha = 0.592, 95% Feldt CI [0.195, 0.840] (pingouin's
    tests, checked against R ``psych::alpha``).
    """
    long = pd.read_csv(DATA_DIR / "cronbach_alpha_realstats.csv")
    wide = long.pivot(index="Subj", columns="Items", values="Scores")
    wide.columns.name = None
    return wide.astype(float)


def shrout_fleiss() -> pd.DataFrame:
    """Shrout & Fleiss (1979) Table 2: 6 targets rated by 4 judges, wide (targets x judges).

    Origin: the matrix ``sf`` in the examples of cran/psych ``man/ICC.Rd`` (commit 25172c99), the same
    values as in pingouin's ``tests/test_reliability.py``.  Published ICCs (Shrout & Fleiss 1979, Table 4):
    ICC(1,1) 0.17, ICC(2,1) 0.29, ICC(3,1) 0.71, ICC(1,4) 0.44, ICC(2,4) 0.62, ICC(3,4) 0.91.
    """
    return pd.read_csv(DATA_DIR / "shrout_fleiss_1979.csv", index_col="target").astype(float)
