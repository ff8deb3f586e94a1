"""The e2e tier: a whole local stack (moto server + chalice local + event pump)
on free ports, talked to over HTTP exactly as a frontend would."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from chalicelib.bootstrap import bootstrap
from chalicelib.config import get_settings
from scripts.local_stack import LocalStack, free_port


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # One stack per test session: keep every e2e test on the same xdist worker.
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.xdist_group("e2e"))


@pytest.fixture(scope="session")
def stack() -> Iterator[LocalStack]:
    local = LocalStack(aws_port=free_port(), api_port=free_port(), demo=True, quiet=True)
    # Provisioning runs in this process with the stack's environment; give the process its own
    # back afterwards, or the integration tests sharing this worker would talk to the stack's AWS.
    saved = dict(os.environ)
    local.start()
    os.environ.clear()
    os.environ.update(saved)
    get_settings.cache_clear()
    bootstrap()
    try:
        yield local
    finally:
        local.stop()
