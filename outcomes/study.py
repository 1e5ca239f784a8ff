"""The indicator frames of a whole loaded study, with the definitions its config sets.

Examples
--------
>>> import tempfile
>>> from data_schema import generate_study, load_study
>>> study = load_study(generate_study(tempfile.mkdtemp(), n_institutions=4, students_per_class=10).config_path)
>>> sorted(study_indicators(study))
['assessment', 'certification', 'employment']
"""

from __future__ import annotations

import pandas as pd

from data_schema.study import Study
from outcomes.assessment import assessment_indicators
from outcomes.certification import certification_indicators
from outcomes.employment import employment_indicators

__all__ = ["study_indicators"]


def study_indicators(study: Study) -> dict[str, pd.DataFrame]:
    """The employment, certification and assessment indicator frames of ``study``.

    The study config's ``outcomes`` block sets the export date (``as_of``), graduation month, follow-ups,
    HSK target level and the employer rating that counts as satisfied.  A frame is left out when its table
    is absent from the study.

    Parameters
    ----------
    study
        A study loaded with :func:`data_schema.load_study`.

    Returns
    -------
    dict of str to pandas.DataFrame
        ``"employment"`` (a graduate x due follow-up), ``"certification"`` and ``"assessment"`` (a student),
        ready for :func:`outcomes.summarise`.
    """
    cfg = study.config.outcomes
    frames: dict[str, pd.DataFrame] = {}
    if study.employment is not None:
        frames["employment"] = employment_indicators(
            study.students, study.employment, as_of=cfg.as_of, follow_ups=cfg.follow_ups,
            graduation_month=cfg.graduation_month, satisfied_from=cfg.satisfied_from)
    if study.assessments is not None:
        frames["certification"] = certification_indicators(
            study.students, study.assessments, hsk_target=cfg.hsk_target_level)
        frames["assessment"] = assessment_indicators(study.students, study.assessments)
    return frames
