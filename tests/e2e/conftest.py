"""The e2e tier: a whole local stack (moto server + chalice local + event pump)
on free ports, talked to over HTTP exactly as a frontend would."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from chalicelib.bootstrap import bootstrap
from chalicelib.config import get_settings, load_settings
from scripts.local_stack import LocalStack, free_port
from tests.conftest import ROOT
from tests.support import models_on


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # One stack per test session: keep every e2e test on the same xdist worker.
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.xdist_group("e2e"))


@contextmanager
def running_stack(*, demo: bool, env: dict[str, str] | None = None) -> Iterator[LocalStack]:
    local = LocalStack(aws_port=free_port(), api_port=free_port(), demo=demo, quiet=True)
    # Least privilege: the stack's processes record every AWS call a function makes (tests/iam/);
    # when the stack stops, each is checked against the policy generated for that function.
    record = Path(tempfile.mkdtemp(prefix="gongyi-iam-")) / "calls.jsonl"
    local.env.update(
        {
            "GONGYI_IAM_RECORD": str(record),
            "GONGYI_IAM_ROOT": str(ROOT),
            "PYTHONPATH": str(ROOT / "tests" / "iam" / "site"),
        }
    )
    local.env.update(env or {})
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
    from tests.iam.enforcement import check_recorded_file

    check_recorded_file(str(record))


@pytest.fixture(scope="session")
def stack() -> Iterator[LocalStack]:
    """The session's stack, with the demo data."""
    with running_stack(demo=True) as local:
        yield local


@pytest.fixture(scope="module")
def quiet_stack() -> Iterator[LocalStack]:
    """A stack of the module's own, without demo data: the session stack's event pump can be kept
    busy (a donation surge) or re-pointed (moto swaps a table's stream when it rolls back a failed
    transaction), which would say nothing about, say, search's freshness."""
    with running_stack(demo=False) as local:
        yield local


@pytest.fixture
def stack_models(stack: LocalStack) -> Iterator[Any]:
    """Bind the data layer of this test process to the stack's embedded AWS (and back after)."""
    settings = load_settings(stack.env)
    with models_on(settings):
        yield settings
