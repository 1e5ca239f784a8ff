"""Benchmark (issue 9): a national study of 20 million graduates, validated and analysed on DuckDB.

The synthetic national study of ``benchmarks/national_data.py`` (500 institutions x 10 graduating years x
4,000 graduates = 20,000,000 graduates, 18,000,000 answers to the 12-month follow-up, Parquet) goes
through the chain the issue names, each stage timed with its own peak resident memory:

1. validate: ``load_study_into_duckdb`` (every contract rule, pseudonyms, quarantine, out of core);
2. outcome indicators: ``employment_indicators`` on the engine tables, materialised once in DuckDB, and
   their summary by program x graduating year with intervals;
3. TWFE with CR1 by institution on the employment rate (cohort and institution fixed effects);
4. Callaway-Sant'Anna (``staggered``, repeated cross-sections, never-treated controls) and its simple
   aggregate;
5. the wild cluster bootstrap (WCR, Rademacher, 9,999 draws) of the TWFE coefficient.

The same chain then runs on pandas (``load_study`` and DataFrames) and on DuckDB at the size pandas can
hold here (``--pandas-per-cell``, 2,000,000 graduates by default), and the DuckDB/pandas ratios are
printed.  Each chain runs in a fresh process; a stage's peak memory is that of the process and its
worker processes together (sampled every 50 ms, and the process's own high-water mark ``VmHWM``).  The
target (issue 9): the 20M DuckDB chain under 5 minutes and 4 GB on this 2-core, 24 GB machine.

Run: ``.venv/bin/python benchmarks/scale.py`` (writes the data once under ``benchmarks/data/``, about
1 GB; ``--per-cell 400`` for a quick run).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
STAGES = ("validate", "indicators", "twfe_cr1", "callaway_santanna", "wild_bootstrap")
TRUE_EFFECT = 0.03  # national_data.py: +3 points on the probability of being employed from adoption on


def _rss_kb(pid: str) -> int:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    return next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS")), 0)


def _tree(pid: str) -> list[str]:
    """``pid`` and every process below it (the loader's worker processes)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                todo += task.read_text().split()
            except OSError:
                pass
    return found


class TreeMemory:
    """Peak resident memory of this process and its children, sampled every 50 ms, with this process's
    own high-water mark (``VmHWM``, which catches what falls between samples)."""

    def __init__(self) -> None:
        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        me = str(os.getpid())
        while not self._stop.wait(0.05):
            self.peak_kb = max(self.peak_kb, sum(_rss_kb(p) for p in _tree(me)))

    def take_gb(self) -> float:
        """The peak since the last call, in GB; then start again."""
        status = Path("/proc/self/status").read_text()
        hwm = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM"))
        Path("/proc/self/clear_refs").write_text("5")
        peak, self.peak_kb = max(self.peak_kb, hwm), 0
        return peak * 1024 / 1e9


MEMORY: TreeMemory | None = None


def _timed(figures: dict, stage: str, action):
    MEMORY.take_gb()
    start = time.perf_counter()
    value = action()
    figures[stage] = {"seconds": time.perf_counter() - start, "peak_gb": MEMORY.take_gb()}
    return value


def chain(engine: str, root: Path) -> dict:
    """Run the five stages on one engine; return each stage's seconds and peak GB, and the estimates."""
    from analyses import did
    from analyses.did.design_warnings import DesignWarning
    from data_schema import load_config
    from outcomes import employment_indicators, summarise

    warnings.simplefilter("ignore", DesignWarning)
    config = load_config(root / "study.yaml")
    figures: dict = {}
    if engine == "duckdb":
        from data_schema.warehouse import load_study_into_duckdb, open_tables

        report = _timed(figures, "validate", lambda: load_study_into_duckdb(config, root / "study.duckdb"))
        tables = open_tables(config, database=root / "study.duckdb")
    else:
        from data_schema import load_study

        study = _timed(figures, "validate", lambda: load_study(config))
        report = study.report
        tables = {"students": study.students, "employment": study.employment}

    def indicators():
        rows = employment_indicators(tables["students"], tables["employment"])
        rows = did.adoption_columns(rows, config.treatment.adoption_year)
        rows = rows.select("institution_id", "cohort", "program", "graduation_year", "months_after_graduation",
                           "employment_rate", "first_treated", "treated").cache() if engine == "duckdb" else rows
        summary = summarise(rows, by=["program", "graduation_year"], indicators=["employment_rate"])
        return rows, summary

    rows, summary = _timed(figures, "indicators", indicators)
    design = dict(outcome="employment_rate", unit="institution_id", time="cohort", cluster="institution_id")
    fit = _timed(figures, "twfe_cr1", lambda: did.twfe(rows, treatment="treated", **design))
    cs = _timed(figures, "callaway_santanna", lambda: did.aggregate(
        did.staggered(rows, first_treated="first_treated", panel=False, **design), "simple"))
    wild = _timed(figures, "wild_bootstrap", lambda: did.wild_cluster_bootstrap(rows, treatment="treated", seed=1,
                                                                                **design))
    twfe_row = fit.tidy().set_index("term").loc["treated"]
    counts = report.counts().set_index("table")
    return {"stages": figures, "rows_read": int(counts["read"].sum()), "rows_valid": int(counts["valid"].sum()),
            "summary_rows": len(summary), "twfe": float(twfe_row["estimate"]),
            "twfe_se": float(twfe_row["std_error"]), "cs": float(cs.tidy()["estimate"].iloc[0]),
            "wild_ci": [wild.ci_low, wild.ci_high]}


def ensure_data(per_cell: int) -> Path:
    """The national study of 500 institutions x 10 years x ``per_cell`` graduates, written once."""
    root = HERE / "data" / f"national_500x10x{per_cell}_v2"
    if not (root / "study.yaml").is_file():
        from national_data import write_national

        start = time.perf_counter()
        write_national(root, per_cell=per_cell)
        print(f"wrote {500 * 10 * per_cell:,} graduates to {root} in {time.perf_counter() - start:.0f} s")
    return root


def run_child(engine: str, root: Path) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", engine, str(root)], capture_output=True, text=True,
                         cwd=HERE.parent)
    if out.returncode:
        raise SystemExit(f"{engine} chain failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def show(label: str, result: dict) -> tuple[float, float]:
    total = sum(s["seconds"] for s in result["stages"].values())
    peak = max(s["peak_gb"] for s in result["stages"].values())
    print(f"\n{label}: {result['rows_read']:,} rows read, {result['rows_valid']:,} valid")
    for stage in STAGES:
        s = result["stages"][stage]
        print(f"  {stage:<18} {s['seconds']:8.1f} s   peak {s['peak_gb']:5.2f} GB")
    print(f"  {'total':<18} {total:8.1f} s   peak {peak:5.2f} GB")
    print(f"  employment-rate effect (truth {TRUE_EFFECT}): TWFE {result['twfe']:.4f} (CR1 SE {result['twfe_se']:.4f}),"
          f" Callaway-Sant'Anna {result['cs']:.4f}, wild 95% CI [{result['wild_ci'][0]:.4f}, "
          f"{result['wild_ci'][1]:.4f}]")
    return total, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-cell", type=int, default=4000, help="graduates per institution x year (4000: 20M)")
    parser.add_argument("--pandas-per-cell", type=int, default=400, help="the size run on both pandas and DuckDB")
    parser.add_argument("--child", nargs=2, metavar=("ENGINE", "ROOT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        global MEMORY
        MEMORY = TreeMemory()
        print(json.dumps(chain(args.child[0], Path(args.child[1]))))
        return
    big = run_child("duckdb", ensure_data(args.per_cell))
    total, peak = show(f"DuckDB, {500 * 10 * args.per_cell:,} graduates", big)
    print(f"  target: under 300 s and 4 GB -> {total:.0f} s ({total / 300:.2f} of the limit), {peak:.2f} GB "
          f"({peak / 4:.2f} of the limit): {'met' if total < 300 and peak < 4 else 'NOT met'}")
    small_root = ensure_data(args.pandas_per_cell)
    small = {engine: run_child(engine, small_root) for engine in ("pandas", "duckdb")}
    size = f"{500 * 10 * args.pandas_per_cell:,} graduates"
    t_pandas, m_pandas = show(f"pandas, {size}", small["pandas"])
    t_duck, m_duck = show(f"DuckDB, {size}", small["duckdb"])
    print(f"\nDuckDB / pandas at {size}: time {t_duck / t_pandas:.2f}, peak memory {m_duck / m_pandas:.2f}")
    for stage in STAGES:
        p, d = small["pandas"]["stages"][stage], small["duckdb"]["stages"][stage]
        print(f"  {stage:<18} time {d['seconds'] / p['seconds']:6.2f}   memory {d['peak_gb'] / p['peak_gb']:5.2f}")


if __name__ == "__main__":
    main()
