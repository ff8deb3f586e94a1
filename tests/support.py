"""Drivers and polling helpers shared by the tiers: requests through ``chalice.test.Client``
(integration) or over HTTP to a running local stack (e2e), the imports queue pump, and
``eventually`` for anything that becomes true a little later."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

import requests

from chalicelib.config import Settings
from tests.factories import org_application, project_draft

# -- chalice.test.Client ---------------------------------------------------------------------


def _json(payload: Any) -> str:
    return json.dumps(payload, ensure_ascii=False)


def created(response: Any) -> dict[str, Any]:
    assert response.status_code in (200, 201), (response.status_code, response.json_body)
    return response.json_body


def post(client: Any, path: str, headers: dict[str, str] | None = None, body: Any = None) -> Any:
    return client.http.post(
        path, headers=headers or {"Content-Type": "application/json"}, body=_json(body) if body is not None else ""
    )


def patch(client: Any, path: str, headers: dict[str, str], body: Any) -> Any:
    return client.http.patch(path, headers=headers, body=_json(body))


def apply_via_api(client: Any, auth: Any, *, sub: str = "applicant", **overrides: Any) -> dict[str, Any]:
    body = org_application(**overrides)
    return created(client.http.post("/orgs", headers=auth("donor", sub=sub), body=_json(body)))


def approved_org_via_api(client: Any, auth: Any, **overrides: Any) -> str:
    org = apply_via_api(client, auth, **overrides)
    created(client.http.post(f"/orgs/{org['org_id']}/approve", headers=auth("platform_admin")))
    return str(org["org_id"])


def draft_via_api(client: Any, auth: Any, org_id: str, **overrides: Any) -> dict[str, Any]:
    response = client.http.post(
        "/projects", headers=auth("org_admin", org_id=org_id), body=_json(project_draft(**overrides))
    )
    return created(response)


def online_project_via_api(client: Any, auth: Any, org_id: str, **overrides: Any) -> str:
    project_id = str(draft_via_api(client, auth, org_id, **overrides)["project_id"])
    created(client.http.post(f"/projects/{project_id}/submit", headers=auth("org_admin", org_id=org_id)))
    created(client.http.post(f"/projects/{project_id}/approve", headers=auth("platform_admin")))
    return project_id


# -- imports: declare, upload, pump the queue, poll the status -------------------------------


class FakeContext:
    """A Lambda context with a time budget: each call to get_remaining_time_in_millis
    spends ``per_call_ms`` of ``budget_ms`` (a slice stops when it runs low)."""

    def __init__(self, budget_ms: int = 900_000, per_call_ms: int = 0):
        self.remaining = budget_ms
        self.per_call = per_call_ms

    def get_remaining_time_in_millis(self) -> int:
        value = self.remaining
        self.remaining -= self.per_call
        return value


def declare(client: Any, auth: Any, org_id: str, *, name: str = "银行流水.csv", fmt: str = "csv") -> dict[str, Any]:
    response = client.http.post(
        "/imports", headers=auth("org_admin", org_id=org_id), body=json.dumps({"file_name": name, "format": fmt})
    )
    assert response.status_code == 201, response.body
    return dict(json.loads(response.body))


def upload(declared: dict[str, Any], data: bytes) -> None:
    response = requests.put(declared["upload_url"], data=data, headers=declared["upload_headers"], timeout=30)
    assert response.status_code == 200, response.text


def queued_messages(settings: Settings) -> list[dict[str, Any]]:
    """Receive (and delete) every message waiting on the imports queue."""
    from chalicelib.dal.aws import aws_client, queue_url

    sqs = aws_client(settings, "sqs")
    url = queue_url(settings, "imports")
    found = []
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
        messages = got.get("Messages", [])
        if not messages:
            return found
        for message in messages:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            found.append(json.loads(message["Body"]))


def drain(
    settings: Settings, *, context_factory: Any = FakeContext, tuning: Any = None, rounds: int = 200
) -> list[str]:
    """Deliver queued messages to the worker until the queue is empty; the outcomes, in order."""
    from chalicelib.logic.imports.worker import Tuning, handle_import_message

    outcomes: list[str] = []
    for _ in range(rounds):
        messages = queued_messages(settings)
        if not messages:
            return outcomes
        for body in messages:
            outcomes += handle_import_message(settings, body, context_factory(), tuning or Tuning())
    raise AssertionError(f"the imports queue did not drain: {outcomes[-10:]}")


def status(client: Any, auth: Any, org_id: str, import_id: str) -> dict[str, Any]:
    response = client.http.get(f"/imports/{import_id}", headers=auth("org_admin", org_id=org_id))
    assert response.status_code == 200, response.body
    return dict(json.loads(response.body))


# -- over HTTP, against a running local stack ------------------------------------------------


class Api:
    """Requests to ``stack`` as ``role`` (anonymous without one)."""

    def __init__(self, stack: Any, role: str | None = None, **claims: Any):
        self.url = stack.api_url
        self.headers = {"Content-Type": "application/json"}
        if role:
            self.headers["Authorization"] = f"Bearer {stack.token(role, **claims)}"

    def get(self, path: str, **params: Any) -> requests.Response:
        return requests.get(self.url + path, headers=self.headers, params=params or None, timeout=30)

    def post(self, path: str, body: Any = None) -> requests.Response:
        return requests.post(self.url + path, headers=self.headers, json=body, timeout=30)

    def patch(self, path: str, body: Any) -> requests.Response:
        return requests.patch(self.url + path, headers=self.headers, json=body, timeout=30)


def ok(response: requests.Response, status: int = 200) -> Any:
    assert response.status_code == status, (response.status_code, response.text)
    return response.json()


def eventually(probe: Callable[[], Any], timeout: float = 30.0, interval: float = 0.2) -> Any:
    """Call ``probe`` until it returns something truthy or ``timeout`` seconds pass; its last result.
    Liveness, not a timing assertion: a shared stack's event pump may be busy."""
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(interval)


def dynamodb(stack: Any) -> Any:
    import boto3

    return boto3.client("dynamodb", endpoint_url=stack.aws_url, region_name="cn-north-1")


def table_name(stack: Any, suffix: str) -> str:
    return f"{stack.env['GONGYI_TABLE_PREFIX']}{suffix}"


def put_model(stack: Any, model: Any) -> None:
    """Write ``model`` to its table on ``stack`` (as the service that owns the table would)."""
    dynamodb(stack).put_item(TableName=table_name(stack, model.table_suffix), Item=model.serialize())


@contextmanager
def models_on(settings: Settings) -> Iterator[None]:
    """Point the data layer of this process at another stack's AWS for a while, then back."""
    from chalicelib.config import get_settings
    from chalicelib.dal.base import bind_models

    bind_models(settings)
    try:
        yield
    finally:
        with suppress(Exception):  # no settings to go back to
            bind_models(get_settings())
