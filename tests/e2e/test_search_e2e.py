"""Search over HTTP on the whole local stack: the stream pump keeps the index fresh,
and the demo projects are found the way donors type."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests

from tests.factories import build_project
from tests.support import Api, eventually, ok, put_model

DEMO_QUERIES = ["武汉 医疗", "武汉医疗", "疫情防控", "2020抗疫", "乡村振兴", "教育助学"]


def _search(stack: Any, **params: str) -> dict[str, Any]:
    return dict(ok(Api(stack).get("/projects", **params)))


def test_a_new_edited_and_ended_project_shows_up_correctly_within_seconds(quiet_stack: Any) -> None:
    stack = quiet_stack
    # Given a project written to the projects table (as the projects API does)
    project = build_project(title="玉树高原儿童护眼行动", description="为青海玉树的孩子配眼镜")
    started = time.monotonic()
    put_model(stack, project)
    # Then search finds it shortly after (the pump delivers stream records in ~0.2 s)
    assert eventually(lambda: _search(stack, q="玉树")["total"] == 1)
    found_after = time.monotonic() - started
    # When it is edited and then ends
    edited = build_project(
        **{**project.attribute_values, "title": "玉树高原儿童视力筛查", "updated_at": "2099-01-01T00:00:00Z"}
    )
    put_model(stack, edited)
    assert eventually(lambda: _search(stack, q="视力筛查")["total"] == 1)
    ended = build_project(**{**edited.attribute_values, "status": "ended", "updated_at": "2099-01-02T00:00:00Z"})
    put_model(stack, ended)
    assert eventually(lambda: _search(stack, q="视力筛查")["total"] == 0)
    assert eventually(lambda: _search(stack, q="视力筛查", status="ended")["total"] == 1)
    print(f"found {found_after:.2f}s after the write")


def test_bad_parameters_over_http(stack: Any) -> None:
    for params, code in [
        ({"sort": "hottest"}, "unknown_sort"),
        ({"limit": "10000"}, "limit_out_of_range"),
        ({"cursor": "x.y"}, "invalid_cursor"),
    ]:
        response = requests.get(f"{stack.api_url}/projects", params=params, timeout=10)
        assert 400 <= response.status_code < 500
        assert response.json()["error"]["code"] == code


@pytest.mark.parametrize("q", DEMO_QUERIES)
def test_demo_projects_are_found_as_donors_type(stack: Any, q: str) -> None:
    hits = eventually(lambda: _search(stack, q=q)["items"], timeout=10)
    assert hits, f"no demo project found for {q!r}"
    wanted = [w for w in q.replace(" ", "") if "\u4e00" <= w <= "\u9fff"]
    top = hits[0]["title"] + hits[0]["summary"]
    assert sum(ch in top for ch in wanted) >= len(wanted) // 2, (q, hits[0]["title"])
