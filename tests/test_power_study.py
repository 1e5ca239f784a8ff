"""Power by simulation from the synthetic study generator, and the generator's effect_scale.

References are the generator's own truth (the effects it is told to build) and exact identities: with
``effect_scale=1`` the files are byte-identical to a call without the argument, at 0 every built-in program
effect is zero, at 2 every effect parameter doubles.  The Monte-Carlo checks use tolerances of 4 standard
errors of the sampled quantity (and a binomial bound for the rejection count).
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analyses.did.design_warnings import DesignWarning
from analyses.power.simulation import SimulatedPower
from analyses.power.study_power import STUDY_ARGUMENTS, study_power
from data_schema.codebook import builtin_codebooks
from data_schema.errors import ArgumentError, ConfigError, EstimationError
from data_schema.synthetic import generate_study
from surveys.scoring import score

TINY = {"n_institutions": 4, "students_per_class": 6, "classes_per_cohort": 1, "n_cohorts": 4}
SMALL = {"n_institutions": 6, "students_per_class": 6, "classes_per_cohort": 1}
INSTRUMENT = "digital_commerce_skills"


def _digests(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _effects(truth: dict) -> dict[str, float]:
    """Every effect parameter of the integrated program recorded in truth.json, flat."""
    a, e = truth["assessments"], truth["employment"]
    out = {f"base_effect.{k}": v for k, v in truth["competencies"]["base_effect"].items()}
    for k, block in truth["competencies"]["instruments"].items():
        out[f"att_latent.{k}"] = block["att_wave2_overall"]["att_latent"]
        for c in block["att_wave2_by_group_cohort"]:
            out[f"att_latent.{k}.{c['adoption_year']}.{c['cohort']}"] = c["att_latent"]
    out["satisfaction"] = truth["programme_satisfaction"]["effect_latent"]
    out["capstone"] = a["capstone_portfolio"]["quality_model"]["integrated"]
    out |= {f"module.{k}": v for k, v in a["module_exam"]["integrated_effect_points"].items()}
    out["internship"] = a["internship"]["integrated"]
    out["hsk"] = a["hsk"]["integrated"]
    out["cbec_certificate"] = a["cbec_certificate"]["integrated"]
    out |= {f"status.{k}": v["integrated"] for k, v in e["status_model"]["coefficients"].items()}
    out |= {f"sector.{k}": v["integrated"] for k, v in e["sector_model"]["coefficients"].items()}
    out["salary"] = e["salary_model"]["integrated"]
    out["employer"] = e["employer_feedback"]["effect_latent"]
    return out


@pytest.fixture(scope="module")
def scaled(tmp_path_factory):
    """The SMALL study (same seed) at effect scales 0, 1 and 2."""
    return {s: generate_study(tmp_path_factory.mktemp(f"scale{s}"), effect_scale=s, **SMALL) for s in (0.0, 1.0, 2.0)}


# --- effect_scale of generate_study ---------------------------------------------------------------------------


@pytest.mark.parametrize("messy", [False, True])
def test_effect_scale_one_writes_the_same_bytes(tmp_path, messy):
    plain = generate_study(tmp_path / "plain", messy=messy, **TINY)
    scaled_one = generate_study(tmp_path / "one", messy=messy, effect_scale=1.0, **TINY)
    a, b = _digests(plain.root), _digests(scaled_one.root)
    assert len(a) == 13 and a == b
    assert "effect_scale" not in scaled_one.truth["design"]["arguments"]


def test_effect_scale_zero_removes_every_effect_from_the_truth(scaled):
    truth = scaled[0.0].truth
    effects = _effects(truth)
    assert len(effects) > 40
    assert all(v == 0.0 for v in effects.values()), {k: v for k, v in effects.items() if v != 0.0}
    for block in truth["competencies"]["instruments"].values():
        assert block["att_wave2_overall"]["att_scale_score"] == 0.0
    assert truth["assessments"]["cbec_certificate"]["att_pass_probability"] == 0.0
    sectors = truth["employment"]["sector_model"]["probabilities_given_working"]
    assert sectors["integrated"] == sectors["traditional"]
    assert truth["design"]["arguments"]["effect_scale"] == 0.0
    assert any(v > 0 for v in _effects(scaled[1.0].truth).values())


def test_effect_scale_two_doubles_every_effect_in_the_truth(scaled):
    one, two = _effects(scaled[1.0].truth), _effects(scaled[2.0].truth)
    assert one.keys() == two.keys()
    for key, value in one.items():
        assert two[key] == pytest.approx(2 * value, rel=1e-12, abs=1e-15), key
    # the scale-score ATT is a nonlinear (Likert) function of the latent effect: larger, not doubled
    for k, block in scaled[2.0].truth["competencies"]["instruments"].items():
        att1 = scaled[1.0].truth["competencies"]["instruments"][k]["att_wave2_overall"]["att_scale_score"]
        assert att1 < block["att_wave2_overall"]["att_scale_score"] < 2 * att1


def test_scales_share_the_random_numbers(scaled):
    """Same seed: the design and every wave-0 answer (no effect yet at entry) are the same at each scale."""
    frames = {s: pd.read_csv(study.survey_responses_path, dtype=str) for s, study in scaled.items()}
    wave0 = {s: f[f["wave"] == "0"].reset_index(drop=True) for s, f in frames.items()}
    pd.testing.assert_frame_equal(wave0[0.0], wave0[2.0])
    assert scaled[0.0].students_path.read_bytes() == scaled[2.0].students_path.read_bytes()
    wave2 = {s: f[f["wave"] == "2"] for s, f in frames.items()}
    assert not wave2[0.0]["response"].equals(wave2[2.0]["response"])


@pytest.mark.parametrize("bad", [-0.1, 5.5, "1", True])
def test_effect_scale_is_checked(tmp_path, bad):
    with pytest.raises(ConfigError, match="effect_scale must be a number from 0 to 5"):
        generate_study(tmp_path, effect_scale=bad, **TINY)


def _gain(study_root: Path) -> pd.DataFrame:
    """Wave-0 to wave-2 gain in the instrument's scale score per student, with the program."""
    book = builtin_codebooks()[INSTRUMENT]
    r = pd.read_csv(study_root / "data" / "survey_responses.csv", dtype={"student_id": str})
    r = r[r["instrument"] == INSTRUMENT].astype({"response": "Int64", "wave": "Int64"})
    wide = score(r, book).scores.pivot(index="student_id", columns="wave", values=INSTRUMENT)
    students = pd.read_csv(study_root / "data" / "students.csv", dtype={"student_id": str})
    gain = (wide[2] - wide[0]).dropna().rename("gain").to_frame()
    return gain.join(students.set_index("student_id")["program"])


