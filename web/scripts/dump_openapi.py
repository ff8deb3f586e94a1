"""Write gongyi's OpenAPI document (the one ``GET /openapi.json`` serves) to a file.

    python web/scripts/dump_openapi.py web/openapi.json

Built from the same route declarations the API serves, without starting anything:
``openapi-typescript`` turns it into ``web/src/api/schema.d.ts``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def document() -> dict:
    from chalicelib.api.openapi import build_openapi
    from chalicelib.blueprints import BLUEPRINTS

    return build_openapi(BLUEPRINTS, version="0.1.0")


def main(argv: list[str]) -> int:
    out = Path(argv[1]) if len(argv) > 1 else ROOT / "web" / "openapi.json"
    out.write_text(json.dumps(document(), ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
