"""The API function's cold start imports no heavy library it does not need: no X-Ray SDK
unless the stage traces, no PDF or spreadsheet library (those load inside their workers)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import ROOT, TEST_ENV

HEAVY = ("aws_xray_sdk", "reportlab", "segno", "openpyxl", "PIL")
PROBE = (
    "import sys, json; import app; "
    f"print(json.dumps({{'loaded': [m for m in {HEAVY!r} if m in sys.modules], "
    "'middleware': len(app.app.middleware_handlers)}))"
)


def _import_app(**extra: str) -> dict[str, object]:
    env = {**os.environ, **TEST_ENV, **extra}
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def test_import_app_loads_no_heavy_library_when_tracing_is_off():
    assert _import_app(GONGYI_TRACING="false")["loaded"] == []


def test_tracing_on_brings_the_tracer_middleware_and_the_xray_sdk():
    off, on = _import_app(GONGYI_TRACING="false"), _import_app(GONGYI_TRACING="true")
    assert "aws_xray_sdk" in on["loaded"]  # type: ignore[operator]
    assert on["middleware"] == off["middleware"] + 1  # type: ignore[operator]
