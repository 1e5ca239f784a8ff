"""Tests of outcomes.assessment: standardised scores, composites, rater effects and portfolio scores.

References used:

* hand computation (small examples, exact to 1e-12);
* ``scipy.stats.zscore(..., ddof=1)`` per group (exact to 1e-12);
* statsmodels ``OLS`` with explicit target and role (or rater) dummies, ``cov_type="cluster"``
  with ``use_t=True`` (CR1, t with G-1 df) or the classical covariance, and ``t_test`` for the
  contrasts.  Both sides are exact linear algebra (sparse normal equations vs statsmodels' pinv),
  so they agree to rounding error; the tolerance is 1e-8;
* the synthetic study's truth (``syn.truth["assessments"]["capstone_portfolio"]``) and small
  simulations with known offsets, checked against the sampling error.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from data_schema.errors import ArgumentError, ColumnError, EstimationError, EstimationWarning
from outcomes.assessment import (
    RaterEffects,
    adjusted_scores,
    assessment_composite,
    portfolio_score,
    rater_effects,
    standardised_scores,
)

EXACT = 1e-12
LINALG = 1e-8
LENIENCY = {"teacher": 0.0, "enterprise_mentor": -3.0, "peer": 4.0, "self": 8.0}


# ---------------------------------------------------------------- small data builders


def _students(ids, cohorts, institutions=None) -> pd.DataFrame:
    frame = pd.DataFrame({"student_id": ids, "cohort": pd.array(cohorts, dtype="Int64")})
    if institutions is not None:
        frame["institution_id"] = institutions
    return frame


def _ratings(rows) -> pd.DataFrame:
    """Rows of (student, assessment, component, rater_id, role, score, max_score)."""
    cols = ["student_id", "assessment", "component", "rater_id", "rater_role", "score", "max_score"]
    frame = pd.DataFrame(rows, columns=cols)
    return frame.astype({"component": "string", "rater_id": "string", "score": float, "max_score": float})


def _simulate(seed, n_students, *, components=("C1",), p_role=None, severity_sd=0.0, n_teachers=4, n_mentors=3,
              teachers_per_student=1, noise=3.0, rounded=True):
    """Capstone-like ratings with known role offsets (LENIENCY) and rater severities; also returns the truth."""
    rng = np.random.default_rng(seed)
    p_role = p_role or {"teacher": 1.0, "enterprise_mentor": 0.7, "peer": 0.8, "self": 0.5}
    severity = {f"T{k}": rng.normal(0, severity_sd) for k in range(n_teachers)}
    severity |= {f"M{k}": rng.normal(0, severity_sd) for k in range(n_mentors)}
    quality, rows = {}, []
    for i in range(n_students):
        sid = f"s{i:03d}"
        for comp in components:
            q = rng.normal(70, 6)
            quality[(sid, comp)] = q
            raters = [("teacher", f"T{k}") for k in rng.choice(n_teachers, teachers_per_student, replace=False)]
            raters += [("enterprise_mentor", f"M{rng.integers(n_mentors)}")] if rng.random() < p_role[
                "enterprise_mentor"] else []
            raters += [("peer", f"P{rng.integers(40)}") for _ in range(rng.integers(1, 3))] if rng.random() < p_role[
                "peer"] else []
            raters += [("self", None)] if rng.random() < p_role["self"] else []
            for role, rid in raters:
                x = q + LENIENCY[role] + severity.get(rid or "", 0.0) + rng.normal(0, noise)
                rows.append((sid, "capstone_portfolio", comp, rid, role, round(x, 1) if rounded else x, 100.0))
    return _ratings(rows), quality, severity


def _dummies(codes: np.ndarray, drop: int) -> np.ndarray:
    full = np.eye(int(codes.max()) + 1)[codes]
    return np.delete(full, drop, axis=1)


def _statsmodels_fit(frame, unit, fixed, cluster):
    """OLS of the percent score on an intercept, target dummies and unit dummies (``fixed`` left out)."""
    target = frame.groupby(["student_id", "component"], dropna=False, sort=False).ngroup().to_numpy()
    codes, names = pd.factorize(unit)
    x = np.column_stack([np.ones(len(frame)), _dummies(target, 0), _dummies(codes, list(names).index(fixed))])
    model = sm.OLS(100 * frame["score"].to_numpy() / frame["max_score"].to_numpy(), x)
    if cluster == "student":
        fit = model.fit(cov_type="cluster", cov_kwds={"groups": pd.factorize(frame["student_id"])[0]}, use_t=True)
    else:
        fit = model.fit()
    keep = [n for n in names if n != fixed]
    return fit, x.shape[1] - len(keep), keep


# ---------------------------------------------------------------- standardised scores


def test_z_scores_hand_computed_and_raters_averaged_first():
    # module exam, component M1, cohort 2021: a = mean(70, 90) = 80, b = 60, c = 100.
    # Hand: mean 80, sample SD sqrt((0 + 400 + 400) / 2) = 20 -> z = 0, -1, 1.
    ratings = _ratings([
        ("a", "module_exam", "M1", "T1", "teacher", 70, 100), ("a", "module_exam", "M1", "T2", "teacher", 90, 100),
        ("b", "module_exam", "M1", "T1", "teacher", 60, 100), ("c", "module_exam", "M1", "T1", "teacher", 100, 100),
    ])
    out = standardised_scores(ratings, _students(["a", "b", "c"], [2021] * 3))
    assert out["student_id"].tolist() == ["a", "b", "c"]
    assert out["n_ratings"].tolist() == [2, 1, 1]
    assert out["score"].tolist() == [80.0, 60.0, 100.0]
    np.testing.assert_allclose(out["group_sd"], 20.0, atol=EXACT)
    np.testing.assert_allclose(out["z"], [0.0, -1.0, 1.0], atol=EXACT)
    assert out["standardised"].equals(out["z"])
    assert list(out.columns) == ["student_id", "assessment", "component", "cohort", "n_ratings", "score",
                                 "max_score", "percent", "group_n", "group_mean", "group_sd", "z", "standardised"]


def _mixed_scores():
    rng = np.random.default_rng(3)
    rows = []
    ids = [f"s{i}" for i in range(12)]
    for i, sid in enumerate(ids):
        for comp in ("CHN101", "ECO101"):
            rows.append((sid, "module_exam", comp, "T1", "teacher", float(rng.integers(40, 100)), 100))
        rows.append((sid, "hsk", None, None, "external_exam", float(rng.integers(100, 300)), 300))
        if i % 3:
            rows.append((sid, "internship", None, "M1", "enterprise_mentor", float(rng.integers(50, 100)), 100))
            rows.append((sid, "internship", None, "M2", "enterprise_mentor", float(rng.integers(50, 100)), 100))
    students = _students(ids, [2020] * 6 + [2021] * 6, ["I1", "I2"] * 6)
    return _ratings(rows), students


def test_z_scores_equal_scipy_zscore_per_group():
    ratings, students = _mixed_scores()
    out = standardised_scores(ratings, students)
    averaged = ratings.assign(p=100 * ratings["score"] / ratings["max_score"]).groupby(
        ["student_id", "assessment", "component"], dropna=False)["p"].mean().reset_index()
    averaged = averaged.merge(students, on="student_id")
    for _, group in averaged.groupby(["assessment", "component", "cohort"], dropna=False):
        expected = stats.zscore(group["p"].to_numpy(), ddof=1)  # reference: scipy.stats.zscore(ddof=1)
        got = out.set_index(["student_id", "assessment", "component"]).loc[
            list(zip(group["student_id"], group["assessment"], group["component"], strict=True)), "z"]
        np.testing.assert_allclose(got.to_numpy(), expected, atol=EXACT)
    assert len(out) == len(averaged)


def test_within_other_student_columns():
    ratings, students = _mixed_scores()
    out = standardised_scores(ratings, students, within=("assessment", "component", "institution_id"))
    hsk = out[(out["assessment"] == "hsk") & (out["institution_id"] == "I1")]
    p = 100 * ratings.loc[ratings["assessment"] == "hsk"].set_index("student_id")["score"] / 300
    np.testing.assert_allclose(hsk["z"], stats.zscore(p.loc[hsk["student_id"]].to_numpy(), ddof=1), atol=EXACT)


def test_percent_method_needs_no_groups_and_does_not_warn():
    ratings = _ratings([("a", "hsk", None, None, "external_exam", 150, 300)])
    out = standardised_scores(ratings, _students(["a"], [2020]), method="percent")
    assert out["standardised"].tolist() == [50.0]  # hand: 100 * 150 / 300
    assert math.isnan(out["z"].iloc[0])


def test_degenerate_groups_give_nan_and_warn_naming_them():
    ratings = _ratings([
        ("a", "hsk", None, None, "external_exam", 150, 300),
        ("b", "cbec_certificate", None, None, "external_exam", 70, 100),
        ("c", "cbec_certificate", None, None, "external_exam", 70, 100),
        ("d", "cbec_certificate", None, None, "external_exam", 80, 100),
    ])
    students = _students(["a", "b", "c", "d"], [2020, 2021, 2021, 2022])
    named = r"3 group\(s\).*assessment='hsk'.*\(n=1\).*cohort=2021 \(n=2, no spread\)"
    with pytest.warns(EstimationWarning, match=named) as record:
        out = standardised_scores(ratings, students)
    assert record[0].filename == __file__
    assert out["z"].isna().all()


def test_students_missing_from_students_table_warn():
    ratings = _ratings([("a", "hsk", None, None, "external_exam", 150, 300),
                        ("x", "hsk", None, None, "external_exam", 180, 300)])
    with pytest.warns(EstimationWarning, match="1 scores belong to students missing"):
        out = standardised_scores(ratings, _students(["a"], [2020]), method="percent")
    assert out["cohort"].isna().tolist() == [False, True]


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"method": "t"}, ArgumentError, "method='t' is not a valid choice"),
        ({"within": ("cohort",)}, ArgumentError, "must include 'assessment'"),
        ({"within": ("assessment", "rater_role")}, ArgumentError, "names 'rater_role'"),
        ({"score": "points"}, ColumnError, "assessments has no column 'points'"),
        ({"cohort": "entry_year"}, ColumnError, "students has no column 'entry_year'"),
    ],
)
def test_standardised_scores_argument_errors(kwargs, error, match):
    ratings, students = _mixed_scores()
    with pytest.raises(error, match=match):
        standardised_scores(ratings, students, **kwargs)


def test_standardised_scores_rejects_repeated_students():
    ratings, students = _mixed_scores()
    with pytest.raises(ArgumentError, match="1 repeated 'student_id'"):
        standardised_scores(ratings, pd.concat([students, students.iloc[:1]]))


def test_synthetic_z_scores_equal_scipy_zscore(clean_study):
    _, study = clean_study
    out = standardised_scores(study.assessments, study.students)
    assert len(out) == len(study.assessments.drop_duplicates(["student_id", "assessment", "component"]))
    for key, group in out.groupby(["assessment", "component", "cohort"], dropna=False):
        expected = stats.zscore(group["percent"].to_numpy(), ddof=1)  # reference: scipy.stats.zscore(ddof=1)
        np.testing.assert_allclose(group["z"].to_numpy(), expected, atol=EXACT, err_msg=str(key))
    composite = assessment_composite(out)
    assert composite["n_assessments"].between(1, 5).all() and composite["composite"].notna().all()


# ---------------------------------------------------------------- composites


def test_composite_averages_components_first_and_weights():
    scores = pd.DataFrame({
        "student_id": ["a"] * 5 + ["b", "b", "c"],
        "assessment": ["module_exam"] * 4 + ["hsk", "module_exam", "internship", "hsk"],
        "standardised": [1.0, 1.0, 1.0, 1.0, -1.0, 0.5, 1.5, float("nan")],
    })
    out = assessment_composite(scores).set_index("student_id")
    # hand: a = (mean(1, 1, 1, 1) + (-1)) / 2 = 0 (not the row mean 0.6); b = (0.5 + 1.5) / 2 = 1.
    assert out.loc["a", "composite"] == pytest.approx(0.0, abs=EXACT)
    assert out.loc["b", "composite"] == pytest.approx(1.0, abs=EXACT)
    assert math.isnan(out.loc["c", "composite"]) and out.loc["c", "n_assessments"] == 0
    assert out.loc["a", "assessments"] == "hsk, module_exam"
    weighted = assessment_composite(scores, weights={"module_exam": 3, "hsk": 1, "internship": 0}).set_index(
        "student_id")
    # hand: a = (3 * 1 + 1 * (-1)) / 4 = 0.5; b = module_exam only (internship weight 0) = 0.5.
    assert weighted.loc["a", "composite"] == pytest.approx(0.5, abs=EXACT)
    assert weighted.loc["b", "composite"] == pytest.approx(0.5, abs=EXACT)
    assert weighted.loc["b", "n_assessments"] == 1 and weighted.loc["b", "weight_sum"] == 3.0
    strict = assessment_composite(scores, min_assessments=2).set_index("student_id")
    assert strict["composite"].notna().tolist() == [True, True, False]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"weights": {"module_exam": 1}}, "no weight for assessment"),
        ({"weights": {"module_exam": -1, "hsk": 1}}, "finite and >= 0"),
        ({"weights": {"module_exam": 0, "hsk": 0}}, "every assessment in scores has weight 0"),
        ({"min_assessments": 0}, "min_assessments=0"),
    ],
)
def test_composite_argument_errors(kwargs, match):
    scores = pd.DataFrame({"student_id": ["a", "a"], "assessment": ["module_exam", "hsk"], "standardised": [1.0, 0]})
    with pytest.raises(ArgumentError, match=match):
        assessment_composite(scores, **kwargs)


def test_composite_missing_column():
    with pytest.raises(ColumnError, match="scores has no column 'standardised'"):
        assessment_composite(pd.DataFrame({"student_id": ["a"], "assessment": ["hsk"]}))


# ---------------------------------------------------------------- rater effects vs statsmodels


@pytest.mark.parametrize("cluster", ["student", "none"])
@pytest.mark.parametrize("components", [("C1",), ("C1", "C2", "C3")])
def test_role_offsets_equal_statsmodels_ols_with_dummies(cluster, components):
    ratings, _, _ = _simulate(11, 40, components=components)
    fit = rater_effects(ratings, cluster=cluster)
    ref, k_before, names = _statsmodels_fit(ratings, ratings["rater_role"], "teacher", cluster)
    roles = fit.roles.set_index("rater_role").loc[names]
    sl = slice(k_before, None)
    np.testing.assert_allclose(roles["estimate"], ref.params[sl], rtol=0, atol=LINALG)
    np.testing.assert_allclose(roles["std_error"], ref.bse[sl], rtol=0, atol=LINALG)
    np.testing.assert_allclose(roles["statistic"], ref.tvalues[sl], rtol=0, atol=1e-6)
    np.testing.assert_allclose(roles["p_value"], ref.pvalues[sl], rtol=0, atol=LINALG)
    np.testing.assert_allclose(roles[["ci_low", "ci_high"]], ref.conf_int()[sl], rtol=0, atol=LINALG)
    df = ref.df_resid_inference if cluster == "student" else ref.df_resid
    assert (roles["df"] == df).all()
    assert fit.n_params == ref.model.exog.shape[1] and fit.df_resid == ref.df_resid
    assert fit.residual_sd == pytest.approx(math.sqrt(ref.scale), abs=LINALG)


@pytest.mark.parametrize("cluster", ["student", "none"])
def test_rater_effects_equal_statsmodels_ols_with_rater_dummies(cluster):
    ratings, _, _ = _simulate(5, 30, components=("C1", "C2"), severity_sd=2.0, n_teachers=5, n_mentors=4,
                              p_role={"teacher": 1.0, "enterprise_mentor": 0.8, "peer": 0.0, "self": 0.6})
    fit = rater_effects(ratings, method="rater", cluster=cluster)
    units = ratings["rater_role"] + ":" + ratings["rater_id"].fillna("(no id)")
    ref, k_before, names = _statsmodels_fit(ratings, units, "teacher:T0", cluster)
    every = ["teacher:T0", *names]
    role_of = pd.Series([n.split(":")[0] for n in every], index=every)
    teachers = (role_of == "teacher").to_numpy() / (role_of == "teacher").sum()

    def t_test(c_full):  # statsmodels t_test of the contrast c on the rater dummies (T0 fixed at 0)
        r = np.zeros((1, ref.params.size))
        r[0, k_before:] = c_full[1:]
        return ref.t_test(r)

    for _, row in fit.raters.iterrows():
        name = f"{row['rater_role']}:{row['rater_id'] if pd.notna(row['rater_id']) else '(no id)'}"
        expected = t_test((np.array(every) == name).astype(float) - teachers)
        assert row["estimate"] == pytest.approx(float(expected.effect[0]), abs=LINALG)
        assert row["std_error"] == pytest.approx(float(expected.sd[0, 0]), abs=LINALG)
        assert [row["ci_low"], row["ci_high"]] == pytest.approx(list(expected.conf_int()[0]), abs=LINALG)
    for _, row in fit.roles.iloc[1:].iterrows():
        mine = (role_of == row["rater_role"]).to_numpy()
        expected = t_test(mine / mine.sum() - teachers)
        assert row["estimate"] == pytest.approx(float(expected.effect[0]), abs=LINALG)
        assert row["std_error"] == pytest.approx(float(expected.sd[0, 0]), abs=LINALG)
        assert row["p_value"] == pytest.approx(float(expected.pvalue), abs=LINALG)
    assert fit.n_params == ref.model.exog.shape[1]
    assert fit.raters.loc[fit.raters["rater_role"] == "self", "rater_id"].isna().all()  # one pseudo-rater
    assert (fit.raters["rater_role"] == "self").sum() == 1


def test_rater_severities_recover_simulated_truth():
    # 20 teachers and 10 mentors with severities ~ N(0, 2^2), each teacher rating about 60 students:
    # the estimates (relative to the mean teacher) should track the truth closely (SE about 0.4 << 2).
    ratings, _, severity = _simulate(8, 600, severity_sd=2.0, n_teachers=20, n_mentors=10, teachers_per_student=2,
                                     p_role={"teacher": 1.0, "enterprise_mentor": 1.0, "peer": 0.0, "self": 0.5},
                                     rounded=False)
    fit = rater_effects(ratings, method="rater")
    named = fit.raters.dropna(subset=["rater_id"]).set_index("rater_id")
    truth = pd.Series(severity)
    truth = truth - truth[[k for k in truth.index if k.startswith("T")]].mean()
    mentors = [k for k in truth.index if k.startswith("M")]
    truth[mentors] += LENIENCY["enterprise_mentor"]
    assert np.corrcoef(named.loc[truth.index, "estimate"], truth)[0, 1] > 0.95
    z = (named.loc[truth.index, "estimate"] - truth) / named.loc[truth.index, "std_error"]
    assert float((z.abs() < 1.96).mean()) >= 0.8  # coverage of 30 intervals, loosely


# ---------------------------------------------------------------- rater effects on the synthetic study


@pytest.fixture(scope="module")
def capstone(clean_study):
    syn, study = clean_study
    return study.assessments, syn.truth["assessments"]["capstone_portfolio"]


@pytest.mark.parametrize("method", ["role", "rater"])
def test_synthetic_leniency_offsets_within_their_intervals(capstone, method):
    assessments, truth = capstone
    fit = rater_effects(assessments, method=method)
    roles = fit.roles.set_index("rater_role")
    assert roles.loc["teacher", "estimate"] == 0.0 and truth["leniency_offsets"]["teacher"] == 0.0
    for role in ("enterprise_mentor", "peer", "self"):
        true = truth["leniency_offsets"][role]  # reference: data_schema.synthetic LENIENCY, teacher = 0
        assert roles.loc[role, "ci_low"] <= true <= roles.loc[role, "ci_high"], (role, roles.loc[role].to_dict())
    assert fit.n_obs == int((assessments["assessment"] == "capstone_portfolio").sum())


def test_synthetic_rounding_and_clipping_are_negligible(capstone):
    # Scores are round()ed (mean error 0 for a smooth score density with SD >= 3) and clipped to 0-100.
    # Only ratings far in a tail are clipped: at 0 none, at 100 a handful of self ratings.  Under a normal
    # fit of a role's ratings the expected loss per rating is sigma * (phi(z) - z * (1 - Phi(z))), z the
    # standardised bound; its effect on the offset is far below the standard error.
    assessments, _ = capstone
    rows = assessments[assessments["assessment"] == "capstone_portfolio"]
    assert ((rows["score"] <= 0) | (rows["score"] >= 100)).mean() < 1e-3
    fit = rater_effects(assessments)
    for role, score in rows.groupby("rater_role")["score"]:
        z = (100.5 - score.mean()) / score.std()
        loss = score.std() * (stats.norm.pdf(z) - z * stats.norm.sf(z))
        assert loss < 0.05 * fit.roles["std_error"].min(), (role, loss)


def test_synthetic_portfolio_scores(capstone):
    assessments, _ = capstone
    out = portfolio_score(assessments)
    assert len(out) == assessments.loc[assessments["assessment"] == "capstone_portfolio", "student_id"].nunique()
    assert (out["roles"] == "enterprise_mentor, peer, self, teacher").all()
    # complete design, equal role weights: the adjustment is the mean offset of the four roles
    fit = rater_effects(assessments)
    shift = fit.roles["estimate"].mean()
    np.testing.assert_allclose(out["unadjusted_score"] - out["portfolio_score"], shift, atol=LINALG)


# ---------------------------------------------------------------- unbalanced designs: why adjustment matters


def test_unbalanced_design_raw_mean_biased_adjusted_mean_not():
    # Every student has a teacher, mentor and peer rating; a random half also rates themselves (+8).
    # Expected bias of the raw mean vs quality (teacher scale): with self (0 - 3 + 4 + 8) / 4 = 2.25,
    # without (0 - 3 + 4) / 3 = 0.333, a gap of 23/12 = 1.917 for students of the same quality.
    ratings, quality, _ = _simulate(21, 800, p_role={"teacher": 1, "enterprise_mentor": 1, "peer": 1, "self": 0.5},
                                    rounded=False)
    ratings = ratings.groupby(["student_id", "rater_role"], sort=False).head(1)  # one peer each
    out = portfolio_score(ratings).set_index("student_id")
    q = pd.Series({sid: v for (sid, _), v in quality.items()})
    has_self = out["roles"].str.contains("self")
    raw_bias = (out["unadjusted_score"] - q[out.index]).groupby(has_self).mean()
    adj_bias = (out["portfolio_score"] - q[out.index]).groupby(has_self).mean()
    # sampling SE of a group's mean bias is about 0.1 (noise SD 3 over 3-4 ratings, 400 students, plus the offsets)
    assert raw_bias[True] - raw_bias[False] == pytest.approx(23 / 12, abs=0.4)
    assert abs(adj_bias[True]) < 0.4 and abs(adj_bias[False]) < 0.4
    assert abs(adj_bias[True] - adj_bias[False]) < 0.4


# ---------------------------------------------------------------- adjusted scores and portfolio details


def test_adjusted_scores_subtract_the_offset():
    ratings, _, _ = _simulate(2, 30)
    fit = rater_effects(ratings)
    out = adjusted_scores(ratings, fit)
    offset = ratings["rater_role"].map(fit.roles.set_index("rater_role")["estimate"])
    np.testing.assert_allclose(out["adjusted_score"], ratings["score"] - offset, atol=EXACT)
    assert out.index.equals(ratings.index)


def test_adjusted_scores_warn_for_raters_without_an_effect():
    ratings, _, _ = _simulate(2, 30, p_role={"teacher": 1.0, "enterprise_mentor": 1.0, "peer": 0.0, "self": 0.0})
    fit = rater_effects(ratings, method="rater")
    extra = _ratings([("s000", "capstone_portfolio", "C1", "M99", "enterprise_mentor", 60, 100)])
    with pytest.warns(EstimationWarning, match="1 ratings .* have no estimated rater offset"):
        out = adjusted_scores(pd.concat([ratings, extra], ignore_index=True), fit)
    assert out["adjusted_score"].isna().sum() == 1


def test_portfolio_role_weights_and_components_hand_computed():
    # Student a, competencies C1 and C2, teacher and mentor; the mentor offset (teacher reference) is
    # mean(60 - 80, 90 - 90) = -10.  Weights 3:1: C1 = (3 * 80 + (60 + 10)) / 4 = 77.5, C2 = (3 * 90 + 100) / 4
    # = 92.5, portfolio = 85; raw C1 = 75, C2 = 90 -> 82.5.
    ratings = _ratings([("a", "capstone_portfolio", "C1", "T1", "teacher", 8, 10),
                        ("a", "capstone_portfolio", "C1", "M1", "enterprise_mentor", 6, 10),
                        ("a", "capstone_portfolio", "C2", "T1", "teacher", 9, 10),
                        ("a", "capstone_portfolio", "C2", "M1", "enterprise_mentor", 9, 10)])
    fit = rater_effects(ratings, cluster="none")
    out = portfolio_score(ratings, effects=fit, role_weights={"teacher": 3, "enterprise_mentor": 1})
    assert out.loc[0, "portfolio_score"] == pytest.approx(85.0, abs=EXACT)
    assert out.loc[0, "unadjusted_score"] == pytest.approx(82.5, abs=EXACT)
    assert (out.loc[0, "n_components"], out.loc[0, "n_ratings"]) == (2, 4)
    only_teacher = portfolio_score(ratings, effects=fit, role_weights={"teacher": 1, "enterprise_mentor": 0})
    assert only_teacher.loc[0, "portfolio_score"] == pytest.approx(85.0, abs=EXACT)  # (80 + 90) / 2
    assert only_teacher.loc[0, "roles"] == "teacher"


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"role_weights": {"teacher": 1}}, "no weight for role"),
        ({"role_weights": {"teacher": 1, "self": -2}}, "finite and >= 0"),
        ({"role_weights": {"teacher": 0, "self": 0}}, "every role has weight 0"),
        ({"method": "rater"}, "fitted with method='role' but method='rater'"),
        ({"assessment": "internship"}, "fitted on 'capstone_portfolio', not assessment='internship'"),
        ({"score": "points"}, "other column names"),
    ],
)
def test_portfolio_argument_errors(kwargs, match):
    ratings = _ratings([("a", "capstone_portfolio", None, "T1", "teacher", 7, 10),
                        ("a", "capstone_portfolio", None, None, "self", 9, 10),
                        ("b", "capstone_portfolio", None, "T1", "teacher", 6, 10),
                        ("b", "capstone_portfolio", None, None, "self", 7, 10)])
    fit = rater_effects(ratings)
    with pytest.raises(ArgumentError, match=match):
        portfolio_score(ratings, effects=fit, **kwargs)


# ---------------------------------------------------------------- errors and identification


def _two_roles():
    return _ratings([("a", "capstone_portfolio", None, "T1", "teacher", 70, 100),
                     ("a", "capstone_portfolio", None, None, "self", 80, 100),
                     ("b", "capstone_portfolio", None, "T1", "teacher", 60, 100),
                     ("b", "capstone_portfolio", None, None, "self", 66, 100),
                     ("c", "capstone_portfolio", None, "P1", "peer", 75, 100),
                     ("c", "capstone_portfolio", None, "P2", "peer", 77, 100)])


def test_role_never_co_rated_with_the_reference_is_not_identified():
    with pytest.raises(EstimationError, match="role\\(s\\) 'peer' is not identified"):
        rater_effects(_two_roles())
    with pytest.raises(EstimationError, match="role\\(s\\) 'peer' is not identified"):
        rater_effects(_two_roles(), method="rater")


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"reference": "principal"}, ArgumentError, "reference='principal' is not a role that rated"),
        ({"method": "mfrm"}, ArgumentError, "method='mfrm' is not a valid choice"),
        ({"cluster": "rater"}, ArgumentError, "cluster='rater' is not a valid choice"),
        ({"ci_level": 95}, ArgumentError, "ci_level=95 must be a number strictly between 0 and 1"),
        ({"assessment": "internship"}, EstimationError, "no ratings of assessment 'internship'"),
        ({"method": "rater", "rater": None}, ArgumentError, "method='rater' needs the rater id column"),
        ({"student": "learner"}, ColumnError, "assessments has no column 'learner'"),
    ],
)
def test_rater_effects_argument_errors(kwargs, error, match):
    ratings = _two_roles().iloc[:4]
    with pytest.raises(error, match=match):
        rater_effects(ratings, **kwargs)


def test_missing_component_column_is_a_column_error_unless_none():
    ratings = _two_roles().iloc[:4].drop(columns="component")
    with pytest.raises(ColumnError, match="no column 'component'"):
        rater_effects(ratings)
    assert rater_effects(ratings, component=None).offset("self") == pytest.approx(8.0, abs=EXACT)  # mean(10, 6)


def test_missing_standard_errors_are_explained():
    ratings = _ratings([("a", "capstone_portfolio", "C1", "T1", "teacher", 70, 100),
                        ("a", "capstone_portfolio", "C1", None, "self", 80, 100),
                        ("a", "capstone_portfolio", "C2", "T1", "teacher", 60, 100),
                        ("a", "capstone_portfolio", "C2", None, "self", 66, 100)])
    with pytest.warns(EstimationWarning, match="a single student cluster") as record:
        fit = rater_effects(ratings)
    assert record[0].filename == __file__  # stacklevel points at the caller
    assert fit.offset("self") == pytest.approx(8.0, abs=EXACT) and math.isnan(fit.roles.loc[1, "ci_low"])


def test_only_the_reference_role_is_an_estimation_error():
    ratings = _two_roles().iloc[[0, 2]]
    with pytest.raises(EstimationError, match="only the reference role 'teacher'"):
        rater_effects(ratings)


def test_raters_outside_the_connected_set_are_dropped_with_a_warning():
    # institution 2's teacher T9 and mentor M9 share no student with institution 1, and nobody rates themselves
    rows = [(s, "capstone_portfolio", None, "T1", "teacher", 70 + k, 100) for k, s in enumerate("abc")]
    mentor = (("a", 66), ("b", 69), ("c", 67))
    rows += [(s, "capstone_portfolio", None, "M1", "enterprise_mentor", v, 100) for s, v in mentor]
    rows += [(s, "capstone_portfolio", None, "T2", "teacher", 71 + k, 100) for k, s in enumerate("ab")]
    rows += [(s, "capstone_portfolio", None, "T9", "teacher", 50, 100) for s in "xy"]
    rows += [(s, "capstone_portfolio", None, "M9", "enterprise_mentor", 49, 100) for s in "xy"]
    with pytest.warns(EstimationWarning, match="4 ratings by 2 raters lie outside the connected set") as record:
        fit = rater_effects(_ratings(rows), method="rater", cluster="none")
    assert len(record) == 1 and record[0].filename == __file__
    assert fit.n_dropped == 4 and set(fit.raters["rater_id"]) == {"T1", "T2", "M1"}


# ---------------------------------------------------------------- result object


def test_result_tidy_to_dict_summary():
    ratings, _, _ = _simulate(4, 20, severity_sd=1.0)
    fit = rater_effects(ratings, method="rater")
    assert isinstance(fit, RaterEffects)
    tidy = fit.tidy()
    assert list(tidy.columns[:9]) == ["term", "estimate", "std_error", "statistic", "df", "p_value", "ci_low",
                                      "ci_high", "ci_level"]
    assert {"n_obs", "n_clusters", "method", "effect"} <= set(tidy.columns)
    assert len(tidy) == len(fit.roles) + len(fit.raters)
    assert tidy["term"].iloc[0] == "teacher" and "self:(no id)" in set(tidy["term"])
    text = json.dumps(fit.to_dict(), allow_nan=False)
    assert json.loads(text)["roles"][0]["std_error"] is None
    assert "reference='teacher'" in fit.summary()
    with pytest.raises(ArgumentError, match="role='principal' was not estimated"):
        fit.offset("principal")
    role_fit = rater_effects(ratings)
    assert role_fit.raters.empty and list(role_fit.tidy()["effect"].unique()) == ["role"]
