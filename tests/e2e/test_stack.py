"""The local stack answers over HTTP as a deployed one would."""

import requests


def test_health_over_http(stack):
    response = requests.get(f"{stack.api_url}/health", timeout=10)
    assert response.status_code == 200
    assert response.json()["stage"] == "local"


def test_token_round_trip_over_http(stack):
    token = stack.token("platform_admin", sub="ops")
    response = requests.get(f"{stack.api_url}/me", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert response.status_code == 200
    assert response.json()["role"] == "platform_admin"
    assert requests.get(f"{stack.api_url}/me", headers={"Authorization": "Bearer nope"}, timeout=10).status_code == 401
