"""A whole study: indicator frames from the config, the summary table and its small-cell protection."""

from __future__ import annotations

import pandas as pd
import pytest

import outcomes

BY = ["program", "institution_id", "cohort"]


@pytest.fixture(scope="module")
def published(clean_study):
    _, study = clean_study
    frames = outcomes.study_indicators(study)
    table = outcomes.summarise(frames.values(), by=BY, margins=True)
    result = outcomes.protect(table, by=BY, additive=["numerator"], separate=["indicator", "months_after_graduation"],
                              min_cell=study.config.privacy.min_cell_size)
    return frames, table, result


def test_frames_follow_the_config(clean_study, published):
    syn, study = clean_study
    frames, table, _ = published
    assert sorted(frames) == ["assessment", "certification", "employment"]
    due = frames["employment"].groupby("months_after_graduation").size().to_dict()
    expected = {}
    for row in syn.truth["employment"]["rates"]:
        expected[row["months_after_graduation"]] = expected.get(row["months_after_graduation"], 0) + row["graduates"]
    assert due == expected
    assert set(table["indicator"]) == set(outcomes.INDICATORS)


def test_no_published_cell_is_small_or_recoverable(published):
    _, table, result = published
    p = result.table
    assert len(p) == len(table) and result.n_primary > 0 and result.n_complementary > 0
    shown = p[~p["suppressed"]]
    assert (shown["n"] >= 10).all()
    assert (p.loc[p["suppressed"], ["n", "numerator", "estimate", "ci_low", "ci_high"]].isna()).all().all()
    assert (p.loc[p["suppressed"], "suppression"] != "").all() and (shown["suppression"] == "").all()
    pd.testing.assert_series_equal(shown["n"].astype(int), table.loc[shown.index, "n"].astype(int))
    # no line (a total and the cells it sums, along one grouping column) has exactly one hidden member,
    # so no hidden count equals a published total minus published cells
    for _, t in p.groupby(["indicator", "months_after_graduation"], dropna=False):
        for dim in BY:
            others = [c for c in BY if c != dim]
            for _, line in t.groupby(others):
                if (line[dim] == "All").any():
                    assert line["suppressed"].sum() != 1, line[[*BY, "n", "suppressed"]]
