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
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import async_playwright

from libs.runtime.auth import Role, create_token
from libs.testing.browser import wait_until
from prodops.hub import Hub
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
# Three weeks older than the rest: alone in its week of the overview's chart.
OLD_ITEM = (
    "cto@northwind.ai",
    "Webhooks retry far too slowly",
    "A failed delivery waits an hour before its retry.",
    "api",
)
OLD_ITEM_AGE = timedelta(days=21)


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
    # The models take minutes to load on a busy machine; the browser has nothing to show before.
    hub = await start_hub(tmp_path_factory.mktemp("web-hub"), None, ready_timeout=600.0)
    client = HubClient(hub)
    try:
        ids = {}
        for email, title, text, source in ITEMS:
            body = {"title": title, "description": text, "source": source, "customer": {"email": email}}
            ids[title] = await client.submit(body)
        email, title, text, source = OLD_ITEM
        created_at = (datetime.now(UTC) - OLD_ITEM_AGE).isoformat()
        body = {"title": title, "description": text, "source": source, "customer": {"email": email}}
        ids[title] = await client.submit(body | {"created_at": created_at})
        await client.processed(list(ids.values()), timeout=300.0)
        today = date.today()
        launch_id = await _create_launch(
            client,
            {
                "name": "SSO for every plan",
                "type": "enterprise_feature",
                "team": "product",
                "target_date": str(min(today + timedelta(days=10), date(today.year, 12, 31))),
            },
        )
        await _create_launch(
            client,
            {
                "name": "Usage dashboard v2",
                "type": "api_platform_update",
                "team": "engineering",
                "status": "at_risk",
                "start_date": str(max(today - timedelta(days=40), date(today.year, 1, 1))),
                "target_date": str(min(today + timedelta(days=20), date(today.year, 12, 31))),
            },
        )
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


async def _create_launch(client: HubClient, launch: dict[str, str]) -> str:
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
    over_time = overview["over_time"]
    assert await page.locator("#over-time rect.segment").count() >= 2, "this week's items and the old one"
    assert f"n = {over_time['sample_size']} items" in await page.inner_text("#over-time .caption")
    assert await page.locator("#over-time .legend button").count() >= 6
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
    await page.click("#calendar-filters [data-view=timeline]")
    await page.wait_for_selector("#timeline .launch-row")
    await page.screenshot(path=screenshots / f"calendar-timeline-{name}.png", full_page=True)

    await page.click("[data-tab=themes]")
    await wait_until(page, "document.querySelector('#themes-count').textContent !== ''")
    await page.screenshot(path=screenshots / f"themes-{name}.png", full_page=True)

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
    await wait_until(page, "document.querySelectorAll('#feedback-list li').length === 1")
    assert "Please add SAML SSO with Okta" in await page.inner_text("#feedback-list")
    assert "of 1 item" in await page.inner_text("#feedback-count")

    await page.select_option("#filters select[name=source]", "")
    await page.fill("#filters input[name=q]", "pricing")
    await page.press("#filters input[name=q]", "Enter")
    # Both the zendesk list and the unfiltered one come first (one item; the typo among others): wait for the search's
    # own answer, one item that is the typo.
    await wait_until(
        page,
        "[...document.querySelectorAll('#feedback-list li')]"
        ".map(li => li.innerText.includes('Typo on the pricing page')).join() === 'true'",
    )
    assert everything > 1

    # A bar of the overview's chart opens the items behind it.
    bugs = (await web.api("/overview"))["by_category"]["bug"]
    await show_tab(page, "overview")
    await page.locator("#by-category rect.bar").first.click()
    await wait_until(page, f"document.querySelectorAll('#feedback-list li').length === {bugs}")
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


def iso_week(moment: datetime) -> str:
    year, week, _ = moment.astimezone(UTC).isocalendar()
    return f"{year}-W{week:02d}"


