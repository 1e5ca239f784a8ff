"""The six built-in instrument codebooks: ids, bilingual text, subscales, reverse items, scoring."""

from __future__ import annotations

import re

import pytest

from data_schema.codebook import BUILTIN_DIR, builtin_codebooks, load_codebook

IDS = {
    "intercultural_competence",
    "digital_commerce_skills",
    "business_chinese_self_efficacy",
    "global_market_awareness",
    "programme_satisfaction",
    "employer_feedback",
}
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def books():
    return builtin_codebooks()


def test_the_six_instruments_ship(books):
    assert set(books) == IDS
    assert {p.stem for p in BUILTIN_DIR.glob("*.yaml")} == IDS


@pytest.mark.parametrize("book_id", sorted(IDS))
def test_codebook_is_complete(books, book_id):
    book = load_codebook(BUILTIN_DIR / f"{book_id}.yaml")
    assert book == books[book_id]
    assert 6 <= len(book.items) <= 12
    assert book.scale.min == 1 and book.scale.max == 5
    assert set(book.scale.labels) == {1, 2, 3, 4, 5}
    assert all(label["en"] and CJK.search(label["zh"]) for label in book.scale.labels.values())
    assert book.scoring.method == "mean" and book.scoring.min_answered == 0.8
    assert book.title["en"] and CJK.search(book.title["zh"])
    for item in book.items:
        assert item.text["en"].strip() and CJK.search(item.text["zh"]), item.id
        assert item.text["en"] != item.text["zh"]


@pytest.mark.parametrize("book_id", sorted(IDS))
def test_subscales_and_reverse_items_are_used(books, book_id):
    book = books[book_id]
    assert 2 <= len(book.subscales) <= 3
    used = {item.subscale for item in book.items}
    assert used == {s.id for s in book.subscales}
    assert 2 <= len(book.reverse_items) < len(book.items) / 2
    for sub in book.subscales:
        items = [i for i in book.items if i.subscale == sub.id]
        assert len(items) >= 2 and any(not i.reverse for i in items)
        assert CJK.search(sub.title["zh"])


def test_respondents(books):
    assert books["employer_feedback"].respondent == "employer"
    assert all(b.respondent == "student" for k, b in books.items() if k != "employer_feedback")


def test_citation_or_own_instrument(books):
    for book in books.values():
        if book.citation is None:
            assert "progeval" in book.title["en"] and "progeval" in book.version
        else:
            assert re.search(r"\(\d{4}\)", book.citation), book.id


def test_item_ids_carry_the_instrument_prefix(books):
    prefixes = {b: {i.id[:2] for i in book.items} for b, book in books.items()}
    assert all(len(p) == 1 for p in prefixes.values())
    assert len({next(iter(p)) for p in prefixes.values()}) == len(IDS)
