"""``SearchIndex`` on DynamoDB: postings intersected in memory, ranked, keyset-paged.

* A listing (no words, no filters) walks the sort order's column: one short Query
  per bucket from the cursor, merged; ``total`` is the status's count. Its reads
  do not grow with the number of projects.
* A query with words or filters reads the postings of each term/filter (one paged
  Query per bucket, in parallel; reads grow with the projects that match each
  term, never with the platform), intersects them starting from the smallest and
  scores title/body matches. Relevance and newest rank from the postings alone
  (they carry ``created_at``); most raised and ending soon rank up to
  ``CARD_LOOKUP_MAX`` candidates from their cards, more by walking the column in
  order and keeping the candidates until the page is full.

Only the page's cards are fetched to answer. No Scan anywhere.

This is the DynamoDB implementation of ``SearchIndex``
(``chalicelib.logic.search.index``); the table, its keys and its wire format
belong to ``chalicelib.dal.search``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any

from chalicelib.config import Settings
from chalicelib.dal.search import CardChanged, SearchStore
from chalicelib.dal.search_items import (
    bucket_of,
    column_keys,
    column_sk,
    count_item,
    encode_card,
    indexed,
    key_item,
    posting_item,
    project_of_column_sk,
)
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
WALK_PAGE = 200  # column entries per Query when walking for a filtered candidate set
ATTEMPTS = 8  # a card lost to racing writers is read again and retried this many times
COLUMN_OF_SORT = {
    Sort.RELEVANCE: "created",
    Sort.NEWEST: "created",
    Sort.MOST_RAISED: "raised",
    Sort.ENDING_SOON: "end",
}


def _postings_of(card: dict[str, Any] | None) -> dict[tuple[str, str], str]:
    """``(status, key) -> where`` of every posting a card's project is indexed under."""
    if not indexed(card):
        return {}
    assert card is not None
    status = card["status"]
    found = {(status, f"f:{f}"): "f" for f in card["facets"] if f != "*"}
    found.update({(status, f"t:{t}"): "b" for t in card["body_terms"]})
    found.update({(status, f"t:{t}"): "t" for t in card["title_terms"]})
    return found


def _cursor_sk(sort: Sort, after: tuple[Any, ...]) -> str:
    """The column sort key of a cursor (the sort key tuple of the last result served)."""
    if sort is Sort.MOST_RAISED:
        raised, created, pid = after
        return column_sk("raised", project_id=pid, created=created, end="", raised=raised)
    if sort is Sort.ENDING_SOON:
        end, pid = after
        return column_sk("end", project_id=pid, created="", end=end, raised=0)
    created, pid = after[-2:]
    return column_sk("created", project_id=pid, created=created, end="", raised=0)


