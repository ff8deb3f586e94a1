"""Search benchmark: cost and latency of the bounded-item index against a brute-force scan.

    .venv/bin/python bench/bench_search.py [--projects 100000] [--cost-projects 1000000] [--repeat 9]

Two parts, one results file (bench/results/search.md):

1. **Run at ``--projects``** (default 100,000; 10% online, 60% searchable): the whole
   index (cards, postings, columns, counts, built by ``bulk_index_items``, the indexer's
   own item builders) is loaded into ``bench.memory_dynamo.MemoryDynamo``, an in-memory
   stand-in for the DynamoDB calls the store makes that bills each call from the real
   items' sizes. The real ``DynamoSearchIndex.search`` answers a query mix; each query's
   read units, DynamoDB calls and in-process latency (p50/p95) sit next to a brute-force
   answer (the property test's oracle over every project, plus the read units of the
   Scan it needs). One raised-amount refresh per sampled project is run through
   ``refresh_raised`` and its write units billed. moto is not used: it needs ~15 min to
   load such an index and its Scan is quadratic.
2. **Costs at ``--cost-projects``** (default 1,000,000): the projects are generated and
   their items built one at a time (a generator: nothing is stored); the bench keeps the
   largest item of each kind and the bytes under each partition key the query mix reads,
   and computes what those Queries would bill. Latency is not measured at this size
   (nothing is loaded); the listing's and the raised update's costs are by construction
   independent of the number of projects, which the figures show.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import random
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

QUERIES: list[tuple[str, dict[str, Any]]] = [
    ("(no q) sort=newest — the typical listing", {}),
    ("(no q) sort=most_raised", {"sort": "most_raised"}),
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
    ("(no q) category=教育助学 sort=ending_soon", {"filters": {"category": "教育助学"}, "sort": "ending_soon"}),
    ("(no q) city=武汉市 campaign", {"filters": {"city": "武汉市", "campaign_id": "camp-99"}}),
]


def _query(spec: dict[str, Any]) -> Any:
    from chalicelib.logic.search.model import SearchQuery, Sort

    q = spec.get("q", "")
    sort = Sort(spec.get("sort") or ("relevance" if q else "newest"))
    return SearchQuery(q=q, status=spec.get("status", "online"), sort=sort, limit=20, filters=spec.get("filters", {}))


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))]


def _document(project: dict[str, Any]) -> Any:
    from chalicelib.logic.search.model import ProjectDocument

    return ProjectDocument.from_project(SimpleNamespace(cover_image_key=None, counter_shards=10, **project))


def _project_item_size(project: dict[str, Any]) -> int:
    """The size of the project's item in the projects table (what a Scan reads)."""
    from boto3.dynamodb.types import TypeSerializer

    from chalicelib.dal.search_items import item_size

    serializer = TypeSerializer()
    return item_size({k: serializer.serialize(v) for k, v in project.items() if v not in ("", [], None)}) + 300


def run_full(n: int, repeat: int) -> dict[str, Any]:
    from bench.memory_dynamo import MemoryDynamo
    from bench.search_data import generate
    from chalicelib.dal import search_index
    from chalicelib.dal.search import SearchStore
    from chalicelib.dal.search_index import DynamoSearchIndex, bulk_index_items
    from chalicelib.dal.totals import Totals
    from tests.search_oracle import brute_force

    t0 = time.perf_counter()
    projects = generate(n)
    raised = {p["project_id"]: p.pop("raised_fen") for p in projects}
    db = MemoryDynamo()
    loaded = db.load(bulk_index_items((_document(p), raised[p["project_id"]]) for p in projects))
    build_s = time.perf_counter() - t0
    print(f"{n:,} projects: {loaded:,} index items built and loaded in {build_s:.0f}s", flush=True)
    index = DynamoSearchIndex(None, store=SearchStore(None, client=db))  # type: ignore[arg-type]
    table_bytes = sum(_project_item_size(p) for p in projects)
    scan_rcu = math.ceil(table_bytes / 4096) * 0.5  # an eventually consistent Scan of every project

    rows = []
    index_times: list[float] = []
    scan_times: list[float] = []
    disagreements = []
    for label, spec in QUERIES:
        query = _query(spec)
        index.search(query)
        db.reset_meter()
        page = index.search(query)
        rcu, calls = db.rcu, db.calls
        times = []
        for _ in range(repeat):
            t = time.perf_counter()
            index.search(query)
            times.append(time.perf_counter() - t)
        t = time.perf_counter()
        expected = brute_force(projects, query, raised)
        scan_t = time.perf_counter() - t
        if [h.project_id for h in page.hits] != expected[: query.limit] or page.total != len(expected):
            disagreements.append(label)
        index_times += times
        scan_times.append(scan_t)
        rows.append((label, len(expected), rcu, calls, statistics.median(times), _pct(times, 0.95), scan_t))
        print(
            f"{label:45} matches={len(expected):6} rcu={rcu:8.1f} calls={calls:4} p50={statistics.median(times) * 1000:7.1f} ms",
            flush=True,
        )

    online = [p["project_id"] for p in projects if p["status"] == "online"]
    sample = random.Random(3).sample(online, 50)
    wcus, rcus, calls_per = [], [], []
    original = search_index.read_totals
    try:
        for pid in sample:
            search_index.read_totals = lambda _pid, _shards=None, _amount=raised[pid] + 12_345: Totals(_amount)  # type: ignore[assignment,misc]
            db.reset_meter()
            index.refresh_raised(pid)
            wcus.append(db.wcu)
            rcus.append(db.rcu)
            calls_per.append(db.calls)
    finally:
        search_index.read_totals = original
    check = index.search(_query({"sort": "most_raised"}))
    return {
        "n": n,
        "items": loaded,
        "build_s": build_s,
        "online": len(online),
        "scan_rcu": scan_rcu,
        "table_bytes": table_bytes,
        "rows": rows,
        "index_p50": statistics.median(index_times),
        "index_p95": _pct(index_times, 0.95),
        "scan_p50": statistics.median(scan_times),
        "scan_p95": _pct(scan_times, 0.95),
        "disagreements": disagreements,
        "raised_wcu": (min(wcus), max(wcus)),
        "raised_rcu": max(rcus),
        "raised_calls": max(calls_per),
        "raised_check": check.total,
    }


