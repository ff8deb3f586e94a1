"""Health, OpenAPI and authentication through the Chalice app on moto."""

import json
import time

import jwt
from openapi_spec_validator import validate

from chalicelib.localkeys import LOCAL_AUDIENCE, LOCAL_ISSUER, LOCAL_KID, ensure_keypair, mint_token
from scripts.local_stack import STATE_DIR


def test_health_reports_status_version_and_stage(client):
    response = client.http.get("/health")
    assert response.status_code == 200
    assert response.json_body == {"status": "ok", "version": "0.1.0", "stage": "local"}


def test_openapi_document_is_valid_openapi_3_1(client):
    doc = client.http.get("/openapi.json").json_body
    assert doc["openapi"].startswith("3.1")
    validate(doc)


def test_openapi_lists_every_registered_route(client):
    from app import app

    doc = client.http.get("/openapi.json").json_body
    missing = [
        f"{method} {path}"
        for path, methods in app.routes.items()
        for method in methods
        if method.lower() not in doc["paths"].get(path, {})
    ]
    assert missing == []


def test_me_requires_a_token(client):
    response = client.http.get("/me")
    assert response.status_code == 401
    assert response.json_body["error"]["code"] == "missing_token"


def test_me_returns_the_principal_of_a_valid_token(client, auth):
    response = client.http.get("/me", headers=auth("org_admin", org_id="ORG1", sub="alice"))
    assert response.status_code == 200
    assert response.json_body == {"sub": "alice", "role": "org_admin", "org_id": "ORG1"}


def test_malformed_badly_signed_and_expired_tokens_are_401(client, tmp_path):
    private, _ = ensure_keypair(STATE_DIR)
    other_private, _ = ensure_keypair(tmp_path)  # a key pair the server does not trust
    expired = mint_token(private.read_bytes(), role="donor", sub="d", now=time.time() - 86400, ttl_seconds=60)
    forged = mint_token(other_private.read_bytes(), role="donor", sub="d")
    wrong_audience = mint_token(private.read_bytes(), role="donor", sub="d", audience="someone-else")
    cases = {
        "Bearer not-a-jwt": "invalid_token",
        "Basic dXNlcjpwYXNz": "invalid_token",
        f"Bearer {forged}": "invalid_token",
        f"Bearer {expired}": "token_expired",
        f"Bearer {wrong_audience}": "invalid_token",
    }
    for header, code in cases.items():
        response = client.http.get("/me", headers={"Authorization": header})
        assert response.status_code == 401, header
        assert response.json_body["error"]["code"] == code, header


def test_a_token_without_a_role_is_a_donors_and_an_unknown_role_is_refused(client):
    # Someone who signed up at the hosted sign-in has no custom:role yet: a donor, nothing more
    private, _ = ensure_keypair(STATE_DIR)
    no_role = jwt.encode(
        {"sub": "new-user", "iss": LOCAL_ISSUER, "aud": LOCAL_AUDIENCE, "exp": int(time.time()) + 600},
        private.read_bytes(),
        algorithm="RS256",
        headers={"kid": LOCAL_KID},
    )
    me = client.http.get("/me", headers={"Authorization": f"Bearer {no_role}"})
    assert me.status_code == 200 and me.json_body == {"sub": "new-user", "role": "donor", "org_id": None}
    admin_only = client.http.get("/admin/projects", headers={"Authorization": f"Bearer {no_role}"})
    assert admin_only.status_code == 403
    unknown = mint_token(private.read_bytes(), role="superuser", sub="x")
    refused = client.http.get("/me", headers={"Authorization": f"Bearer {unknown}"})
    assert refused.status_code == 401 and refused.json_body["error"]["code"] == "invalid_token"


def test_org_admin_token_without_org_is_rejected(client):
    private, _ = ensure_keypair(STATE_DIR)
    response = client.http.get(
        "/me", headers={"Authorization": f"Bearer {mint_token(private.read_bytes(), role='org_admin', sub='x')}"}
    )
    assert response.status_code == 401


def test_error_bodies_never_carry_stack_traces(client):
    response = client.http.get("/me", headers={"Authorization": "Bearer x"})
    body = json.dumps(response.json_body)
    assert "Traceback" not in body and set(response.json_body["error"]) >= {"code", "message", "details"}
