"""A small fuzzer of our own for what schemathesis does not generate (issue 18): every route of
/openapi.json gets malformed and deeply nested JSON, invalid UTF-8, huge strings, wrong
types, bad ids and bad cursors; the notification route gets malformed signed notifications.
The bar: never a 5xx, always a JSON error with a machine-readable code."""

from __future__ import annotations

import json
import random
import re

import pytest

from chalicelib.api.routing import MAX_BODY_BYTES

BAD_IDS = ["x" * 2000, "项目", "..%2F..%2Fetc", "%00", "%FF", "a%20b", "-1", "0", "null", "%F0%9F%92%A9", "'%22;--"]
BAD_CURSORS = ["a.%C3%82", "%C3%82.a", "abc", "e30", "W1tbXV1d", "bnVsbA", "%FF%FE", "x" * 5000, "eyJrIjpbXX0.sig"]


def _bodies(rng: random.Random) -> list[bytes]:
    huge = json.dumps({"name": "名" * 200_000, "title": "x" * 300_000}).encode()
    return [
        b"[" * 5000,
        b'{"a":' * 3000 + b"1" + b"}" * 3000,
        b"\xff\xfe\xfd",
        b'{"name": "\xed\xa0\x80"}',  # a lone surrogate in UTF-8
        b'{"name": "\\ud800"}',
        b"not json at all",
        b"",
        b"null",
        b"[]",
        b'"string"',
        b"1e999999",
        b'{"amount_fen": 1e400, "mobile": 13812345678, "project_id": {"$gt": ""}}',
        b'{"amount_fen": -9223372036854775809, "donor_name": null}',
        huge,
        b" " * (MAX_BODY_BYTES + 1),
        bytes(rng.getrandbits(8) for _ in range(512)),
        json.dumps({"x": [[[[[[{"y": ["z"] * 1000}]]]]]]}).encode(),
    ]


@pytest.fixture(scope="module")
def doc():
    from chalice.test import Client

    from app import app

    with Client(app, stage_name="local") as client:
        return json.loads(client.http.get("/openapi.json").body)


def _routes(doc):
    for path, methods in doc["paths"].items():
        for method, op in methods.items():
            yield path, method.upper(), op


def _assert_client_error(response, what):
    assert response.status_code < 500, (what, response.status_code, response.body[:300])
    if response.status_code >= 400 and response.headers.get("content-type", "").startswith("application/json"):
        body = json.loads(response.body)
        assert "error" in body and body["error"]["code"] and body["error"]["message"], (what, body)


@pytest.mark.slow
def test_no_route_answers_bad_input_with_a_5xx(client, auth, doc):
    rng = random.Random(18)
    bodies = _bodies(rng)
    callers = [{"Content-Type": "application/json"}, auth("platform_admin"), auth("org_admin", org_id="ORG-FUZZ")]
    for path, method, op in _routes(doc):
        if path.startswith("/payments/"):
            continue  # the provider route has its own test below
        params = re.findall(r"{(\w+)}", path)
        for headers in callers:
            for bad_id in rng.sample(BAD_IDS, 3) if params else [None]:
                concrete = path
                for name in params:
                    concrete = concrete.replace("{" + name + "}", bad_id or "x")
                if "requestBody" in op:
                    for body in bodies:
                        response = getattr(client.http, method.lower())(concrete, headers=headers, body=body)
                        _assert_client_error(response, (method, concrete, body[:40]))
                else:
                    query = {p["name"] for p in op.get("parameters", []) if p["in"] == "query"}
                    suffixes = [""]
                    if "cursor" in query:
                        suffixes += [f"?cursor={c}" for c in BAD_CURSORS]
                    suffixes += [f"?{name}={rng.choice(BAD_IDS)}" for name in sorted(query)]
                    suffixes += [f"?{name}=" for name in sorted(query)]
                    for suffix in suffixes:
                        response = client.http.request(method, concrete + suffix, headers=headers)
                        _assert_client_error(response, (method, concrete + suffix))


def test_malformed_signed_notifications_never_get_a_5xx(client, aws):
    from chalicelib.clock import utcnow
    from chalicelib.payments.sandbox import signed_notification

    headers, good = signed_notification(
        aws.sandbox_pay_secret, donation_id="D-NOPE", transaction_id="T1", amount_fen=100, reference="r", now=utcnow()
    )
    variants: list[tuple[dict[str, str], bytes]] = [
        (headers, good),  # well signed, unknown donation
        (headers, good + b" "),  # signature no longer matches
        (headers, b"[" * 5000),
        (headers, b"\xff\xfe"),
        ({**headers, **{k: "x" * 5000 for k in headers}}, good),
        ({k: "" for k in headers}, good),
        ({}, good),
        (headers, b""),
        (headers, b"<xml><return_code>SUCCESS</return_code>" * 1000),
    ]
    for provider in ("sandbox", "wechat", "alipay", "nope", "%FF", "x" * 500):
        for hdrs, body in variants:
            response = client.http.post(f"/payments/{provider}/notify", headers=hdrs, body=body)
            assert response.status_code < 500, (provider, hdrs, body[:40], response.status_code, response.body[:300])
    # And nothing was recorded as paid
    from chalicelib.dal.donations import find_donation

    assert find_donation("D-NOPE") is None
