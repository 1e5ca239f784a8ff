"""Benchmark: validate the 10M-row survey study of benchmarks/validate_scale.py into DuckDB, out of core.

Run: .venv/bin/python benchmarks/warehouse_scale.py [--rows N] [--chunk-rows R] [--memory-limit 1GB]
Each measurement runs in a fresh process so its peak RSS (ru_maxrss) is its own.
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def child(root: Path, database: Path, chunk_rows: int, memory_limit: str) -> None:
    from data_schema.warehouse import load_study_into_duckdb
    phases: dict[str, list[float]] = {}
    last = [time.perf_counter(), time.process_time(), "start"]

    def peak_since_reset() -> float:
        status = Path("/proc/self/status").read_text()
        hwm = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM"))
        Path("/proc/self/clear_refs").write_text("5")  # reset the high-water mark for the next phase
        return hwm * 1024 / 1e9

    def step(text: str) -> None:
        now, cpu = time.perf_counter(), time.process_time()
        key = last[2].split(":")[0]
        wall_cpu = phases.setdefault(key, [0.0, 0.0, 0.0])
        wall_cpu[0] += now - last[0]
        wall_cpu[1] += cpu - last[1]
        wall_cpu[2] = max(wall_cpu[2], peak_since_reset())
        last[:] = [now, cpu, text]

    start = time.perf_counter()
    report = load_study_into_duckdb(root / "study.yaml", database, chunk_rows=chunk_rows, memory_limit=memory_limit,
                                    progress=step)
    step("end")
    seconds = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_SELF)
    peak = max(p[2] for p in phases.values())  # ru_maxrss is reset by the per-phase high-water marks
    cpu = usage.ru_utime + usage.ru_stime
    rows = sum(r.n_read for r in report.tables.values())
    print(json.dumps({"rows": rows, "seconds": seconds, "peak_gb": peak, "cpu": cpu,
                      "quarantined": report.n_quarantined,
                      "db_mb": database.stat().st_size / 1e6, "phases": phases,
                      "failures_by_rule": report.failure_counts().values.tolist()}))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--chunk-rows", type=int, default=250_000)
    parser.add_argument("--memory-limit", default="512MB")
    parser.add_argument("--child", action="store_true")
    parser.add_argument("--root", type=Path)
    args = parser.parse_args()
    root = args.root or REPO / "benchmarks" / "data" / f"survey_{args.rows}"
    database = REPO / "benchmarks" / "data" / f"{root.name}.duckdb"
    if args.child:
        child(root, database, args.chunk_rows, args.memory_limit)
        return
    out = subprocess.run([sys.executable, __file__, "--child", "--rows", str(args.rows), "--chunk-rows",
                          str(args.chunk_rows), "--memory-limit", args.memory_limit, "--root", str(root)],
                         check=True, capture_output=True, text=True, cwd=REPO).stdout
    r = json.loads(out.strip().splitlines()[-1])
    print(f"load_study_into_duckdb: {r['rows']:,} rows in {r['seconds']:.1f} s = "
          f"{r['rows'] / r['seconds']:,.0f} rows/s; CPU {r['cpu']:.1f} s; peak RSS {r['peak_gb']:.2f} GB; "
          f"{r['quarantined']:,} quarantined; database {r['db_mb']:.0f} MB "
          f"(chunk_rows={args.chunk_rows:,}, memory_limit={args.memory_limit})")
    for k, (wall, cpu, peak) in r["phases"].items():
        print(f"   {wall:7.1f} s wall {cpu:7.1f} s CPU  peak RSS {peak:5.2f} GB  {k}")
    print("   failures by rule:", r["failures_by_rule"])


if __name__ == "__main__":
    main()
