"""Benchmark of the charities/projects area (issue 3). ``python bench/bench_orgs.py`` (or ``make bench``);
writes bench/results/orgs.md.

On a moto server in this process (the same serialized server the tests and the local stack use),
through ``chalice.test.Client`` (the real routes and middleware), it measures for each route of
the onboarding flow: the DynamoDB requests one call makes (counted at PynamoDB's single dispatch
point, plus S3 presigning, which makes none) and the median wall time over N repetitions. It also
reads a campaign of 20 projects with 10 counter shards each (what an emergency campaign page costs).

Latencies on moto are not DynamoDB's; the request counts are the figure that carries over.
"""

from __future__ import annotations

import collections
import json
import os
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from chalicelib.localkeys import ensure_keypair
from infra.build import stage_environment
from scripts.local_stack import STATE_DIR, free_port, local_token

REPEAT = int(os.environ.get("BENCH_REPEAT", "15"))
CALLS: collections.Counter[str] = collections.Counter()


def local_stage_on_moto() -> None:
    """The local stage's settings, pointed at an embedded moto server started in this process."""
    port = free_port()
    _, jwks = ensure_keypair(STATE_DIR)
    os.environ.update(
        stage_environment("local", {"GONGYI_AWS_ENDPOINT": f"http://127.0.0.1:{port}", "GONGYI_JWKS_URL": str(jwks)})
    )
    os.environ["POWERTOOLS_LOG_LEVEL"] = "WARNING"
    start_moto(port)


def start_moto(port: int) -> None:
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    from werkzeug.serving import make_server

    from scripts.moto_server import serialized

    server = make_server("127.0.0.1", port, serialized(DomainDispatcherApplication(create_backend_app)), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()


def count_dynamodb_calls() -> None:
    from pynamodb.connection.base import Connection

    original = Connection._make_api_call

    def counted(self: Any, operation_name: str, operation_kwargs: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        CALLS[operation_name] += 1
        return original(self, operation_name, operation_kwargs, *args, **kwargs)

    Connection._make_api_call = counted  # type: ignore[method-assign]


def headers(role: str, **claims: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {local_token(role, **claims)}", "Content-Type": "application/json"}


def main() -> int:
    local_stage_on_moto()
    from chalice.test import Client

    from app import app
    from chalicelib.bootstrap import bootstrap
    from chalicelib.dal.totals import ProjectCounterModel
    from infra.build import create_local_resources
    from tests.factories import org_application, project_draft

    settings = bootstrap()
    create_local_resources(settings)
    count_dynamodb_calls()
    admin = headers("platform_admin")
    rows: list[tuple[str, int, float]] = []

    with Client(app, stage_name="local", project_dir=str(ROOT)) as client:

        def measure(label: str, call: Any) -> list[Any]:
            results, times, counts = [], [], []
            for _ in range(REPEAT):
                CALLS.clear()
                started = time.perf_counter()
                response = call()
                times.append(time.perf_counter() - started)
                assert response.status_code < 300, (label, response.status_code, response.body[:300])
                counts.append(sum(CALLS.values()))
                results.append(response.json_body)
            rows.append((label, max(counts), statistics.median(times) * 1000))
            return results

        def post(path: str, hdrs: dict[str, str], body: Any = None) -> Any:
            return client.http.post(
                path, headers=hdrs, body=json.dumps(body, ensure_ascii=False) if body is not None else ""
            )

        donor = headers("donor")
        orgs = measure("POST /orgs", lambda: post("/orgs", donor, org_application()))
        org_ids = iter(o["org_id"] for o in orgs)
        measure("POST /orgs/{id}/approve", lambda: post(f"/orgs/{next(org_ids)}/approve", admin))
        org_id = orgs[0]["org_id"]
        org_admin = headers("org_admin", org_id=org_id)
        measure("GET /orgs/{id} (public page)", lambda: client.http.get(f"/orgs/{org_id}"))
        drafts = measure("POST /projects", lambda: post("/projects", org_admin, project_draft()))
        ids = [d["project_id"] for d in drafts]
        submit_ids, approve_ids = iter(ids), iter(ids)
        measure("POST /projects/{id}/submit", lambda: post(f"/projects/{next(submit_ids)}/submit", org_admin))
        measure("POST /projects/{id}/approve", lambda: post(f"/projects/{next(approve_ids)}/approve", admin))
        project_id = ids[0]
        for shard in range(settings.default_counter_shards):
            ProjectCounterModel.for_shard(project_id, shard, amount_fen=100, donation_count=1, donor_count=1).save()
        measure("GET /projects/{id} (public page)", lambda: client.http.get(f"/projects/{project_id}"))
        measure(
            "POST /projects/{id}/feedback",
            lambda: post(f"/projects/{project_id}/feedback", org_admin, {"text": "进展"}),
        )
        measure("GET /projects/{id}/feedback", lambda: client.http.get(f"/projects/{project_id}/feedback"))
        measure(
            "POST /projects/{id}/complaints",
            lambda: post(
                f"/projects/{project_id}/complaints",
                {"Content-Type": "application/json"},
                {"reason": "信息不实，请核实。"},
            ),
        )
        campaign = post("/campaigns", admin, {"title": "抗击新冠肺炎疫情", "description": "专题"}).json_body
        for pid in ids[:20]:
            post(f"/campaigns/{campaign['campaign_id']}/projects", admin, {"project_id": pid})
            for shard in range(settings.default_counter_shards):
                ProjectCounterModel.for_shard(pid, shard, amount_fen=100, donation_count=1, donor_count=1).save()
        size = len(ids[:20])
        measure(
            f"GET /campaigns/{{id}} ({size} projects x {settings.default_counter_shards} shards)",
            lambda: client.http.get(f"/campaigns/{campaign['campaign_id']}"),
        )

    lines = [
        "# Charities and projects: requests and latency per route",
        "",
        f"`python bench/bench_orgs.py` on moto server (in process, serialized), {REPEAT} calls per route, "
        "through chalice.test.Client. DynamoDB requests = max per call (PynamoDB dispatches; audit writes included).",
        "",
        "| route | DynamoDB requests per call | median ms (moto) |",
        "| --- | ---: | ---: |",
    ]
    lines += [f"| {label} | {count} | {ms:.1f} |" for label, count, ms in rows]
    lines += [
        "",
        "Notes: every call is a GetItem, a Query on a designed key, a conditional Put or a TransactWrite; no Scan.",
        "The campaign page grows linearly with its projects (one BatchGetItem per 100 projects + one shard Query each).",
        "POST /projects/{id}/complaints pays for the shared outbox's notify_once building a new PynamoDB Connection",
        "(a botocore session) per call; project routes reuse one connection for their transactions (dal/transactions.py).",
        "The machine was shared with other test runs: medians are noisy; request counts are exact.",
    ]
    out = ROOT / "bench" / "results" / "orgs.md"
    out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
