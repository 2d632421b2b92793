"""Signing in to the web UI with the local OpenID Connect provider, in Debian's Chromium.

The gateway and the provider are test_oidc.py's (real HTTP, the session's broker). The page offers
"Sign in with Local IdP", the provider approves at once, and the page comes back signed in on the
session cookie: it reads, listens live, and its writes carry the CSRF token. Sign out ends it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest

from libs.runtime.auth import SESSION_COOKIE
from libs.testing.browser import wait_until
from services.gateway.tests import test_oidc
from services.gateway.tests.test_oidc import Hub
from tests import test_web_ui
from tests.test_web_ui import DESKTOP, PHONE, close

pytestmark = [pytest.mark.browser, pytest.mark.kafka]

browser = test_web_ui.browser
idp = test_oidc.idp
hub = test_oidc.hub


async def new_page(browser: Any, hub: Hub, viewport: dict[str, int] = DESKTOP) -> Any:
    context = await browser.new_context(viewport=viewport)
    page = await context.new_page()
    page.errors = []  # what the page threw; `close` asserts there was nothing
    page.on("pageerror", lambda error: page.errors.append(error))
    await page.goto(hub.url)
    return page


async def test_signing_in_with_the_provider_reads_listens_and_signs_out(browser: Any, hub: Hub, tmp_path: Path) -> None:
    page = await new_page(browser, hub)
    button = page.locator("#signin-oidc")
    await button.wait_for()
    assert await button.text_content() == "Sign in with Local IdP"
    await page.screenshot(path=tmp_path / "signin-desktop.png")

    await button.click()  # to the provider, which approves at once, and back
    await wait_until(page, "document.querySelector('#who').textContent === 'pm@example.com · editor'")
    assert await page.locator("#hub").is_visible() and not await page.locator("#signin").is_visible()
    (cookie,) = [c for c in await page.context.cookies() if c["name"] == SESSION_COOKIE]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    assert await page.evaluate(f"document.cookie.includes('{SESSION_COOKIE}')") is False
    await page.wait_for_selector("#live.on")  # the stream's ticket was a write, with the CSRF header

    # A request without the CSRF header, as another site's form would make it, is refused.
    status = await page.evaluate(
        """async (path) => (await fetch(path, {method: "POST", headers: {"Content-Type": "application/json"},
            body: JSON.stringify({category: "bug"})})).status""",
        f"/api/v1/feedback/{uuid4()}/overrides",
    )
    assert status == 403
    await page.screenshot(path=tmp_path / "signed-in-desktop.png")

    async with page.expect_response("**/auth/logout") as logout:
        await page.click("#signout")
    assert (await logout.value).status == 204
    await page.locator("#signin-message").wait_for()
    assert await page.locator("#signin-message").text_content() == "Signed out."
    await page.reload()
    await button.wait_for()
    assert await page.locator("#signin").is_visible() and not await page.locator("#hub").is_visible()
    assert SESSION_COOKIE not in {c["name"] for c in await page.context.cookies()}
    await close(page)
    print(f"\nsign-in screenshots: {tmp_path}")


async def test_someone_the_hub_has_no_role_for_is_told_so_on_the_sign_in_form(browser: Any, hub: Hub) -> None:
    page = await new_page(browser, hub, PHONE)
    hub.idp.user["groups"] = ["marketing"]
    try:
        await page.click("#signin-oidc")
        message = page.locator("#signin-message")
        await message.wait_for()
        assert "pm@example.com signed in, but has no role in the hub" in (await message.text_content() or "")
        assert "signin_error" not in page.url  # the message is shown once, not kept in the address
        assert not await page.locator("#hub").is_visible()
    finally:
        hub.idp.user["groups"] = ["product"]
    await close(page)


async def test_an_ended_session_returns_to_the_sign_in_form(browser: Any, hub: Hub) -> None:
    page = await new_page(browser, hub)
    await page.click("#signin-oidc")
    await page.wait_for_selector("#hub:not([hidden])")
    await page.context.clear_cookies()  # as when the session expires
    await page.click("[data-tab=feedback]")
    message = page.locator("#signin-message")
    await message.wait_for()
    assert await message.text_content() == "Your session has ended. Sign in again."
    assert not await page.locator("#hub").is_visible()
    await close(page)
