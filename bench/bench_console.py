"""Web console: what a first visit downloads, and how soon the project page can be used.

Starts a local stack with the console (web/dist must be built: `make web-build`), opens a
demo project's page in headless Chromium with an empty cache, and reports:

- the gzipped size of the JavaScript and CSS that first visit loads (target: under 150 KB);
- time to interactive of the project page, measured in the browser: from navigation start
  until the "我要捐款" button is rendered with the project's data and the main thread has been
  idle for 50 ms (no long task pending), median of several cold visits.

Writes bench/results/console.md.
"""

from __future__ import annotations

import gzip
import shutil
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from scripts.local_stack import LocalStack, free_port  # noqa: E402

RUNS = 7
RESULTS = ROOT / "bench" / "results" / "console.md"
TTI_SCRIPT = """() => new Promise((resolve) => {
  const settle = () => requestAnimationFrame(() => setTimeout(() => resolve(performance.now()), 50));
  settle();
})"""


def first_visit(browser, url: str, width: int) -> tuple[dict[str, int], float]:
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    assets: dict[str, bytes] = {}

    def record(response) -> None:
        path = response.url.split("?")[0]
        if path.endswith((".js", ".css")):
            assets[path] = response.body()

    page.on("response", record)
    page.goto(url)
    page.get_by_role("link", name="我要捐款").wait_for()
    tti = page.evaluate(TTI_SCRIPT)
    page.wait_for_load_state("networkidle")
    context.close()
    return {p: len(gzip.compress(b, 9)) for p, b in assets.items()}, tti


def main() -> int:
    if not (ROOT / "web" / "dist" / "index.html").is_file():
        print("web/dist is not built: run `make web-build`", file=sys.stderr)
        return 1
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        print("Chromium is missing: apt-get install -y chromium", file=sys.stderr)
        return 1
    stack = LocalStack(aws_port=free_port(), api_port=free_port(), web_port=free_port(), quiet=True).start()
    try:
        hits = []
        for _ in range(60):  # the search index follows the demo data within seconds
            hits = requests.get(f"{stack.api_url}/projects", params={"q": "驰援武汉"}, timeout=30).json()["items"]
            if hits:
                break
            time.sleep(1)
        url = f"http://127.0.0.1:{stack.web_port}/projects/{hits[0]['project_id']}"
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
            first_visit(browser, url, 360)  # warm the API function and the OS caches
            sizes: dict[str, int] = {}
            ttis: dict[int, list[float]] = {360: [], 1280: []}
            for _ in range(RUNS):
                for width in ttis:
                    sizes, tti = first_visit(browser, url, width)
                    ttis[width].append(tti)
            browser.close()
    finally:
        stack.stop()
    js = sum(v for k, v in sizes.items() if k.endswith(".js"))
    css = sum(v for k, v in sizes.items() if k.endswith(".css"))
    lines = [
        "# Web console: first-visit weight and time to interactive",
        "",
        "`make bench` (bench/bench_console.py): a local stack with the built console, headless Chromium",
        f"(Debian's), empty cache on every visit, the demo project 驰援武汉; median of {RUNS} cold visits.",
        "Shared 2-core machine: times are indicative.",
        "",
        "| what | value |",
        "| --- | --- |",
        f"| JavaScript loaded by the first visit (gzip -9) | {js / 1024:.1f} KB |",
        f"| CSS loaded by the first visit (gzip -9) | {css / 1024:.1f} KB |",
        f"| total (target < 150 KB) | {(js + css) / 1024:.1f} KB |",
    ]
    for width, values in ttis.items():
        lines.append(
            f"| time to interactive, project page, {width} px (median / max) | "
            f"{statistics.median(values):.0f} ms / {max(values):.0f} ms |"
        )
    lines += ["", "Files of the first visit (gzip -9):", ""]
    lines += [f"- `{Path(k).name}`: {v / 1024:.1f} KB" for k, v in sorted(sizes.items(), key=lambda kv: -kv[1])]
    RESULTS.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    return 0 if js + css < 150 * 1024 else 1


if __name__ == "__main__":
    raise SystemExit(main())
