"""Project search as the API offers it: validate the parameters, ask the index, page."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.config import Settings
from chalicelib.errors import ValidationFailed
from chalicelib.logic.search.cursor import decode_cursor, encode_cursor
from chalicelib.logic.search.index import SearchIndex
from chalicelib.logic.search.model import (
    DEFAULT_LIMIT,
    FILTER_FIELDS,
    MAX_LIMIT,
    SEARCHABLE_STATUSES,
    SearchPage,
    SearchQuery,
    Sort,
)

MAX_Q_CHARS = 64


@dataclass(frozen=True)
class SearchRequest:
    """The raw query-string parameters (strings, as they arrive)."""

    q: str | None = None
    status: str | None = None
    sort: str | None = None
    limit: str | None = None
    cursor: str | None = None
    category: str | None = None
    province: str | None = None
    city: str | None = None
    org_id: str | None = None
    campaign_id: str | None = None


def index_for(settings: Settings) -> SearchIndex:
    """The stage's search back end (DynamoDB; an OpenSearch class would plug in here)."""
    from chalicelib.dal.search_index import DynamoSearchIndex

    return DynamoSearchIndex(settings)


def parse_request(request: SearchRequest, *, cursor_key: bytes) -> SearchQuery:
    q = (request.q or "").strip()
    if len(q) > MAX_Q_CHARS:
        raise ValidationFailed(f"q is longer than {MAX_Q_CHARS} characters", code="q_too_long")
    status = request.status or "online"
    if status not in SEARCHABLE_STATUSES:
        raise ValidationFailed(f"status must be one of {', '.join(SEARCHABLE_STATUSES)}", code="unknown_status")
    if request.sort:
        try:
            sort = Sort(request.sort)
        except ValueError:
            raise ValidationFailed(
                f"sort must be one of {', '.join(s.value for s in Sort)}", code="unknown_sort"
            ) from None
    else:
        sort = Sort.RELEVANCE if q else Sort.NEWEST
    limit = DEFAULT_LIMIT
    if request.limit is not None:
        if not request.limit.isdigit() or not 1 <= int(request.limit) <= MAX_LIMIT:
            raise ValidationFailed(f"limit must be a whole number from 1 to {MAX_LIMIT}", code="limit_out_of_range")
        limit = int(request.limit)
    filters = {name: value for name in FILTER_FIELDS if (value := (getattr(request, name) or "").strip())}
    query = SearchQuery(q=q, status=status, sort=sort, limit=limit, filters=filters)
    if request.cursor:
        after = decode_cursor(request.cursor, query, key=cursor_key)
        query = SearchQuery(q=q, status=status, sort=sort, limit=limit, filters=filters, after=after)
    return query


def search_projects(
    index: SearchIndex, request: SearchRequest, *, cursor_key: bytes
) -> tuple[SearchPage, str | None, str]:
    """A page of results, the cursor of the next page (``None`` on the last page) and the sort used."""
    query = parse_request(request, cursor_key=cursor_key)
    page = index.search(query)
    next_cursor = None
    if page.has_more and page.last_key is not None:
        next_cursor = encode_cursor(query, page.last_key, key=cursor_key)
    return page, next_cursor, query.sort.value
