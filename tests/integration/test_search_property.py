"""Property: on random projects, edits and queries, search returns exactly what a
brute-force filter (tests/search_oracle.py) returns, page after page.

The semantics checked are written in ``chalicelib.logic.search.analysis`` and
restated independently by the oracle. Projects are indexed through the real
indexer (stream records, including edits and status changes), and every
query is paged to the end with its cursor, so analysis, postings diffs,
filters, ranking and keyset paging are all under test. The number of
examples run is recorded in bench/results/search.md (``SEARCH_PROPERTY_REPORT=1``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.logic.search.indexer import apply_project_record
from chalicelib.logic.search.model import SEARCHABLE_STATUSES, SearchQuery, Sort
from chalicelib.logic.search.service import SearchRequest, index_for, search_projects
from tests.factories import build_project, stream_record
from tests.search_oracle import brute_force

EXAMPLES = int(os.environ.get("SEARCH_PROPERTY_EXAMPLES", "25"))
KEY = b"property-cursor-key"
# Texts from a small vocabulary (plus random characters) so that random texts and
# queries collide often: matches in titles, in bodies, partial words, mixed scripts.
WORDS = ["武汉", "医疗", "汉医", "乡村", "振兴", "疫情", "2020", "covid", "cov", "爱", "，", " ", "A"]
TEXT = st.lists(st.one_of(st.sampled_from(WORDS), st.text(alphabet="武汉医疗村爱a1 ", max_size=2)), max_size=5).map(
    "".join
)
QUERY_TEXT = st.lists(
    st.one_of(st.sampled_from(WORDS), st.text(alphabet="武汉医疗村爱a1", min_size=1, max_size=2)), max_size=2
).map("".join)
STATUSES = ["online"] * 6 + ["ended", "closed", "draft", "offline"]

project_versions = st.fixed_dictionaries(
    {
        "title": TEXT,
        "summary": st.sampled_from(["", "爱", "武汉 爱心", "乡村医疗"]),
        "description": TEXT,
        "status": st.sampled_from(STATUSES),
        "category": st.sampled_from(["医疗救助", "教育助学"]),
        "city": st.sampled_from(["武汉市", "黄冈市"]),
        "campaign_ids": st.lists(st.sampled_from(["c1", "c2"]), max_size=2, unique=True),
        "created_at": st.sampled_from(["2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z"]),
        "end_at": st.sampled_from(["2026-06-30T15:59:59Z", "2026-09-30T15:59:59Z"]),
    }
)
queries = st.fixed_dictionaries(
    {
        "q": QUERY_TEXT,
        "status": st.sampled_from(["online"] * 4 + list(SEARCHABLE_STATUSES)),
        "sort": st.sampled_from([None, *[s.value for s in Sort]]),
        "limit": st.integers(min_value=1, max_value=4),
        "filters": st.just({})
        | st.just({})
        | st.fixed_dictionaries(
            {},
            optional={
                "category": st.sampled_from(["医疗救助", "教育助学"]),
                "city": st.sampled_from(["武汉市", "黄冈市"]),
                "campaign_id": st.just("c1"),
            },
        ),
    }
)
examples_run = 0


def _substring_of(text: str) -> st.SearchStrategy[str]:
    return st.tuples(st.integers(0, len(text)), st.integers(1, 4)).map(lambda ab: text[ab[0] : ab[0] + ab[1]])


examples_passed = 0


def _fresh_search_table(settings_: Any) -> None:
    from chalicelib.dal.aws import aws_client
    from chalicelib.dal.search_items import SearchIndexModel
    from infra.build import _create_table_kwargs, table_resource

    ddb = aws_client(settings_, "dynamodb")
    ddb.delete_table(TableName=str(SearchIndexModel.Meta.table_name))
    ddb.create_table(**_create_table_kwargs(table_resource(SearchIndexModel, settings_)["Properties"]))


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    histories=st.lists(st.lists(project_versions, min_size=1, max_size=2), min_size=2, max_size=8),
    asked=st.lists(queries, min_size=1, max_size=4),
    data=st.data(),
)
def test_search_equals_brute_force(
    aws: Any, histories: list[list[dict[str, Any]]], asked: list[dict[str, Any]], data: st.DataObject
) -> None:
    global examples_run, examples_passed
    examples_run += 1
    _fresh_search_table(aws)
    index = index_for(aws)
    # Given projects, each created then possibly edited (stream records in order)
    latest: list[dict[str, Any]] = []
    for versions in histories:
        previous = None
        project_id = build_project().project_id
        for n, version in enumerate(versions):
            project = build_project(project_id=project_id, updated_at=f"2026-04-0{n + 1}T00:00:00Z", **version)
            apply_project_record(index, stream_record(project, previous))
            previous = project
        assert previous is not None
        latest.append(previous.attribute_values)
    texts = [p[f] for p in latest for f in ("title", "description") if p[f].strip()]
    for spec in asked:
        q = spec["q"].strip()
        if texts and data.draw(st.booleans(), label="q from the data"):
            q = data.draw(_substring_of(data.draw(st.sampled_from(texts))), label="q").strip()
        sort = Sort(spec["sort"] or ("relevance" if q else "newest"))
        query = SearchQuery(q=q, status=spec["status"], sort=sort, filters=spec["filters"])
        # When the query is paged to its end
        served: list[str] = []
        cursor = None
        for _ in range(len(latest) + 1):
            request = SearchRequest(
                q=q,
                status=spec["status"],
                sort=spec["sort"],
                limit=str(spec["limit"]),
                cursor=cursor,
                **spec["filters"],
            )
            page, cursor, _ = search_projects(index, request, cursor_key=KEY)
            served += [hit.project_id for hit in page.hits]
            if cursor is None:
                break
        # Then it served exactly the brute-force answer, in the same order
        assert served == brute_force(latest, query), (q, spec)
    examples_passed += 1


@pytest.fixture(scope="module", autouse=True)
def _report() -> Any:
    yield
    if os.environ.get("SEARCH_PROPERTY_REPORT") and examples_run and examples_passed == examples_run:
        path = Path(__file__).resolve().parents[2] / "bench" / "results" / "search.md"
        text = path.read_text() if path.exists() else "# Search benchmark\n"
        head = text.split("\n## Property test")[0].rstrip("\n")
        path.write_text(
            head
            + "\n\n## Property test\n\n"
            + f"`SEARCH_PROPERTY_REPORT=1 SEARCH_PROPERTY_EXAMPLES={EXAMPLES} .venv/bin/pytest tests/integration/test_search_property.py`: "
            + f"{examples_run} random examples (each: 2 to 8 projects with up to 2 versions through the stream indexer, "
            + "up to 4 random queries paged to the end) — search equalled the brute-force filter in every one.\n"
        )
