"""Benchmark of donors following a project (issue 15). ``python bench/bench_follows.py``;
writes bench/results/follows.md.

1. ``BENCH_FOLLOWS_N`` (5,000: more than one page per shard) donors follow one project: write requests per partition key of the
   ``follows`` table, counted at PynamoDB's dispatch point (no key may take more than 10%).
2. One money event (a disbursement approved) fanned out through the real code path: the stream
   body queues one job per shard, the queue body notifies a page and queues the next; every job is
   delivered from the moto SQS queue until it is empty. Messages, notifications and wall time (moto's,
   not AWS's), then the same event replayed: notifications added by the replay.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_ledger import WRITES, count_requests  # noqa: E402
from bench.bench_orgs import local_stage_on_moto  # noqa: E402

N = int(os.environ.get("BENCH_FOLLOWS_N", "5000"))
APPROVED = {
    "disbursement_id": "D1",
    "project_id": "P1",
    "from_org_id": "O1",
    "to_kind": "org",
    "to_id": "O2",
    "to_name": "省慈善总会",
    "amount_fen": 250_000,
    "status": "approved",
    "decided_at": "2026-12-06T00:00:00Z",
}


def drain(settings: object) -> tuple[int, int]:
    """Deliver every queued job to the queue body; (messages, notifications)."""
    from chalicelib.dal.aws import aws_client, queue_url
    from chalicelib.dal.follows import FANOUT_QUEUE
    from chalicelib.logic.fundflow.followers import notify_followers

    sqs, url = aws_client(settings, "sqs"), queue_url(settings, FANOUT_QUEUE)
    messages = notified = 0
    while got := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        for message in got:
            notified += notify_followers(settings, json.loads(message["Body"]))  # type: ignore[arg-type]
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            messages += 1
    return messages, notified


def main() -> int:
    local_stage_on_moto()
    from chalicelib.bootstrap import bootstrap
    from chalicelib.dal.follows import FOLLOW_SHARDS, follow
    from chalicelib.logic.fundflow.followers import FANOUT_PAGE, queue_fanout
    from infra.build import create_local_resources

    settings = bootstrap()
    create_local_resources(settings)
    count_requests()
    started = time.perf_counter()
    for i in range(N):
        follow("P1", f"donor-{i:06d}", at="2026-12-06T00:00:00Z")
    follow_seconds = time.perf_counter() - started
    follow_writes = {k: v for k, v in WRITES.items() if k.startswith(settings.table_name("follows"))}
    hottest, hottest_writes = max(follow_writes.items(), key=lambda kv: kv[1])
    share = hottest_writes / sum(follow_writes.values())

    started = time.perf_counter()
    queued = queue_fanout(settings, "disbursements", [(APPROVED, {**APPROVED, "status": "pending"})])
    messages, notified = drain(settings)
    fanout_seconds = time.perf_counter() - started
    queue_fanout(settings, "disbursements", [(APPROVED, {**APPROVED, "status": "pending"})])
    replay_messages, replay_notified = drain(settings)

    lines = [
        "# Follower fan-out benchmark (issue 15)",
        "",
        f"{N:,} donors follow one project; one disbursement approval is fanned out to them"
        f" ({FOLLOW_SHARDS} follower shards, pages of {FANOUT_PAGE}), moto server in process.",
        "",
        "| figure | value |",
        "| --- | --- |",
        f"| follow writes: hottest partition key | `{hottest.split(':', 1)[1]}`: {hottest_writes} of"
        f" {sum(follow_writes.values()):,} ({share:.1%}; one key would take 100%) |",
        f"| follow wall time (moto) | {follow_seconds:.1f} s |",
        f"| jobs queued by the stream body | {queued} |",
        f"| queue messages delivered (jobs + next pages) | {messages} |",
        f"| followers notified | {notified:,} |",
        f"| fan-out wall time (moto, one consumer) | {fanout_seconds:.1f} s |",
        f"| notifications added by replaying the event | {replay_notified} ({replay_messages} messages) |",
        "",
        "Deployed, the shards' jobs run in parallel (up to the queue consumer's concurrency); within a"
        " shard the pages follow one another. Each notification is one outbox transaction (guard +"
        " notification) in the donor's own partition.",
    ]
    out = ROOT / "bench" / "results" / "follows.md"
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    assert share <= 0.10, "a follows partition key takes more than 10% of the follow writes"
    assert notified == N and replay_notified == 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
