"""Shared fixtures. The environment of the local stage is set before anything
imports ``app``: settings are read once, at import, as in Lambda.

Integration tests run against moto in server mode (the same serialized server
the local stack uses), in a thread of the test process, reset before each test.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from chalicelib.localkeys import ensure_keypair
from infra.build import stage_environment
from scripts.local_stack import STATE_DIR, free_port, local_token

AWS_PORT = free_port()
_, _JWKS = ensure_keypair(STATE_DIR)
TEST_ENV = stage_environment(
    "local",
    {"GONGYI_AWS_ENDPOINT": f"http://127.0.0.1:{AWS_PORT}", "GONGYI_JWKS_URL": str(_JWKS)},
)
os.environ.update(TEST_ENV)


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    from scripts.moto_server import serialized

    server = make_server(
        "127.0.0.1", AWS_PORT, serialized(DomainDispatcherApplication(create_backend_app)), threaded=True
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{AWS_PORT}"
    server.shutdown()


@pytest.fixture
def aws(moto_server: str) -> Iterator[Any]:
    """Fresh tables, buckets and queues of the local stage; yields the settings."""
    from chalicelib.bootstrap import bootstrap
    from chalicelib.config import get_settings
    from infra.build import create_local_resources

    requests.post(f"{moto_server}/moto-api/reset", timeout=10)
    # An e2e LocalStack started in this worker points os.environ at its own moto: undo that.
    os.environ.update(TEST_ENV)
    get_settings.cache_clear()
    settings = bootstrap()
    create_local_resources(settings)
    yield settings


@pytest.fixture
def client(aws: Any) -> Iterator[Any]:
    from chalice.test import Client

    from app import app

    with Client(app, stage_name="local", project_dir=str(ROOT)) as test_client:
        yield test_client


@pytest.fixture
def token() -> Callable[..., str]:
    """``token(role, org_id=None, sub=None)``: a valid local bearer token."""
    return local_token


@pytest.fixture
def auth() -> Callable[..., dict[str, str]]:
    """``auth(role, org_id=None, sub=None)``: headers with a bearer token and JSON content type."""

    def headers(role: str, org_id: str | None = None, sub: str | None = None) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {local_token(role, org_id=org_id, sub=sub)}",
            "Content-Type": "application/json",
        }

    return headers