@in_browser
async def test_a_segment_of_the_chart_opens_its_week_and_category(browser: Any, web: WebHub) -> None:
    page = await open_hub(browser, web, web.viewer_token)
    over_time = (await web.api("/overview"))["over_time"]
    segments = page.locator("#over-time rect.segment")
    counts = [int(await segments.nth(i).get_attribute("data-count") or 0) for i in range(await segments.count())]
    assert sum(counts) == over_time["sample_size"], "every item of the weeks is in one segment"

    old_week = next(week for week in over_time["weeks"] if week["week"] == iso_week(datetime.now(UTC) - OLD_ITEM_AGE))
    old = page.locator(f"#over-time rect.segment[data-week='{old_week['week']}']")
    assert await old.count() == 1 and await old.get_attribute("data-count") == "1"
    category = await old.get_attribute("data-category")
    await old.click()
    await page.locator("#feedback-list li", has_text=OLD_ITEM[1]).wait_for()
    assert await page.locator("#feedback-list li").count() == 1
    assert "of 1 item" in await page.inner_text("#feedback-count")
    assert await page.input_value("#filters select[name=category]") == category
    assert await page.input_value("#filters input[name=created_from]") == old_week["start"]
    assert await page.input_value("#filters input[name=created_to]") == old_week["end"], "Sunday, the week's last day"

    # This week's segment of one category: the list holds just its items, fewer than all.
    this_week = over_time["weeks"][-1]
    category, number = max(this_week["by_category"].items(), key=lambda pair: pair[1])
    await show_tab(page, "overview")
    await page.click(f"#over-time rect.segment[data-week='{this_week['week']}'][data-category='{category}']")
    await wait_until(page, f"document.querySelectorAll('#feedback-list li').length === {number}")
    assert f"of {number} item" in await page.inner_text("#feedback-count")
    assert number < over_time["sample_size"]

    # The date fields filter by hand too: the old item's week, every category.
    await page.select_option("#filters select[name=category]", "")
    await page.fill("#filters input[name=created_to]", old_week["end"])
    await page.fill("#filters input[name=created_from]", old_week["start"])
    await page.dispatch_event("#filters input[name=created_from]", "change")
    await wait_until(page, "document.querySelectorAll('#feedback-list li').length === 1")
    assert OLD_ITEM[1] in await page.inner_text("#feedback-list")
    await close(page)


@in_browser
async def test_the_quarterly_timeline_places_launches_and_filters_them(browser: Any, web: WebHub) -> None:
    page = await open_hub(browser, web, web.viewer_token)
    await show_tab(page, "calendar")
    await page.click("#calendar-filters [data-view=timeline]")
    rows = page.locator("#timeline .launch-row")
    await rows.first.wait_for()
    assert await page.is_hidden("#months") and await page.locator("#timeline .tl-quarter").count() == 4
    assert [await rows.nth(i).locator(".tl-name").inner_text() for i in range(await rows.count())][0].startswith(
        "SSO for every plan"
    ), "soonest target first"
    usage = rows.filter(has_text="Usage dashboard v2")
    assert await usage.locator(".tl-bar.status-at_risk").count() == 1, "a start date makes a bar, coloured by status"
    assert await rows.filter(has_text="SSO for every plan").locator(".tl-bar").count() == 0, "no start date: no bar"
    bar = await usage.locator(".tl-bar").bounding_box()
    target = await usage.locator(".tl-target").bounding_box()
    assert bar and target and bar["width"] > 0 and bar["x"] < target["x"] <= bar["x"] + bar["width"]

    await page.select_option("#calendar-filters select[name=team]", "engineering")
    await wait_until(page, "document.querySelectorAll('#timeline .launch-row').length === 1")
    assert "Usage dashboard v2" in await page.inner_text("#timeline")
    await page.select_option("#calendar-filters select[name=status]", "shipped")
    await page.locator("#timeline", has_text="No launches match").wait_for()
    await page.select_option("#calendar-filters select[name=status]", "at_risk")
    await rows.first.wait_for()

    await usage.click()  # opens its checklist
    await page.locator("#checklist h2", has_text="Usage dashboard v2").wait_for()
    assert await page.get_attribute("[data-tab=checklists]", "aria-selected") == "true"

    await page.reload()  # the chosen view is kept
    await page.wait_for_selector("#hub:not([hidden])")
    await page.click("[data-tab=calendar]")
    await page.wait_for_selector("#timeline .launch-row")
    assert await page.get_attribute("#calendar-filters [data-view=timeline]", "aria-pressed") == "true"
    await close(page)


@in_browser
async def test_at_phone_width_in_dark_mode_nothing_scrolls_sideways(browser: Any, web: WebHub) -> None:
    page = await open_hub(browser, web, web.editor_token, viewport={"width": 375, "height": 812}, scheme="dark")
    assert await page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(15, 19, 23)"
    sideways = "document.documentElement.scrollWidth - window.innerWidth"
    for tab in await page.locator("[data-tab]").all():
        box = await tab.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 375, "every tab can be seen and tapped"
    for tab in TABS:
        await show_tab(page, tab)
        assert await page.evaluate(sideways) <= 0, f"{tab} scrolls sideways at 375 px"
    await show_tab(page, "calendar")
    await page.click("#calendar-filters [data-view=timeline]")
    await page.wait_for_selector("#timeline .launch-row")
    assert await page.evaluate(sideways) <= 0, "the timeline scrolls sideways at 375 px"
    await show_tab(page, "overview")
    left, right = await page.evaluate(
        "(({left, right}) => [left, right])(document.querySelector('#over-time svg').getBoundingClientRect())"
    )
    assert 0 <= left < right <= 375, "the chart fits the screen"
    # Read at once: a live refresh may re-render the metrics between two separate reads.
    tops = await page.evaluate("[...document.querySelectorAll('#metrics .metric')].map((m) => m.offsetTop)")
    assert len(tops) == 4 and tops[0] == tops[1] < tops[2] == tops[3], "two metrics a row"
    await close(page)
