"""The committed API types (web/src/api/schema.d.ts) are what the app's /openapi.json says."""

from __future__ import annotations

import subprocess
import sys

import pytest

from scripts.local_stack import ROOT

WEB = ROOT / "web"


def test_schema_d_ts_is_generated_from_the_current_openapi_document(tmp_path):
    generator = WEB / "node_modules" / ".bin" / "openapi-typescript"
    if not generator.exists():
        pytest.fail("web/node_modules is missing: run `make web-deps` (make test does)")
    spec = tmp_path / "openapi.json"
    subprocess.run([sys.executable, str(WEB / "scripts" / "dump_openapi.py"), str(spec)], check=True, cwd=ROOT)
    out = tmp_path / "schema.d.ts"
    subprocess.run(
        [str(generator), str(spec), "--default-non-nullable", "false", "-o", str(out)],
        cwd=WEB,
        check=True,
        capture_output=True,
    )
    committed = (WEB / "src" / "api" / "schema.d.ts").read_text(encoding="utf-8")
    assert out.read_text(encoding="utf-8") == committed, "the API changed: run `make web-schema` and `make web-build`"