@pytest.mark.slow
def test_large_draw_difference_is_zero_at_scale_zero_and_the_truth_at_scale_one(tmp_path):
    """Difference in mean gain, integrated - traditional, on the default design (3,840 students).

    The gain removes the institution, class, cohort and student effects, so students are independent and the
    Welch SE applies; at scale 1 its target is the truth's wave-2 ATT on the scale score (MCAR wave-0 loss).
    """
    out = {}
    for scale in (0.0, 1.0):
        study = generate_study(tmp_path / str(scale), effect_scale=scale)
        g = _gain(study.root)
        a, b = g.loc[g["program"] == "integrated", "gain"], g.loc[g["program"] == "traditional", "gain"]
        se = np.sqrt(a.var() / len(a) + b.var() / len(b))
        target = study.truth["competencies"]["instruments"][INSTRUMENT]["att_wave2_overall"]["att_scale_score"]
        out[scale] = (a.mean() - b.mean(), se, target)
    diff, se, target = out[0.0]
    assert target == 0.0 and abs(diff) < 4 * se, out
    diff, se, target = out[1.0]
    assert target > 10 * se and abs(diff - target) < 4 * se, out


# --- study_power ----------------------------------------------------------------------------------------------


def _gain_test(study, truth) -> SimpleNamespace:
    """Welch t test of the wave-0 to wave-2 gain, integrated vs traditional; target = the truth's ATT."""
    book = study.codebooks[INSTRUMENT]
    rows = study.survey_responses[study.survey_responses["instrument"] == INSTRUMENT]
    wide = score(rows, book).scores.pivot(index="student_id", columns="wave", values=INSTRUMENT)
    gain = (wide[2] - wide[0]).dropna()
    program = study.students.set_index("student_id")["program"].reindex(gain.index)
    a, b = gain[program == "integrated"], gain[program == "traditional"]
    test = stats.ttest_ind(a, b, equal_var=False)
    target = truth["competencies"]["instruments"][INSTRUMENT]["att_wave2_overall"]["att_scale_score"]
    return SimpleNamespace(p_value=test.pvalue, estimate=a.mean() - b.mean(), target=target)


