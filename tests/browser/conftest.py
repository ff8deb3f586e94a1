"""The browser tier: Playwright driving the system's Chromium against a whole local stack
(moto + chalice local + event pump + the web console's devserver) on free ports.

Every journey fails on a console error, an uncaught page error, a failed request or an
HTTP error answer, and saves screenshots of its key screens at phone (360 px) and desktop
(1280 px) widths under build/console-artifacts/ (gitignored).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from scripts.local_stack import ROOT, LocalStack, free_port

ARTIFACTS = ROOT / "build" / "console-artifacts"
DIST = ROOT / "web" / "dist" / "index.html"
PHONE, DESKTOP = {"width": 360, "height": 780}, {"width": 1280, "height": 900}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # One stack and one browser for the whole browser tier: keep its tests on one xdist worker.
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.xdist_group("browser"))


def chromium_path() -> str:
    found = os.environ.get("GONGYI_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.fail("Chromium is missing: `apt-get install -y chromium` (make web-browser does it as root)")
    return found


@contextmanager
def running(stack: LocalStack) -> Iterator[LocalStack]:
    """Start ``stack`` (its provisioning binds this process to its AWS), give the other tiers on
    this worker their own AWS back, and stop the stack at the end."""
    if not DIST.is_file():
        pytest.fail("web/dist is not built: run `make web-build` (make test does)")
    from chalicelib.bootstrap import bootstrap
    from chalicelib.config import get_settings

    saved = dict(os.environ)
    try:
        try:
            stack.start()
        finally:
            os.environ.clear()
            os.environ.update(saved)
            get_settings.cache_clear()
            bootstrap()
        yield stack
    finally:
        stack.stop()


@pytest.fixture(scope="session")
def console_stack() -> Iterator[LocalStack]:
    stack = LocalStack(aws_port=free_port(), api_port=free_port(), web_port=free_port(), demo=True, quiet=True)
    with running(stack):
        yield stack


@pytest.fixture(scope="session")
def console_url(console_stack: LocalStack) -> str:
    return f"http://127.0.0.1:{console_stack.web_port}"


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import expect, sync_playwright

    # A page waits on the local API, which answers slowly when CI's two cores are busy with the
    # other tiers: assertions wait up to 20 s for what a person would see (not a timing check).
    expect.set_options(timeout=20_000)

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_path(), args=["--no-sandbox"])
        yield chromium
        chromium.close()


class Journey:
    """One browser context: records what went wrong, takes screenshots at both widths."""

    def __init__(self, browser: Any, base_url: str, name: str):
        self.context = browser.new_context(base_url=base_url, viewport=PHONE, locale="zh-CN", accept_downloads=True)
        self.page = self.context.new_page()
        self.name = name
        self.problems: list[str] = []
        self.watch(self.page)

    def watch(self, page: Any) -> None:
        """Record what goes wrong on ``page`` (the journey's own, or a tab it opened)."""
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.problems.append(f"page error: {exc}"))
        page.on("requestfailed", self._failed)
        page.on("response", self._response)

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.problems.append(f"console error: {message.text}")

    def _failed(self, request: Any) -> None:
        # A navigation away cancels polls in flight; that is the browser's doing, not a failure.
        if request.failure != "net::ERR_ABORTED":
            self.problems.append(f"request failed: {request.method} {request.url} {request.failure}")

    def _response(self, response: Any) -> None:
        if response.status >= 400:
            self.problems.append(f"HTTP {response.status}: {response.request.method} {response.url}")

    def shot(self, screen: str) -> None:
        """Screenshots of the current screen at phone and desktop widths."""
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        for label, size in (("phone", PHONE), ("desktop", DESKTOP)):
            self.page.set_viewport_size(size)
            self.page.wait_for_load_state("networkidle")
            self.page.screenshot(path=ARTIFACTS / f"{self.name}-{screen}-{label}.png", full_page=True)
        self.page.set_viewport_size(PHONE)

    def sign_in(self, role: str, *, org: str | None = None, sub: str | None = None) -> None:
        self.page.goto("/signin")
        if sub:
            self.page.get_by_label("用户标识").fill(sub)
        if org:
            self.page.get_by_label("机构编号").fill(org)
        label = {"donor": "以捐赠人登录", "org_admin": "以机构管理员登录", "platform_admin": "以平台审核员登录"}[role]
        self.page.get_by_role("button", name=label).click()
        self.page.wait_for_url(re.compile(r"^(?!.*/signin).*$"))

    def close(self) -> None:
        self.context.close()


@contextmanager
def journeys(browser: Any, base_url: str, name: str) -> Iterator[Callable[[], Journey]]:
    """Start journeys against ``base_url``; at the end close them and fail on what went wrong."""
    opened: list[Journey] = []

    def start() -> Journey:
        j = Journey(browser, base_url, name)
        opened.append(j)
        return j

    yield start
    problems = [p for j in opened for p in j.problems]
    for j in opened:
        j.close()
    assert not problems, "the journey hit errors:\n" + "\n".join(problems)


@pytest.fixture
def journey(browser: Any, console_url: str, request: pytest.FixtureRequest) -> Iterator[Callable[[], Journey]]:
    with journeys(browser, console_url, request.node.name.removeprefix("test_")) as start:
        yield start


@pytest.fixture
def docs_image() -> Callable[[Any, str, dict[str, int]], None]:
    """Write a README screenshot under docs/img/ (committed) when it is missing or when
    GONGYI_REFRESH_DOCS_IMAGES=1, so that `make test` leaves the work tree clean."""

    def save(page: Any, name: str, size: dict[str, int]) -> None:
        path = ROOT / "docs" / "img" / name
        if path.exists() and os.environ.get("GONGYI_REFRESH_DOCS_IMAGES") != "1":
            return
        page.set_viewport_size(size)
        page.wait_for_load_state("networkidle")
        path.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=path, full_page=False)
        page.set_viewport_size(PHONE)

    return save
