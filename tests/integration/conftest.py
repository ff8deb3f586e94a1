"""The integration tier: the app through ``chalice.test.Client`` against moto in server mode
(the same serialized server the local stack uses), in a thread of the test process, reset
before each test."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from scripts.local_stack import local_token
from tests.conftest import AWS_PORT, ROOT, TEST_ENV
from tests.factories import AlipayKeys, WechatKeys


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


# -- payments: WeChat Pay and Alipay configured with keys generated here ----------------------


@pytest.fixture(scope="session")
def wechat_keys() -> WechatKeys:
    return WechatKeys()


@pytest.fixture(scope="session")
def alipay_keys() -> AlipayKeys:
    return AlipayKeys()


@pytest.fixture(scope="session")
def provider_sim(wechat_keys: WechatKeys, alipay_keys: AlipayKeys) -> Iterator[Any]:
    """The payment-provider simulator (scripts/provider_sim), in this process, with the test keys."""
    from scripts.provider_sim.server import serve
    from tests.factories.payments import simulator_keys

    server = serve(0, simulator_keys(wechat_keys, alipay_keys), time_scale=0.001)
    yield server
    server.shutdown()


@pytest.fixture
def payments_env(
    aws: Any, monkeypatch: pytest.MonkeyPatch, wechat_keys: WechatKeys, alipay_keys: AlipayKeys, provider_sim: Any
) -> Any:
    """The local settings plus WeChat Pay and Alipay configured with the test keys, pointed at the simulator."""
    from chalicelib.bootstrap import bootstrap
    from chalicelib.config import get_settings
    from chalicelib.logic.donations import forget_cached_projects
    from tests.factories.payments import configs_for_simulator

    provider_sim.simulator.state.reset()
    wechat_config, alipay_config = configs_for_simulator(wechat_keys, alipay_keys, provider_sim.url)
    monkeypatch.setenv("GONGYI_WECHAT_PAY_CONFIG", json.dumps(wechat_config))
    monkeypatch.setenv("GONGYI_ALIPAY_CONFIG", json.dumps(alipay_config))
    monkeypatch.setenv("GONGYI_PROVIDER_TIMEOUT_SECONDS", "1")
    get_settings.cache_clear()
    forget_cached_projects()
    settings = bootstrap()
    yield settings
    get_settings.cache_clear()
    os.environ.pop("GONGYI_WECHAT_PAY_CONFIG", None)
    os.environ.pop("GONGYI_ALIPAY_CONFIG", None)


# -- least privilege: every AWS call a function makes is checked against its generated policy --


@pytest.fixture(autouse=True)
def _iam_enforced(request: pytest.FixtureRequest) -> Iterator[None]:
    """Record the AWS calls each function makes during the test, then check them against
    the policy its role gets (see tests/iam/). A call the policy would refuse fails the test."""
    from tests.iam import enforcement

    enforcement.start()
    yield
    enforcement.check_after_test(request)
