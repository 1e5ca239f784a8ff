"""Synthetic CBEC-ICE evaluation studies with known effects, clean or with the faults of real exports.

Examples
--------
>>> import tempfile
>>> from data_schema.synthetic import generate_study
>>> study = generate_study(tempfile.mkdtemp(), n_institutions=4, students_per_class=4,
...                        classes_per_cohort=1, n_cohorts=6)
>>> sorted(study.truth)[:3]
['assessments', 'competencies', 'counts']
"""

from data_schema.synthetic.study import SyntheticStudy, generate_study
from data_schema.synthetic.surveys import InterceptShift

__all__ = ["InterceptShift", "SyntheticStudy", "generate_study"]