class DynamoSearchIndex:
    def __init__(self, settings: Settings, store: SearchStore | None = None):
        self.store = store or SearchStore(settings)

    # -- writes (the indexer) -----------------------------------------------
    def upsert(self, doc: ProjectDocument) -> None:
        for _ in range(ATTEMPTS):
            card = self.store.get_card(doc.project_id)
            if card and card.get("updated_at", "") > doc.updated_at:
                return  # a late, older version of the project: the index already has a newer one
            raised = read_totals(doc.project_id, doc.counter_shards).amount_fen if doc.searchable else 0
            new = _card(doc, raised)
            # Postings first, the card last: if this is interrupted the card still describes
            # the old postings, so the retry computes the same diff (puts/deletes are idempotent).
            before = _postings_of(card)
            if card is not None and card.get("created_at") != doc.created_at:
                # Every posting carries the creation time (newest-first ranks by it): rewrite them all.
                before = dict.fromkeys(before, "")
            self.store.change_postings(doc.project_id, doc.created_at, before, _postings_of(new))
            try:
                self.store.swap_card(card, new)
                return
            except CardChanged:
                continue
        raise CardChanged(doc.project_id)

    def remove(self, project_id: str, *, updated_at: str) -> None:
        for _ in range(ATTEMPTS):
            card = self.store.get_card(project_id)
            if card is None:
                return
            tombstone = {
                **card,
                "status": "deleted",
                "updated_at": max(updated_at, card.get("updated_at", "")),
                "title_terms": set(),
                "body_terms": set(),
                "facets": set(),
            }
            self.store.change_postings(project_id, card.get("created_at", ""), _postings_of(card), {})
            try:
                self.store.swap_card(card, tombstone)
                return
            except CardChanged:
                continue
        raise CardChanged(project_id)

    def refresh_raised(self, project_id: str, raised_fen: int | None = None) -> None:
        """One transaction on three small items (card, old and new ``raised`` column entries)."""
        raised = read_totals(project_id).amount_fen if raised_fen is None else raised_fen
        for _ in range(ATTEMPTS):
            card = self.store.get_card(project_id)
            if not indexed(card) or card is None or int(card.get("raised_fen") or 0) == raised:
                return  # not searchable now (upsert reads the totals when it becomes so), or current
            try:
                self.store.swap_card(card, {**card, "raised_fen": raised})
                return
            except CardChanged:
                continue
        raise CardChanged(project_id)

    # -- reads ----------------------------------------------------------------
    def search(self, query: SearchQuery) -> SearchPage:
        terms = query_terms(query.q)
        keys = [f"t:{t}" for t in terms] + [f"f:{f}" for f in query.facets()]
        if not keys:
            return self._listing(query)
        postings = self.store.postings(query.status, keys)
        where: dict[str, dict[str, str]] = {}
        created: dict[str, str] = {}
        for key, found in zip(keys, postings, strict=True):
            if key.startswith("t:"):
                where[key[2:]] = {pid: w for pid, (w, _) in found.items()}
            created.update({pid: c for pid, (_, c) in found.items()})
        matched = sorted((set(found) for found in postings), key=len)
        candidates = set(matched[0]).intersection(*matched[1:])
        if not candidates:
            return SearchPage(hits=[], total=0, has_more=False)
        scores = {
            pid: relevance(
                terms,
                {t for t in terms if where[t][pid] == "t"},
                {t for t in terms if where[t][pid] == "b"},
            )
            for pid in candidates
        }
        cards: dict[str, dict[str, Any]] = {}
        if query.sort in (Sort.RELEVANCE, Sort.NEWEST):
            ordered = [
                sort_key(query.sort, project_id=pid, score=scores[pid], created=created[pid], end="", raised=0)
                for pid in candidates
            ]
        elif len(candidates) <= CARD_LOOKUP_MAX:
            cards = {pid: c for pid, c in self.store.cards(candidates).items() if c["status"] == query.status}
            ordered = [_card_sort_key(query.sort, c, scores[c["project_id"]]) for c in cards.values()]
        else:
            return self._walk(query, candidates=candidates, total=len(candidates), scores=scores)
        if query.after is not None:
            ordered = [k for k in ordered if comes_after(k, query.after, query.sort)]
        ordered.sort(reverse=query.sort.descending)
        page = ordered[: query.limit + 1]
        return self._page(query, page, scores, cards, total=len(candidates))

    def _listing(self, query: SearchQuery) -> SearchPage:
        return self._walk(query, candidates=None, total=self.store.count(query.status), scores={})

    def _walk(
        self, query: SearchQuery, *, candidates: set[str] | None, total: int, scores: dict[str, int]
    ) -> SearchPage:
        """Walk the sort order's column from the cursor, keeping ``candidates`` (all when None)."""
        name = COLUMN_OF_SORT[query.sort]
        after = _cursor_sk(query.sort, query.after) if query.after is not None else None
        page_size = query.limit + 1 if candidates is None else WALK_PAGE
        entries: Iterator[str] = self.store.walk_column(
            query.status, name, descending=query.sort.descending, after=after, page_size=page_size
        )
        if candidates is not None:
            entries = (sk for sk in entries if project_of_column_sk(sk) in candidates)
        chosen = list(islice(entries, query.limit + 1))
        cards = self.store.cards(project_of_column_sk(sk) for sk in chosen[: query.limit])
        keys = [
            _card_sort_key(query.sort, cards[pid], scores.get(pid, 0)) if pid in cards else (pid,)
            for pid in map(project_of_column_sk, chosen)
        ]
        return self._page(query, keys, scores, cards, total=total, ordered=True)

    def _page(
        self,
        query: SearchQuery,
        keys: list[tuple[Any, ...]],
        scores: dict[str, int],
        cards: dict[str, dict[str, Any]],
        *,
        total: int,
        ordered: bool = False,
    ) -> SearchPage:
        page = keys[: query.limit]
        missing = [k[-1] for k in page if k[-1] not in cards]
        if missing:
            cards = {**cards, **self.store.cards(missing)}
        hits = [
            _hit(cards[k[-1]], scores.get(k[-1], 0), k)
            for k in page
            if k[-1] in cards and cards[k[-1]]["status"] == query.status
        ]
        return SearchPage(
            hits=hits,
            total=total,
            has_more=len(keys) > query.limit,
            last_key=page[-1] if page else None,
        )


def _card_sort_key(sort: Sort, card: dict[str, Any], score: int) -> tuple[Any, ...]:
    return sort_key(
        sort,
        project_id=card["project_id"],
        score=score,
        created=card.get("created_at", ""),
        end=card.get("end_at", ""),
        raised=int(card.get("raised_fen") or 0),
    )


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


def bulk_index_items(docs: Iterable[tuple[ProjectDocument, int]]) -> Iterator[dict[str, Any]]:
    """Every item of a freshly built index of ``(document, amount raised)`` pairs, in stored
    form for BatchWriteItem, one project at a time (a generator: a million projects never
    sit in memory): the same cards, postings, columns and counts the indexer writes
    (rebuilds after an analysis change; benchmarks; the item-size test)."""
    counts: Counter[tuple[str, str]] = Counter()
    for doc, raised in docs:
        card = _card(doc, raised)
        yield encode_card({**card, "ver": 1})
        bucket = bucket_of(doc.project_id)
        for (status, key), where in sorted(_postings_of(card).items()):
            yield posting_item(status, key, doc.project_id, where, doc.created_at, bucket)
        for pk, sk in column_keys(card):
            yield key_item(pk, sk)
        if indexed(card):
            counts[(doc.status, bucket_of(doc.project_id))] += 1
    for (status, bucket), n in sorted(counts.items()):
        yield count_item(status, bucket, n)


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
