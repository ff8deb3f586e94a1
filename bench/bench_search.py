"""Search benchmark: the DynamoDB inverted index against a brute-force Scan, on one data set.

Loads N projects (default 100,000; 10% online) with generated Chinese titles and
descriptions into moto (in-process, ``mock_aws``): the projects table, and the
search index built by ``bulk_index_items`` (the same items the stream indexer
writes). Then runs a query mix through ``DynamoSearchIndex.search`` (several
times each) and the same queries as a Scan of the projects table filtered in
Python by the oracle of the property test, checks the two agree, and writes
bench/results/search.md.

    .venv/bin/python bench/bench_search.py [--projects 100000] [--repeat 9]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

QUERIES: list[tuple[str, dict[str, Any]]] = [
    ("q=武汉 医疗", {"q": "武汉 医疗"}),
    ("q=武汉医疗", {"q": "武汉医疗"}),
    ("q=疫情防控", {"q": "疫情防控"}),
    ("q=2020抗疫", {"q": "2020抗疫"}),
    ("q=乡村振兴", {"q": "乡村振兴"}),
    ("q=教育助学 province=云南省", {"q": "教育助学", "filters": {"province": "云南省"}}),
    ("q=留守儿童图书", {"q": "留守儿童图书"}),
    ("q=covid", {"q": "covid"}),
    ("q=白血病患儿 sort=most_raised", {"q": "白血病患儿", "sort": "most_raised"}),
    ("q=口罩 status=ended", {"q": "口罩", "status": "ended"}),
    ("(no q) sort=newest", {}),
    ("(no q) sort=most_raised", {"sort": "most_raised"}),
    ("(no q) category=教育助学 sort=ending_soon", {"filters": {"category": "教育助学"}, "sort": "ending_soon"}),
    ("(no q) city=武汉市 campaign", {"filters": {"city": "武汉市", "campaign_id": "camp-99"}}),
]


def _settings() -> Any:
    from chalicelib.config import load_settings
    from infra.build import stage_environment

    env = stage_environment("dev", {"AWS_REGION": "us-east-1"})
    os.environ.update(
        {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": "us-east-1"}
    )
    os.environ.update(env)
    return load_settings(env)


def _query(spec: dict[str, Any]) -> Any:
    from chalicelib.logic.search.model import SearchQuery, Sort

    q = spec.get("q", "")
    sort = Sort(spec.get("sort") or ("relevance" if q else "newest"))
    return SearchQuery(q=q, status=spec.get("status", "online"), sort=sort, limit=20, filters=spec.get("filters", {}))


def _load(table: str, items: list[dict[str, Any]]) -> None:
    """Put wire-format items straight into moto's DynamoDB model (the very items a
    BatchWriteItem would carry; skipping botocore/moto request parsing cuts the load of
    millions of set members from ~15 min to a few minutes; reads still go through boto3)."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    backend = dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]
    for item in items:
        backend.put_item(table, item)


def _linear_moto_scan() -> None:
    """moto re-sorts the whole table for every Scan page (making a Scan quadratic, which
    DynamoDB's is not); the data no longer changes, so sort once. This only helps the
    brute force: the index never calls Scan or Query."""
    from moto.dynamodb.models.table import Table

    original = Table.all_items
    cache: dict[int, Any] = {}

    def all_items(self: Any) -> Any:
        if id(self) not in cache:
            cache[id(self)] = original(self)
        return cache[id(self)]

    Table.all_items = all_items  # type: ignore[method-assign]


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--projects", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--scan-repeat", type=int, default=1)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "search.md")
    args = parser.parse_args()

    settings = _settings()
    from moto import mock_aws

    with mock_aws():
        return run(settings, args)


