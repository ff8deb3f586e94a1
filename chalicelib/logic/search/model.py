"""What search stores about a project, what a caller asks and what it gets back.

These are plain dataclasses so that any ``SearchIndex`` (DynamoDB today,
OpenSearch tomorrow) speaks the same language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from chalicelib.logic.search.analysis import ProjectTerms

# Statuses the public can search. Drafts, projects under review, rejected ones
# and projects taken offline for non-compliance are not public listings.
SEARCHABLE_STATUSES = ("online", "ended", "closed")
MAX_LIMIT = 100
DEFAULT_LIMIT = 20
# Filters that narrow a search, by the project field they match exactly.
FILTER_FIELDS = ("category", "province", "city", "org_id", "campaign_id")


class Sort(StrEnum):
    RELEVANCE = "relevance"  # query terms in the title first, then newest
    NEWEST = "newest"  # created_at, newest first
    MOST_RAISED = "most_raised"  # amount raised, largest first, then newest
    ENDING_SOON = "ending_soon"  # end time, soonest first

    @property
    def descending(self) -> bool:
        return self is not Sort.ENDING_SOON


@dataclass(frozen=True)
class ProjectDocument:
    """A project as the index sees it (converted from the stored ProjectModel)."""

    project_id: str
    status: str
    title: str
    summary: str
    description: str
    category: str
    province: str
    city: str
    org_id: str
    campaign_ids: tuple[str, ...]
    created_at: str
    updated_at: str
    start_date: str
    end_date: str
    end_at: str
    target_fen: int
    cover_image_key: str | None = None
    counter_shards: int = 10  # how many sharded counters hold its totals

    @property
    def searchable(self) -> bool:
        return self.status in SEARCHABLE_STATUSES

    def terms(self) -> ProjectTerms:
        # The category and place are searchable words too: a donor typing 医疗 or 武汉 means them.
        labels = " ".join((self.category, self.province, self.city))
        return ProjectTerms.of(self.title, self.summary, f"{self.description} {labels}")

    def facets(self) -> set[str]:
        """Filter values the project can be found by (``*`` = every project of its status)."""
        found = {"*", f"category={self.category}", f"province={self.province}", f"city={self.city}"}
        found.add(f"org_id={self.org_id}")
        found.update(f"campaign_id={c}" for c in self.campaign_ids)
        return found

    @classmethod
    def from_project(cls, project: Any) -> ProjectDocument:
        """From a ``ProjectModel`` (or anything with its attributes)."""
        return cls(
            project_id=project.project_id,
            status=project.status,
            title=project.title or "",
            summary=project.summary or "",
            description=project.description or "",
            category=project.category or "",
            province=project.province or "",
            city=project.city or "",
            org_id=project.org_id or "",
            campaign_ids=tuple(project.campaign_ids or ()),
            created_at=project.created_at,
            updated_at=project.updated_at,
            start_date=project.start_date or "",
            end_date=project.end_date or "",
            end_at=project.end_at or "",
            target_fen=int(project.target_fen or 0),
            cover_image_key=project.cover_image_key,
            counter_shards=int(getattr(project, "counter_shards", None) or 10),
        )


@dataclass(frozen=True)
class SearchQuery:
    q: str = ""
    status: str = "online"
    sort: Sort = Sort.NEWEST
    limit: int = DEFAULT_LIMIT
    filters: dict[str, str] = field(default_factory=dict)  # FILTER_FIELDS -> exact value
    after: tuple[Any, ...] | None = None  # the sort key of the last item already seen

    def facets(self) -> list[str]:
        return [f"{name}={value}" for name, value in sorted(self.filters.items())]


@dataclass(frozen=True)
class SearchHit:
    project_id: str
    title: str
    summary: str
    category: str
    province: str
    city: str
    org_id: str
    status: str
    target_fen: int
    raised_fen: int
    start_date: str
    end_date: str
    created_at: str
    cover_image_key: str | None
    score: int
    sort_key: tuple[Any, ...]


@dataclass(frozen=True)
class SearchPage:
    hits: list[SearchHit]
    total: int  # matches of the query at the time of this page
    has_more: bool
    last_key: tuple[Any, ...] | None = None  # sort key of the page's last result (the next cursor)


def sort_key(sort: Sort, *, project_id: str, score: int, created: str, end: str, raised: int) -> tuple[Any, ...]:
    """The total order of results (unique thanks to the id): keyset paging resumes after it."""
    if sort is Sort.RELEVANCE:
        return (score, created, project_id)
    if sort is Sort.MOST_RAISED:
        return (raised, created, project_id)
    if sort is Sort.ENDING_SOON:
        return (end, project_id)
    return (created, project_id)


def comes_after(key: tuple[Any, ...], cursor: tuple[Any, ...], sort: Sort) -> bool:
    return key < cursor if sort.descending else key > cursor
