"""The study config (``study.yaml``): which files, instruments, waves, treatment and privacy.

Paths in the config are relative to the folder holding ``study.yaml``.  The
config is strict: an unknown key is an error that lists the allowed keys, so a
typo never silently switches a setting off.

Examples
--------
>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "study.yaml").write_text('''
... title: Demo
... data: {directory: data, students: students.csv}
... privacy: {key_env: PROGEVAL_KEY}
... seed: 1
... ''')
>>> cfg = load_config(folder / "study.yaml")
>>> cfg.table_path("students").name
'students.csv'
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from data_schema.errors import ConfigError
from data_schema.yaml_model import load_yaml_model, read_yaml_mapping

__all__ = ["StudyConfig", "DataFiles", "TableFile", "Privacy", "Treatment", "Outcomes", "Backend", "SparkOptions",
           "Analyses", "load_config"]

TableName = Literal["students", "survey_responses", "assessments", "employment"]
TABLES: tuple[str, ...] = ("students", "survey_responses", "assessments", "employment")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TableFile(_Strict):
    """One input file: its path and, for workbooks, the sheet."""

    path: str
    sheet: str | int | None = None
    encoding: str | None = Field(None, description="Force a text encoding instead of detecting it.")


class DataFiles(_Strict):
    """Where the four tables are; only ``students`` is required."""

    directory: str = "."
    students: TableFile
    survey_responses: TableFile | None = None
    assessments: TableFile | None = None
    employment: TableFile | None = None

    @model_validator(mode="before")
    @classmethod
    def _plain_paths(cls, data: object) -> object:
        if isinstance(data, dict):
            return {k: {"path": v} if k in TABLES and isinstance(v, str) else v for k, v in data.items()}
        return data


class Instruments(_Strict):
    """Codebook folder and, optionally, the instrument ids to use."""

    directory: str = "instruments"
    ids: tuple[str, ...] | None = None


class Treatment(_Strict):
    """Which program is the integrated one and when each institution adopted it."""

    integrated_program: str = "integrated"
    comparison_program: str = "traditional"
    adoption_year: dict[str, int | None] = Field(
        default_factory=dict, description="First cohort taught in the integrated program; null = never."
    )

    @model_validator(mode="after")
    def _sensible(self) -> Treatment:
        if self.integrated_program == self.comparison_program:
            raise ValueError(f"integrated_program and comparison_program are both {self.integrated_program!r}; "
                             "name two different programs")
        odd = {k: v for k, v in self.adoption_year.items() if v is not None and not 1950 <= v <= 2100}
        if odd:
            raise ValueError(f"adoption_year {odd} is not a cohort year (1950-2100); give the first cohort taught "
                             "in the integrated program, or null for an institution that never adopted it")
        return self


class Privacy(_Strict):
    """Pseudonymisation key source and the smallest publishable cell."""

    key_env: str | None = Field(None, description="Environment variable holding the secret key.")
    key_file: str | None = Field(None, description="File holding the secret key (outside the data folder).")
    min_cell_size: int = Field(10, ge=1)

    @model_validator(mode="after")
    def _one_source(self) -> Privacy:
        if not (self.key_env or self.key_file):
            raise ValueError("name a key source: key_env (an environment variable) or key_file")
        return self


class Outcomes(_Strict):
    """How the outcome indicators are defined for this study (see :mod:`outcomes`)."""

    as_of: date | None = Field(
        None, description="Export date: a follow-up is due when graduation date + months <= as_of. "
        "Without it, a follow-up counts as run for an institution's graduating class when any of them answered it."
    )
    graduation_month: int = Field(6, ge=1, le=12, description="Month of the year in which students graduate.")
    follow_ups: tuple[int, ...] | None = Field(
        None, description="Months after graduation of the follow-up surveys; default: those in the data."
    )
    hsk_target_level: int = Field(4, ge=1, le=9, description="HSK level that counts as reaching the target.")
    satisfied_from: int = Field(4, ge=1, le=5, description="Employer rating (1-5) that counts as satisfied.")


class Analyses(_Strict):
    """Choices of the analysis stage of ``progeval run`` (every analysis the data support runs)."""

    headline: str | None = Field(
        None, description="Outcome of the evidence brief's headline, e.g. employment_rate or hsk_target_rate; "
        "default: the first of the employment rate, CBEC-sector share, field match, the competency scores and "
        "the HSK target that could be compared.")


class Reports(_Strict):
    """Documents to render and their formats."""

    documents: tuple[Literal["annual_report", "evidence_brief"], ...] = ("annual_report", "evidence_brief")
    formats: tuple[Literal["html", "pdf", "docx"], ...] = ("html", "pdf", "docx")
    output: str = "output"


class SparkOptions(_Strict):
    """Where Spark reads the validated tables, and how the Spark session is started (``engine: spark``)."""

    master: str = Field("local[2]", description="Spark master URL: local[N], spark://host:7077, yarn, ...")
    tables: str = Field("validated", description="Folder of the validated tables as Parquet, relative to the "
                        "study folder; every Spark worker must be able to read it.")
    conf: dict[str, str] = Field(default_factory=dict, description="Extra Spark settings, e.g. "
                                 "{spark.executor.memory: 8g}.")


class Backend(_Strict):
    """Where the validated tables live and which engine the analyses send their sums to.

    ``pandas`` (the default) keeps the study in memory.  With ``engine: duckdb``,
    :func:`data_schema.warehouse.load_study_into_duckdb` validates the exports out of core into
    ``database`` and :func:`data_schema.warehouse.open_tables` opens its tables for the analyses (as Ibis
    tables).  ``engine: spark`` validates the same way, then also writes the valid rows of each table as
    Parquet into ``spark.tables``, and :func:`~data_schema.warehouse.open_tables` opens them in a Spark
    session (``spark.master``), so the analyses' group sums run on the cluster.
    """

    engine: Literal["pandas", "duckdb", "spark"] = "pandas"
    database: str | None = Field(None, description="DuckDB database file, relative to the study folder.")
    spark: SparkOptions | None = None

    @model_validator(mode="after")
    def _database_with_duckdb(self) -> Backend:
        if self.engine in ("duckdb", "spark") and not self.database:
            raise ValueError(f"engine {self.engine} needs a database file (the exports are validated into it), "
                             f"e.g. backend: {{engine: {self.engine}, database: study.duckdb}}")
        if self.engine == "pandas" and self.database:
            raise ValueError(f"database {self.database!r} is only used with engine duckdb or spark; set engine: "
                             "duckdb or remove database")
        if self.spark is not None and self.engine != "spark":
            raise ValueError(f"a spark section is only used with engine spark, not {self.engine}; set "
                             "engine: spark or remove the spark section")
        return self

    @model_validator(mode="before")
    @classmethod
    def _spark_defaults(cls, data: object) -> object:
        if isinstance(data, dict) and data.get("engine") == "spark" and data.get("spark") is None:
            return {**data, "spark": {}}
        return data


class StudyConfig(_Strict):
    """A validated ``study.yaml``; ``root`` is the folder it was read from."""

    title: str
    version: int = 1
    data: DataFiles
    instruments: Instruments = Instruments()
    waves: dict[int, str] = Field(default_factory=lambda: {0: "entry", 1: "mid-program", 2: "graduation"})
    treatment: Treatment = Treatment()
    analyses: Analyses = Analyses()
    reports: Reports = Reports()
    outcomes: Outcomes = Outcomes()
    privacy: Privacy
    currency: str = "CNY"
    seed: int
    backend: Backend = Backend()
    root: Path = Path(".")

    def table_path(self, table: str) -> Path:
        """Absolute path of a table's file."""
        entry = getattr(self.data, table)
        if entry is None:
            raise ConfigError(f"study config names no file for table {table!r}")
        return (self.data_dir / entry.path).resolve()

    @property
    def data_dir(self) -> Path:
        """Folder holding the data files."""
        return (self.root / self.data.directory).resolve()

    @property
    def database_path(self) -> Path | None:
        """The DuckDB database file of the ``backend`` section (``None`` with the pandas backend)."""
        return None if self.backend.database is None else (self.root / self.backend.database).resolve()

    @property
    def spark_tables_dir(self) -> Path | None:
        """The folder of validated Parquet tables Spark reads (``None`` unless ``engine: spark``)."""
        return None if self.backend.spark is None else (self.root / self.backend.spark.tables).resolve()

    @property
    def instruments_dir(self) -> Path:
        """Folder holding the instrument codebooks."""
        return (self.root / self.instruments.directory).resolve()

    def tables(self) -> tuple[str, ...]:
        """The tables this study names a file for, in contract order."""
        return tuple(t for t in TABLES if getattr(self.data, t) is not None)


def load_config(path: str | Path) -> StudyConfig:
    """Read and validate a study config.

    Raises
    ------
    ConfigError
        Missing file, invalid YAML, unknown key, wrong type or missing field; the
        message names the file and the setting.
    """
    path = Path(path)
    if path.is_dir():
        path = path / "study.yaml"
    raw = read_yaml_mapping(path, ConfigError, "study config")
    if "root" in raw:
        raise ConfigError(f"{path}: 'root' is set by progeval, remove it from the file")
    return load_yaml_model(path, StudyConfig, ConfigError, "study config", extra={"root": path.resolve().parent})
