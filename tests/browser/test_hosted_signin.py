"""Signing in as on a deployed stage: the console sends people to the provider's hosted sign-in
(authorization code + PKCE, oidc-client-ts), reads the role from the ID token's custom:role as
the API does, and the API accepts that provider's tokens. The provider is panva's oidc-provider
standing in for the Cognito Hosted UI (web/scripts/oidc_test_provider.mjs); its stack trusts
it instead of the local key pair."""

from __future__ import annotations

import base64
import json
import re
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from playwright.sync_api import expect

from scripts.local_stack import ROOT, LocalStack, free_port, wait_until
from tests.browser.conftest import Journey, journeys, running

CLIENT_ID = "gongyi-console-hosted"


@pytest.fixture(scope="module")
def hosted() -> Iterator[tuple[LocalStack, str]]:
    """An OpenID provider, and a stack (no demo data, no pumps) whose API and console use it."""
    web_port, provider_port = free_port(), free_port()
    issuer = f"http://127.0.0.1:{provider_port}"
    provider = subprocess.Popen(
        ["node", "web/scripts/oidc_test_provider.mjs", "--port", str(provider_port), "--client", CLIENT_ID]
        + ["--redirect", f"http://127.0.0.1:{web_port}/signin/callback"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert provider.stdout is not None and provider.stdout.readline().startswith("ready"), "no OpenID provider"
        wait_until(lambda: requests.get(f"{issuer}/jwks", timeout=5).ok, "the OpenID provider", timeout=30)
        stack = LocalStack(
            aws_port=free_port(), api_port=free_port(), web_port=web_port, demo=False, workers=False, quiet=True,
            oidc=(issuer, CLIENT_ID),
        )  # fmt: skip
        with running(stack):
            yield stack, issuer
    finally:
        provider.terminate()
        provider.wait(timeout=10)


def _sign_in_at_provider(page: Any, login: str) -> None:
    page.get_by_role("button", name="使用平台账号登录").click()
    page.locator("input[name=login]").fill(login)
    page.locator("input[name=password]").fill("any password")
    page.get_by_role("button", name="Sign-in").click()
    page.get_by_role("button", name="Continue").click()  # consent


def _claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def _session(page: Any) -> dict[str, Any]:
    return json.loads(page.evaluate("localStorage.getItem('gongyi.session')"))


@pytest.fixture
def hosted_journey(browser: Any, hosted: tuple[LocalStack, str], request: Any) -> Iterator[Journey]:
    """A journey on the hosted stack's console; fails on what went wrong, as every journey does."""
    stack, _ = hosted
    with journeys(browser, f"http://127.0.0.1:{stack.web_port}", request.node.name.removeprefix("test_")) as start:
        j = start()
        # The stand-in provider's development pages ask Google Fonts for a font (not gongyi's
        # pages, and no internet here): answer with an empty style sheet.
        j.context.route(
            "https://fonts.googleapis.com/**", lambda route: route.fulfill(content_type="text/css", body="")
        )
        yield j


def test_platform_staff_sign_in_at_the_hosted_page_and_the_api_takes_the_token(hosted, hosted_journey):
    stack, issuer = hosted
    page = hosted_journey.page
    # Given the console of a stage that signs in at an OpenID provider (no "sign in as")
    page.goto("/admin/projects")
    expect(page.get_by_role("heading", name="登录")).to_be_visible()
    expect(page.get_by_text("以平台审核员登录")).to_have_count(0)

    # When a reviewer signs in at the provider's hosted page (code + PKCE)
    _sign_in_at_provider(page, "reviewer")

    # Then she is back where she was going, as platform staff, and the review queue loaded
    page.wait_for_url(re.compile(r"/admin/projects$"))
    expect(page.get_by_role("heading", name="项目审核队列")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("退出（平台审核员）"))).to_be_visible()
    session = _session(page)
    claims = _claims(session["token"])
    assert session["role"] == "platform_admin" and session["sub"] == "reviewer"
    assert claims["iss"] == issuer and claims["aud"] == CLIENT_ID and claims["custom:role"] == "platform_admin"
    # And the API takes the provider's ID token, and no other key's
    me = requests.get(f"{stack.api_url}/me", headers={"Authorization": f"Bearer {session['token']}"}, timeout=10)
    assert me.status_code == 200 and me.json() == {"sub": "reviewer", "role": "platform_admin", "org_id": None}
    local = stack.token("platform_admin", sub="reviewer")
    refused = requests.get(f"{stack.api_url}/me", headers={"Authorization": f"Bearer {local}"}, timeout=10)
    assert refused.status_code == 401
    hosted_journey.shot("review-queue")


def test_someone_who_signed_up_with_no_role_is_a_donor(hosted_journey):
    page = hosted_journey.page
    # Given someone who signed up at the hosted page: the pool gave her no custom:role
    page.goto("/me/donations")

    # When she signs in
    _sign_in_at_provider(page, "alice@example.com")

    # Then she is a donor, back at her donations (none yet), and staff pages are not hers
    page.wait_for_url(re.compile(r"/me/donations$"))
    expect(page.get_by_role("heading", name="我的捐款")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("退出（捐赠人）"))).to_be_visible()
    assert _session(page)["role"] == "donor"
    expect(page.get_by_role("link", name="平台管理")).to_have_count(0)
