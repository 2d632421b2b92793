"""The web UI: served by the gateway, and driven in a real headless Chromium against the whole hub.

The browser is Debian's /usr/bin/chromium (`make setup` installs it), driven by Playwright; no
browser is ever downloaded. Screenshots of every tab, light and dark, desktop and phone width,
are saved under the test's tmp dir (the path is printed).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import async_playwright

from libs.cli.hub import Hub
from libs.runtime.auth import Role, create_token
from services.gateway.app import create_app
from services.gateway.settings import GatewaySettings
from tests.conftest import HubClient, start_hub

CHROMIUM = Path("/usr/bin/chromium")
HAVE_CHROMIUM = CHROMIUM.exists()
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
TABS = ("overview", "feedback", "calendar", "checklists")

ITEMS = [
    (
        "cto@northwind.ai",
        "Production is down: every chat completion returns 500",
        "Since 09:00 UTC all requests fail.",
        "api",
    ),
    (
        "richard@piedpiper.com",
        "Please add SAML SSO with Okta",
        "Our security team requires SSO for every vendor.",
        "zendesk",
    ),
    ("gavin@hooli.xyz", "Love the new playground, thank you", "The streaming view is fantastic.", "canny"),
    ("someone@gmail.com", "How do I rotate an API key?", "I could not find it in the docs.", "intercom"),
    ("dev@piedpiper.com", "Typo on the pricing page", "It says 'tokns' instead of 'tokens'.", "api"),
]


async def test_the_page_and_its_assets_are_served_without_a_token(tmp_path: Path) -> None:
    app = create_app(GatewaySettings(data_dir=tmp_path))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as http:
        page = await http.get("/")
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        assert '<script type="module" src="/static/app.js">' in page.text
        script = await http.get("/static/app.js")
        assert script.status_code == 200 and "javascript" in script.headers["content-type"]
        assert (await http.get("/static/app.css")).status_code == 200
        assert (await http.get("/static/missing.js")).status_code == 404
        # The API, its documents and the probes are still where they were.
        assert (await http.get("/api/v1/feedback")).status_code == 401
        assert (await http.get("/openapi.json")).json()["info"]["title"] == "ProdOps gateway"
        assert (await http.get("/docs")).status_code == 200
        assert (await http.get("/healthz")).status_code == 200


# --- in the browser, against the whole hub ------------------------------------------------------


def in_browser(test: Any) -> Any:
    """Marks a test that drives Chromium against the whole hub on the real broker."""
    return pytest.mark.browser(pytest.mark.e2e(pytest.mark.kafka(test)))


@dataclass
class WebHub:
    hub: Hub
    client: HubClient
    ids: dict[str, str]  # title -> item id
    launch_id: str
    editor_token: str
    viewer_token: str

    @property
    def url(self) -> str:
        return self.hub.gateway_url

    async def api(self, path: str) -> Any:
        response = await self.client.http.get(f"{self.url}/api/v1{path}", headers=self.client.viewer)
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture(scope="module")
async def web(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[WebHub]:
    hub = await start_hub(tmp_path_factory.mktemp("web-hub"), None)
    client = HubClient(hub)
    try:
        ids = {}
        for email, title, text, source in ITEMS:
            body = {"title": title, "description": text, "source": source, "customer": {"email": email}}
            ids[title] = await client.submit(body)
        await client.processed(list(ids.values()))
        launch_id = await _create_launch(client)
        key = hub.settings().signing_key()
        yield WebHub(
            hub=hub,
            client=client,
            ids=ids,
            launch_id=launch_id,
            editor_token=create_token(key, Role.EDITOR, "pm@example.com"),
            viewer_token=create_token(key, Role.VIEWER, "sales@example.com"),
        )
    finally:
        await client.http.aclose()
        hub.stop()


async def _create_launch(client: HubClient) -> str:
    today = date.today()
    target = min(today + timedelta(days=10), date(today.year, 12, 31))
    launch = {"name": "SSO for every plan", "type": "enterprise_feature", "team": "product", "target_date": str(target)}
    created = await client.http.post(f"{client.hub.gateway_url}/api/v1/launches", json=launch, headers=client.editor)
    assert created.status_code == 202, created.text
    launch_id = str(created.json()["id"])
    deadline = time.monotonic() + 30
    while True:
        checklist = await client.http.get(
            f"{client.hub.gateway_url}/api/v1/launches/{launch_id}/checklist", headers=client.viewer
        )
        if checklist.status_code == 200 and checklist.json()["items"]:
            return launch_id
        assert time.monotonic() < deadline, "the launch never reached the read model"
        await asyncio.sleep(0.25)


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Any]:
    if not HAVE_CHROMIUM:
        pytest.skip("Debian's chromium is not installed (make setup installs it when run as root)")
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            await chromium.close()


async def open_hub(browser: Any, web: WebHub, token: str, *, viewport: dict[str, int] = DESKTOP, scheme: str = "light"):
    """A fresh page signed in through the sign-in form."""
    context = await browser.new_context(viewport=viewport, color_scheme=scheme)
    page = await context.new_page()
    page.errors = []  # what the page threw; `close` asserts there was nothing
    page.on("pageerror", lambda error: page.errors.append(error))
    await page.goto(web.url)
    await page.fill("#token", token)
    await page.click("#signin-form button[type=submit]")
    await page.wait_for_selector("#metrics .metric")
    return page


async def close(page: Any) -> None:
    assert not page.errors, f"the page threw: {page.errors}"
    await page.context.close()


async def show_tab(page: Any, tab: str) -> None:
    await page.click(f"[data-tab={tab}]")
    ready = {
        "overview": "#metrics .metric",
        "feedback": "#feedback-list li",
        "calendar": "#months .month",
        "checklists": "#checklist .teams",
    }[tab]
    await page.wait_for_selector(f"#tab-{tab}:not([hidden]) {ready}")


@in_browser
@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
@pytest.mark.parametrize("scheme", ["light", "dark"])
async def test_every_tab_renders(
    browser: Any, web: WebHub, screenshots: Path, viewport: dict[str, int], scheme: str
) -> None:
    page = await open_hub(browser, web, web.editor_token, viewport=viewport, scheme=scheme)
    assert await page.evaluate("document.documentElement.classList.contains('dark')") == (scheme == "dark")
    overview = await web.api("/overview")
    name = f"{'desktop' if viewport == DESKTOP else 'phone'}-{scheme}"

    await show_tab(page, "overview")
    metrics = await page.inner_text("#metrics")
    assert "Feedback items" in metrics and str(overview["total"]) in metrics
    assert "n = " in await page.inner_text("#tab-overview"), "sample sizes are shown"
    assert "Last updated" in await page.inner_text("#last-updated")
    assert await page.locator("#by-category rect.bar").count() == 6
    assert "SSO for every plan" in await page.inner_text("#upcoming")
    await page.screenshot(path=screenshots / f"overview-{name}.png", full_page=True)

    await show_tab(page, "feedback")
    listed = await page.inner_text("#feedback-list")
    for title in web.ids:
        assert title in listed
    assert f"of {overview['total']} items" in await page.inner_text("#feedback-count")
    await page.screenshot(path=screenshots / f"feedback-{name}.png", full_page=True)
    await page.locator("#feedback-list li", has_text="Production is down").click()
    await page.wait_for_selector("#drawer:not([hidden]) .reasoning")
    assert "enterprise" in await page.inner_text("#drawer .reasoning"), "the priority reasoning names its factors"
    await page.screenshot(path=screenshots / f"feedback-detail-{name}.png", full_page=False)
    await page.click("#drawer-close")

    await show_tab(page, "calendar")
    assert await page.locator("#months .month").count() == 12
    assert "SSO for every plan" in await page.inner_text("#months")
    await page.screenshot(path=screenshots / f"calendar-{name}.png", full_page=True)

    await show_tab(page, "checklists")
    assert "SSO for every plan" in await page.inner_text("#checklist h2")
    assert await page.locator("#checklist input[type=checkbox]").count() > 0
    await page.screenshot(path=screenshots / f"checklists-{name}.png", full_page=True)
    await close(page)


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("web-ui-screenshots")
    print(f"\nscreenshots: {folder}")
    return folder


@in_browser
async def test_the_theme_toggle_switches_and_is_kept(browser: Any, web: WebHub) -> None:
    page = await open_hub(browser, web, web.editor_token, scheme="light")
    await page.click("#theme-toggle")
    assert await page.evaluate("document.documentElement.classList.contains('dark')")
    await page.reload()
    await page.wait_for_selector("#metrics .metric")
    assert await page.evaluate("document.documentElement.classList.contains('dark')"), "the choice is kept"
    await close(page)


@in_browser
async def test_filters_narrow_the_list(browser: Any, web: WebHub) -> None:
    page = await open_hub(browser, web, web.editor_token)
    await show_tab(page, "feedback")
    everything = await page.locator("#feedback-list li").count()

    await page.select_option("#filters select[name=source]", "zendesk")
    await page.wait_for_function("document.querySelectorAll('#feedback-list li').length === 1")
    assert "Please add SAML SSO with Okta" in await page.inner_text("#feedback-list")
    assert "of 1 item" in await page.inner_text("#feedback-count")

    await page.select_option("#filters select[name=source]", "")
    await page.fill("#filters input[name=q]", "pricing")
    await page.press("#filters input[name=q]", "Enter")
    # The zendesk list also holds one item: wait for the new answer, not for the count.
    await page.locator("#feedback-list li", has_text="Typo on the pricing page").wait_for()
    assert await page.locator("#feedback-list li").count() == 1
    assert everything > 1

    # A bar of the overview's chart opens the items behind it.
    bugs = (await web.api("/overview"))["by_category"]["bug"]
    await show_tab(page, "overview")
    await page.locator("#by-category rect.bar").first.click()
    await page.wait_for_function(f"document.querySelectorAll('#feedback-list li').length === {bugs}")
    assert await page.input_value("#filters select[name=category]") == "bug"
    assert await page.input_value("#filters input[name=q]") == "", "the other filters are cleared"
    await close(page)


@in_browser
async def test_a_correction_made_in_the_ui_comes_back_folded(browser: Any, web: WebHub) -> None:
    title = "Love the new playground, thank you"
    page = await open_hub(browser, web, web.editor_token)
    await show_tab(page, "feedback")
    await page.locator("#feedback-list li", has_text=title).click()
    control = page.locator("#drawer .correction")
    await control.wait_for()
    assert "AI says Praise" in await control.inner_text()
    await control.get_by_role("button", name="No").click()
    await control.locator("select[name=category]").select_option("improvement")
    await control.locator("select[name=priority]").select_option("high")
    await control.locator("input[name=reason]").fill("asks for more")
    await control.get_by_role("button", name="Save").click()

    # The gateway answers 202; the UI waits until triage's feedback.overridden is folded.
    await page.wait_for_selector("#drawer >> text=pm@example.com set Improvement, High", timeout=30_000)
    row = page.locator("#feedback-list li", has_text=title)
    assert "Improvement" in await row.inner_text()
    item = await web.api(f"/feedback/{web.ids[title]}")
    assert (item["category"], item["priority"]) == ("improvement", "high")
    assert item["overrides"][0]["actor"] == "pm@example.com"
    assert item["ai_triage"]["category"] == "praise", "the AI's verdict is kept beside the correction"
    await close(page)


@in_browser
async def test_an_editor_ticks_a_checklist_item(browser: Any, web: WebHub) -> None:
    page = await open_hub(browser, web, web.editor_token)
    await show_tab(page, "checklists")
    box = page.locator("#checklist input[type=checkbox]:not(:checked)").first
    item_id = await box.get_attribute("data-item")
    await box.check()
    # The page re-renders once launch.changed is folded: the item then says who ticked it.
    done = page.locator(f"label:has(input[data-item='{item_id}']:checked)", has_text="ticked by pm@example.com")
    await done.wait_for(timeout=30_000)
    assert "% ready" in await page.inner_text("#checklist h2")
    checklist = await web.api(f"/launches/{web.launch_id}/checklist")
    assert next(item for item in checklist["items"] if item["id"] == item_id)["done"] is True
    assert checklist["readiness"]["overall"] > 0
    await close(page)


@in_browser
async def test_a_viewer_sees_no_write_controls_and_cannot_write(browser: Any, web: WebHub) -> None:
    page = await open_hub(browser, web, web.viewer_token)
    await show_tab(page, "feedback")
    await page.locator("#feedback-list li", has_text="Production is down").click()
    await page.wait_for_selector("#drawer:not([hidden]) .reasoning")
    assert await page.locator("#drawer .correction").count() == 0
    await show_tab(page, "checklists")
    boxes = page.locator("#checklist input[type=checkbox]")
    assert await boxes.count() > 0
    assert all([await boxes.nth(index).is_disabled() for index in range(await boxes.count())])

    # The server, not the page, enforces the role: a write made straight from the page is refused.
    status = await page.evaluate(
        """async (id) => (await fetch(`/api/v1/feedback/${id}/overrides`, {
            method: "POST",
            headers: {Authorization: `Bearer ${sessionStorage.getItem("token")}`, "Content-Type": "application/json"},
            body: JSON.stringify({category: "bug"}),
        })).status""",
        web.ids["Typo on the pricing page"],
    )
    assert status == 403
    await close(page)


@in_browser
async def test_a_refused_token_returns_to_sign_in(browser: Any, web: WebHub) -> None:
    forged = create_token("not-the-hub-key-but-long-enough-for-hs256", Role.EDITOR, "mallory")
    context = await browser.new_context(viewport=DESKTOP)
    page = await context.new_page()
    await page.goto(web.url)
    await page.fill("#token", forged)
    await page.click("#signin-form button[type=submit]")
    message = page.locator("#signin-message")
    await message.wait_for()
    assert "refused" in await message.inner_text()
    assert await page.is_visible("#signin-form") and not await page.is_visible("#hub")
    assert await page.evaluate("sessionStorage.getItem('token')") is None
    await context.close()


@in_browser
async def test_a_new_item_appears_without_a_reload(browser: Any, web: WebHub) -> None:
    page = await open_hub(browser, web, web.viewer_token)
    await show_tab(page, "feedback")
    await page.wait_for_selector("#live.on")
    assert "live" in await page.inner_text("#live")
    await page.evaluate("window.notReloaded = true")  # a reload would drop it

    title = "Live: export the roadmap as CSV"
    body = {"title": title, "description": "For the board deck.", "source": "canny", "customer": {"email": "x@y.io"}}
    await web.client.submit(body)
    # Folded by the gateway, announced on the stream; the page refreshes its list by itself.
    await page.locator("#feedback-list li", has_text=title).wait_for(timeout=60_000)
    assert await page.evaluate("window.notReloaded === true")
    await close(page)
