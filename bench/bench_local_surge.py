"""Benchmark: the embedded local stack under a surge, over HTTP, as a frontend and a payment
provider would hit it.

N gifts to one emergency project (16 counter shards): N pending donations created over
HTTP, then every payment notification sent twice at the same moment (the two copies in
parallel), gifts in shuffled order, THREADS requests in flight. Reports confirmations/s,
p50/p95 notify latency, the time from the last confirmation until every gift's 三证 is
issued, and the moto server's peak RSS; checks the totals to the fen.

    .venv/bin/python bench/bench_local_surge.py --label after            # this tree
    .venv/bin/python bench/bench_local_surge.py --label before --root /tmp/gongyi-5b6cf51

``--root`` runs the stack of another checkout (e.g. the commit before the fix). A run
that grows the moto server past ``--rss-cap-mb`` stops early and says so (the machine is
shared). Each run writes bench/results/local_surge_<label>.json; the markdown table
(bench/results/local_surge.md) shows every label found side by side.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"


def _rss_mb(pid: int, field: str = "VmRSS") -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def run(args: argparse.Namespace) -> dict[str, Any]:
    root = Path(args.root).resolve()
    sys.path.insert(0, str(root))
    os.chdir(root)
    import requests

    from chalicelib.clock import utcnow
    from chalicelib.config import load_settings
    from chalicelib.dal.receipts import ReceiptModel
    from chalicelib.payments.sandbox import signed_notification
    from scripts.local_stack import LocalStack, free_port
    from tests.factories import make_project
    from tests.support import models_on

    stack = LocalStack(aws_port=free_port(), api_port=free_port(), demo=False, quiet=True)
    stack.start()
    result: dict[str, Any] = {"label": args.label, "gifts": args.gifts, "copies": args.copies, "threads": args.threads}
    result["load_average_at_start"] = round(os.getloadavg()[0], 1)
    try:
        moto_pid = stack.processes[0].pid
        settings = load_settings(stack.env)
        peak = {"rss": 0.0}
        stop = threading.Event()
        over_cap = threading.Event()

        def watch() -> None:
            while not stop.is_set():
                rss = _rss_mb(moto_pid)
                peak["rss"] = max(peak["rss"], rss)
                if rss > args.rss_cap_mb:
                    over_cap.set()
                time.sleep(0.5)

        threading.Thread(target=watch, daemon=True).start()
        with models_on(settings):
            project = make_project(counter_shards=16, title="河南暴雨紧急救援")
        session = requests.Session()
        session.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=args.threads * 2))
        rng = random.Random(18)
        api = stack.api_url

        def give(i: int) -> dict[str, Any] | None:
            if over_cap.is_set():
                return None
            body = {"amount_fen": rng.randint(1, 50_000), "channel": "sandbox", "donor_name": "张三"}
            body["donor_phone"] = f"139{i % 700:08d}"
            response = session.post(
                f"{api}/projects/{project.project_id}/donations",
                json=body,
                headers={"Idempotency-Key": str(uuid.uuid4())},
                timeout=120,
            )
            assert response.status_code == 201, response.text
            return dict(response.json())

        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=args.threads) as pool:
            donations = [d for d in pool.map(give, range(args.gifts)) if d is not None]
        result["create_seconds"] = round(time.monotonic() - started, 1)
        order = list(range(len(donations)))
        rng.shuffle(order)
        latencies: list[float] = []
        statuses: dict[int, int] = {}
        errors: list[str] = []
        confirmed_at = {"last": time.monotonic()}
        lock = threading.Lock()

        def notify(fields: dict[str, Any], txn: str) -> None:
            headers, body = signed_notification(
                settings.sandbox_pay_secret,
                donation_id=fields["out_trade_no"],
                transaction_id=txn,
                amount_fen=fields["amount_fen"],
                reference=fields["attach"],
                now=utcnow(),
            )
            began = time.monotonic()
            try:
                code = session.post(
                    f"{api}/payments/sandbox/notify", data=body, headers=headers, timeout=120
                ).status_code
            except requests.RequestException as exc:
                with lock:
                    errors.append(type(exc).__name__)
                return
            ended = time.monotonic()
            with lock:
                latencies.append(ended - began)
                statuses[code] = statuses.get(code, 0) + 1
                confirmed_at["last"] = max(confirmed_at["last"], ended)

        def pay(index: int) -> None:
            if over_cap.is_set():
                return
            fields = donations[index]["payment"]["fields"]
            txn = f"SBX{uuid.uuid4().hex[:20]}"
            copies = [threading.Thread(target=notify, args=(fields, txn)) for _ in range(args.copies)]
            for t in copies:  # the duplicates at the same moment
                t.start()
            for t in copies:
                t.join()

        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=max(1, args.threads // args.copies)) as pool:
            list(pool.map(pay, order))
        notify_seconds = time.monotonic() - started
        paid = len(donations) if not over_cap.is_set() else None
        result.update(
            notify_seconds=round(notify_seconds, 1),
            confirmations_per_s=round(len(latencies) / args.copies / notify_seconds, 2),
            notify_p50_s=round(_pct(latencies, 0.5), 3),
            notify_p95_s=round(_pct(latencies, 0.95), 3),
            statuses={str(k): v for k, v in sorted(statuses.items())},
            connection_errors=len(errors),
        )
        # The 三证: every gift's receipt issued (documents rendered) -- polled with BatchGet
        waiting = {d["donation"]["donation_id"] for d in donations}
        deadline = time.monotonic() + args.receipts_timeout
        with models_on(settings):
            while waiting and time.monotonic() < deadline and not over_cap.is_set():
                for batch in [sorted(waiting)[i : i + 100] for i in range(0, len(waiting), 100)]:
                    for receipt in ReceiptModel.batch_get(batch):
                        if receipt.status == "issued" and receipt.documents is not None:
                            waiting.discard(receipt.donation_id)
                if waiting:
                    time.sleep(1)
        receipts_done = time.monotonic()
        result["receipts_after_last_confirmation_s"] = (
            round(receipts_done - confirmed_at["last"], 1) if not waiting else None
        )
        result["receipts_missing"] = len(waiting) if paid is not None else None  # None: not measured
        totals = session.get(f"{api}/projects/{project.project_id}/totals", timeout=60).json()
        result["totals_exact"] = (
            totals.get("amount_fen") == sum(d["donation"]["amount_fen"] for d in donations)
            and totals.get("donation_count") == len(donations)
            if paid is not None
            else None
        )
        stop.set()
        result["moto_peak_rss_mb"] = round(max(peak["rss"], _rss_mb(moto_pid, "VmHWM")))
        result["stopped_early"] = (
            f"moto RSS passed {args.rss_cap_mb} MB after {len(latencies) // args.copies} of {args.gifts} gifts"
            if over_cap.is_set()
            else None
        )
        result["gifts_done"] = len(donations)
        result["load_average_at_end"] = round(os.getloadavg()[0], 1)
    finally:
        stack.stop()
    return result


ROWS = [
    ("gifts sent", "gifts_done"),
    ("notifications (copies per gift)", "copies"),
    ("client threads", "threads"),
    ("creating the pending gifts (s)", "create_seconds"),
    ("notify phase (s)", "notify_seconds"),
    ("confirmations/s", "confirmations_per_s"),
    ("notify p50 (s)", "notify_p50_s"),
    ("notify p95 (s)", "notify_p95_s"),
    ("HTTP statuses of the notifications", "statuses"),
    ("connection errors", "connection_errors"),
    ("every 三证 issued, s after the last confirmation", "receipts_after_last_confirmation_s"),
    ("gifts without their 三证 at the end", "receipts_missing"),
    ("totals exact to the fen", "totals_exact"),
    ("moto server peak RSS (MB)", "moto_peak_rss_mb"),
    ("stopped early", "stopped_early"),
    ("machine load average (1 min) at start / end", "load"),
]


def write_markdown() -> Path:
    runs = [json.loads(p.read_text()) for p in sorted(RESULTS.glob("local_surge_*.json"))]
    runs.sort(key=lambda r: (r["label"] != "before", r["label"]))
    lines = [
        "# Local stack under a surge (bench/bench_local_surge.py)",
        "",
        "Gifts to one project over HTTP on the embedded stack (moto server + chalice local + event pump),",
        "every notification sent twice at the same moment, gifts in shuffled order. `before` is main at",
        "5b6cf51 (moto's whole-table copies per transaction, never-trimmed streams, chalice local's",
        "backlog of 5); `after` is scripts/lean_moto.py + scripts/local_api.py.",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores shared with other jobs, Python {platform.python_version()}.",
        "",
        "| measure | " + " | ".join(r["label"] for r in runs) + " |",
        "|---|" + "---|" * len(runs),
    ]
    for r in runs:
        r["load"] = f"{r.get('load_average_at_start')} / {r.get('load_average_at_end')}"
    for title, key in ROWS:
        lines.append(f"| {title} | " + " | ".join(str(r.get(key, "")) for r in runs) + " |")
    lines += [
        "",
        "Targets (issue 18): moto peak RSS < 1.5 GB, notify p95 < 1 s, every 三证 within 60 s of the last",
        "confirmation. Read the timings with the load average beside them (the machine is shared; the",
        "runs of this table ran one after the other on a quiet machine). `after` is the stack with one",
        "event pump per latency-critical consumer (三证 issuer, 三证 renderer, public totals) beside the",
        "pump of everything else; the issuer numbers a stream batch's gifts in one transaction per",
        "charity; the 三证's QR code is encoded by segno with a fixed mask (bench/results/receipts.md);",
        "the renderer takes each set from its stream record, renders and stores a batch's sets 4 at a",
        "time and marks them issued in one transaction. `after-repeat` is the same tree run again, to",
        "show the spread. Before the renderer's batching (one set at a time, one update each) the last",
        "三证 came 108 s after the last confirmation in the same setting (git history of this file).",
    ]
    out = RESULTS / "local_surge.md"
    out.write_text("\n".join(lines) + "\n")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gifts", type=int, default=2000)
    parser.add_argument("--copies", type=int, default=2)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--label", default="after")
    parser.add_argument("--root", default=str(HERE.parent))
    parser.add_argument("--rss-cap-mb", type=float, default=4000)
    parser.add_argument("--receipts-timeout", type=float, default=600)
    args = parser.parse_args()
    result = run(args)
    print(json.dumps(result, ensure_ascii=False, indent=2))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"local_surge_{args.label}.json").write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    print(f"wrote {write_markdown()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
