"""The brute-force answer to a search: a filter over every project, no index.

It restates the query semantics of ``chalicelib.logic.search.analysis``
with substring tests on the raw text (not with the index's term sets), so
the property test and the benchmark compare the index against an
independent reading of the same rules:

* a Han bigram of the query matches a field whose normalised text contains it;
* a single Han character matches a title containing it, or a summary or
  description where it stands alone (a one-character Han run);
* a Latin/digit word of the query (cut to 15 characters) matches a field
  with a word that starts with it;
* a project matches when every query term matches its title or body (summary, description,
  category, province, city), and it
  has the query's status and every filter value; score = 2 per term in the
  title + 1 per term only in the body; order as ``chalicelib.logic.search.model.sort_key``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from chalicelib.logic.search.analysis import normalize, query_terms, runs
from chalicelib.logic.search.model import SearchQuery, Sort, sort_key

# The body: summary, description, and the category and place labels (searchable words too).
BODY_FIELDS = ("summary", "description", "category", "province", "city")


def _term_in(term: str, text: str, *, title: bool) -> bool:
    if term.isascii():
        return any(kind == "word" and word.startswith(term) for kind, word in runs(text))
    if len(term) == 2 or title:
        return term in normalize(text)
    return ("han", term) in runs(text)


def matches(project: dict[str, Any], query: SearchQuery) -> tuple[bool, int]:
    """Whether ``project`` (a dict of ProjectModel attributes) answers ``query``, and its score."""
    if project["status"] != query.status:
        return False, 0
    for name, value in query.filters.items():
        if name == "campaign_id":
            if value not in (project.get("campaign_ids") or []):
                return False, 0
        elif project.get(name) != value:
            return False, 0
    score = 0
    for term in query_terms(query.q):
        if _term_in(term, project["title"], title=True):
            score += 2
        elif any(_term_in(term, project.get(f) or "", title=False) for f in BODY_FIELDS):
            score += 1
        else:
            return False, 0
    return True, score


def brute_force(
    projects: Iterable[dict[str, Any]], query: SearchQuery, raised: dict[str, int] | None = None
) -> list[str]:
    """Ids of every matching project in the query's order."""
    keyed = []
    for project in projects:
        ok, score = matches(project, query)
        if not ok:
            continue
        key = sort_key(
            query.sort,
            project_id=project["project_id"],
            score=score,
            created=project["created_at"],
            end=project["end_at"],
            raised=(raised or {}).get(project["project_id"], 0),
        )
        keyed.append((key, project["project_id"]))
    keyed.sort(reverse=query.sort is not Sort.ENDING_SOON)
    return [pid for _, pid in keyed]