def run(settings: Any, args: argparse.Namespace) -> int:
    from boto3.dynamodb.types import TypeDeserializer

    from bench.search_data import generate
    from chalicelib.dal.aws import aws_client
    from chalicelib.dal.base import bind_models
    from chalicelib.dal.projects import ProjectModel
    from chalicelib.dal.search import SearchIndexModel
    from chalicelib.dal.search_index import DynamoSearchIndex, bulk_index_items
    from chalicelib.logic.search.model import ProjectDocument
    from infra.build import _create_table_kwargs, table_resource
    from tests.search_oracle import brute_force

    bind_models(settings)
    ddb = aws_client(settings, "dynamodb")
    for model in (ProjectModel, SearchIndexModel):
        ddb.create_table(**_create_table_kwargs(table_resource(model, settings)["Properties"]))
    index = DynamoSearchIndex(settings)

    t0 = time.perf_counter()
    projects = generate(args.projects)
    raised = {p["project_id"]: p.pop("raised_fen") for p in projects}
    models = [
        ProjectModel(
            **p, beneficiary="受益人", start_at=p["created_at"], filing_number="5310000050002192XE", created_by="bench"
        )
        for p in projects
    ]
    t_gen = time.perf_counter() - t0
    print(f"generated {len(models)} projects in {t_gen:.0f}s", flush=True)

    t0 = time.perf_counter()
    project_items = [m.serialize() for m in models]
    table = str(ProjectModel.Meta.table_name)
    _load(table, project_items)
    t_projects = time.perf_counter() - t0
    print(f"projects table loaded in {t_projects:.0f}s", flush=True)

    t0 = time.perf_counter()
    docs = [(ProjectDocument.from_project(m), raised[m.project_id]) for m in models]
    index_items = bulk_index_items(docs)
    print(f"index built: {len(index_items)} items in {time.perf_counter() - t0:.0f}s", flush=True)
    _load(index.store.table, index_items)
    t_index = time.perf_counter() - t0
    online = sum(1 for p in projects if p["status"] == "online")
    searchable = sum(1 for d, _ in docs if d.searchable)
    print(
        f"loaded {len(projects)} projects ({online} online, {searchable} searchable) in {t_projects:.0f}s; index {len(index_items)} items in {t_index:.0f}s",
        flush=True,
    )

    deserializer = TypeDeserializer()
    _linear_moto_scan()

    def scan_all() -> list[dict[str, Any]]:
        rows = []
        # Only the attributes the filter and the order need (as a sane brute force would).
        wanted = "project_id, title, summary, description, #s, category, province, city, org_id, campaign_ids, created_at, end_at"
        pages = ddb.get_paginator("scan").paginate(
            TableName=table, ProjectionExpression=wanted, ExpressionAttributeNames={"#s": "status"}
        )
        for page in pages:
            rows.extend({k: deserializer.deserialize(v) for k, v in item.items()} for item in page["Items"])
        return rows

    t0 = time.perf_counter()
    scanned = scan_all()
    scan_seconds = time.perf_counter() - t0
    print(f"one Scan of the projects table: {len(scanned)} items in {scan_seconds:.1f}s", flush=True)
    rows_out = []
    index_samples: list[float] = []
    scan_samples: list[float] = []
    disagreements = []
    for label, spec in QUERIES:
        query = _query(spec)
        index.search(query)  # warm-up (connection pool, imports)
        times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            page = index.search(query)
            times.append(time.perf_counter() - t0)
        scans = []
        for _ in range(args.scan_repeat):
            t0 = time.perf_counter()
            expected = brute_force(scanned, query, raised)
            scans.append(scan_seconds + time.perf_counter() - t0)
        got = [h.project_id for h in page.hits]
        if got != expected[: query.limit] or page.total != len(expected):
            disagreements.append(label)
        index_samples += times
        scan_samples += scans
        rows_out.append((label, len(expected), statistics.median(times), _pct(times, 0.95), statistics.median(scans)))
        print(
            f"{label:45} matches={len(expected):6} index p50={statistics.median(times) * 1000:7.1f} ms  scan={statistics.median(scans):6.2f} s",
            flush=True,
        )

    p50, p95 = statistics.median(index_samples), _pct(index_samples, 0.95)
    s50, s95 = statistics.median(scan_samples), _pct(scan_samples, 0.95)
    lines = [
        "# Search benchmark",
        "",
        f"`.venv/bin/python bench/bench_search.py --projects {args.projects} --repeat {args.repeat}` "
        f"on {platform.machine()} / Python {platform.python_version()} / {os.cpu_count()} CPUs, "
        "moto in-process (`mock_aws`): every call still goes through boto3 serialization and moto's DynamoDB model.",
        "",
        f"- data: {len(projects):,} projects ({online:,} online, {searchable:,} searchable: online + ended + closed), "
        f"generated Chinese titles/descriptions (bench/search_data.py); index: {len(index_items):,} items",
        f"- load (wire-format items put straight into moto's model, see `_load`): projects table {t_projects:.0f} s, index build + load {t_index:.0f} s; generation {t_gen:.0f} s",
        f"- query mix: {len(QUERIES)} queries, index {args.repeat} runs each (after one warm-up); brute force = "
        f"one full Scan of the projects table (measured once: {scan_seconds:.1f} s for {len(scanned):,} items; "
        "a Scan's cost does not depend on the query) + filtering and sorting those rows for each query "
        f"(measured {args.scan_repeat}x per query)",
        f"- results agree with the brute-force scan (first page and total) for {len(QUERIES) - len(disagreements)}/{len(QUERIES)} queries"
        + (f"; disagreements: {', '.join(disagreements)}" if disagreements else ""),
        "",
        "| | median | p95 |",
        "| --- | ---: | ---: |",
        f"| index (BatchGetItem only) | {p50 * 1000:.1f} ms | {p95 * 1000:.1f} ms |",
        f"| brute-force Scan + filter | {s50 * 1000:.0f} ms | {s95 * 1000:.0f} ms |",
        f"| speed-up | {s50 / p50:.0f}x | {s95 / p95:.0f}x |",
        "",
        "| query | matches | index p50 | index p95 | scan |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    lines += [
        f"| {label} | {n:,} | {a * 1000:.1f} ms | {b * 1000:.1f} ms | {c * 1000:.0f} ms |"
        for label, n, a, b, c in rows_out
    ]
    lines += [
        "",
        "The brute force is given the amounts raised for free (an in-memory dict); a real one would",
        "also read the sharded counters, so its figures are a lower bound. Moto is not DynamoDB: absolute",
        "latencies differ deployed (network ~ms per call, but real Scan of 100k items also costs ~100x",
        "more read units and seconds of paging); the ratio is the point.",
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    existing = args.out.read_text() if args.out.exists() else ""
    marker = "\n## Property test"
    tail = existing[existing.index(marker) :] if marker in existing else ""
    args.out.write_text("\n".join(lines) + "\n" + tail)
    print(
        f"index p50 {p50 * 1000:.1f} ms p95 {p95 * 1000:.1f} ms | scan p50 {s50:.2f} s p95 {s95:.2f} s | x{s95 / p95:.0f} at p95"
    )
    return 1 if disagreements else 0


if __name__ == "__main__":
    raise SystemExit(main())
