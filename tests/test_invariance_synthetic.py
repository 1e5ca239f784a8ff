"""Invariance on the synthetic study: it holds where the generator built it in and fails where it was broken."""

import pytest

from data_schema import load_study
from data_schema.codebook import builtin_codebooks
from data_schema.errors import EstimationError
from data_schema.synthetic import InterceptShift, generate_study
from surveys.invariance import instrument_factors, instrument_invariance

BOOK = builtin_codebooks()["intercultural_competence"]


@pytest.mark.parametrize("wave", [0, 2])
def test_invariance_holds_across_programs_on_the_invariant_study(clean_study, wave):
    _, study = clean_study
    result = instrument_invariance(study.survey_responses, BOOK, group="program", students=study.students, wave=wave)
    table = result.tidy().set_index("level")
    assert table["verdict"].tolist() == ["baseline", "holds", "holds"]
    assert result.supported_level == "scalar"
    assert table["converged"].all()


def test_invariance_holds_across_waves(clean_study):
    _, study = clean_study
    result = instrument_invariance(study.survey_responses, BOOK, group="wave")
    assert result.tidy()["verdict"].tolist() == ["baseline", "holds", "holds"]


def test_scalar_invariance_fails_when_one_intercept_is_shifted(tmp_path):
    shift = InterceptShift("intercultural_competence", "ic04", program="integrated", shift=0.5)
    syn = generate_study(tmp_path, intercept_shift=shift)
    assert syn.truth["surveys"]["intercept_shift"] == shift.to_dict()
    study = load_study(syn.config_path)
    result = instrument_invariance(study.survey_responses, BOOK, group="program", students=study.students, wave=2)
    table = result.tidy().set_index("level")
    assert table.loc["metric", "verdict"] == "holds"
    assert table.loc["scalar", "verdict"] == "fails"
    assert table.loc["scalar", "delta_cfi"] < -0.010  # Chen (2007): a CFI drop of .010 or more ...
    assert table.loc["scalar", "delta_p_value"] < 1e-6
    assert result.supported_level == "metric"
    # the other instruments were left invariant
    other = instrument_invariance(study.survey_responses, builtin_codebooks()["digital_commerce_skills"],
                                  group="program", students=study.students, wave=2)
    assert other.supported_level == "scalar"


def test_subscale_structure_and_its_limits(clean_study):
    _, study = clean_study
    assert instrument_factors(BOOK, "subscales") == {
        "engagement": ["ic01", "ic02", "ic03"], "respect": ["ic04", "ic05", "ic06"],
        "effectiveness": ["ic07", "ic08", "ic09"]}
    with pytest.raises(ValueError, match="structure='bifactor' is not a valid choice"):
        instrument_factors(BOOK, "bifactor")
    with pytest.raises(KeyError, match="pass students="):
        instrument_invariance(study.survey_responses, BOOK, group="program")
    with pytest.raises(EstimationError, match="no responses to 'intercultural_competence' at wave 7"):
        instrument_invariance(study.survey_responses, BOOK, group="program", students=study.students, wave=7)
