"""Project search on moto: the indexer (stream records), the index, GET /projects."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.logic.search.indexer import apply_project_record, projects_with_new_totals
from chalicelib.logic.search.model import SearchQuery, Sort
from chalicelib.logic.search.service import SearchRequest, index_for, search_projects
from tests.factories import build_project, stream_record

KEY = b"integration-cursor-key"


@pytest.fixture
def index(aws: Any) -> Any:
    return index_for(aws)


def publish(index: Any, old: Any = None, **fields: Any) -> Any:
    """Save a project (new, or ``old`` changed by ``fields``) and deliver its stream record."""
    if old is None:
        project = build_project(**fields)
    else:
        project = build_project(**{**old.attribute_values, **fields, "updated_at": _later(old.updated_at)})
    project.save()
    index_record(index, project, old)
    return project


def index_record(index: Any, new: Any, old: Any = None) -> None:
    apply_project_record(index, stream_record(new, old))


def _later(iso: str) -> str:
    from datetime import timedelta

    from chalicelib.clock import parse_iso, to_iso

    return to_iso(parse_iso(iso) + timedelta(seconds=1))


def titles(index: Any, **params: Any) -> list[str]:
    page, _, _ = search_projects(index, SearchRequest(**params), cursor_key=KEY)
    return [hit.title for hit in page.hits]


def test_chinese_queries_find_projects_as_users_type_them(index: Any) -> None:
    # Given projects with Chinese titles and descriptions
    publish(index, title="武汉医疗物资援助计划", description="为抗击新冠肺炎疫情采购防护服和口罩")
    publish(index, title="2020抗疫一线医护关爱行动", description="支持湖北疫情防控工作")
    publish(index, title="乡村振兴 电商助农", description="帮助山区农户销售农产品")
    # When / Then: without spaces, with spaces, partial words, digits mixed with Han
    assert titles(index, q="武汉 医疗") == ["武汉医疗物资援助计划"]
    assert titles(index, q="武汉医疗") == ["武汉医疗物资援助计划"]
    assert titles(index, q="疫情防控") == ["2020抗疫一线医护关爱行动"]
    assert titles(index, q="2020抗疫") == ["2020抗疫一线医护关爱行动"]
    assert titles(index, q="乡村振兴") == ["乡村振兴 电商助农"]
    assert titles(index, q="新冠") == ["武汉医疗物资援助计划"]
    assert titles(index, q="上海") == []


def test_title_matches_rank_above_description_matches(index: Any) -> None:
    publish(index, title="武汉大学生助学", description="资助湖北学生", created_at="2026-01-01T00:00:00Z")
    publish(index, title="湖北助学计划", description="资助武汉大学生", created_at="2026-02-01T00:00:00Z")
    publish(index, title="武汉助学", description="资助武汉大学生", created_at="2026-01-01T00:00:00Z")
    # Title matches first (newer first among equals), then the newer description-only match
    found = titles(index, q="武汉")
    assert set(found[:2]) == {"武汉助学", "武汉大学生助学"} and found[2] == "湖北助学计划"


def test_an_edit_reindexes_and_only_searched_fields_trigger_work(index: Any) -> None:
    project = publish(index, title="旧标题救助")
    edited = publish(index, project, title="新标题乡村图书馆")
    assert titles(index, q="旧标题") == []
    assert titles(index, q="图书馆") == ["新标题乡村图书馆"]
    # A late replay of the older version changes nothing.
    index_record(index, project)
    assert titles(index, q="图书馆") == ["新标题乡村图书馆"]
    assert titles(index, q="旧标题") == []
    assert edited.title == "新标题乡村图书馆"


def test_status_changes_move_projects_between_listings(index: Any) -> None:
    project = publish(index, title="武汉防疫物资")
    ended = publish(index, project, status="ended")
    assert titles(index, q="武汉") == []
    assert titles(index, q="武汉", status="ended") == ["武汉防疫物资"]
    publish(index, ended, status="offline")
    assert titles(index, q="武汉", status="ended") == []
    assert titles(index) == []


def test_a_deleted_project_leaves_the_index(index: Any) -> None:
    project = publish(index, title="武汉防疫物资")
    apply_project_record(index, stream_record(None, project))
    assert titles(index, q="武汉") == []


def test_filters_combine_with_q(index: Any) -> None:
    publish(index, title="武汉助学", category="教育助学", province="湖北省", city="武汉市", org_id="org-a")
    publish(
        index,
        title="武汉医疗",
        category="医疗救助",
        province="湖北省",
        city="武汉市",
        org_id="org-b",
        campaign_ids=["c1"],
    )
    publish(index, title="成都助学", category="教育助学", province="四川省", city="成都市", org_id="org-a")
    assert titles(index, q="武汉", category="教育助学") == ["武汉助学"]
    assert sorted(titles(index, category="教育助学")) == ["成都助学", "武汉助学"]
    assert titles(index, q="助学", province="四川省") == ["成都助学"]
    assert titles(index, org_id="org-b") == ["武汉医疗"]
    assert titles(index, campaign_id="c1", city="武汉市") == ["武汉医疗"]
    assert titles(index, campaign_id="c2") == []


def test_sorts_newest_ending_soon_and_most_raised(index: Any, aws: Any) -> None:
    from chalicelib.dal.totals import ProjectCounterModel

    a = publish(index, title="甲项目", created_at="2026-01-01T00:00:00Z", end_at="2026-12-01T00:00:00Z")
    publish(index, title="乙项目", created_at="2026-02-01T00:00:00Z", end_at="2026-03-01T00:00:00Z")
    c = publish(index, title="丙项目", created_at="2026-03-01T00:00:00Z", end_at="2026-06-01T00:00:00Z")
    assert titles(index) == ["丙项目", "乙项目", "甲项目"]
    assert titles(index, sort="ending_soon") == ["乙项目", "丙项目", "甲项目"]
    # When donations are paid (counters move) and the donations stream says so
    ProjectCounterModel.for_shard(a.project_id, 0, amount_fen=5_000).save()
    ProjectCounterModel.for_shard(a.project_id, 3, amount_fen=7_000).save()
    ProjectCounterModel.for_shard(c.project_id, 1, amount_fen=9_000).save()
    paid = [
        {
            "dynamodb": {
                "NewImage": {"project_id": {"S": pid}, "status": {"S": "paid"}},
                "OldImage": {"status": {"S": "pending"}},
            }
        }
        for pid in (a.project_id, c.project_id, a.project_id)
    ]
    for pid in projects_with_new_totals(paid):
        index.refresh_raised(pid)
    # Then most_raised orders by the sum of the shards
    page, _, _ = search_projects(index, SearchRequest(sort="most_raised"), cursor_key=KEY)
    assert [(h.title, h.raised_fen) for h in page.hits] == [("甲项目", 12_000), ("丙项目", 9_000), ("乙项目", 0)]


def test_only_paid_or_refunded_transitions_refresh_totals() -> None:
    def record(new: str, old: str | None) -> dict[str, Any]:
        change: dict[str, Any] = {"NewImage": {"project_id": {"S": "p1"}, "status": {"S": new}}}
        if old:
            change["OldImage"] = {"project_id": {"S": "p1"}, "status": {"S": old}}
        return {"dynamodb": change}

    assert projects_with_new_totals([record("pending", None), record("paid", "paid")]) == []
    assert projects_with_new_totals([record("paid", "pending"), record("refunded", "paid")]) == ["p1"]


def test_paging_is_stable_while_projects_come_and_go(index: Any) -> None:
    # Given five matching projects
    created = [publish(index, title=f"助学计划{n}", created_at=f"2026-01-0{n + 1}T00:00:00Z") for n in range(5)]
    seen: list[str] = []
    page, cursor, _ = search_projects(index, SearchRequest(q="助学", limit="2"), cursor_key=KEY)
    seen += [h.project_id for h in page.hits]
    # When, between pages, a newer project appears and a not-yet-seen one is unchanged
    publish(index, title="助学计划新", created_at="2026-02-01T00:00:00Z")
    while cursor:
        page, cursor, _ = search_projects(index, SearchRequest(q="助学", limit="2", cursor=cursor), cursor_key=KEY)
        seen += [h.project_id for h in page.hits]
    # Then every original project was served exactly once, in order
    assert seen == [p.project_id for p in reversed(created)]


def test_many_candidates_rank_from_sort_columns(index: Any, aws: Any) -> None:
    from chalicelib.dal.search import SearchStore
    from chalicelib.dal.search_index import bulk_index_items
    from chalicelib.logic.search.model import ProjectDocument

    projects = [
        build_project(title=f"乡村振兴{n}", created_at=f"2026-01-01T00:{n // 60:02d}:{n % 60:02d}Z") for n in range(130)
    ]
    SearchStore(aws).write_items(bulk_index_items((ProjectDocument.from_project(p), 0) for p in projects))
    page = index.search(SearchQuery(q="振兴", sort=Sort.NEWEST, limit=100))
    assert page.total == 130 and page.has_more
    assert [h.project_id for h in page.hits] == [p.project_id for p in reversed(projects)][:100]


def test_bulk_build_equals_the_indexer(index: Any, aws: Any) -> None:
    from chalicelib.dal.search_index import bulk_index_items
    from chalicelib.dal.search_items import SearchIndexModel
    from chalicelib.logic.search.model import ProjectDocument

    a = publish(index, title="武汉医疗2020", description="抗疫物资 covid")
    b = publish(index, title="教育助学", description="乡村学校", status="ended")
    ddb = index.store.client
    table = str(SearchIndexModel.Meta.table_name)
    stored = {(i["pk"]["S"], i["sk"]["S"]): i for i in ddb.scan(TableName=table)["Items"]}  # test-only inspection
    built = {
        (i["pk"]["S"], i["sk"]["S"]): i for i in bulk_index_items((ProjectDocument.from_project(p), 0) for p in (a, b))
    }
    assert set(stored) == set(built)
    for key, item in built.items():
        assert {k: sorted(v["SS"]) if "SS" in v else v for k, v in stored[key].items()} == {
            k: sorted(v["SS"]) if "SS" in v else v for k, v in item.items()
        }, key


# -- HTTP -------------------------------------------------------------------------------------


def test_get_projects_over_http(client: Any, index: Any) -> None:
    publish(index, title="武汉医疗物资", summary="驰援武汉", target_fen=500_000)
    response = client.http.get("/projects?q=%E6%AD%A6%E6%B1%89%E5%8C%BB%E7%96%97")  # 武汉医疗
    assert response.status_code == 200
    body = response.json_body
    assert body["total"] == 1 and body["sort"] == "relevance" and body["next_cursor"] is None
    assert body["items"][0]["title"] == "武汉医疗物资" and body["items"][0]["target_fen"] == 500_000


def test_paging_over_http_hands_out_a_cursor(client: Any, index: Any) -> None:
    for n in range(3):
        publish(index, title=f"项目{n}")
    first = client.http.get("/projects?limit=2").json_body
    second = client.http.get(f"/projects?limit=2&cursor={first['next_cursor']}").json_body
    assert len(first["items"]) == 2 and len(second["items"]) == 1 and second["next_cursor"] is None
    assert not {i["project_id"] for i in first["items"]} & {i["project_id"] for i in second["items"]}


@pytest.mark.parametrize(
    ("query", "status", "code"),
    [
        ("sort=cheapest", 422, "unknown_sort"),
        ("limit=10000", 422, "limit_out_of_range"),
        ("status=draft", 422, "unknown_status"),
        ("cursor=not-a-cursor", 400, "invalid_cursor"),
        ("cursor=eyJ2IjoxfQ.0000", 400, "invalid_cursor"),
    ],
)
def test_bad_parameters_get_4xx_with_a_clear_code(client: Any, query: str, status: int, code: str) -> None:
    response = client.http.get(f"/projects?{query}")
    assert response.status_code == status
    assert response.json_body["error"]["code"] == code


def test_the_stream_handler_indexes_projects(client: Any, aws: Any) -> None:
    from chalicelib.functions.search import PROJECTS_HANDLER

    project = build_project(title="黄冈助老行动")
    project.save()
    event = {
        "Records": [
            {**stream_record(project), "eventID": "1", "eventSourceARN": "arn:aws:dynamodb:x:1:table/t/stream/s"}
        ]
    }
    result = client.lambda_.invoke(PROJECTS_HANDLER, event)
    assert result.payload == {"batchItemFailures": []}
    assert client.http.get("/projects?q=%E9%BB%84%E5%86%88").json_body["total"] == 1  # 黄冈


@pytest.mark.slow
def test_large_candidate_sets_and_listings_walk_the_columns_in_order(index: Any, aws: Any) -> None:
    from chalicelib.dal.search import SearchStore
    from chalicelib.dal.search_index import bulk_index_items
    from chalicelib.logic.search.model import ProjectDocument
    from tests.search_oracle import brute_force

    # Given 150 projects (more than the card look-up handles) with varied amounts raised and end times
    projects = [
        build_project(
            title="乡村振兴" if n % 10 else "图书馆",
            created_at=f"2026-01-01T00:{n // 60:02d}:{n % 60:02d}Z",
            end_at=f"2026-06-{1 + n % 28:02d}T00:00:00Z",
        )
        for n in range(150)
    ]
    raised = {p.project_id: (n * 7919) % 1000 * 100 for n, p in enumerate(projects)}
    SearchStore(aws).write_items(
        bulk_index_items((ProjectDocument.from_project(p), raised[p.project_id]) for p in projects)
    )
    rows = [p.attribute_values for p in projects]
    for q, sort in (("振兴", Sort.MOST_RAISED), ("振兴", Sort.ENDING_SOON), ("", Sort.MOST_RAISED), ("", Sort.NEWEST)):
        # When every page is read
        served: list[str] = []
        cursor = None
        while True:
            page, cursor, _ = search_projects(
                index, SearchRequest(q=q, sort=sort.value, limit="40", cursor=cursor), cursor_key=KEY
            )
            served += [h.project_id for h in page.hits]
            if cursor is None:
                break
        # Then the pages are the brute-force answer, and total counts every match
        assert served == brute_force(rows, SearchQuery(q=q, sort=sort), raised=raised), (q, sort)
        assert page.total == len(served)
