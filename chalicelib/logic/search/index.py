"""The interface every search back end implements.

``DynamoSearchIndex`` (``chalicelib.dal.search_index``) is today's; an
OpenSearch implementation would index the same ``ProjectDocument`` (title and
body fields with a CJK bigram analyzer, keyword fields for the filters) and
answer the same ``SearchQuery`` with ``search_after`` on the same sort keys.
Callers (API, stream handlers) only ever see this protocol.
"""

from __future__ import annotations

from typing import Protocol

from chalicelib.logic.search.model import ProjectDocument, SearchPage, SearchQuery


class SearchIndex(Protocol):
    def upsert(self, doc: ProjectDocument) -> None:
        """Make the index reflect ``doc`` (a newer version of the project replaces an
        older one; an older one arriving late is ignored; an unsearchable status removes it)."""

    def remove(self, project_id: str, *, updated_at: str) -> None:
        """Forget a deleted project."""

    def refresh_raised(self, project_id: str, raised_fen: int | None = None) -> None:
        """Record the project's amount raised (for ``most_raised``); re-read it when not given."""

    def search(self, query: SearchQuery) -> SearchPage:
        """One page of results in the query's order, starting after ``query.after``."""
