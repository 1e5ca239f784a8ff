"""Benchmark: validate a 10-million-row survey_responses file.

Target (issue "Foundation", Done when): under 60 s and under 4 GB peak memory on
a 2-core machine.  The script writes (once, cached under benchmarks/data/) a
study whose survey_responses.csv has 10,000,000 rows: every student answers
every item of the four competency instruments at waves 0-2, about 0.01% of the
answers are out of scale or not numbers and 100 rows are exact duplicates.
It then times, each in a fresh process so peak memory is its own:

1. ``read_table`` on the 10M-row file (row-level rules, keys, pseudonyms);
2. ``load_study`` on the whole study (adds the cross-table rules).

and prints rows/s, peak memory, and the ratio to the targets.

Run: ``make bench`` or ``.venv/bin/python benchmarks/validate_scale.py [--rows N]``.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

HERE = Path(__file__).resolve().parent
TARGET_SECONDS = 60.0
TARGET_GB = 4.0
INSTRUMENTS = ("intercultural_competence", "digital_commerce_skills", "business_chinese_self_efficacy",
               "global_market_awareness")


def _write_study(root: Path, rows: int, seed: int = 7) -> Path:
    from data_schema.codebook import builtin_codebooks

    books = builtin_codebooks()
    pairs = [(i, item) for i in INSTRUMENTS for item in books[i].item_ids]
    per_student = len(pairs) * 3
    n_students = -(-rows // per_student)
    rng = np.random.default_rng(seed)
    data = root / "data"
    data.mkdir(parents=True, exist_ok=True)
    ids = np.char.add("S", np.arange(10_000_000, 10_000_000 + n_students).astype(str))
    students = pa.table({
        "student_id": ids,
        "institution_id": np.char.add("I", (np.arange(n_students) % 30).astype(str)),
        "program": np.where(rng.random(n_students) < 0.5, "integrated", "traditional"),
        "cohort": rng.integers(2016, 2024, n_students),
        "student_origin": np.where(rng.random(n_students) < 0.35, "international", "domestic"),
    })
    pacsv.write_csv(students, data / "students.csv")
    student = np.repeat(ids, per_student)[:rows]
    within = np.tile(np.arange(per_student), n_students)[:rows]
    wave = within // len(pairs)
    pair = within % len(pairs)
    response = rng.integers(1, 6, rows).astype(str).astype(object)
    bad = rng.choice(rows, size=rows // 10_000, replace=False)
    response[bad[: len(bad) // 2]] = "7"
    response[bad[len(bad) // 2:]] = "x"
    table = pa.table({
        "student_id": student,
        "instrument": np.array([p[0] for p in pairs])[pair],
        "wave": wave,
        "item": np.array([p[1] for p in pairs])[pair],
        "response": response.astype(str),
        "response_date": np.array(["2024-03-15", "2024-09-20", "2025-06-10"])[wave],
    })
    dupes = table.take(np.arange(100))
    pacsv.write_csv(pa.concat_tables([table, dupes]), data / "survey_responses.csv")
    (root / "instruments").mkdir(exist_ok=True)
    for name in INSTRUMENTS:
        (root / "instruments" / f"{name}.yaml").write_bytes(
            (Path(sys.modules["data_schema.codebook"].BUILTIN_DIR) / f"{name}.yaml").read_bytes())
    (root / "bench.key").write_text("0123456789abcdef" * 4)
    (root / "study.yaml").write_text(
        "title: validate_scale benchmark\n"
        "data: {directory: data, students: students.csv, survey_responses: survey_responses.csv}\n"
        "privacy: {key_file: bench.key}\nseed: 1\n")
    return root


def _child(mode: str, root: Path) -> None:
    start = time.perf_counter()
    if mode == "read_table":
        from data_schema.intake import read_table_quietly
        read = read_table_quietly(root / "data" / "survey_responses.csv", "survey_responses", key=b"k" * 32)
        report, quarantined = read.report, read.report.n_quarantined
        n = report.n_read
    else:
        from data_schema.study import load_study
        study = load_study(root / "study.yaml")
        n = sum(r.n_read for r in study.report.tables.values())
        quarantined = study.report.n_quarantined
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e9
    print(json.dumps({"mode": mode, "rows": n, "seconds": seconds, "peak_gb": peak, "quarantined": quarantined}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--child", choices=["read_table", "load_study"])
    parser.add_argument("--root", type=Path)
    args = parser.parse_args()
    if args.child:
        _child(args.child, args.root)
        return
    root = HERE / "data" / f"survey_{args.rows}"
    if not (root / "study.yaml").exists():
        t = time.perf_counter()
        _write_study(root, args.rows)
        print(f"wrote the benchmark study in {time.perf_counter() - t:.1f} s: {root}")
    size = (root / "data" / "survey_responses.csv").stat().st_size / 1e6
    print(f"survey_responses.csv: {size:,.0f} MB")
    for mode in ("read_table", "load_study"):
        out = subprocess.run([sys.executable, __file__, "--child", mode, "--root", str(root)],
                             check=True, capture_output=True, text=True).stdout
        result = json.loads(out.strip().splitlines()[-1])
        print(f"{mode:>10}: {result['rows']:>12,} rows in {result['seconds']:6.1f} s "
              f"= {result['rows'] / result['seconds']:>10,.0f} rows/s; peak memory {result['peak_gb']:.2f} GB; "
              f"{result['quarantined']:,} rows quarantined | vs target: time {result['seconds'] / TARGET_SECONDS:.2f}x "
              f"of {TARGET_SECONDS:.0f} s, memory {result['peak_gb'] / TARGET_GB:.2f}x of {TARGET_GB:.0f} GB")


if __name__ == "__main__":
    main()
