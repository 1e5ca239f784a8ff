"""Small-cell protection: hand-worked tables and an intruder's linear programs written here, apart from the module.

Method: Cox (1980) JASA 75:377-385; Hundepool et al. (2012) Statistical Disclosure Control, Wiley, ch. 4.
The intruder below sees only the published table.  Variables are the count and numerator of *every* row; each
margin row equals the sum of its children along every dimension where it holds the total label; published values
are fixed through the variables' bounds; counts and numerators are non-negative with numerator <= count.  A hidden
value is recovered when the range between its minimum and maximum holds a single integer.
"""

import itertools
import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from data_schema.errors import ArgumentError, ColumnError
from outcomes.disclosure import ProtectedTable, protect

PRIMARY = "primary: fewer than 10 students"


# ----------------------------------------------------------------------------- the intruder


def intruder_ranges(published: pd.DataFrame, by: list[str], *, count: str = "n", numerator: str | None = "k",
                    total: str = "All") -> dict[tuple[int, str], tuple[float, float]]:
    """(row, "count" | "numerator" | "without") -> (min, max) over every table consistent with the published one."""
    keys = [tuple(r) for r in published[by].itertuples(index=False)]
    m = len(keys)
    cols = [count] + ([numerator] if numerator else [])
    n_vars = m * len(cols)
    equations = []
    for i, key in enumerate(keys):
        for d in range(len(by)):
            if key[d] != total:
                continue
            children = [j for j, other in enumerate(keys) if other[d] != total
                        and all(other[e] == key[e] for e in range(len(by)) if e != d)]
            for c in range(len(cols)) if children else ():
                row = np.zeros(n_vars)
                row[c * m + i] = -1.0
                row[[c * m + j for j in children]] = 1.0
                equations.append(row)
    hidden = published["suppressed"].to_numpy(dtype=bool)
    bounds = [(0.0, None) if hidden[i] else (float(published[col].iloc[i]),) * 2 for col in cols for i in range(m)]
    a_ub = b_ub = None
    if numerator:
        a_ub = np.hstack([-np.eye(m), np.eye(m)])  # numerator - count <= 0
        b_ub = np.zeros(m)
    a_eq = np.array(equations) if equations else None
    b_eq = np.zeros(len(equations)) if equations else None
    ranges = {}
    for i in np.flatnonzero(hidden):
        targets = {"count": np.eye(n_vars)[i]}
        if numerator:
            targets["numerator"] = np.eye(n_vars)[m + i]
            targets["without"] = np.eye(n_vars)[i] - np.eye(n_vars)[m + i]
        for name, c in targets.items():
            low = linprog(c, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
            high = linprog(-c, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
            assert low.status == 0, low.message
            ranges[(int(i), name)] = (low.fun, np.inf if high.status == 3 else -high.fun)
    return ranges


def recovered(ranges: dict) -> list:
    """The hidden values whose feasible range holds a single integer."""
    return [key for key, (low, high) in ranges.items() if np.floor(high + 1e-6) - np.ceil(low - 1e-6) < 1]


def with_margins(inner: np.ndarray, numer: np.ndarray | None = None) -> tuple[pd.DataFrame, list[str]]:
    """A table of ``inner`` counts with every margin (any subset of dimensions summed), labels d0, d1, ..."""
    dims = [f"d{i}" for i in range(inner.ndim)]
    rows = []
    for index in itertools.product(*[[*range(s), "All"] for s in inner.shape]):
        where = tuple(slice(None) if i == "All" else i for i in index)
        row = {d: ("All" if i == "All" else f"{d}_{i}") for d, i in zip(dims, index, strict=True)}
        row["n"] = int(inner[where].sum())
        if numer is not None:
            row["k"] = int(numer[where].sum())
        rows.append(row)
    return pd.DataFrame(rows), dims


def lines_with_one_hidden(result: ProtectedTable, by: list[str]) -> list:
    """Margin relations (total row + children along one dimension) with exactly one hidden member."""
    t = result.table
    bad = []
    for d in by:
        others = [c for c in by if c != d]
        for _, block in t.groupby(others, sort=False) if others else [(None, t)]:
            if (block[d] == "All").any() and (block[d] != "All").any() and block["suppressed"].sum() == 1:
                bad.append((d, block.index.tolist()))
    return bad


# ----------------------------------------------------------------------------- hand-worked tables


def program_by_cohort() -> pd.DataFrame:
    return pd.DataFrame({
        "program": ["A", "A", "A", "B", "B", "B", "All", "All", "All"],
        "cohort": ["2023", "2024", "All"] * 3,
        "n": [4, 20, 24, 15, 16, 31, 19, 36, 55],
        "k": [2, 15, 17, 9, 12, 21, 11, 27, 38],
    })


def test_primary_suppression_alone_is_undone_by_subtraction_and_protect_prevents_it():
    table = program_by_cohort()
    # Primary suppression only hides (A, 2023) = 4; its row total gives it back: 24 - 20 = 4, and 17 - 15 = 2.
    primary = table.assign(suppressed=table["n"] < 10)
    assert primary.loc[2, "n"] - primary.loc[1, "n"] == 4
    assert recovered(intruder_ranges(primary, ["program", "cohort"])) == [(0, "count"), (0, "numerator"),
                                                                           (0, "without")]
    result = protect(table, by=["program", "cohort"], additive=["k"])
    # By hand: row A's smallest visible cell is (A, 2024) = 20; column 2023's is (B, 2023) = 15; that leaves row B
    # with one hidden cell, so (B, 2024) = 16.  Column 2024 then has two.  The margins stay published.
    assert result.table["suppressed"].tolist() == [True, True, False, True, True, False, False, False, False]
    assert result.table["suppression"].tolist()[:2] == [
        PRIMARY, "complementary: hidden so that a suppressed cell cannot be worked out by subtraction from its "
                 "total over 'cohort'"]  # (A, All), the sum of program A over the cohorts
    assert (result.n_primary, result.n_complementary, result.n_suppressed) == (1, 3, 4)
    ranges = intruder_ranges(result.table, ["program", "cohort"])
    assert recovered(ranges) == []
    # Counts alone: a + b = 24, c + d = 31, a + c = 19, b + d = 36 with all four >= 0, so a runs from 0 to 19.
    only_counts = intruder_ranges(result.table, ["program", "cohort"], numerator=None)
    assert only_counts[(0, "count")] == pytest.approx((0.0, 19.0), abs=1e-9)


def bridged_table() -> pd.DataFrame:
    inner = np.array([[3, 4, 5, 40], [6, 7, 30, 50], [60, 45, 8, 9], [70, 55, 2, 1]])
    return with_margins(inner)[0]


def test_audit_hides_a_cell_that_the_one_per_line_rule_misses():
    table = bridged_table()
    by = ["d0", "d1"]
    # The nine small cells leave every row and column with 0 or at least 2 hidden cells, yet (d0_0, d1_2) = 5 is
    # recovered by combining totals: rows 0 and 1 minus columns 0 and 1 give x02 = (52-40) + (93-30-50)
    # - (139-60-70) - (111-45-55) = 12 + 13 - 9 - 11 = 5.
    primary = table.assign(suppressed=table["n"] < 10)
    assert lines_with_one_hidden(ProtectedTable(primary, 9, 0, 10, 1), by) == []
    cell = int(np.flatnonzero((table["d0"] == "d0_0") & (table["d1"] == "d1_2"))[0])
    assert recovered(intruder_ranges(primary, by, numerator=None)) == [(cell, "count")]
    result = protect(table, by=by)
    extra = result.table.index[result.table["suppression"].str.contains("combining")].tolist()
    # the visible members of the two lines through it: 52 and 40 (row), 45 and 30 (column): 30 is hidden
    assert extra == [int(np.flatnonzero((table["d0"] == "d0_1") & (table["d1"] == "d1_2"))[0])]
    assert result.table.loc[extra[0], "suppression"] == (
        "complementary: hidden so that suppressed cells cannot be worked out by combining several totals")
    assert (result.n_primary, result.n_complementary) == (9, 1)
    assert recovered(intruder_ranges(result.table, by, numerator=None)) == []


def test_one_dimensional_table_with_its_total():
    table = pd.DataFrame({"site": ["X", "Y", "Z", "All"], "n": [3, 40, 25, 68]})
    result = protect(table, by=["site"])
    assert result.table["n"].tolist() == [pd.NA, 40, pd.NA, 68]
    assert result.table["suppression"].tolist() == [
        PRIMARY, "", "complementary: hidden so that a suppressed cell cannot be worked out by subtraction from its "
                     "total over 'site'", ""]
    # X + Z = 28: X anywhere in [0, 28]
    assert intruder_ranges(result.table, ["site"], numerator=None)[(0, "count")] == pytest.approx((0, 28))


def test_three_dimensional_table_is_protected_along_every_dimension():
    inner = np.full((2, 2, 2), 30)
    inner[0, 0, 0] = 2
    table, dims = with_margins(inner)
    result = protect(table, by=dims)
    assert lines_with_one_hidden(result, dims) == []
    hidden = result.table[result.table["suppressed"]]
    # the small cell's three lines (along d0, d1 and d2) each gained a second hidden cell
    first = hidden.iloc[0]
    assert (first["d0"], first["d1"], first["d2"], first["suppression"]) == ("d0_0", "d1_0", "d2_0", PRIMARY)
    for d in dims:
        same = (hidden[[c for c in dims if c != d]] == first[[c for c in dims if c != d]]).all(axis=1)
        assert same.sum() >= 2
    assert recovered(intruder_ranges(result.table, dims, numerator=None)) == []


def test_table_without_margins_gets_primary_suppression_only():
    table = pd.DataFrame({"program": ["A", "B", "C"], "n": [5, 50, 8], "estimate": [0.2, 0.5, 0.125]})
    result = protect(table, by=["program"])
    assert result.table["suppressed"].tolist() == [True, False, True]
    assert result.table["estimate"].isna().tolist() == [True, False, True]
    assert (result.n_primary, result.n_complementary) == (2, 0)


def test_zero_counts_are_suppressed_like_any_small_count():
    # The conservative rule count < min_cell: a true zero is hidden too (it is disclosive once the others are known).
    table = pd.DataFrame({"site": ["X", "Y", "Z", "All"], "n": [0, 40, 25, 65]})
    assert protect(table, by=["site"]).table["suppression"].iloc[0] == PRIMARY


def test_hidden_rows_blank_the_hide_columns_and_keep_the_rest():
    table = program_by_cohort().assign(estimate=lambda t: t["k"] / t["n"], std_error=0.1, ci_low=0.0, ci_high=1.0,
                                       label="x")
    result = protect(table, by=["program", "cohort"], additive=["k"])
    out = result.table
    hidden = out["suppressed"].to_numpy()
    for col in ["n", "k", "estimate", "std_error", "ci_low", "ci_high"]:
        assert out[col].isna().to_numpy().tolist() == hidden.tolist()
    assert out["n"].dtype == "Int64" and out["label"].tolist() == ["x"] * 9
    pd.testing.assert_frame_equal(out.loc[~hidden, table.columns], table.loc[~hidden], check_dtype=False)
    assert list(out.columns) == [*table.columns, "suppressed", "suppression"]
    only_n = protect(table, by=["program", "cohort"], additive=["k"], hide=["n"]).table
    assert only_n["k"].notna().all() and only_n["n"].isna().sum() == 4


def test_min_cell_changes_the_rule_and_its_words():
    result = protect(program_by_cohort(), by=["program", "cohort"], min_cell=5)
    assert result.table["suppression"].iloc[0] == "primary: fewer than 5 students"
    assert result.min_cell == 5
    assert protect(program_by_cohort(), by=["program", "cohort"], min_cell=1).n_suppressed == 0


def test_separate_tables_are_protected_independently():
    one = program_by_cohort()
    two = program_by_cohort().assign(n=[40, 20, 60, 15, 6, 21, 55, 26, 81], k=0)
    stacked = pd.concat([one.assign(indicator="employed"), two.assign(indicator="certified")], ignore_index=True)
    result = protect(stacked, by=["program", "cohort"], additive=["k"], separate=["indicator"])
    alone = [protect(t, by=["program", "cohort"], additive=["k"]).table for t in (one, two)]
    assert result.table["suppressed"].tolist() == [*alone[0]["suppressed"], *alone[1]["suppressed"]]
    assert result.n_tables == 2
    assert result.n_primary == 2


def test_result_is_deterministic_and_serialisable():
    rng = np.random.default_rng(8)
    inner = rng.integers(0, 40, (3, 3, 3))
    table, dims = with_margins(inner, rng.binomial(inner, 0.5))
    a = protect(table, by=dims, additive=["k"])
    b = protect(table.copy(), by=dims, additive=["k"])
    pd.testing.assert_frame_equal(a.table, b.table)
    assert a.to_dict() == b.to_dict()
    data = json.loads(json.dumps(a.to_dict()))
    assert data["n_primary"] == a.n_primary and data["table"][0]["n"] in (None, int(table["n"].iloc[0]))
    assert "hidden because they have fewer than 10 students" in a.summary()


# ----------------------------------------------------------------------------- random tables


@st.composite
def random_tables(draw, n_dims):
    shape = tuple(draw(st.lists(st.integers(2, 4 if n_dims == 2 else 3), min_size=n_dims, max_size=n_dims)))
    seed = draw(st.integers(0, 2**32 - 1))
    small = draw(st.floats(0.0, 0.6))
    rng = np.random.default_rng(seed)
    inner = np.where(rng.random(shape) < small, rng.integers(0, 10, shape), rng.integers(10, 80, shape))
    numer = rng.binomial(inner, rng.random(shape))
    return with_margins(inner, numer)


def check_protection(table: pd.DataFrame, by: list[str]) -> None:
    result = protect(table, by=by, additive=["k"])
    out = result.table
    assert (out["suppression"] == PRIMARY).tolist() == (table["n"] < 10).tolist()
    assert out["suppressed"].tolist() == (out["suppression"] != "").tolist()
    assert out.loc[out["suppressed"], ["n", "k"]].isna().all().all()
    assert (out.loc[~out["suppressed"], "n"] == table.loc[~out["suppressed"], "n"]).all()
    assert lines_with_one_hidden(result, by) == []
    assert recovered(intruder_ranges(out, by)) == []


@settings(max_examples=12, deadline=None)
@given(random_tables(2))
def test_random_two_way_tables_cannot_be_recovered(case):
    check_protection(*case)


@settings(max_examples=6, deadline=None)
@given(random_tables(3))
def test_random_three_way_tables_cannot_be_recovered(case):
    check_protection(*case)


@pytest.mark.slow
@settings(max_examples=80, deadline=None)
@given(st.sampled_from([2, 3]).flatmap(random_tables))
def test_many_random_tables_cannot_be_recovered(case):
    check_protection(*case)


# ----------------------------------------------------------------------------- totals that do not add up


def test_margins_that_do_not_add_up_are_refused():
    table = pd.DataFrame({"site": ["X", "Y", "Z", "All"], "n": [3, 40, 25, 70]})
    with pytest.raises(ArgumentError, match=r"margin row \(site='All'\) has n = 70, but the 3 rows it totals "
                                            r"over 'site' add up to 68"):
        protect(table, by=["site"])
    wrong_numerator = program_by_cohort().assign(k=lambda t: t["k"].where(t.index != 8, 40))
    with pytest.raises(ArgumentError, match=r"margin row \(program='All', cohort='All'\) has k = 40, but the 2 rows"
                                            r" it totals over 'program' add up to 38"):
        protect(wrong_numerator, by=["program", "cohort"], additive=["k"])


def test_unchecked_margins_are_audited_as_inequalities():
    # The total covers two students of unknown site: X + Y + Z <= 70.  Hiding X alone would give X <= 5, not a
    # single value, but the one-per-line rule still hides Z, as with consistent totals.
    table = pd.DataFrame({"site": ["X", "Y", "Z", "All"], "n": [3, 40, 25, 70]})
    result = protect(table, by=["site"], check_totals=False)
    assert result.table["suppressed"].tolist() == [True, False, True, False]


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(("change", "kwargs", "error", "message"), [
    (lambda t: t.drop(columns="n"), {}, ColumnError, r"table has no column 'n'; its columns are: 'program'"),
    (lambda t: t.assign(n=t["n"] - 5), {}, ArgumentError, r"column 'n' must hold non-negative numbers; row 0 has -1"),
    (lambda t: t.assign(n=t["n"].where(t.index != 3)), {}, ArgumentError, r"row 3 has nan"),
    (lambda t: t.assign(n=t["n"].astype(str)), {}, ArgumentError, r"column 'n' must be numeric; received dtype"),
    (lambda t: pd.concat([t, t.iloc[[4]]]), {}, ArgumentError,
     r"two or more rows describe the same cell \(program='B', cohort='2024'\); each cell must appear once"),
    (lambda t: t, {"min_cell": 0}, ArgumentError, r"min_cell=0 must be a positive integer"),
    (lambda t: t, {"additive": ["cohort"]}, ArgumentError, r"column 'cohort' is named in two roles"),
    (lambda t: t, {"hide": ["program", "n"]}, ArgumentError, r"hide names the grouping column 'program'"),
    (lambda t: t.assign(suppressed=False), {}, ArgumentError, r"already has a column 'suppressed'"),
    (lambda t: t.assign(cohort=t["cohort"].where(t.index != 0)), {}, ArgumentError,
     r"grouping column 'cohort' has missing values in rows 0"),
    (lambda t: t, {"by": []}, ArgumentError, r"by is empty, so each table must be a single row; received 9 rows"),
])
def test_bad_input_is_refused_with_a_message(change, kwargs, error, message):
    options = {"by": ["program", "cohort"], **kwargs}
    with pytest.raises(error, match=message):
        protect(change(program_by_cohort().drop(columns="k")), **options)


def test_duplicate_cells_name_their_separate_table():
    stacked = pd.concat([program_by_cohort().assign(indicator="employed")] * 2, ignore_index=True)
    with pytest.raises(ArgumentError, match=r"same cell \(program='A', cohort='2023'\) in the table with "
                                            r"indicator='employed'"):
        protect(stacked, by=["program", "cohort"], separate=["indicator"])
