"""The Themes tab and the drawer's duplicate controls, in Debian's Chromium, against the gateway alone.

The gateway runs in-process (uvicorn) on the session's real broker. The test publishes what enrich
and dedupe would publish, and answers the drawer's merge command as dedupe would (a merged link on
duplicates.changed.v1), so no other service is needed. Screenshots go to the test's tmp dir.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
import uvicorn
from fastapi import FastAPI

from libs.runtime.auth import Role, create_token
from libs.runtime.broker import free_port
from libs.runtime.testing import collect, publish, quick_settings
from libs.schemas.commands import MergeItems
from libs.schemas.events import CustomerHistory, DedupeCommand, Envelope, utcnow
from libs.schemas.feedback import Customer, SimilarItem, Tier
from libs.testing.browser import wait_until
from services.gateway.app import create_app
from services.gateway.settings import GatewaySettings
from services.gateway.tests import factories
from services.gateway.tests.test_api import _all_folded, until
from tests import test_web_ui
from tests.test_web_ui import DESKTOP, PHONE, close

pytestmark = [pytest.mark.browser, pytest.mark.kafka]

RATE_LIMITS_SUMMARY = "2 requests; also asked as “Rate limit hits us hourly”"

# Debian's Chromium, started once per module by the fixture the hub's browser tests use.
browser = test_web_ui.browser


@dataclass
class Gateway:
    app: FastAPI
    url: str
    kafka_bootstrap: str
    editor_token: str
    viewer_token: str
    marker: str = field(default_factory=lambda: f"mk{uuid4().hex[:10]}")
    limits: UUID = field(default_factory=uuid4)  # two requests: 4 + 2 votes, Acme and Globex
    sso: UUID = field(default_factory=uuid4)  # one request
    merges: UUID = field(default_factory=uuid4)  # the drawer's merge happens here
    raise_limit: UUID = field(default_factory=uuid4)
    hourly: UUID = field(default_factory=uuid4)
    okta: UUID = field(default_factory=uuid4)
    export: UUID = field(default_factory=uuid4)  # the parent of the merge
    export_again: UUID = field(default_factory=uuid4)  # merged into export from the drawer

    def title(self, text: str) -> str:
        return f"{text} {self.marker}"


@pytest.fixture(scope="module")
async def gateway(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Gateway]:
    app = create_app(quick_settings(GatewaySettings, kafka_bootstrap, tmp_path_factory.mktemp("web-themes"), None))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    serving = asyncio.create_task(server.serve())
    while not server.started:
        if serving.done():
            serving.result()  # it failed to start: say why
        await asyncio.sleep(0.05)
    try:
        key = app.state.signing_key
        g = Gateway(
            app=app,
            url=f"http://127.0.0.1:{port}",
            kafka_bootstrap=kafka_bootstrap,
            editor_token=create_token(key, Role.EDITOR, "pm@example.com"),
            viewer_token=create_token(key, Role.VIEWER, "sales@example.com"),
        )
        await _fold_themes(g)
        yield g
    finally:
        server.should_exit = True
        await serving


async def _fold_themes(g: Gateway) -> None:
    now, m = utcnow(), g.marker
    acme = Customer(id=f"acme-{m}", company="Acme", tier=Tier.ENTERPRISE, arr=900_000, health_score=30, at_risk=True)
    globex = Customer(id=f"globex-{m}", company="Globex", tier=Tier.PRO, arr=50_000, health_score=80)
    initech = Customer(id=f"initech-{m}", company="Initech", tier=Tier.PRO, arr=20_000, health_score=70)
    history = CustomerHistory(
        previous_items=1, previous_item_ids=[g.raise_limit], negative_items_recent=2, churn_signals=["a downgrade"]
    )

    def item(item_id: UUID, title: str, customer: Customer, votes: int, created: datetime, **extra: Any) -> Envelope:
        return factories.enriched(
            item_id, now, customer, title=g.title(title), votes=votes, created_at=created, received_at=created, **extra
        )

    export_similar = [SimilarItem(id=g.export, score=0.94, title=g.title("Export to CSV"))]
    events: list[Envelope] = [
        item(g.raise_limit, "Raise the API rate limit", acme, 4, now),
        item(g.hourly, "Rate limit hits us hourly", globex, 2, now - timedelta(days=7), history=history),
        item(g.okta, "SSO with Okta", initech, 1, now),
        item(g.export, "Export to CSV", globex, 3, now),
        item(g.export_again, "CSV export please", initech, 2, now),
        factories.deduped(g.export_again, now, export_similar),
        *(factories.themed(i, now, g.limits) for i in (g.raise_limit, g.hourly)),
        factories.themed(g.okta, now, g.sso),
        *(factories.themed(i, now, g.merges) for i in (g.export, g.export_again)),
        factories.theme_changed(g.limits, now, g.title("Rate limits"), summary=RATE_LIMITS_SUMMARY),
        factories.theme_changed(g.sso, now, g.title("Single sign-on")),
        factories.theme_changed(g.merges, now, g.title("CSV exports")),
    ]
    await publish(g.kafka_bootstrap, *events)
    await until(lambda: _all_folded(g.app, events), "the themes to be folded")


async def signed_in(chromium: Any, g: Gateway, token: str, viewport: dict[str, int] = DESKTOP, scheme: str = "light"):
    """A fresh page signed in through the sign-in form."""
    context = await chromium.new_context(viewport=viewport, color_scheme=scheme)
    page = await context.new_page()
    page.errors = []  # what the page threw; `close` asserts there was nothing
    page.on("pageerror", lambda error: page.errors.append(error))
    await page.goto(g.url)
    await page.fill("#token", token)
    await page.click("#signin-form button[type=submit]")
    await page.wait_for_selector("#metrics .metric")
    return page


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("web-themes-screenshots")
    print(f"\nscreenshots: {folder}")
    return folder


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
@pytest.mark.parametrize("scheme", ["light", "dark"])
async def test_the_themes_tab_shows_each_theme_with_its_numbers_and_trend(
    browser: Any,
    gateway: Gateway,
    screenshots: Path,
    viewport: dict[str, int],
    scheme: str,
) -> None:
    g = gateway
    page = await signed_in(browser, g, g.editor_token, viewport, scheme)
    name = f"{'desktop' if viewport == DESKTOP else 'phone'}-{scheme}"
    top = page.locator("#top-themes li", has_text=g.title("Rate limits"))
    await top.wait_for()
    assert "$950K" in await top.inner_text(), "the ARR of Acme and Globex, each once"
    await page.screenshot(path=screenshots / f"overview-{name}.png", full_page=True)

    await top.get_by_role("link").click()  # the overview's theme opens it in the Themes tab
    detail = page.locator("#theme-detail")
    await detail.locator("h2", has_text=g.title("Rate limits")).wait_for()
    text = await detail.inner_text()
    for expected in ("2 items", "2 customers", "6 votes", "$950K ARR", "1 at risk", "Requests (2)"):
        assert expected in text, expected
    assert [await r.inner_text() for r in await detail.locator(".requests li a").all()] == [
        g.title("Raise the API rate limit"),
        g.title("Rate limit hits us hourly"),
    ], "most votes first"
    chart = detail.locator("svg.chart")
    assert await chart.locator("rect.bar").count() == 8, "one bar a week"
    assert "n = 2 in 8 wk" in (await chart.get_attribute("aria-label") or ""), "the sample size is shown"
    heights = [float(await bar.get_attribute("height") or "0") for bar in await chart.locator("rect.bar").all()]
    assert heights[-1] == heights[-2] > 0 and heights[:-2] == [0.0] * 6, "one item this week, one last week, y from 0"
    assert await detail.locator(".summary").inner_text() == RATE_LIMITS_SUMMARY
    assert await detail.locator(".theme-controls button", has_text="Rename").count() == 1
    await page.screenshot(path=screenshots / f"theme-detail-{name}.png", full_page=True)

    await page.select_option("#theme-sort", "votes")
    limits = page.locator("#themes-list li", has_text=g.title("Rate limits"))
    await limits.wait_for()
    assert await limits.locator(".summary").inner_text() == RATE_LIMITS_SUMMARY, "the summary under the name"
    assert [await tag.inner_text() for tag in await limits.locator(".keywords .tag").all()] == [
        "rate",
        "limits",
        g.marker,
    ], "the keywords as tags"
    row = page.locator("#themes-list li", has_text=g.title("Single sign-on"))
    await row.wait_for()
    assert "1 item" in await row.inner_text() and await row.locator("svg.chart.compact rect.bar").count() == 8
    await page.fill("#theme-filters input[name=min_items]", "2")
    await page.press("#theme-filters input[name=min_items]", "Enter")
    await row.wait_for(state="detached")
    assert g.title("Rate limits") in await page.inner_text("#themes-list"), "a theme with 2 items stays"
    await page.screenshot(path=screenshots / f"themes-{name}.png", full_page=True)
    await close(page)


async def test_a_merge_from_the_drawer_comes_back_folded(browser: Any, gateway: Gateway) -> None:
    g = gateway
    page = await signed_in(browser, g, g.editor_token)
    await page.click("[data-tab=feedback]")
    await page.fill("#filters input[name=q]", g.marker)
    await page.press("#filters input[name=q]", "Enter")
    await page.locator("#feedback-list li", has_text=g.title("CSV export please")).click()
    drawer = page.locator("#drawer")
    await drawer.get_by_role("button", name="Merge into…").click()
    await drawer.locator("select[name=into]").select_option(str(g.export))
    await drawer.locator("input[name=merge_reason]").fill("same ask")
    await drawer.get_by_role("button", name="Merge", exact=True).click()

    # The gateway put a command on dedupe.commands.v1; answer it as dedupe does.
    commands = await collect(
        g.kafka_bootstrap,
        DedupeCommand,
        lambda seen: any(isinstance(c.payload, MergeItems) and c.payload.item_id == g.export_again for c in seen),
    )
    merge = next(
        c.payload for c in commands if isinstance(c.payload, MergeItems) and c.payload.item_id == g.export_again
    )
    assert (merge.into_id, merge.actor, merge.reason) == (g.export, "pm@example.com", "same ask")
    link = factories.linked(g.export_again, utcnow(), merge.into_id, "merged", merge.actor)
    await publish(g.kafka_bootstrap, link)

    await drawer.locator(".duplicate-of", has_text=g.title("Export to CSV")).wait_for(timeout=30_000)
    assert "Merged by pm@example.com" in await drawer.locator(".duplicate-of").inner_text()
    assert await drawer.get_by_role("button", name="Unmerge").count() == 1
    row = page.locator("#feedback-list li", has_text=g.title("CSV export please"))
    await row.locator(".badge", has_text="Duplicate").wait_for()

    await drawer.locator(".duplicate-of a").click()  # to the parent: the child and its votes are there
    await drawer.locator(".duplicates li", has_text=g.title("CSV export please")).wait_for()
    assert "2 votes" in await drawer.locator(".duplicates li").inner_text()
    assert "5 votes (3 its own, 2 from 1 merged item)" in await drawer.locator(".votes").inner_text()
    await close(page)


async def test_a_viewer_sees_the_history_but_no_curation_controls(browser: Any, gateway: Gateway) -> None:
    g = gateway
    page = await signed_in(browser, g, g.viewer_token)
    await page.click("[data-tab=feedback]")
    await page.fill("#filters input[name=q]", g.marker)
    await page.press("#filters input[name=q]", "Enter")
    await page.locator("#feedback-list li", has_text=g.title("Rate limit hits us hourly")).click()
    history = page.locator("#drawer .history")
    await history.wait_for()
    text = await history.inner_text()
    assert "1 previous item" in text and "2 negative lately" in text and "Churn signals: a downgrade" in text
    assert g.title("Raise the API rate limit") in text, "the previous item is linked by its title"
    assert await page.locator("#drawer").get_by_role("button", name="Merge into…").count() == 0
    await page.locator("#drawer .theme-of a").click()
    await page.locator("#theme-detail h2", has_text=g.title("Rate limits")).wait_for()
    assert await page.locator("#theme-detail .theme-controls").count() == 0
    assert await page.locator("#theme-detail input[type=checkbox]").count() == 0
    await close(page)


async def test_next_and_previous_follow_the_lists_cursors(browser: Any, gateway: Gateway) -> None:
    g, now, word = gateway, utcnow(), f"paging{gateway.marker}"
    # 25 items, five created at the same moment (ties the cursor breaks by id): a page of 20, then 5.
    created = [now - timedelta(days=40, minutes=index // 5 * 5) for index in range(25)]
    events: list[Envelope] = [
        factories.enriched(uuid4(), now, Customer(), title=f"{word} {index}", created_at=at, received_at=at)
        for index, at in enumerate(created)
    ]
    await publish(g.kafka_bootstrap, *events)
    await until(lambda: _all_folded(g.app, events), "the items to be folded")
    page = await signed_in(browser, g, g.viewer_token)
    await page.click("[data-tab=feedback]")
    await page.fill("#filters input[name=q]", word)
    await page.press("#filters input[name=q]", "Enter")
    count, items = page.locator("#feedback-count"), page.locator("#feedback-list li .title")
    await wait_until(page, "document.querySelector('#feedback-count').innerText.includes('of 25 items')")
    assert await count.inner_text() == "Showing 1–20 of 25 items"
    first = await items.all_inner_texts()
    assert await page.is_disabled("#prev-page") and not await page.is_disabled("#next-page")

    await page.click("#next-page")
    await wait_until(page, "document.querySelector('#feedback-count').innerText.startsWith('Showing 21')")
    second = await items.all_inner_texts()
    assert await count.inner_text() == "Showing 21–25 of 25 items"
    assert len(first) == 20 and len(second) == 5 and set(first) | set(second) == {f"{word} {i}" for i in range(25)}
    assert await page.is_disabled("#next-page") and not await page.is_disabled("#prev-page")

    await page.click("#prev-page")
    await wait_until(page, "document.querySelector('#feedback-count').innerText.startsWith('Showing 1–')")
    assert await items.all_inner_texts() == first
    await close(page)
