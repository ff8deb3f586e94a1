"""Run a compliance job by hand on the local stack: ``make job NAME=feedback_sweep [AS_OF=...]``.

Calls ``POST /compliance/jobs/<name>`` on the running local API with a freshly
minted platform_admin token, exactly as an operator would with curl.

    python -m scripts.job feedback_sweep --as-of 2026-12-01T00:00:00+08:00 [--api http://127.0.0.1:8000]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from scripts.local_stack import DEFAULT_API_PORT, local_token

JOBS = ("feedback_sweep", "reminders", "end_dates", "certificates", "monthly_report")


def run(name: str, as_of: str | None, api: str) -> dict[str, object]:
    token = local_token("platform_admin", sub="local-operator")
    body = {"as_of": as_of} if as_of else {}
    response = requests.post(
        f"{api}/compliance/jobs/{name}",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        data=json.dumps(body),
        timeout=120,
    )
    if response.status_code != 200:
        raise SystemExit(f"{response.status_code}: {response.text}")
    return dict(response.json())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("name", choices=JOBS)
    parser.add_argument("--as-of", default=None, help="ISO-8601 with a timezone, e.g. 2026-12-01T00:00:00+08:00")
    parser.add_argument("--api", default=f"http://127.0.0.1:{DEFAULT_API_PORT}")
    args = parser.parse_args(argv)
    try:
        result = run(args.name, args.as_of or None, args.api)
    except requests.ConnectionError:
        print(f"no local API on {args.api}: start it with `make run`", file=sys.stderr)
        return 1
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
