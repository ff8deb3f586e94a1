"""Assemble README.md from docs/readme/*.md and the route declarations.

    python -m scripts.build_readme          # rewrite README.md
    python -m scripts.build_readme --check  # exit 1 if README.md is stale

The "API at a glance" table is generated from the same declarations that
feed /openapi.json, so it cannot forget a route.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PARTS = ROOT / "docs" / "readme"
AREA_ORDER = ["orgs", "donations", "receipts", "compliance", "search", "imports"]


def api_table() -> str:
    from infra.build import stage_environment

    os.environ.update(stage_environment("local", {"GONGYI_AWS_ENDPOINT": "http://127.0.0.1:1"}))
    from chalicelib.api.routing import routes_of
    from chalicelib.blueprints import BLUEPRINTS

    lines = [
        "## API at a glance",
        "",
        "Generated from the route declarations (the same ones behind `GET /openapi.json`).",
        "",
        "| method | path | who | what |",
        "| --- | --- | --- | --- |",
    ]
    for bp in BLUEPRINTS:
        for spec in routes_of(bp):
            who = ", ".join(r.value for r in spec.roles) if spec.roles else {
                "none": "anyone", "optional": "anyone (token optional)", "required": "signed in"
            }[spec.auth]
            lines.append(f"| {spec.method} | `{spec.path}` | {who} | {spec.summary} |")
    return "\n".join(lines) + "\n"


def as_section(text: str) -> str:
    """An area doc titled with ``#`` becomes a ``##`` section (code blocks untouched)."""
    lines = text.strip().splitlines()
    if not lines or not lines[0].startswith("# "):
        return text.strip() + "\n"
    out, fenced = [], False
    for line in lines:
        if line.startswith("```"):
            fenced = not fenced
        out.append("#" + line if not fenced and line.startswith("#") else line)
    return "\n".join(out) + "\n"


def render() -> str:
    parts = sorted(PARTS.glob("*.md"))
    intro = [p for p in parts if p.name.startswith("0")]
    tail = [p for p in parts if p.name.startswith("9")]
    areas = [p for p in parts if p not in intro and p not in tail]
    areas.sort(key=lambda p: AREA_ORDER.index(p.stem) if p.stem in AREA_ORDER else len(AREA_ORDER))
    chunks = [p.read_text().strip() + "\n" for p in intro]
    chunks.append(api_table())
    chunks += [as_section(p.read_text()) for p in areas + tail]
    return "\n".join(chunks)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    text = render()
    readme = ROOT / "README.md"
    if args.check:
        if readme.read_text() != text:
            print("README.md is stale: run `python -m scripts.build_readme`", file=sys.stderr)
            return 1
        return 0
    readme.write_text(text)
    print("wrote README.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
