"""Bad input never gets a 500 (issue 18): deep or huge JSON bodies, malformed cursors, and
the OpenAPI document listing every status a route answers."""

from __future__ import annotations

import json

import pytest

from chalicelib.api.routing import MAX_BODY_BYTES, MAX_JSON_DEPTH, json_depth
from tests.support import approved_org_via_api, created, online_project_via_api

NESTED_1000 = "[" * 1000 + "]" * 1000  # 2 KB: 500 internal_error before the depth bound


def _anonymous_json_routes(project_id: str) -> list[tuple[str, str]]:
    return [
        ("POST", "/receipts/lookup"),
        ("POST", f"/projects/{project_id}/donations"),
        ("POST", f"/projects/{project_id}/complaints"),
        ("POST", "/receipts/claims"),
    ]


def test_json_depth_counts_nesting_outside_strings():
    assert json_depth(b"{}") == 1
    assert json_depth(b'{"a": [1, {"b": "[[[[\\"{{"}]}') == 3
    assert json_depth(NESTED_1000) == 1000
    assert json_depth(b'"unterminated [[[') <= 3


def _send(client, method, path, headers, body):
    return getattr(client.http, method.lower())(path, headers=headers, body=body)


def test_deeply_nested_json_is_400_invalid_json_on_every_body_route(client, auth):
    org_id = approved_org_via_api(client, auth)
    project_id = online_project_via_api(client, auth, org_id)
    json_only = {"Content-Type": "application/json"}
    calls = [(m, p, json_only) for m, p in _anonymous_json_routes(project_id)]
    calls += [
        ("POST", "/orgs", auth("donor")),
        ("PATCH", f"/projects/{project_id}", auth("org_admin", org_id=org_id)),
        ("POST", "/projects", auth("org_admin", org_id=org_id)),
    ]
    for method, path, headers in calls:
        for body in (NESTED_1000, '{"a":' * 5000 + "1" + "}" * 5000, "[" * 100_000):
            response = _send(client, method, path, headers, body)
            assert response.status_code == 400, (method, path, response.status_code, response.body[:200])
            assert json.loads(response.body)["error"]["code"] == "invalid_json", (method, path)


def test_nesting_at_the_bound_is_parsed_and_validated(client):
    body = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH
    response = client.http.post("/receipts/lookup", headers={"Content-Type": "application/json"}, body=body)
    assert response.status_code == 422  # parsed, then refused by the model: not a JSON error


def test_a_body_over_the_size_bound_is_413(client):
    body = json.dumps({"mobile": "13812345678", "donor_name": "x" * MAX_BODY_BYTES})
    response = client.http.post("/receipts/lookup", headers={"Content-Type": "application/json"}, body=body)
    assert response.status_code == 413
    assert json.loads(response.body)["error"]["code"] == "payload_too_large"


BAD_CURSORS = ["a.%C3%82", "abc", "abc.def", "%C3%82.a", "%C3%82", ".", "%00", "e30", "W10", "bnVsbA", "x" * 5000]


@pytest.mark.parametrize("cursor", BAD_CURSORS)
def test_every_list_refuses_a_malformed_cursor_with_400(client, auth, cursor):
    org_id = approved_org_via_api(client, auth)
    project_id = online_project_via_api(client, auth, org_id)
    lists = [
        ("/projects", {}),
        (f"/projects/{project_id}/donations", {}),
        ("/me/donations", auth("donor")),
        (f"/imports?org_id={org_id}", auth("org_admin", org_id=org_id)),
    ]
    for path, headers in lists:
        sep = "&" if "?" in path else "?"
        response = client.http.get(f"{path}{sep}cursor={cursor}", headers=headers)
        assert response.status_code == 400, (path, cursor, response.status_code, response.body[:200])
        assert json.loads(response.body)["error"]["code"] == "invalid_cursor", (path, cursor)


def test_every_status_a_route_answers_is_documented(client, auth):
    doc = json.loads(client.http.get("/openapi.json").body)
    attach = doc["paths"]["/campaigns/{campaign_id}/projects"]["post"]["responses"]
    assert {"200", "201"} <= set(attach)
    assert attach["200"]["content"] == attach["201"]["content"]
    org_id = approved_org_via_api(client, auth)
    project_id = online_project_via_api(client, auth, org_id)
    admin = auth("platform_admin")
    campaign = created(
        client.http.post("/campaigns", headers=admin, body=json.dumps({"title": "抗洪救灾", "description": "专题"}))
    )
    path = f"/campaigns/{campaign['campaign_id']}/projects"
    first = client.http.post(path, headers=admin, body=json.dumps({"project_id": project_id}))
    again = client.http.post(path, headers=admin, body=json.dumps({"project_id": project_id}))
    assert (first.status_code, again.status_code) == (201, 200)
    assert json.loads(again.body)["attached_now"] is False


def test_imports_list_answers_items_and_defaults_to_the_callers_charity(client, auth):
    org_id = approved_org_via_api(client, auth)
    admin = auth("org_admin", org_id=org_id)
    declared = created(
        client.http.post("/imports", headers=admin, body=json.dumps({"file_name": "a.csv", "format": "csv"}))
    )
    listed = client.http.get("/imports", headers=admin)
    assert listed.status_code == 200, listed.body
    assert [i["import_id"] for i in json.loads(listed.body)["items"]] == [declared["import_id"]]
    assert client.http.get("/imports", headers=auth("platform_admin")).status_code == 422
