"""Load a whole study: config, codebooks, the four tables, cross-table rules.

Examples
--------
>>> import tempfile
>>> from data_schema.synthetic import generate_study
>>> synthetic = generate_study(tempfile.mkdtemp(), seed=3, n_institutions=6, students_per_class=8,
...                            classes_per_cohort=1, n_cohorts=5, first_cohort=2018)
>>> study = load_study(synthetic.config_path)
>>> study.report.reconciles, study.report.n_quarantined
(True, 0)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from data_schema.codebook import Codebook, load_codebooks
from data_schema.config import StudyConfig, load_config
from data_schema.crosscheck import check_responses, check_students
from data_schema.intake import TableRead, as_quarantined, read_table_quietly
from data_schema.pseudonym import study_key
from data_schema.report import REPORT_FAILURE_COLUMNS
from data_schema.study_report import StudyReport

__all__ = ["Study", "load_study"]

Progress = Callable[[str], None]


@dataclass(frozen=True, eq=False)
class Study:
    """A loaded study: valid rows per table, quarantined rows, codebooks and the report.

    Attributes
    ----------
    config
        The validated study config.
    codebooks
        Instrument codebooks by id.
    tables
        Valid rows of each table read (index = the file's row numbers).
    quarantined
        Quarantined rows of each table, as read, with ``quarantine_rules``.
    report
        The :class:`~data_schema.study_report.StudyReport`.
    """

    config: StudyConfig
    codebooks: dict[str, Codebook]
    tables: dict[str, pd.DataFrame]
    quarantined: dict[str, pd.DataFrame]
    report: StudyReport

    def _table(self, name: str) -> pd.DataFrame | None:
        return self.tables.get(name)

    @property
    def students(self) -> pd.DataFrame:
        """Valid students."""
        return self.tables["students"]

    @property
    def survey_responses(self) -> pd.DataFrame | None:
        """Valid survey responses (``None`` when the study has none)."""
        return self._table("survey_responses")

    @property
    def assessments(self) -> pd.DataFrame | None:
        """Valid assessments (``None`` when the study has none)."""
        return self._table("assessments")

    @property
    def employment(self) -> pd.DataFrame | None:
        """Valid employment follow-ups (``None`` when the study has none)."""
        return self._table("employment")


def _move(read: TableRead, failures: pd.DataFrame) -> TableRead:
    """Quarantine the rows named in cross-table ``failures``."""
    if failures.empty:
        return read
    rows = pd.Index(pd.unique(failures["row"]))
    quarantined = pd.concat([read.quarantined, as_quarantined(read.valid.loc[rows], failures)]).sort_index()
    failures = failures.assign(file=read.report.file, table=read.report.table)[REPORT_FAILURE_COLUMNS]
    all_failures = pd.concat([read.report.failures, failures], ignore_index=True)
    report = replace(
        read.report,
        failures=all_failures.sort_values(["row", "column", "rule"], kind="stable", ignore_index=True),
        n_valid=len(read.valid) - len(rows),
        n_quarantined=len(quarantined),
    )
    return TableRead(read.valid.drop(index=rows), quarantined, report)


def _read_all(cfg: StudyConfig, key: bytes, progress: Progress) -> dict[str, TableRead]:
    reads = {}
    for table in cfg.tables():
        entry = getattr(cfg.data, table)
        progress(f"reading {table}")
        reads[table] = read_table_quietly(cfg.table_path(table), table, key=key, sheet=entry.sheet,
                                          encoding=entry.encoding)
    return reads


def _cross_check(reads: dict[str, TableRead], cfg: StudyConfig, codebooks: dict[str, Codebook],
                 progress: Progress) -> dict[str, TableRead]:
    students = reads["students"]
    known = set(students.valid["student_id"])
    held = set(students.quarantined["student_id"].dropna()) - known
    checked = {"students": students}
    for table, read in reads.items():
        if table == "students":
            continue
        progress(f"cross-checking {table}")
        parts = [check_students(read.valid, known=known, quarantined=held)]
        if table == "survey_responses":
            parts.append(check_responses(read.valid, codebooks, cfg.waves))
        checked[table] = _move(read, pd.concat(parts, ignore_index=True))
    return checked


def load_study(
    config: str | Path | StudyConfig,
    *,
    key: bytes | None = None,
    progress: Progress | None = None,
) -> Study:
    """Read and validate every table a study config names.

    Parameters
    ----------
    config
        Path of ``study.yaml`` (or its folder), or a loaded :class:`StudyConfig`.
    key
        Pseudonymisation key; by default read from the source the config
        names (``privacy.key_env`` or ``privacy.key_file``).
    progress
        Called with a short description before each step (the CLI draws a
        progress bar from it).

    Returns
    -------
    Study

    Raises
    ------
    ConfigError, PseudonymKeyError, CodebookError, InputFileError
        When the config, the key, a codebook or a file cannot be used at all.
    """
    cfg = config if isinstance(config, StudyConfig) else load_config(config)
    step = progress or (lambda _: None)
    if key is None:
        key = study_key(cfg)
    step("loading codebooks")
    codebooks = load_codebooks(cfg.instruments_dir, cfg.instruments.ids)
    reads = _cross_check(_read_all(cfg, key, step), cfg, codebooks, step)
    report = StudyReport({t: r.report for t, r in reads.items()})
    return Study(
        config=cfg,
        codebooks=codebooks,
        tables={t: r.valid for t, r in reads.items()},
        quarantined={t: r.quarantined for t, r in reads.items()},
        report=report,
    )
