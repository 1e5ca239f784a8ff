"""Benchmark: every difference-in-differences speed target of the issue, in one run.

Runs, one after the other in the same environment, each printing progeval's figures beside the
reference's and the ratio:

- ``did_twfe.py``: TWFE with CR1 on 1,000,000 student rows (500 units x 20 periods) vs pyfixest
  and linearmodels (target: at most half of pyfixest's time, identical estimate and SE);
- ``did_wild_bootstrap.py``: wild cluster bootstrap, 100,000 rows, 20 clusters, B = 9,999 and
  99,999 vs pyfixest's ``wildboottest`` and the ``wildboottest`` package (targets: no slower than
  pyfixest, at least 5x faster than wildboottest, B = 99,999 under 1 s);
- ``did_staggered.py``: Callaway & Sant'Anna ATT(g,t) with all aggregations on 1,000 units x 20
  periods x 5 adoption cohorts (target: under 2 s).

Run: ``make bench`` or ``.venv/bin/python benchmarks/did.py``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
PARTS = ("did_twfe.py", "did_wild_bootstrap.py", "did_staggered.py")


def main() -> int:
    """Run each part; return the first non-zero exit code (0 when all ran)."""
    status = 0
    for part in PARTS:
        print(f"== {part}", flush=True)
        code = subprocess.call([sys.executable, str(HERE / part)], cwd=HERE.parent)
        status = status or code
    return status


if __name__ == "__main__":
    sys.exit(main())
