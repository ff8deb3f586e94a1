"""The API function's cold start does not pay for the PDF library."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_importing_app_does_not_import_reportlab():
    # Given a fresh interpreter (this one may have imported the renderer already)
    code = (
        "import json, sys; import app; "
        "print(json.dumps({'pdf': sorted(m for m in sys.modules if m.startswith('reportlab') "
        "or m == 'chalicelib.logic.receipts.documents'), "
        "'functions': sorted(s.name for s in app.app.event_sources)}))"
    )
    # When it imports app.py as every Lambda function does
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=dict(os.environ), capture_output=True, text=True, timeout=120
    )
    # Then no reportlab module is loaded, yet the renderer function is registered
    assert result.returncode == 0, result.stderr[-2000:]
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    assert loaded["pdf"] == []
    assert {"receipt_issuer", "receipt_renderer"} <= set(loaded["functions"])
