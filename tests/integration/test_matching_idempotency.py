"""Idempotency-Key on the creating POSTs of issue 16: match pools, teams, enterprise
applications. A retry returns the same resource and stores nothing twice; the same key
with another body, or a key over 128 characters, is refused and stores nothing."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.dal.matching import MatchBudgetModel, MatchPoolModel
from chalicelib.dal.teams import EnterpriseModel, TeamModel
from tests.factories.orgs import credit_code
from tests.factories.projects import make_project
from tests.integration.test_matching_api import pool_body, post


def count(model: Any) -> int:
    return sum(1 for _ in model.scan())  # tests only: what the requests stored


def keyed(headers: dict[str, str], key: str) -> dict[str, str]:
    return {**headers, "Idempotency-Key": key}


def retried_twice(client: Any, path: str, body: dict[str, Any], headers: dict[str, str], id_field: str) -> str:
    """POST twice with one key: both 201 with the same resource; returns its id."""
    first = post(client, path, body, keyed(headers, "retry-1"))
    second = post(client, path, body, keyed(headers, "retry-1"))
    assert (first.status_code, second.status_code) == (201, 201), (first.json_body, second.json_body)
    assert first.json_body == second.json_body
    return str(first.json_body[id_field])


def refused(client: Any, path: str, body: dict[str, Any], headers: dict[str, str], key: str) -> tuple[int, str]:
    response = post(client, path, body, keyed(headers, key))
    return response.status_code, response.json_body["error"]["code"]


@pytest.mark.parametrize("route", ["pool", "team", "enterprise"])
def test_a_retried_post_returns_the_same_resource_and_a_bad_key_stores_nothing(
    client: Any, auth: Any, route: str
) -> None:
    project = make_project()
    application = {"name": "某某科技有限公司", "contact_name": "赵", "contact_phone": "13812345678"}
    team = {"title": "三年二班一起捐", "story": "为山区孩子送午餐", "target_fen": 500_000}
    path, body, other_body, headers, id_field, model = {
        "pool": (
            "/match-pools",
            pool_body(project.project_id),
            pool_body(project.project_id, budget_fen=2_000_000),
            auth("platform_admin"),
            "pool_id",
            MatchPoolModel,
        ),
        "team": (
            f"/projects/{project.project_id}/teams",
            team,
            {**team, "title": "二队"},
            auth("donor", sub="captain"),
            "team_id",
            TeamModel,
        ),
        "enterprise": (
            "/enterprises",
            {**application, "credit_code": credit_code(1)},
            {**application, "credit_code": credit_code(2)},
            auth("donor", sub="boss"),
            "enterprise_id",
            EnterpriseModel,
        ),
    }[route]
    # Given a key longer than 128 characters: 400, nothing stored
    assert refused(client, path, body, headers, "k" * 129) == (400, "idempotency_key_invalid")
    assert count(model) == 0
    # When the same POST is sent twice with one key
    resource_id = retried_twice(client, path, body, headers, id_field)
    # Then one resource exists (for a pool: one set of budget shards, not two)
    assert count(model) == 1
    if route == "pool":
        assert count(MatchBudgetModel) == 4
    # And the same key with another body is refused (422), nothing more stored
    assert refused(client, path, other_body, headers, "retry-1") == (422, "idempotency_key_reused")
    assert count(model) == 1
    # And a key of 128 characters, or no key, creates another one
    assert post(client, path, other_body, keyed(headers, "k" * 128)).status_code == 201
    assert post(client, path, body, headers).status_code == 201
    assert count(model) == 3
    assert model.get(resource_id) is not None


def test_the_same_key_from_another_caller_is_another_resource(client: Any, auth: Any) -> None:
    project = make_project()
    team = {"title": "三年二班一起捐", "story": "为山区孩子送午餐", "target_fen": 500_000}
    path = f"/projects/{project.project_id}/teams"
    mine = post(client, path, team, keyed(auth("donor", sub="a"), "same")).json_body
    theirs = post(client, path, team, keyed(auth("donor", sub="b"), "same")).json_body
    assert mine["team_id"] != theirs["team_id"]
    assert count(TeamModel) == 2
