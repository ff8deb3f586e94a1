"""Giving's own idempotency claim (one PutItem, completed in the donation's transaction) keeps
the retried-request rules: same answer, 422 for another body, 409 while in progress, a claim
of a timed-out Lambda can be taken again, and giving costs two DynamoDB requests."""

from __future__ import annotations

import json
import uuid

from chalicelib.clock import utcnow
from tests.factories import gift, make_project


def give(client, project_id, key, body=None):
    headers = {"Content-Type": "application/json", "Idempotency-Key": key}
    return client.http.post(f"/projects/{project_id}/donations", headers=headers, body=json.dumps(body or gift()))


def back_in_progress(project_id, key, *, lambda_ends_in_ms):
    """Turn a request's completed claim back into one whose request is still running."""
    from chalicelib.dal.idempotency import IN_PROGRESS, IdempotencyRecordModel
    from chalicelib.logic.donations.give import _claim_id

    record = IdempotencyRecordModel.get(_claim_id(f"POST /projects/{project_id}/donations#{key}"))
    until = int(utcnow().timestamp() * 1000) + lambda_ends_in_ms
    record.update(
        actions=[
            IdempotencyRecordModel.status.set(IN_PROGRESS),
            IdempotencyRecordModel.data.remove(),
            IdempotencyRecordModel.in_progress_expiration.set(until),
        ]
    )


def test_a_retry_while_the_first_request_runs_is_409(client, aws):
    project = make_project()
    key = str(uuid.uuid4())
    assert give(client, project.project_id, key).status_code == 201
    back_in_progress(project.project_id, key, lambda_ends_in_ms=60_000)
    response = give(client, project.project_id, key)
    assert response.status_code == 409
    assert response.json_body["error"]["code"] == "idempotency_in_progress"


def test_the_claim_of_a_timed_out_request_is_taken_again_and_then_answers_retries(client, aws):
    project = make_project()
    key = str(uuid.uuid4())
    assert give(client, project.project_id, key).status_code == 201
    back_in_progress(project.project_id, key, lambda_ends_in_ms=-1_000)
    first = give(client, project.project_id, key)
    again = give(client, project.project_id, key)
    other = give(client, project.project_id, key, gift(amount_fen=777))
    assert first.status_code == again.status_code == 201
    assert first.json_body == again.json_body
    assert other.status_code == 422 and other.json_body["error"]["code"] == "idempotency_key_reused"


def test_giving_is_two_dynamodb_requests_and_a_retry_writes_nothing(client, aws, monkeypatch):
    import botocore.client

    project = make_project()
    give(client, project.project_id, str(uuid.uuid4()))  # the project is read (then cached)
    calls: list[str] = []
    original = botocore.client.BaseClient._make_api_call

    def counting(self, operation, params):
        if self.meta.service_model.service_name == "dynamodb":
            calls.append(operation)
        return original(self, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", counting)
    key = str(uuid.uuid4())
    assert give(client, project.project_id, key).status_code == 201
    created = list(calls)
    assert give(client, project.project_id, key).status_code == 201
    assert created == ["PutItem", "TransactWriteItems"]
    assert calls[len(created) :] == ["PutItem", "GetItem"]  # the claim is refused, the answer read
