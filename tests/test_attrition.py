"""WWC attrition: overall and differential attrition judged against the cautious and optimistic boundaries.

Boundary values (WWC Standards Handbook v4.0, 2017, Table II.1, page 12; the same Table II.1 in v4.1, 2020:
"Highest differential attrition rate for a sample to maintain low attrition, by overall attrition rate,
under 'optimistic' and 'cautious' assumptions").  The handbook PDF itself was not reachable from this
machine, so every embedded row is checked against public transcriptions of that table:

A. HaiwenChu/RWWC-v.4-Group-Designs, file ``R/Group Designs`` (commit db77d7cb; same constants in file
   ``WWCr``), R vectors ``overall<-0:57``, ``cautious<-c(...)``, ``optimistic<-c(...)``, commented
   "Constants from WWC Standards Handbook v4.0, Table II.1 (p.12)".
B. An R package source defining ``.wwc_attrition_table()`` and ``attrition_boundary()`` (overall 0:65,
   cautious 0-57 then NA, optimistic 0-65), commented "Standards Handbook Version 4.1, Table II.1":
   zl1212-ship-it/baselinr, ``R/attrition_boundary.R`` @ c4018eb1 (R package baselinr 0.6.0).
C. Research notes quoting Table II.1 (v4.1) rows 0 % -> 5.7 / 10.0, 13 % -> 6.1 / 10.8 and
   65 % -> no differential (cautious) / 0.3 (optimistic) (stored-file id 61634853091).

A and B agree on all 58 cautious rows.  On the optimistic column A repeats 10.9 once more than B (A has six
10.9s at 8-13 %, B five at 8-12 %), so A's optimistic values from 14 % on equal B's one row earlier and A
stops at 57 %; C (13 % -> 10.8; 65 % -> 0.3) sides with B, and B's column then ends exactly at 65 %, the
table's last row.  The module follows B; the test records A's shift explicitly.  The values are printed
to one decimal, so agreement is required exactly (to 1e-12).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from analyses.attrition import attrition, attrition_from_counts, boundary_table, max_differential
from data_schema.errors import ArgumentError, ColumnError, EstimationError

# Source A, cautious and optimistic vectors as printed (overall 0:57).
A_CAUTIOUS = [5.7, 5.8, 5.9, 5.9, 6, 6.1, 6.2, 6.3, 6.3, 6.3, 6.3, 6.2, 6.2, 6.1, 6, 5.9, 5.9, 5.8, 5.7, 5.5,
              5.4, 5.3, 5.2, 5.1, 4.9, 4.8, 4.7, 4.5, 4.4, 4.3, 4.1, 4, 3.8, 3.6, 3.5, 3.3, 3.2, 3.1, 2.9, 2.8,
              2.6, 2.5, 2.3, 2.1, 2, 1.8, 1.6, 1.5, 1.3, 1.2, 1, .9, .7, .6, .4, .3, .2, 0]
A_OPTIMISTIC = [10, 10.1, 10.2, 10.3, 10.4, 10.5, 10.7, 10.8, 10.9, 10.9, 10.9, 10.9, 10.9, 10.9, 10.8, 10.8,
                10.7, 10.6, 10.5, 10.3, 10.2, 10, 9.9, 9.7, 9.5, 9.4, 9.2, 9, 8.8, 8.6, 8.4, 8.2, 8, 7.8, 7.6,
                7.4, 7.2, 7, 6.7, 6.5, 6.3, 6, 5.8, 5.6, 5.3, 5.1, 4.9, 4.6, 4.4, 4.2, 3.9, 3.7, 3.5, 3.2, 3,
                2.8, 2.6, 2.3]
# Source B, ``optimistic = c(...)`` as printed (overall 0:65).
B_OPTIMISTIC = [10.0, 10.1, 10.2, 10.3, 10.4, 10.5, 10.7, 10.8, 10.9, 10.9, 10.9, 10.9, 10.9, 10.8, 10.8, 10.7,
                10.6, 10.5, 10.3, 10.2, 10.0, 9.9, 9.7, 9.5, 9.4, 9.2, 9.0, 8.8, 8.6, 8.4, 8.2, 8.0, 7.8, 7.6,
                7.4, 7.2, 7.0, 6.7, 6.5, 6.3, 6.0, 5.8, 5.6, 5.3, 5.1, 4.9, 4.6, 4.4, 4.2, 3.9, 3.7, 3.5, 3.2,
                3.0, 2.8, 2.6, 2.3, 2.1, 1.9, 1.6, 1.4, 1.1, 0.9, 0.7, 0.5, 0.3]


def test_cautious_column_matches_sources_a_and_b() -> None:
    """Cautious rows 0-57 % equal source A's (and B's) vector; 58-65 %: no differential counts as low (B, C)."""
    table = boundary_table("cautious")
    assert table["overall_pct"].tolist() == list(range(66))
    np.testing.assert_allclose(table["max_differential_pct"].to_numpy()[:58], A_CAUTIOUS, rtol=0, atol=1e-12)
    assert table["max_differential_pct"].iloc[58:].isna().all()


def test_optimistic_column_matches_source_b_and_a_up_to_its_shift() -> None:
    """Optimistic rows equal source B at 0-65 %; source A at 0-12 %, and A's row k+1 = B's row k from 13 % on."""
    values = boundary_table("optimistic")["max_differential_pct"].to_numpy()
    np.testing.assert_allclose(values, B_OPTIMISTIC, rtol=0, atol=1e-12)
    np.testing.assert_allclose(values[:13], A_OPTIMISTIC[:13], rtol=0, atol=1e-12)
    np.testing.assert_allclose(values[13:57], A_OPTIMISTIC[14:58], rtol=0, atol=1e-12)
    assert not np.isnan(values).any()


@pytest.mark.parametrize(("overall", "cautious", "optimistic"), [(0, 5.7, 10.0), (13, 6.1, 10.8), (65, None, 0.3)])
def test_rows_quoted_by_source_c(overall: int, cautious: float | None, optimistic: float) -> None:
    """Source C quotes Table II.1: 0 % -> 5.7 / 10.0, 13 % -> 6.1 / 10.8, 65 % -> none / 0.3."""
    got = max_differential(overall, "cautious")
    assert np.isnan(got) if cautious is None else got == pytest.approx(cautious, abs=1e-12)
    assert max_differential(overall, "optimistic") == pytest.approx(optimistic, abs=1e-12)


@pytest.mark.parametrize(("counts", "overall", "differential", "low_cautious", "low_optimistic"), [
    ((20, 40, 31, 49), 38 / 89, abs(20 / 40 - 18 / 49), False, False),
    ((30, 40, 40, 48), 18 / 88, abs(10 / 40 - 8 / 48), False, True),
    ((10, 20, 100, 200), 110 / 220, 0.0, True, True),
])
def test_source_a_documented_examples(counts: tuple[int, int, int, int], overall: float, differential: float,
                                      low_cautious: bool, low_optimistic: bool) -> None:
    """Source A's roxygen examples (file ``WWCr``), ``attrit(ai, ni, ac, nc)`` / ``attritest(...)``:

    attrit(20,40,31,49) "overall attrition of 43% and differential 13%", attritest: "high attrition";
    attrit(30,40,40,48) "overall 20% and differential 8%", "low attrition optimistically and high attrition
    cautiously"; attrit(10,20,100,200) "overall 50% and differential 0%", "low attrition under both".
    The printed percentages are whole numbers, so the rates are checked to 0.5 points and exactly against
    the counts.
    """
    ai, ni, ac, nc = counts
    printed = {(20, 40, 31, 49): (43, 13), (30, 40, 40, 48): (20, 8), (10, 20, 100, 200): (50, 0)}[counts]
    verdicts = []
    for boundary in ("cautious", "optimistic"):
        r = attrition_from_counts(n_treated=ni, n_comparison=nc, observed_treated=ai, observed_comparison=ac,
                                  boundary=boundary)
        assert r.overall_pct == pytest.approx(100 * overall, abs=1e-12)
        assert r.differential_pct == pytest.approx(100 * differential, abs=1e-12)
        assert abs(r.overall_pct - printed[0]) <= 0.5 and abs(r.differential_pct - printed[1]) <= 0.5
        verdicts.append(r.low_attrition)
    assert verdicts == [low_cautious, low_optimistic]


def test_source_b_documented_examples() -> None:
    """Source B's roxygen examples: attrition_boundary(0.08, 0.03) "low under the cautious boundary";
    attrition_boundary(0.30, 0.06, ...) "high if cautious, low if optimistic"."""
    def verdict(overall: float, diff: float, boundary: str) -> bool:
        allowed = max_differential(overall, boundary)  # type: ignore[arg-type]
        return bool(diff <= allowed)

    assert verdict(8, 3, "cautious")
    assert not verdict(30, 6, "cautious") and verdict(30, 6, "optimistic")


def test_on_the_boundary_is_low_and_just_above_is_high() -> None:
    """The table gives the *highest* differential that is still low: equality is low (inclusive)."""
    # 1000 + 1000 students, 341 + 259 lost: 30 % overall, differential 8.2 = the optimistic boundary at 30 %.
    on = attrition_from_counts(n_treated=1000, n_comparison=1000, observed_treated=659, observed_comparison=741,
                               boundary="optimistic")
    assert on.overall_pct == 30.0 and on.differential_pct == pytest.approx(8.2, abs=1e-12)
    assert on.max_differential_pct == 8.2 and on.low_attrition
    above = attrition_from_counts(n_treated=1000, n_comparison=1000, observed_treated=658, observed_comparison=742,
                                  boundary="optimistic")
    assert above.differential_pct == pytest.approx(8.4, abs=1e-12) and not above.low_attrition
    assert "exceeds the 8.2 allowed at 30.0% overall" in above.reason


def test_between_rows_uses_the_smaller_neighbour() -> None:
    """Documented rule: min(row floor, row ceil); 10.5 % cautious -> min(6.3, 6.2); 3.5 % -> min(5.9, 6.0)."""
    assert max_differential(10.5) == 6.2
    assert max_differential(3.5) == 5.9
    assert max_differential(56.5) == 0.0 and np.isnan(max_differential(57.5))
    assert max_differential(64.5, "optimistic") == 0.3 and np.isnan(max_differential(65.1, "optimistic"))


def _wave(lost_treated: int, n_treated: int, lost_comparison: int, n_comparison: int) -> pd.DataFrame:
    flags = [0] * lost_treated + [1] * (n_treated - lost_treated) + [0] * lost_comparison
    flags += [1] * (n_comparison - lost_comparison)
    return pd.DataFrame({"program": ["integrated"] * n_treated + ["traditional"] * n_comparison,
                         "answered": flags})


def test_data_version_equals_counts_version() -> None:
    data = _wave(25, 120, 30, 150)
    r = attrition(data, group="program", treated="integrated", observed="answered", boundary="optimistic")
    c = attrition_from_counts(n_treated=120, n_comparison=150, observed_treated=95, observed_comparison=120,
                              boundary="optimistic", treated="integrated")
    assert r == c
    bool_data = data.assign(answered=data["answered"].astype(bool))
    assert attrition(bool_data, group="program", treated="integrated", observed="answered",
                     boundary="optimistic") == c


def test_no_attrition_is_low() -> None:
    r = attrition(_wave(0, 50, 0, 60), group="program", treated="integrated", observed="answered")
    assert (r.overall_pct, r.differential_pct, r.max_differential_pct, r.low_attrition) == (0.0, 0.0, 5.7, True)


def test_whole_group_lost_is_high() -> None:
    r = attrition(_wave(50, 50, 0, 60), group="program", treated="integrated", observed="answered",
                  boundary="optimistic")
    assert r.attrition_treated_pct == 100.0 and r.differential_pct == 100.0 and not r.low_attrition
    everyone = attrition_from_counts(n_treated=10, n_comparison=10, observed_treated=0, observed_comparison=0)
    assert everyone.overall_pct == 100.0 and np.isnan(everyone.max_differential_pct) and not everyone.low_attrition
    assert "ends at 65% overall" in everyone.reason


def test_cautious_past_57_percent_is_high_whatever_the_differential() -> None:
    r = attrition_from_counts(n_treated=100, n_comparison=100, observed_treated=40, observed_comparison=40)
    assert r.overall_pct == 60.0 and r.differential_pct == 0.0 and not r.low_attrition
    assert "ends at 57% overall" in r.reason
    assert attrition_from_counts(n_treated=100, n_comparison=100, observed_treated=40, observed_comparison=40,
                                 boundary="optimistic").low_attrition


def test_tidy_summary_and_dict() -> None:
    r = attrition_from_counts(n_treated=200, n_comparison=200, observed_treated=180, observed_comparison=170,
                              treated="integrated")
    tidy = r.tidy()
    assert tidy["term"].tolist() == ["overall_attrition", "differential_attrition", "attrition_treated",
                                     "attrition_comparison"]
    np.testing.assert_allclose(tidy["estimate"], [12.5, 5.0, 10.0, 15.0], atol=1e-12)
    assert tidy["n_obs"].tolist() == [400.0, 400.0, 200.0, 200.0]
    assert tidy["max_differential_pct"].tolist() == [6.1] * 4 and tidy["low_attrition"].all()
    assert tidy["method"].iloc[0] == "WWC attrition, cautious boundary"
    text = r.summary()
    assert "LOW" in text and "integrated" in text and "180 of 200" in text
    payload = json.loads(json.dumps(r.to_dict()))
    assert payload["low_attrition"] is True and payload["max_differential_pct"] == 6.1
    none = attrition_from_counts(n_treated=10, n_comparison=10, observed_treated=2, observed_comparison=2)
    json.dumps(none.to_dict())  # NaN boundary is JSON-safe
    assert "highest allowed none" in none.summary()


def test_bad_input() -> None:
    data = _wave(2, 10, 3, 10)
    with pytest.raises(ArgumentError, match="boundary='lenient' is not a valid choice"):
        attrition(data, group="program", treated="integrated", observed="answered", boundary="lenient")  # type: ignore[arg-type]
    with pytest.raises(ArgumentError, match="kind='both' is not a valid choice"):
        boundary_table("both")  # type: ignore[arg-type]
    with pytest.raises(ColumnError, match="no column 'wave2'"):
        attrition(data, group="program", treated="integrated", observed="wave2")
    with pytest.raises(ArgumentError, match="must be 0/1 or True/False"):
        attrition(data.assign(answered=data["answered"] * 2), group="program", treated="integrated",
                  observed="answered")
    with pytest.raises(ArgumentError, match="has 1 missing values"):
        attrition(data.assign(answered=data["answered"].where(data.index != 0)), group="program",
                  treated="integrated", observed="answered")
    with pytest.raises(ArgumentError, match="treated='Integrated' is not a value"):
        attrition(data, group="program", treated="Integrated", observed="answered")
    with pytest.raises(ArgumentError, match="has 3 values"):
        attrition(data.assign(program=["a", "b", "c", "a"] * 5), group="program", treated="a", observed="answered")
    with pytest.raises(ArgumentError, match="group column 'program' has missing values"):
        attrition(data.assign(program=data["program"].where(data.index != 0)), group="program",
                  treated="integrated", observed="answered")
    with pytest.raises(EstimationError, match="needs a comparison group"):
        attrition(data.iloc[:10], group="program", treated="integrated", observed="answered")
    with pytest.raises(ArgumentError, match="observed_treated=11 exceeds n_treated=10"):
        attrition_from_counts(n_treated=10, n_comparison=10, observed_treated=11, observed_comparison=5)
    with pytest.raises(ArgumentError, match="n_comparison=-1 is not a count"):
        attrition_from_counts(n_treated=10, n_comparison=-1, observed_treated=5, observed_comparison=0)
    with pytest.raises(ArgumentError, match="n_treated=10.5 is not a count"):
        attrition_from_counts(n_treated=10.5, n_comparison=10, observed_treated=5, observed_comparison=5)  # type: ignore[arg-type]
    with pytest.raises(EstimationError, match="comparison group has no assigned students"):
        attrition_from_counts(n_treated=10, n_comparison=0, observed_treated=5, observed_comparison=0)
    with pytest.raises(ArgumentError, match="overall_pct=120 is outside 0 to 100"):
        max_differential(120)
