"""Public project search: ``GET /projects``."""

from __future__ import annotations

from chalice import Blueprint
from pydantic import BaseModel, Field

from chalicelib.api.routing import RequestContext, api_route
from chalicelib.logic.search.service import SearchRequest, index_for, search_projects

bp = Blueprint(__name__)


class ProjectSearchParams(BaseModel):
    """Query string of ``GET /projects``. Values are checked by the search logic, which
    answers 422 with ``unknown_sort``, ``unknown_status``, ``limit_out_of_range`` or
    ``q_too_long``, and 400 ``invalid_cursor``."""

    q: str | None = Field(default=None, description="words as a donor types them, e.g. 武汉医疗 or 2020抗疫 (max 64)")
    category: str | None = Field(default=None, description="exact category, e.g. 医疗救助")
    province: str | None = Field(default=None, description="exact province, e.g. 湖北省")
    city: str | None = Field(default=None, description="exact city, e.g. 武汉市")
    org_id: str | None = Field(default=None, description="the raising charity")
    campaign_id: str | None = Field(default=None, description="a campaign the project joined")
    status: str | None = Field(default=None, description="online (default) | ended | closed")
    sort: str | None = Field(
        default=None, description="relevance (default with q) | newest (default without q) | most_raised | ending_soon"
    )
    limit: str | None = Field(default=None, description="1..100, default 20")
    cursor: str | None = Field(default=None, description="next_cursor of the previous page, as given")


class ProjectHitView(BaseModel):
    project_id: str
    title: str
    summary: str
    category: str
    province: str
    city: str
    org_id: str
    status: str
    target_fen: int
    raised_fen: int = Field(description="amount raised, fen; refreshed within seconds of a payment")
    start_date: str
    end_date: str
    created_at: str
    cover_image_key: str | None = None
    score: int = Field(description="relevance: 2 per query term in the title, 1 per term only in the text")


class ProjectSearchResults(BaseModel):
    items: list[ProjectHitView]
    total: int = Field(description="projects matching the query and filters")
    sort: str
    next_cursor: str | None = Field(default=None, description="pass as cursor= for the next page; absent on the last")


@api_route(
    bp,
    "/projects",
    "GET",
    summary="Search and list public projects (Chinese full text, filters, sorting, paging)",
    tags=["search"],
    query=ProjectSearchParams,
    response=ProjectSearchResults,
    auth="none",
)
def search(ctx: RequestContext) -> ProjectSearchResults:
    params: ProjectSearchParams = ctx.query
    request = SearchRequest(**params.model_dump())
    page, next_cursor, sort = search_projects(
        index_for(ctx.settings), request, cursor_key=ctx.settings.search_cursor_key.encode()
    )
    items = [ProjectHitView(**{k: getattr(h, k) for k in ProjectHitView.model_fields}) for h in page.hits]
    return ProjectSearchResults(items=items, total=page.total, sort=sort, next_cursor=next_cursor)
