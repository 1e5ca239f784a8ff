"""Write the synthetic national study of ``benchmarks/scale.py``: graduates of 500 institutions over 10 years.

Two Parquet files in the data contract's columns, written in row groups of one million rows so neither the
writer nor the engines ever hold a whole table:

- ``students.parquet``: one row a graduate (20,000,000 by default): institution, program, cohort,
  graduation year, gender, entrance score, origin;
- ``employment.parquet``: one row a graduate at the 12-month follow-up (90 % answer): status, sector,
  field match, monthly salary.

Institutions adopt the integrated CBEC-ICE program for a first cohort drawn from 2013-2018 (graduating
2017-2022; a fifth never adopt); graduates of the cohorts from adoption on are more likely to be employed
(+3 points) and in the CBEC sector (+8 points).  ``study.yaml`` records the adoption cohorts as the data
contract's ``treatment.adoption_year`` (first cohort taught).  A few rows break the contract on purpose
(negative salaries, an unknown status) so validation has something to quarantine.  ``study.yaml`` names
the files, the key file and the adoption years; the same seed writes the same bytes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

FIRST_GRADUATION = 2015
STATUSES = np.array(["employed", "self_employed", "further_study", "seeking", "not_seeking"])
SECTORS = np.array(["cbec", "cultural_exchange", "other"])


def adoption_years(n_institutions: int, seed: int) -> dict[str, int | None]:
    """First cohort taught in the integrated program, by institution (None: never adopts)."""
    rng = np.random.default_rng([seed, 1])
    years = rng.integers(2013, 2019, n_institutions)
    never = rng.random(n_institutions) < 0.2
    return {f"N{i:04d}": (None if never[i] else int(years[i])) for i in range(n_institutions)}


def _ids(start: int, n: int) -> pa.Array:
    return pc.binary_join_element_wise("G", pc.cast(pa.array(np.arange(start, start + n) + 10**9), pa.string()), "")


def _block(inst: np.ndarray, year: np.ndarray, adopt: np.ndarray, start: int,
           rng: np.random.Generator) -> tuple[pa.Table, pa.Table]:
    n = len(inst)
    treated = (adopt > 0) & (year - 4 >= adopt)  # adopt is a cohort; a cohort graduates four years on
    program = np.where(treated & (rng.random(n) < 0.6), "integrated", "traditional")
    ids = _ids(start, n)
    students = pa.table({
        "student_id": ids,
        "institution_id": pa.array(np.char.add("N", np.char.zfill(inst.astype(str), 4))),
        "program": program,
        "cohort": (year - 4).astype("int64"),
        "graduation_year": year.astype("int64"),
        "gender": np.where(rng.random(n) < 0.55, "female", "male"),
        "entrance_score": np.round(rng.normal(500.0, 60.0, n), 1),
        "student_origin": np.where(rng.random(n) < 0.1, "international", "domestic"),
    })
    answered = rng.random(n) < 0.9
    p_employed = 0.70 + 0.03 * treated + 0.004 * (year - FIRST_GRADUATION)
    u = rng.random(n)
    status_code = np.where(u < p_employed * 0.9, 0, np.where(u < p_employed, 1,
                           np.where(u < p_employed + 0.12, 2, np.where(u < 0.97, 3, 4))))
    working = status_code <= 1
    cbec = rng.random(n) < 0.25 + 0.08 * treated
    sector = np.where(working, np.where(cbec, 0, np.where(rng.random(n) < 0.1, 1, 2)), -1)
    salary = np.where(working, np.round(rng.lognormal(8.8, 0.35, n), 0), np.nan)
    status = STATUSES[status_code].astype(object)
    bad = rng.random(n) < 2e-5
    status[bad] = "unemployed"  # not a status the contract knows: quarantined
    salary[(rng.random(n) < 2e-5) & working] = -1.0  # below the contract's minimum: quarantined
    keep = np.flatnonzero(answered)
    employment = pa.table({
        "student_id": ids.take(pa.array(keep)),
        "months_after_graduation": np.full(len(keep), 12, dtype="int64"),
        "status": pa.array(status[keep].astype(str)),
        "sector": pa.array(np.where(sector[keep] >= 0, SECTORS[np.maximum(sector[keep], 0)], None)),
        "field_match": pa.array(np.where(working[keep], rng.random(len(keep)) < 0.6, None)),
        "monthly_salary": pa.array(salary[keep], mask=np.isnan(salary[keep])),
    })
    return students, employment


def write_national(root: Path, *, n_institutions: int = 500, n_years: int = 10, per_cell: int = 4000,
                   seed: int = 11, rows_per_group: int = 1_000_000) -> Path:
    """Write the national study under ``root`` and return its ``study.yaml``."""
    data = root / "data"
    data.mkdir(parents=True, exist_ok=True)
    adoption = adoption_years(n_institutions, seed)
    adopt = np.array([v or 0 for v in adoption.values()])
    cells = np.array([(i, FIRST_GRADUATION + t) for i in range(n_institutions) for t in range(n_years)])
    per_block = max(1, rows_per_group // per_cell)
    writers: dict[str, pq.ParquetWriter] = {}
    rng = np.random.default_rng([seed, 2])
    start = 0
    try:
        for first in range(0, len(cells), per_block):
            block = cells[first:first + per_block]
            inst, year = np.repeat(block[:, 0], per_cell), np.repeat(block[:, 1], per_cell)
            tables = dict(zip(("students", "employment"), _block(inst, year, adopt[inst], start, rng), strict=True))
            start += len(inst)
            for name, table in tables.items():
                if name not in writers:
                    writers[name] = pq.ParquetWriter(data / f"{name}.parquet", table.schema, compression="zstd")
                writers[name].write_table(table, row_group_size=rows_per_group)
    finally:
        for writer in writers.values():
            writer.close()
    from data_schema.codebook import BUILTIN_DIR

    (root / "instruments").mkdir(exist_ok=True)
    for path in sorted(Path(BUILTIN_DIR).glob("*.yaml")):
        (root / "instruments" / path.name).write_bytes(path.read_bytes())
    (root / "bench.key").write_text("0123456789abcdef" * 4)
    lines = ["title: National CBEC-ICE benchmark", "version: 1",
             "data: {directory: data, students: students.parquet, employment: employment.parquet}",
             "privacy: {key_file: bench.key, min_cell_size: 10}", f"seed: {seed}", "treatment:",
             "  integrated_program: integrated", "  comparison_program: traditional", "  adoption_year:"]
    lines += [f"    {k}: {'null' if v is None else v}" for k, v in adoption.items()]
    (root / "study.yaml").write_text("\n".join(lines) + "\n")
    return root / "study.yaml"
