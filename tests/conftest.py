"""Shared fixtures. The environment of the local stage is set before anything
imports ``app``: settings are read once, at import, as in Lambda.

Tier fixtures live in each tier's conftest.py (tests/integration: moto, the
Chalice test client, tokens; tests/e2e: whole local stacks); factories in
tests/factories/, drivers and polling helpers in tests/support.py.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from chalicelib.localkeys import ensure_keypair
from infra.build import stage_environment
from scripts.local_stack import STATE_DIR, free_port

AWS_PORT = free_port()
_, _JWKS = ensure_keypair(STATE_DIR)
TEST_ENV = stage_environment(
    "local",
    {"GONGYI_AWS_ENDPOINT": f"http://127.0.0.1:{AWS_PORT}", "GONGYI_JWKS_URL": str(_JWKS)},
)
os.environ.update(TEST_ENV)
