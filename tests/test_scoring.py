"""Scale scores: reverse coding, mean and prorated-sum scoring, the minimum-answered rule, bad responses."""

import numpy as np
import pandas as pd
import pytest

from data_schema.codebook import Codebook, builtin_codebooks
from data_schema.errors import EstimationError
from surveys.items import item_matrix
from surveys.scoring import score

BOOK = builtin_codebooks()["intercultural_competence"]  # 9 items, 3 subscales of 3, reverse: ic02 ic05 ic08


def _long(answers: dict[str, list], wave: int = 0) -> pd.DataFrame:
    rows = [{"student_id": sid, "instrument": BOOK.id, "wave": wave, "item": item, "response": value}
            for sid, values in answers.items() for item, value in zip(BOOK.item_ids, values, strict=True)]
    return pd.DataFrame(rows).astype({"response": "Int64"})


def test_reverse_coding_and_subscales_by_hand():
    # ic02, ic05, ic08 are reverse-coded: a recorded 1 scores 5.
    long = _long({"s1": [5, 1, 5, 4, 2, 4, 3, 3, 3]})
    row = score(long, BOOK).scores.iloc[0]
    assert row["intercultural_competence__engagement"] == pytest.approx(5.0)
    assert row["intercultural_competence__respect"] == pytest.approx(4.0)
    assert row["intercultural_competence__effectiveness"] == pytest.approx(3.0)
    assert row["intercultural_competence"] == pytest.approx(4.0)


def test_minimum_answered_rule_withholds_and_counts():
    # 9 items x 0.8 -> 8 needed for the scale; subscales of 3 x 0.8 -> all 3 needed.
    long = _long({"s1": [5, 1, 5, 4, 2, 4, 3, 3, None],          # 8 answered: scale scored
                  "s2": [5, 1, 5, 4, 2, 4, 3, None, None],       # 7 answered: scale withheld
                  "s3": [4] * 9})
    result = score(long, BOOK)
    scores = result.scores.set_index("student_id")
    assert scores.loc["s1", "intercultural_competence"] == pytest.approx((5 + 5 + 5 + 4 + 4 + 4 + 3 + 3) / 8)
    assert np.isnan(scores.loc["s2", "intercultural_competence"])
    assert np.isnan(scores.loc["s1", "intercultural_competence__effectiveness"])
    table = result.incomplete.set_index("scale")
    assert table.loc["total", ["n_respondents", "n_scored", "n_below_min_answered", "min_answered"]].tolist() == [
        3, 2, 1, 8]
    assert table.loc["effectiveness", "n_below_min_answered"] == 2
    assert result.n_withheld == 1 + 2
    assert "withheld" in result.summary()


def test_override_min_answered_share():
    long = _long({"s2": [5, 1, 5, 4, 2, 4, 3, None, None]})
    assert score(long, BOOK, min_answered=0.7).scores["intercultural_competence"].notna().all()
    with pytest.raises(ValueError, match="min_answered=1.5"):
        score(long, BOOK, min_answered=1.5)


def test_sum_scoring_is_prorated():
    book = Codebook.model_validate({**BOOK.model_dump(), "scoring": {"method": "sum", "min_answered": 0.8}})
    long = _long({"s1": [5, 1, 5, 4, 2, 4, 3, 3, None]})
    assert score(long, book).scores.loc[0, "intercultural_competence"] == pytest.approx(9 * 33 / 8)


def test_matches_plain_pandas_on_the_synthetic_study(clean_study):
    _, study = clean_study
    books = builtin_codebooks()
    result = score(study.survey_responses, {k: books[k] for k in ("digital_commerce_skills", "programme_satisfaction")})
    for book_id in ("digital_commerce_skills", "programme_satisfaction"):
        book = books[book_id]
        rows = study.survey_responses[study.survey_responses["instrument"] == book_id].copy()
        rev = rows["item"].isin(book.reverse_items)
        rows["scored"] = rows["response"].astype(float)
        rows.loc[rev, "scored"] = book.scale.min + book.scale.max - rows.loc[rev, "scored"]
        by = rows.groupby(["student_id", "wave"])["scored"]
        expected = by.mean().where(by.count() >= np.ceil(book.scoring.min_answered * len(book.items) - 1e-9))
        got = result.scores.set_index(["student_id", "wave"])[book_id].reindex(expected.index)
        np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), rtol=1e-12, equal_nan=True)
    # every (student, wave) of the two instruments has a row; withheld scores are counted, not dropped
    assert result.incomplete["n_below_min_answered"].sum() == result.long["scored"].eq(False).sum()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"item": "ic99"}, "items that codebook 'intercultural_competence' does not have"),
        ({"response": 7}, "outside the 1-5 scale"),
    ],
)
def test_invalid_responses_are_refused(change, message):
    long = _long({"s1": [4] * 9})
    for column, value in change.items():
        long[column] = long[column].astype(object)
        long.loc[3, column] = value
    with pytest.raises(EstimationError, match=message):
        score(long, BOOK)


def test_repeated_answers_are_refused():
    long = _long({"s1": [4] * 9})
    with pytest.raises(EstimationError, match="repeat a"):
        score(pd.concat([long, long.iloc[[0]]]), BOOK)


def test_missing_column_is_named():
    with pytest.raises(KeyError, match="no column 'wave'"):
        item_matrix(_long({"s1": [4] * 9}).drop(columns="wave"), BOOK)
