"""``SearchIndex`` on DynamoDB: postings intersected in memory, ranked, keyset-paged.

A query reads, in parallel, the postings of each query term and filter (one
Query per term, all its buckets), intersects them starting from the
smallest, scores title/body matches, then ranks the candidates: up to
``CARD_LOOKUP_MAX`` candidates by fetching their cards (one BatchGetItem),
more by reading the one sort column the order needs (one Query). Only the
page's cards are fetched to answer. No Scan anywhere.

This is the DynamoDB implementation of ``SearchIndex``
(``chalicelib.logic.search.index``); the table, its keys and its wire format
belong to ``chalicelib.dal.search``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from chalicelib.config import Settings
from chalicelib.dal.search import SearchStore, bucket_of, column_item, encode_card, posting_item
from chalicelib.dal.totals import read_totals
from chalicelib.logic.search.analysis import query_terms, relevance
from chalicelib.logic.search.model import (
    ProjectDocument,
    SearchHit,
    SearchPage,
    SearchQuery,
    Sort,
    comes_after,
    sort_key,
)

CARD_LOOKUP_MAX = 100
COLUMNS_BY_SORT = {
    Sort.RELEVANCE: ("created",),
    Sort.NEWEST: ("created",),
    Sort.MOST_RAISED: ("raised", "created"),
    Sort.ENDING_SOON: ("end",),
}
ALL_COLUMNS = ("created", "end", "raised")


def _postings_of(
    status: str, title_terms: set[str], body_terms: set[str], facets: set[str]
) -> set[tuple[str, str, str]]:
    found = {(status, f"t:{t}", "title") for t in title_terms}
    found |= {(status, f"t:{t}", "body") for t in body_terms}
    found |= {(status, f"f:{f}", "ids") for f in facets}
    return found


class DynamoSearchIndex:
    def __init__(self, settings: Settings):
        self.store = SearchStore(settings)

    # -- writes (the indexer) -----------------------------------------------
    def upsert(self, doc: ProjectDocument) -> None:
        card = self.store.get_card(doc.project_id)
        if card and card.get("updated_at", "") > doc.updated_at:
            return  # a late, older version of the project: the index already has a newer one
        old = _postings_of(card["status"], card["title_terms"], card["body_terms"], card["facets"]) if card else set()
        if doc.searchable:
            terms = doc.terms()
            new = _postings_of(doc.status, set(terms.title), set(terms.body), doc.facets())
        else:
            terms, new = None, set()
        changes = [(s, k, n, True) for (s, k, n) in new - old] + [(s, k, n, False) for (s, k, n) in old - new]
        # Postings and columns first, the card last: if this is interrupted the card still
        # describes the old postings, so the retry computes the same diff (ADD/DELETE are idempotent).
        self.store.change_postings(doc.project_id, changes)
        raised = read_totals(doc.project_id, doc.counter_shards).amount_fen
        if card and card["facets"] and (not doc.searchable or card["status"] != doc.status):
            self.store.remove_columns(card["status"], doc.project_id, ALL_COLUMNS)
        if doc.searchable:
            self.store.set_columns(
                doc.status, doc.project_id, {"created": doc.created_at, "end": doc.end_at, "raised": raised}
            )
        self.store.put_card(_card(doc, raised))

    def remove(self, project_id: str, *, updated_at: str) -> None:
        card = self.store.get_card(project_id)
        if card is None:
            return
        tombstone = {**card, "status": "deleted", "updated_at": max(updated_at, card.get("updated_at", ""))}
        old = _postings_of(card["status"], card["title_terms"], card["body_terms"], card["facets"])
        self.store.change_postings(project_id, [(s, k, n, False) for (s, k, n) in old])
        if card["facets"]:
            self.store.remove_columns(card["status"], project_id, ALL_COLUMNS)
        self.store.put_card({**tombstone, "title_terms": set(), "body_terms": set(), "facets": set()})

    def refresh_raised(self, project_id: str) -> None:
        card = self.store.get_card(project_id)
        if card is None or not card["facets"]:
            return  # not searchable now; upsert reads the totals when it becomes so
        self.store.set_raised(project_id, card["status"], read_totals(project_id).amount_fen)

    # -- reads ----------------------------------------------------------------
    def search(self, query: SearchQuery) -> SearchPage:
        terms = query_terms(query.q)
        keys = [f"t:{t}" for t in terms] + [f"f:{f}" for f in query.facets()]
        postings = self.store.postings(query.status, keys or ["f:*"])
        in_title: dict[str, set[str]] = {}
        in_body: dict[str, set[str]] = {}
        matched: list[set[str]] = []
        for key, sets in zip(keys or ["f:*"], postings, strict=True):
            if key.startswith("t:"):
                in_title[key[2:]], in_body[key[2:]] = sets["title"], sets["body"]
                matched.append(sets["title"] | sets["body"])
            else:
                matched.append(sets["ids"])
        matched.sort(key=len)
        candidates = set(matched[0]).intersection(*matched[1:]) if matched else set()
        if not candidates:
            return SearchPage(hits=[], total=0, has_more=False)

        values, cards = self._sort_values(query, candidates)
        ranked: list[tuple[tuple[Any, ...], int, str]] = []
        for pid in candidates:
            if pid not in values:
                continue  # mid-indexing: postings written, card/columns not yet
            score = relevance(terms, {t for t in terms if pid in in_title[t]}, {t for t in terms if pid in in_body[t]})
            created, end, raised = values[pid]
            order = sort_key(query.sort, project_id=pid, score=score, created=created, end=end, raised=raised)
            if query.after is None or comes_after(order, query.after, query.sort):
                ranked.append((order, score, pid))
        ranked.sort(reverse=query.sort.descending)
        page = ranked[: query.limit]
        missing = [pid for _, _, pid in page if pid not in cards]
        if missing:
            cards.update(self.store.cards(missing))
        hits = [
            _hit(cards[pid], score, key)
            for key, score, pid in page
            if pid in cards and cards[pid]["status"] == query.status
        ]
        return SearchPage(
            hits=hits,
            total=len(values),
            has_more=len(ranked) > query.limit,
            last_key=page[-1][0] if page else None,
        )

    def _sort_values(
        self, query: SearchQuery, candidates: set[str]
    ) -> tuple[dict[str, tuple[str, str, int]], dict[str, dict[str, Any]]]:
        """``pid -> (created, end, raised)`` for the candidates, and any cards fetched."""
        if len(candidates) <= CARD_LOOKUP_MAX:
            cards = self.store.cards(candidates)
            values = {
                pid: (c.get("created_at", ""), c.get("end_at", ""), int(c.get("raised_fen", 0)))
                for pid, c in cards.items()
                if c["status"] == query.status
            }
            return values, cards
        names = COLUMNS_BY_SORT[query.sort]
        columns = self.store.columns(query.status, names)
        values = {}
        for pid in candidates:
            if any(pid not in columns[n] for n in names):
                continue
            created = str(columns["created"][pid]) if "created" in columns else ""
            end = str(columns["end"][pid]) if "end" in columns else ""
            raised = int(columns["raised"][pid]) if "raised" in columns else 0
            values[pid] = (created, end, raised)
        return values, {}


def _card(doc: ProjectDocument, raised: int) -> dict[str, Any]:
    """The stored card of ``doc``: what a hit shows and what the project is indexed under."""
    terms = doc.terms() if doc.searchable else None
    return {
        "project_id": doc.project_id,
        "status": doc.status,
        "title": doc.title,
        "summary": doc.summary,
        "category": doc.category,
        "province": doc.province,
        "city": doc.city,
        "org_id": doc.org_id,
        "campaign_ids": set(doc.campaign_ids),
        "created_at": doc.created_at,
        "updated_at": doc.updated_at,
        "start_date": doc.start_date,
        "end_date": doc.end_date,
        "end_at": doc.end_at,
        "cover_image_key": doc.cover_image_key,
        "target_fen": doc.target_fen,
        "raised_fen": raised,
        "title_terms": set(terms.title) if terms else set(),
        "body_terms": set(terms.body) if terms else set(),
        "facets": doc.facets() if terms else set(),
    }


def bulk_index_items(docs: Iterable[tuple[ProjectDocument, int]]) -> list[dict[str, Any]]:
    """Every item of a freshly built index of ``(document, amount raised)`` pairs, in stored
    form for BatchWriteItem: the same postings, columns and cards the indexer writes one
    project at a time (rebuilds after an analysis change; benchmarks)."""
    postings: dict[tuple[str, str, str], dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    columns: dict[tuple[str, str, str], dict[str, str | int]] = defaultdict(dict)
    items = []
    for doc, raised in docs:
        card = _card(doc, raised)
        items.append(encode_card(card))
        if not doc.searchable:
            continue
        bucket = bucket_of(doc.project_id)
        for status, key, set_name in _postings_of(doc.status, card["title_terms"], card["body_terms"], card["facets"]):
            postings[(status, key, bucket)][set_name].add(doc.project_id)
        for name, value in (("created", doc.created_at), ("end", doc.end_at), ("raised", raised)):
            columns[(doc.status, name, bucket)][doc.project_id] = value
    items += [posting_item(status, key, bucket, sets) for (status, key, bucket), sets in postings.items()]
    items += [column_item(status, name, bucket, values) for (status, name, bucket), values in columns.items()]
    return items


def _hit(card: dict[str, Any], score: int, key: tuple[Any, ...]) -> SearchHit:
    return SearchHit(
        project_id=card["project_id"],
        title=card.get("title", ""),
        summary=card.get("summary", ""),
        category=card.get("category", ""),
        province=card.get("province", ""),
        city=card.get("city", ""),
        org_id=card.get("org_id", ""),
        status=card["status"],
        target_fen=int(card.get("target_fen", 0)),
        raised_fen=int(card.get("raised_fen", 0)),
        start_date=card.get("start_date", ""),
        end_date=card.get("end_date", ""),
        created_at=card.get("created_at", ""),
        cover_image_key=card.get("cover_image_key"),
        score=score,
        sort_key=key,
    )
