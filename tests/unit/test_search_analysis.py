"""Analysis of Chinese, Latin and digits into search terms; cursors; parameters."""

from __future__ import annotations

import pytest

from chalicelib.errors import ValidationFailed
from chalicelib.logic.search.analysis import ProjectTerms, index_terms, query_terms, relevance, runs
from chalicelib.logic.search.cursor import InvalidCursor, decode_cursor, encode_cursor
from chalicelib.logic.search.model import SearchQuery, Sort
from chalicelib.logic.search.service import SearchRequest, parse_request

KEY = b"unit-test-cursor-key"


def test_runs_split_han_from_latin_and_digits() -> None:
    assert runs("2020抗疫，COVID-19 武汉") == [
        ("word", "2020"),
        ("han", "抗疫"),
        ("word", "covid"),
        ("word", "19"),
        ("han", "武汉"),
    ]


def test_full_width_digits_and_letters_are_normalised() -> None:
    assert query_terms("２０２０ＡＢ") == ["2020ab"]


def test_query_terms_are_bigrams_of_han_runs_with_or_without_spaces() -> None:
    assert query_terms("武汉医疗") == ["武汉", "医疗"]
    assert query_terms("武汉 医疗") == ["武汉", "医疗"]
    assert query_terms("2020抗疫") == ["2020", "抗疫"]
    assert query_terms("乡村振兴") == ["乡村", "振兴"]
    assert query_terms("白血病患儿") == ["白血", "病患", "患儿"]


def test_a_lone_han_character_is_its_own_term_and_repeats_collapse() -> None:
    assert query_terms("爱") == ["爱"]
    assert query_terms("武汉 武汉") == ["武汉"]


def test_titles_index_unigrams_bodies_only_lone_characters() -> None:
    assert index_terms("武汉加油", with_unigrams=True) == {"武汉", "汉加", "加油", "武", "汉", "加", "油"}
    assert index_terms("武汉加油 爱", with_unigrams=False) == {"武汉", "汉加", "加油", "爱"}


def test_latin_words_are_indexed_with_their_prefixes() -> None:
    assert index_terms("COVID", with_unigrams=False) == {"c", "co", "cov", "covi", "covid"}


def test_partial_words_match_because_every_query_bigram_is_indexed() -> None:
    terms = ProjectTerms.of("武汉市医疗物资援助计划", "", "为抗击新冠肺炎疫情采购物资")
    for q in ["武汉", "医疗物资", "援助", "新冠肺炎", "疫情", "物资"]:
        assert set(query_terms(q)) <= terms.all, q
    assert not set(query_terms("乡村振兴")) <= terms.all


def test_title_matches_score_above_body_matches() -> None:
    terms = ["武汉", "医疗"]
    assert (
        relevance(terms, {"武汉", "医疗"}, set())
        > relevance(terms, {"武汉"}, {"医疗"})
        > relevance(terms, set(), {"武汉", "医疗"})
    )


def test_a_cursor_round_trips_for_the_same_query() -> None:
    query = SearchQuery(q="武汉", sort=Sort.RELEVANCE)
    cursor = encode_cursor(query, (4, "2026-01-01T00:00:00Z", "01J"), key=KEY)
    assert decode_cursor(cursor, query, key=KEY) == (4, "2026-01-01T00:00:00Z", "01J")


@pytest.mark.parametrize(
    "mangle", [lambda c: c + "x", lambda c: "A" + c, lambda c: c.split(".")[0], lambda c: "garbage", lambda c: "..."]
)
def test_an_altered_or_malformed_cursor_is_refused(mangle) -> None:  # type: ignore[no-untyped-def]
    query = SearchQuery(q="武汉", sort=Sort.RELEVANCE)
    cursor = encode_cursor(query, (4, "2026", "01J"), key=KEY)
    with pytest.raises(InvalidCursor):
        decode_cursor(mangle(cursor), query, key=KEY)


def test_a_cursor_of_another_query_is_refused() -> None:
    cursor = encode_cursor(SearchQuery(q="武汉", sort=Sort.RELEVANCE), (4, "2026", "01J"), key=KEY)
    with pytest.raises(InvalidCursor, match="another query"):
        decode_cursor(cursor, SearchQuery(q="武汉", sort=Sort.NEWEST), key=KEY)


def test_defaults_online_relevance_with_q_newest_without() -> None:
    assert parse_request(SearchRequest(q="武汉"), cursor_key=KEY) == SearchQuery(
        q="武汉", status="online", sort=Sort.RELEVANCE, limit=20
    )
    assert parse_request(SearchRequest(), cursor_key=KEY).sort is Sort.NEWEST


@pytest.mark.parametrize(
    ("request_", "code"),
    [
        (SearchRequest(sort="cheapest"), "unknown_sort"),
        (SearchRequest(limit="10000"), "limit_out_of_range"),
        (SearchRequest(limit="0"), "limit_out_of_range"),
        (SearchRequest(limit="ten"), "limit_out_of_range"),
        (SearchRequest(status="draft"), "unknown_status"),
        (SearchRequest(q="字" * 65), "q_too_long"),
    ],
)
def test_bad_parameters_are_refused_with_a_clear_code(request_: SearchRequest, code: str) -> None:
    with pytest.raises(ValidationFailed) as raised:
        parse_request(request_, cursor_key=KEY)
    assert raised.value.code == code