def run_costs(n: int) -> dict[str, Any]:
    """Item sizes and the read units the query mix's postings and the listing would bill."""
    from bench.search_data import iterate
    from chalicelib.dal.search_index import bulk_index_items
    from chalicelib.dal.search_items import BUCKETS, item_size
    from chalicelib.logic.search.analysis import query_terms

    wanted: dict[str, set[str]] = defaultdict(set)  # pk prefix -> query labels
    for label, spec in QUERIES:
        query = _query(spec)
        for key in [f"t:{t}" for t in query_terms(query.q)] + [f"f:{f}" for f in query.facets()]:
            wanted[f"{query.status}|{key}#"].add(label)
    bytes_by_pk: dict[str, int] = defaultdict(int)
    largest: dict[str, int] = defaultdict(int)
    items = 0
    t0 = time.perf_counter()

    def docs() -> Any:
        for p in iterate(n, random.Random(7)):
            yield _document(p), p.pop("raised_fen")

    for item in bulk_index_items(docs()):
        items += 1
        pk = item["pk"]["S"]
        size = item_size(item)
        kind = (
            "card"
            if pk.startswith("card|")
            else "count"
            if pk.endswith("|count")
            else "column"
            if "|col:" in pk
            else "posting"
        )
        largest[kind] = max(largest[kind], size)
        if kind == "posting" and pk[: pk.rindex("#") + 1] in wanted:
            bytes_by_pk[pk] += size
        if kind == "column" and pk.startswith("online|col:created#"):
            largest["online created column entries"] += 1
    print(f"{n:,} projects: {items:,} items built in {time.perf_counter() - t0:.0f}s", flush=True)

    def postings_rcu(label: str) -> tuple[float, int]:
        rcu, calls = 0.0, 0
        for prefix, labels in wanted.items():
            if label not in labels:
                continue
            for b in range(BUCKETS):
                size = bytes_by_pk.get(f"{prefix}b{b:02d}", 0)
                pages = max(1, math.ceil(size / (1024 * 1024)))
                rcu += max(1, math.ceil(size / 4096)) * 0.5 + (pages - 1) * 0  # rounding per page is negligible
                calls += pages
        return rcu, calls

    listing_rcu = BUCKETS * 0.5 + BUCKETS * 0.5 + 20 * math.ceil(largest["card"] / 4096) * 0.5
    return {
        "n": n,
        "items": items,
        "largest": dict(largest),
        "postings": {label: postings_rcu(label) for label, spec in QUERIES if spec.get("q") or spec.get("filters")},
        "listing_rcu": listing_rcu,
        "raised_wcu": 2 * 3 * 1 if largest["card"] <= 1024 else 2 * (math.ceil(largest["card"] / 1024) + 2),
    }


