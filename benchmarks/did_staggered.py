"""Benchmark: Callaway & Sant'Anna staggered DiD, beside an independent implementation in the same run.

Target: all ATT(g,t) + the four aggregations (simple, group, dynamic, calendar) with the multiplier bootstrap
(999 draws) on 1,000 units x 20 periods x 5 adoption cohorts plus never-treated units in under 2 s on the
2-core build machine.

The same simulated panel (``analyses.did.staggered.simulate_staggered``, seed 0) is written to a temporary
CSV and estimated by

* progeval: ``staggered(..., n_boot=999)`` then ``aggregate(res, kind)`` for the four kinds;
* moderndid 0.2.0 and csdid 0.4.3 (Python ports of R ``did``) in a subprocess of a *throwaway* venv, so they
  never become project dependencies: ``att_gt(..., boot=True, biters=999)`` + ``aggte(..., boot=True)``, and
  ``ATTgt(..., biters=999).fit(bstrap=True)`` + ``.aggte(typec=..., bstrap=True)``.  Their times are measured
  inside the subprocess (imports excluded).

``make bench`` creates that venv (``.venv-refs``, from PyPI: moderndid 0.2.0, csdid 0.4.3, drdid 1.1.7) and
the benchmark finds it there; ``--reference-python PATH`` (or ``PROGEVAL_REFERENCE_PYTHON``) names another one.
Without one the benchmark says so and times progeval alone.  Each figure is the best of ``--repeat`` runs (default 3).
Run: ``.venv/bin/python benchmarks/did_staggered.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

TARGET_SECONDS = 2.0
CANDIDATES = (str(Path(__file__).resolve().parents[1] / ".venv-refs" / "bin" / "python"),
              "/tmp/refvenv/bin/python", "/tmp/refvenvA/bin/python")
KINDS = ("simple", "group", "dynamic", "calendar")

MODERNDID = """
import json, sys, time, warnings
warnings.filterwarnings("ignore")
import polars as pl
import moderndid as md
data = pl.read_csv(sys.argv[1])
best = float("inf")
for _ in range(int(sys.argv[2])):
    start = time.perf_counter()
    res = md.att_gt(data=data, yname="y", tname="time", idname="unit", gname="first_treated", xformla=sys.argv[3],
                    boot=True, biters=999, random_state=0)
    aggs = [md.aggte(res, type=k, boot=True, biters=999, random_state=0) for k in ("simple", "group", "dynamic",
                                                                                    "calendar")]
    best = min(best, time.perf_counter() - start)
print(json.dumps({"seconds": best, "simple": float(aggs[0].overall_att), "cells": len(res.att_gt)}))
"""

CSDID = """
import contextlib, io, json, sys, time, warnings
warnings.filterwarnings("ignore")
import pandas as pd
from csdid.att_gt import ATTgt
data = pd.read_csv(sys.argv[1])
xformla = None if sys.argv[3] == "~1" else "y" + sys.argv[3]
best = float("inf")
for _ in range(int(sys.argv[2])):
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        model = ATTgt(yname="y", tname="time", idname="unit", gname="first_treated", data=data, xformla=xformla,
                      biters=999, cband=True).fit(est_method="dr", bstrap=True)
        for kind in ("simple", "group", "dynamic", "calendar"):
            model.aggte(typec=kind, bstrap=True)
            if kind == "simple":
                simple = float(model.atte["overall_att"])
    best = min(best, time.perf_counter() - start)
print(json.dumps({"seconds": best, "simple": simple, "cells": len(model.results["att"])}))
"""


def _best(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return min(times), out


def ours(data, repeat: int, covariates: tuple[str, ...]) -> tuple[float, float, int]:
    from analyses.did.staggered import aggregate, staggered

    def run():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = staggered(data, outcome="y", unit="unit", time="time", first_treated="first_treated",
                            covariates=covariates, n_boot=999, seed=0)
            return res, [aggregate(res, kind) for kind in KINDS]

    seconds, (res, aggs) = _best(run, repeat)
    return seconds, aggs[0].estimate, len(res.att_gt)


def reference_python(explicit: str | None) -> str | None:
    for candidate in (explicit, os.environ.get("PROGEVAL_REFERENCE_PYTHON"), *CANDIDATES):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def theirs(python: str, script: str, module: str, csv: Path, repeat: int, formula: str) -> dict | str:
    probe = subprocess.run([python, "-c", f"import {module}"], capture_output=True, text=True)
    if probe.returncode != 0:
        return f"{module} is not importable by {python}"
    out = subprocess.run([python, "-c", script, str(csv), str(repeat), formula], capture_output=True, text=True,
                         timeout=3600)
    if out.returncode != 0:
        return f"{module} failed: {out.stderr.strip().splitlines()[-1] if out.stderr.strip() else out.returncode}"
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--reference-python", default=None, help="python of a throwaway venv with moderndid/csdid")
    parser.add_argument("--covariates", action="store_true", help="also time the doubly robust fit with x")
    args = parser.parse_args()

    from analyses.did.staggered import simulate_staggered

    sim = simulate_staggered(n_units=1000, n_periods=20, n_cohorts=5, seed=0)
    data = sim.data
    print(f"Staggered DiD: {data['unit'].nunique()} units x {data['time'].nunique()} periods, cohorts "
          f"{sorted(int(g) for g in data['first_treated'].unique() if g)} + never-treated; ATT(g,t) + 4 "
          f"aggregations, 999 multiplier draws; best of {args.repeat}")
    python = reference_python(args.reference_python)
    specs = [((), "~1")] + ([(("x",), "~x")] if args.covariates else [])
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "staggered.csv"
        data.to_csv(csv, index=False)
        for covariates, formula in specs:
            seconds, simple, cells = ours(data, args.repeat, covariates)
            label = "no covariates" if not covariates else "covariate x (doubly robust)"
            verdict = "meets" if seconds < TARGET_SECONDS else "MISSES"
            print(f"\n[{label}] progeval: {seconds:.3f} s ({cells} cells, simple ATT {simple:.6f}); "
                  f"{verdict} the {TARGET_SECONDS:.0f} s target")
            if python is None:
                print("  no reference venv found (see the module docstring); independent implementation not run")
                continue
            for name, script, module in (("moderndid 0.2.0", MODERNDID, "moderndid"),
                                         ("csdid 0.4.3", CSDID, "csdid")):
                ref = theirs(python, script, module, csv, args.repeat, formula)
                if isinstance(ref, str):
                    print(f"  {name}: not run ({ref})")
                    continue
                print(f"  {name}: {ref['seconds']:.3f} s ({ref['cells']} cells, simple ATT {ref['simple']:.6f}); "
                      f"progeval is {ref['seconds'] / seconds:.1f}x faster")


if __name__ == "__main__":
    main()
