"""progeval.data_schema — read, validate, coerce, quarantine and pseudonymise the input tables.

The four source tables of the data contract are pandera models (the codebook
the reports print); :func:`read_table` reads one file, :func:`load_study` a whole
study with its cross-table rules; :func:`generate_study` writes a synthetic
study with known effects.

Examples
--------
>>> from data_schema import TABLE_SPECS
>>> sorted(TABLE_SPECS)
['assessments', 'employment', 'students', 'survey_responses']
"""

from data_schema.codebook import Codebook, builtin_codebooks, load_codebook, load_codebooks
from data_schema.config import StudyConfig, load_config
from data_schema.errors import (
    CodebookError,
    ConfigError,
    DataQualityWarning,
    InputFileError,
    ProgevalError,
    ProgevalWarning,
    PseudonymKeyError,
)
from data_schema.intake import TableRead, read_table
from data_schema.pseudonym import load_key, pseudonymise
from data_schema.report import TableReport
from data_schema.schemas import (
    TABLE_SPECS,
    AssessmentsSchema,
    EmploymentSchema,
    StudentsSchema,
    SurveyResponsesSchema,
    codebook_table,
)
from data_schema.study import Study, load_study
from data_schema.study_report import StudyReport
from data_schema.synthetic import SyntheticStudy, generate_study

__all__ = [
    "AssessmentsSchema",
    "Codebook",
    "CodebookError",
    "ConfigError",
    "DataQualityWarning",
    "EmploymentSchema",
    "InputFileError",
    "ProgevalError",
    "ProgevalWarning",
    "PseudonymKeyError",
    "StudentsSchema",
    "Study",
    "StudyConfig",
    "StudyReport",
    "SurveyResponsesSchema",
    "SyntheticStudy",
    "TABLE_SPECS",
    "TableRead",
    "TableReport",
    "builtin_codebooks",
    "codebook_table",
    "generate_study",
    "load_codebook",
    "load_codebooks",
    "load_config",
    "load_key",
    "load_study",
    "pseudonymise",
    "read_table",
]
