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


def test_a_burst_of_concurrent_connections_is_queued_not_reset(stack):
    # chalice local's listen backlog was 5: about 5 in 1,000 concurrent requests were reset (issue 18)
    import threading

    results: list[object] = []
    barrier = threading.Barrier(300)

    def hit() -> None:
        barrier.wait()
        try:
            results.append(requests.get(f"{stack.api_url}/health", timeout=120).status_code)
        except requests.RequestException as exc:
            results.append(type(exc).__name__)

    threads = [threading.Thread(target=hit) for _ in range(300)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [200] * 300