def test_study_power_result_describes_the_design(tmp_path):
    seen = []

    def analyse(study, truth):
        seen.append(truth["design"]["arguments"])
        return SimpleNamespace(p_value=0.5, estimate=float(len(study.students)), target=90.0)

    out = study_power(analyse, effect_scales=[0.0, 1.5], n_sims=2, seed=4, workdir=tmp_path, **TINY)
    assert isinstance(out, SimulatedPower)
    assert out.effect_sizes == (0.0, 1.5) and out.power == (0.0, 0.0) and out.n_valid == (2, 2)
    assert out.n_obs == 96 and out.n_clusters == 4
    assert out.mean_estimate == (96.0, 96.0) and out.bias == (6.0, 6.0)
    assumptions = dict(out.assumptions)
    assert assumptions["n_institutions"] == 4 and assumptions["first_cohort"] == 2016
    assert assumptions["differential_attrition"] == 0.0 and "seed" not in assumptions
    assert "generate_study(n_institutions=4, students_per_class=6" in out.method and "analyse" in out.method
    # common random numbers: study j has the same seed at every scale, recorded in its folder name
    seeds = [a["seed"] for a in seen]
    assert seeds[:2] == seeds[2:] and seeds[0] != seeds[1]
    assert [a.get("effect_scale", 1.0) for a in seen] == [0.0, 0.0, 1.5, 1.5]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"scale_{s:g}_seed_{k}" for s in (0, 1.5)
                                                               for k in seeds[:2])
    assert out.tidy()["term"].tolist() == ["power at effect 0", "power at effect 1.5"]


def test_study_power_removes_its_temporary_studies(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    folders = []

    def analyse(study, truth):
        folders.append(study.config.root)
        assert study.config.root.is_dir()
        if len(folders) == 3:
            raise EstimationError("no integrated students")
        return SimpleNamespace(p_value=0.01, estimate=1.0)

    with pytest.warns(DesignWarning, match="1 warnings or failures in 3 simulated analyses"):
        out = study_power(analyse, effect_scales=[1.0], n_sims=3, **TINY)
    assert out.power == (1.0,) and out.n_valid == (2,) and out.n_failed == (1,) and np.isnan(out.bias[0])
    assert out.notes == ("analysis failed: no integrated students (1 of 3 simulations)",)
    assert len(folders) == 3 and list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_study_power_holds_alpha_at_scale_zero_and_gains_power_with_the_effect():
    """A valid test rejects at about alpha under the null study and far more often at 2.5 x the effects.

    20 studies a scale: the rejection count at scale 0 must lie in the central 99.8% of Binomial(20, 0.1);
    the p-values at scale 0 must pass a Kolmogorov-Smirnov test of uniformity at 0.001.
    """
    out = study_power(_gain_test, effect_scales=[0.0, 2.5], n_sims=20, seed=7, alpha=0.1, **TINY)
    low, high = stats.binom.ppf([0.001, 0.999], 20, 0.1)
    assert low <= round(out.power[0] * 20) <= high, out.summary()
    assert stats.kstest(out.p_values[0], "uniform").pvalue > 0.001
    assert out.power[1] >= 0.8 and out.power[1] > out.power[0] + 0.5, out.summary()
    assert out.n_failed == (0, 0)
    # the mean gain difference tracks the truth: bias within 4 Monte-Carlo SEs of zero at both scales
    for i in range(2):
        assert abs(out.bias[i]) < 4 * out.sd_estimate[i] / np.sqrt(20), out.summary()


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"n_students": 10}, r"unknown study argument\(s\) 'n_students'; it passes these on to generate_study: messy"),
    ({"effect_scale": 1.0}, r"unknown study argument\(s\) 'effect_scale'.*effect_scales="),
    ({"out_dir": "x"}, r"unknown study argument\(s\) 'out_dir'.*workdir="),
])
def test_study_power_rejects_unknown_study_arguments(kwargs, match):
    with pytest.raises(ArgumentError, match=match):
        study_power(_gain_test, effect_scales=[0.0], n_sims=2, **kwargs)


@pytest.mark.parametrize(("scales", "match"), [([], "non-empty sequence of numbers from 0 to 5"),
                                                ([0.0, 6.0], r"effect_scales=\[0.0, 6.0\] must be"),
                                                ([float("nan")], "must be a non-empty"),
                                                (["a"], "must be a non-empty")])
def test_study_power_checks_the_effect_scales(scales, match):
    with pytest.raises(ArgumentError, match=match):
        study_power(_gain_test, effect_scales=scales, n_sims=2, **TINY)


def test_study_power_checks_the_rest_before_drawing(tmp_path):
    with pytest.raises(ArgumentError, match="analyse must be a function analyse"):
        study_power("t test", effect_scales=[0.0], **TINY)
    with pytest.raises(ArgumentError, match="n_sims=1 must be a whole number of at least 2"):
        study_power(_gain_test, effect_scales=[0.0], n_sims=1, workdir=tmp_path, **TINY)
    with pytest.raises(ConfigError, match="n_institutions must be an integer from 4 to 60, got 2"):
        study_power(_gain_test, effect_scales=[0.0], n_sims=2, workdir=tmp_path, n_institutions=2)
    assert set(STUDY_ARGUMENTS) >= {"n_institutions", "messy", "baseline_gap"} and "seed" not in STUDY_ARGUMENTS