def write(full: dict[str, Any], costs: dict[str, Any], out: Path, repeat: int) -> None:
    n, big = full["n"], costs["n"]
    lines = [
        "# Search benchmark",
        "",
        f"`python bench/bench_search.py --projects {n} --cost-projects {big} --repeat {repeat}` on "
        f"{platform.machine()} / Python {platform.python_version()} / {os.cpu_count()} CPUs shared with other sessions.",
        "",
        "Index layout (issue 13): one posting item per project and term, key-only sort columns whose sort key carries "
        "the value, per-bucket counts, one card per project; nothing grows with the number of projects. "
        "Read and write units are billed by `bench/memory_dynamo.py` from the real items' sizes (DynamoDB's "
        "rules: 4 KB read units, halved for eventually consistent reads; 1 KB write units, doubled in transactions).",
        "",
        "## One raised-amount update",
        "",
        "| projects | write units | read units | DynamoDB calls |",
        "| ---: | ---: | ---: | ---: |",
        f"| {n:,} (run, 50 updates) | {full['raised_wcu'][0]:.0f}–{full['raised_wcu'][1]:.0f} | {full['raised_rcu']:.1f} | {full['raised_calls']} |",
        f"| {big:,} (from item sizes) | {costs['raised_wcu']} | 1 | 2 |",
        "",
        "= one consistent GetItem of the card + one TransactWriteItems of three small items (the card, 1–2 KB, and the "
        "old and new `raised` column entries, ~90 B each), doubled as transactional writes. Before this change it rewrote a ~190 KB column item (~190 WCU) on "
        "one of 16 partition keys shared by every project of the status.",
        "",
        f"## Queries at {n:,} projects ({full['online']:,} online): index vs brute force",
        "",
        f"Brute force = a Scan of the projects table ({full['table_bytes'] / 1e6:.0f} MB: {full['scan_rcu']:,.0f} read "
        "units per query, eventually consistent) + the property test's oracle over every row (in-process time below, "
        "the Scan's own paging not included: a lower bound). Index latency is in-process (the store's calls answered "
        "from memory; deployed, add one network round trip per parallel wave of calls: 2–3 waves).",
        "",
        "| | p50 | p95 |",
        "| --- | ---: | ---: |",
        f"| index | {full['index_p50'] * 1000:.1f} ms | {full['index_p95'] * 1000:.1f} ms |",
        f"| brute force (in-process filter only) | {full['scan_p50'] * 1000:.0f} ms | {full['scan_p95'] * 1000:.0f} ms |",
        "",
        f"Results agree with the brute force (first page and total) for {len(QUERIES) - len(full['disagreements'])}/{len(QUERIES)} queries"
        + (f"; disagreements: {', '.join(full['disagreements'])}" if full["disagreements"] else "")
        + ".",
        "",
        "| query | matches | index read units | calls | index p50 | index p95 | brute force | brute-force read units |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    lines += [
        f"| {label} | {m:,} | {rcu:.1f} | {calls} | {a * 1000:.1f} ms | {b * 1000:.1f} ms | {s * 1000:.0f} ms | {full['scan_rcu']:,.0f} |"
        for label, m, rcu, calls, a, b, s in full["rows"]
    ]
    lines += [
        "",
        f"## Costs at {big:,} projects (items built one at a time, nothing stored)",
        "",
        f"{costs['items']:,} items. Largest item by kind: "
        + ", ".join(f"{k} {v:,} B" for k, v in sorted(costs["largest"].items()) if k != "online created column entries")
        + f" (limit 400 KB). The online `created` column holds {costs['largest'].get('online created column entries', 0):,} "
        "entries, one small item each.",
        "",
        f"- typical listing (no q, newest, 20 a page): {costs['listing_rcu']:.1f} read units (16 counts + 16 Queries "
        "of 21 column keys + 20 cards), the same as at the smaller size: it does not grow with the platform.",
        "- queries with words or filters read the postings of their terms; those grow with the projects that "
        "contain the term (not with the platform as such). Postings read units per query at this size:",
        "",
        "| query | postings read units | Query calls |",
        "| --- | ---: | ---: |",
    ]
    lines += [f"| {label} | {rcu:,.1f} | {calls} |" for label, (rcu, calls) in costs["postings"].items()]
    lines += [
        "",
        "A term found in every project of a status (a stop-word-like bigram) costs ~70 bytes x projects of reads: "
        "at 100,000 online projects ~1,700 read units. The index still answers it (items stay small, reads are "
        "paged in parallel); a search engine (the `SearchIndex` protocol's OpenSearch slot) is the next step when "
        "such queries dominate.",
    ]
    out.parent.mkdir(parents=True, exist_ok=True)
    existing = out.read_text() if out.exists() else ""
    marker = "\n## Property test"
    tail = existing[existing.index(marker) :] if marker in existing else ""
    out.write_text("\n".join(lines) + "\n" + tail)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--projects", type=int, default=100_000)
    parser.add_argument("--cost-projects", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "search.md")
    args = parser.parse_args()
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    full = run_full(args.projects, args.repeat)
    costs = run_costs(args.cost_projects)
    write(full, costs, args.out, args.repeat)
    print(f"wrote {args.out}")
    return 1 if full["disagreements"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
