"""Benchmark: rendering the 三证 set vs a minimal one-line PDF, same library, same run.

Reports documents per second and bytes per document; writes bench/results/receipts.md.
Run: `make bench` or `.venv/bin/python bench/bench_receipts.py [--seconds 3]`.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import reportlab  # noqa: E402

from chalicelib.logic.receipts.documents import (  # noqa: E402
    ReceiptFacts,
    _qr_modules,
    _qr_path,
    donation_certificate,
    donation_receipt,
    one_line_pdf,
    render_set,
    thank_you_letter,
)

FACTS = ReceiptFacts(
    number="53110000MJ0000001X-2026-00012345",
    check_code="K7QX2M9P",
    donor_name="张三",
    charity_name="北京市春苗儿童救助基金会",
    charity_code="53110000MJ0000001X",
    project_title="乡村儿童营养午餐",
    amount_fen=123_450,
    donated_on="2026-11-22",
    issued_on="2026-11-22",
    verify_url="https://gongyi.example.cn/receipts/verify/53110000MJ0000001X-2026-00012345?code=K7QX2M9P",
)


def measure(render: Callable[[], bytes | dict[str, bytes]], seconds: float) -> tuple[float, list[int]]:
    """Documents per second (median of 5 rounds) and the sizes of one rendering."""
    result = render()
    sizes = [len(b) for b in result.values()] if isinstance(result, dict) else [len(result)]
    rates = []
    for _ in range(5):
        count, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds / 5:
            render()
            count += len(sizes)
        rates.append(count / (time.perf_counter() - start))
    return statistics.median(rates), sizes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=3.0, help="time per case")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "receipts.md")
    args = parser.parse_args()

    def fresh(render: Callable[[ReceiptFacts], bytes | dict[str, bytes]]) -> Callable[[], bytes | dict[str, bytes]]:
        # Every receipt set has its own verification URL: encode its QR code every time.
        def run() -> bytes | dict[str, bytes]:
            _qr_modules.cache_clear()
            _qr_path.cache_clear()
            return render(FACTS)

        return run

    cases: list[tuple[str, Callable[[], bytes | dict[str, bytes]]]] = [
        ("one-line PDF (Helvetica, baseline)", one_line_pdf),
        ("感谢信 thank-you letter", fresh(thank_you_letter)),
        ("捐赠证书 donation certificate", fresh(donation_certificate)),
        ("捐赠票据 donation receipt", fresh(donation_receipt)),
        ("三证 set (3 documents, one QR encoding)", fresh(render_set)),
    ]
    rows = []
    for name, render in cases:
        rate, sizes = measure(render, args.seconds)
        rows.append((name, rate, sum(sizes) / len(sizes), sum(sizes)))
        print(f"{name:40s} {rate:9.1f} docs/s {sum(sizes) / len(sizes):9.0f} B/doc")
    lines = [
        "# Receipts benchmark: rendering the 三证",
        "",
        f"reportlab {reportlab.Version}, Python {platform.python_version()}, {platform.machine()}, "
        f"{args.seconds:g} s per case (median of 5 rounds), one process, no I/O (rendering only), "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs at the start (a shared machine: "
        "compare rows of the same run, not runs).",
        "",
        "| case | documents/s | bytes/document | bytes/rendering |",
        "| --- | ---: | ---: | ---: |",
    ]
    lines += [f"| {name} | {rate:,.1f} | {per_doc:,.0f} | {total:,} |" for name, rate, per_doc, total in rows]
    baseline, full = rows[0], rows[-1]
    lines += [
        "",
        f"The 三证 set renders at {full[1] / baseline[1]:.0%} of the one-line baseline's documents/s and "
        f"{full[2] / baseline[2]:.1f}x its size per document. Fonts are Adobe's standard CJK font "
        "STSong-Light, referenced, not embedded, so a document stays a few KB (target: < 100 KB). "
        "The QR code is encoded once per set by segno with a fixed mask pattern and written as "
        "pre-formatted path operators; before that change (reportlab's encoder scoring all eight "
        "masks, each rectangle's numbers formatted by reportlab) the set rendered at 5% of the "
        "baseline (59.6 vs 1,194 documents/s in the run of 2026-12-02, git history of this file).",
        "",
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
