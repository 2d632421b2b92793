"""The gateway on the in-memory broker, on SQLite and PostgreSQL: events in any order, one read model out.

Assertions name this scenario's own ids (titles carry a marker), and totals are compared with what
the API lists, never with fixed numbers.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from fastapi import FastAPI
from sqlmodel import col, select

from libs.runtime.auth import Role, create_token
from libs.runtime.inbox import InboxEntry
from libs.runtime.testing import DATABASES, UNUSED_BOOTSTRAP, InMemoryBus, database_for, in_memory, quick_settings
from libs.schemas.events import Envelope, Notification, NotificationSent, utcnow
from libs.schemas.feedback import Category, Customer, FeedbackStatus, Priority, SimilarItem, Source, Tier
from libs.schemas.launches import LaunchStatus, Team
from services.gateway.app import create_app
from services.gateway.queries import OPEN_STATUSES
from services.gateway.read_model import FeedbackView
from services.gateway.settings import GatewaySettings
from services.gateway.tests import factories


@dataclass
class Scenario:
    app: FastAPI
    client: httpx.AsyncClient
    marker: str
    now: datetime
    outage: UUID = field(default_factory=uuid4)  # received, enriched, triaged twice (older last), deduped, overridden
    sso: UUID = field(default_factory=uuid4)  # received, enriched, triaged, deduped
    praise: UUID = field(default_factory=uuid4)  # enriched only (received lost), triaged; ten days old
    orphan: UUID = field(default_factory=uuid4)  # triaged and deduped, never received
    beta: UUID = field(default_factory=uuid4)  # launch in beta, ml team
    shipped: UUID = field(default_factory=uuid4)  # launch shipped, then a late older change
    at_risk: UUID = field(default_factory=uuid4)  # launch at risk, product team
    notifications: list[UUID] = field(default_factory=lambda: [uuid4(), uuid4()])  # oldest first


async def until(probe: Callable[[], Awaitable[bool]], what: str, timeout: float = 90.0) -> None:
    """Wait for what the real broker delivers in its own time."""
    deadline = time.monotonic() + timeout
    while not await probe():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.25)


def item_base(title: str, description: str, source: Source, created_at: datetime) -> dict[str, Any]:
    """The fields received and enriched carry alike for one item."""
    return {
        "title": title,
        "description": description,
        "source": source,
        "created_at": created_at,
        "received_at": created_at,
    }


def shuffled(events: list[Envelope], seed: int) -> list[Envelope]:
    random.Random(seed).shuffle(events)
    return events


@pytest.fixture(scope="module", params=DATABASES)
async def scenario(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Scenario]:
    data_dir = tmp_path_factory.mktemp(f"gateway-{request.param}")
    settings = quick_settings(GatewaySettings, UNUSED_BOOTSTRAP, data_dir, database_for(request))
    app = create_app(settings)
    async with in_memory(app) as bus:
        token = create_token(app.state.signing_key, Role.VIEWER, "test")
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://gateway",
            headers={"Authorization": f"Bearer {token}"},
        ) as client:
            yield await _fold_scenario(app, client, bus)


async def _fold_scenario(app: FastAPI, client: httpx.AsyncClient, bus: InMemoryBus) -> Scenario:
    """Publish the scenario's events out of order, the item-less ones first; each is folded as it is published."""
    now, marker = utcnow(), f"mk{uuid4().hex[:10]}"
    s = Scenario(app, client, marker, now)

    def t(seconds: int) -> datetime:
        return now + timedelta(seconds=seconds)

    acme = Customer(
        id=f"acme-{marker}",
        email="cto@acme.io",
        company=f"Acme {marker}",
        tier=Tier.ENTERPRISE,
        arr=480_000,
        health_score=35,
        at_risk=True,
    )
    globex = Customer(id=f"globex-{marker}", company=f"Globex {marker}", tier=Tier.PRO, arr=36_000, health_score=80)
    hooli = Customer(id=f"hooli-{marker}", company=f"Hooli {marker}", tier=Tier.FREE, arr=0, health_score=90)
    outage_base = item_base(
        f"{marker} Production is down", "Every request returns 500 since 9am.", Source.INTERCOM, now
    )
    sso_base = item_base(f"{marker} Please add SAML SSO", "Okta is required by our IT team.", Source.ZENDESK, now)
    praise_base = item_base(
        f"{marker} Love the playground", "The STREAMING view is great.", Source.CANNY, now - timedelta(days=10)
    ) | {"status": FeedbackStatus.PLANNED}

    older_triage = factories.triaged(s.outage, t(2), Category.QUESTION, Priority.LOW, sentiment=0.1)
    item_less: list[Envelope] = [
        factories.triaged(s.outage, t(3), Category.BUG, Priority.CRITICAL, sentiment=-0.8),
        factories.deduped(s.outage, t(4), [SimilarItem(id=s.sso, score=0.95, title="SSO")], duplicate_of=s.sso),
        factories.overridden(s.outage, t(5), not_duplicate=True, product_area="billing", reason="not the same"),
        factories.triaged(s.sso, t(2), Category.FEATURE_REQUEST, Priority.HIGH, sentiment=0.0),
        factories.deduped(s.sso, t(3), []),
        factories.triaged(s.praise, t(2), Category.PRAISE, Priority.LOW, sentiment=0.9),
        factories.triaged(s.orphan, t(2)),
        factories.deduped(s.orphan, t(3), []),
    ]
    await publish(bus, *shuffled(item_less, seed=1), older_triage)
    assert await _all_folded(app, [*item_less, older_triage])
    early = await client.get(f"/api/v1/feedback/{s.outage}")
    assert early.status_code == 404, "a row with triage but no item yet is not shown"

    received_outage = factories.received(s.outage, t(0), **outage_base)
    with_items: list[Envelope] = [
        received_outage,
        received_outage,  # a redelivery
        factories.received(s.outage, t(0), **outage_base),  # a replay with another event id, same time
        factories.enriched(s.outage, t(1), acme, **outage_base),
        factories.received(s.sso, t(0), customer=Customer(email="it@globex.com"), **sso_base),
        factories.enriched(s.sso, t(1), globex, **sso_base),
        factories.enriched(s.praise, t(1), hooli, **praise_base),
        factories.launch_changed(s.beta, t(0), LaunchStatus.BETA, date(2001, 1, 1), Team.ML),
        factories.launch_shipped(s.shipped, t(5), date(2001, 1, 2)),
        factories.launch_changed(s.at_risk, t(0), LaunchStatus.AT_RISK, date(2001, 1, 3), Team.PRODUCT),
        *(_notification(n, s.shipped, t(6 + i)) for i, n in enumerate(s.notifications)),
    ]
    late_change = factories.launch_changed(s.shipped, t(1), LaunchStatus.IN_DEV, date(2001, 1, 2))
    await publish(bus, *shuffled(with_items, seed=2), late_change)
    assert await _all_folded(app, [*with_items, late_change])
    return s


async def publish(bus: InMemoryBus, *events: Envelope) -> None:
    """Publish in order; each is folded before the next goes."""
    for event in events:
        await bus.publish(event)


async def _all_folded(app: FastAPI, events: list[Envelope]) -> bool:
    async with app.state.runtime.sessions() as session:
        statement = select(InboxEntry.event_id).where(col(InboxEntry.event_id).in_({e.event_id for e in events}))
        return len((await session.exec(statement)).all()) == len({e.event_id for e in events})


def _notification(notification_id: UUID, launch_id: UUID, sent_at: datetime) -> NotificationSent:
    notification = Notification(
        id=notification_id,
        launch_id=launch_id,
        launch_name="Higher rate limits",
        channel="email",
        customer_email="it@globex.com",
        customer_company="Globex",
        customer_tier=Tier.PRO,
        feedback_ids=[uuid4()],
        message="It shipped.",
        sent_at=sent_at,
    )
    return NotificationSent(producer="test", occurred_at=sent_at, payload=notification)


async def listed(s: Scenario, **params: Any) -> dict[str, Any]:
    response = await s.client.get("/api/v1/feedback", params={"q": s.marker, **params})
    assert response.status_code == 200, response.text
    return response.json()


async def ids(s: Scenario, **params: Any) -> list[UUID]:
    return [UUID(item["id"]) for item in (await listed(s, **params))["items"]]


async def test_the_list_shows_only_items_whose_base_arrived(scenario: Scenario) -> None:
    s = scenario
    page = await listed(s)
    assert set(await ids(s)) == {s.outage, s.sso, s.praise}
    assert (page["total"], page["limit"], page["next_cursor"]) == (3, 50, None)
    async with s.app.state.runtime.sessions() as session:
        orphan = await session.get(FeedbackView, s.orphan)
    assert orphan is not None and orphan.triaged_at is not None and orphan.title is None
    response = await s.client.get(f"/api/v1/feedback/{s.orphan}")
    assert response.status_code == 404
    assert str(s.orphan) in response.json()["detail"]


async def test_filters_use_the_effective_values(scenario: Scenario) -> None:
    s = scenario
    assert await ids(s, category="bug") == [s.outage], "the newer triage wins over the older one delivered later"
    assert set(await ids(s, category=["bug", "praise"])) == {s.outage, s.praise}
    assert await ids(s, priority="critical") == [s.outage]
    assert await ids(s, tier="enterprise") == [s.outage]
    assert await ids(s, source="zendesk") == [s.sso]
    assert await ids(s, status="planned") == [s.praise]
    assert await ids(s, sentiment="negative") == [s.outage]
    assert await ids(s, product_area="billing") == [s.outage], "the override beats the AI's product area"
    assert set(await ids(s, q=s.marker.upper())) == {s.outage, s.sso, s.praise}, "text search ignores case"
    assert await ids(s, q=f"{s.marker} love the") == [s.praise]
    week_ago = (s.now - timedelta(days=7)).isoformat()
    assert set(await ids(s, created_from=week_ago)) == {s.outage, s.sso}
    assert await ids(s, created_to=week_ago) == [s.praise]


async def test_sorting_and_pagination(scenario: Scenario) -> None:
    s = scenario
    assert await ids(s, sort="arr") == [s.outage, s.sso, s.praise]
    assert await ids(s, sort="arr", order="asc") == [s.praise, s.sso, s.outage]
    assert await ids(s, sort="priority") == [s.outage, s.sso, s.praise]
    for bad in ({"limit": 0}, {"limit": 201}, {"offset": 2}, {"categroy": "bug"}, {"priority": "urgent"}):
        assert (await s.client.get("/api/v1/feedback", params=bad)).status_code == 422, bad


@pytest.mark.parametrize("sort", ["created_at", "priority", "arr"])
@pytest.mark.parametrize("order", ["desc", "asc"])
async def test_the_pages_follow_one_another_by_cursor(scenario: Scenario, sort: str, order: str) -> None:
    s, params = scenario, {"sort": sort, "order": order}
    whole = await listed(s, **params)
    pages = [await listed(s, limit=1, **params)]
    while pages[-1]["next_cursor"] is not None and len(pages) <= 3:
        pages.append(await listed(s, limit=1, cursor=pages[-1]["next_cursor"], **params))
    assert [item["id"] for page in pages for item in page["items"]] == [item["id"] for item in whole["items"]]
    assert [len(page["items"]) for page in pages] == [1, 1, 1] and pages[-1]["next_cursor"] is None
    assert {page["total"] for page in pages} == {3}
    other = {"sort": "arr" if sort != "arr" else "priority", "order": order}
    for bad, why in (
        ({"cursor": "bm90LWEtY3Vyc29y"}, "not a cursor of this list"),
        ({"cursor": pages[0]["next_cursor"][:-4]}, "not a cursor of this list"),
        ({"cursor": pages[0]["next_cursor"], **other}, f"the cursor continues sort={sort}&order={order}"),
    ):
        response = await s.client.get("/api/v1/feedback", params={**params, **bad})
        assert response.status_code == 422 and why in response.text, response.text


async def test_a_list_item_carries_its_customer_and_processing(scenario: Scenario) -> None:
    s = scenario
    outage = next(item for item in (await listed(s))["items"] if item["id"] == str(s.outage))
    assert outage == {
        "id": str(s.outage),
        "source": "intercom",
        "title": f"{s.marker} Production is down",
        "status": "new",
        "created_at": outage["created_at"],
        "category": "bug",
        "priority": "critical",
        "sentiment_label": "negative",
        "product_area": "billing",
        "processing": {"received": True, "enriched": True, "triaged": True, "deduped": True},
        "customer": {"company": f"Acme {s.marker}", "tier": "enterprise", "arr": 480_000.0},
        "votes": 1,
        "vote_total": 1,
        "duplicate_of": None,
        "theme_id": None,
    }
    assert datetime.fromisoformat(outage["created_at"]) == s.now


async def test_the_detail_has_the_whole_item(scenario: Scenario) -> None:
    s = scenario
    response = await s.client.get(f"/api/v1/feedback/{s.outage}")
    assert response.status_code == 200, response.text
    item = response.json()
    assert item["customer"] == {
        "id": f"acme-{s.marker}",
        "email": "cto@acme.io",
        "name": None,
        "company": f"Acme {s.marker}",
        "tier": "enterprise",
        "arr": 480_000.0,
        "health_score": 35.0,
        "at_risk": True,
    }
    assert item["customer_known"] is True
    assert (item["ai_triage"]["category"], item["ai_triage"]["priority"]) == ("bug", "critical")
    assert item["submitted"]["category"] == "feature_request"
    assert item["similar_items"] == [{"id": str(s.sso), "score": 0.95, "title": "SSO"}]
    assert item["duplicate_of"] is None, "a person said it is not a duplicate"
    assert [(o["actor"], o["not_duplicate"], o["product_area"]) for o in item["overrides"]] == [
        ("pm@hub", True, "billing")
    ]
    assert item["processing"] == {"received": True, "enriched": True, "triaged": True, "deduped": True}
    assert item["description"] == "Every request returns 500 since 9am."

    praise = (await s.client.get(f"/api/v1/feedback/{s.praise}")).json()
    assert praise["processing"] == {"received": False, "enriched": True, "triaged": True, "deduped": False}
    assert (praise["status"], praise["customer"]["tier"]) == ("planned", "free")

    unknown = await s.client.get(f"/api/v1/feedback/{uuid4()}")
    assert unknown.status_code == 404 and "not found" in unknown.json()["detail"]


async def test_the_overview_agrees_with_the_lists(scenario: Scenario) -> None:
    s = scenario
    overview: dict[str, Any] = {}

    async def total(**params: Any) -> int:
        response = await s.client.get("/api/v1/feedback", params={"limit": 1, **params})
        return int(response.json()["total"])

    async def consistent() -> bool:
        nonlocal overview
        overview = (await s.client.get("/api/v1/overview")).json()
        return (
            overview["total"] == await total()
            and overview["by_category"].get("bug") == await total(category="bug")
            and overview["by_source"].get("zendesk") == await total(source="zendesk")
            and overview["critical_high_open"] == await total(priority=["critical", "high"], status=OPEN_STATUSES)
            and overview == (await s.client.get("/api/v1/overview")).json()
        )

    assert await consistent(), "the overview agrees with the lists"
    assert overview["total"] >= 3
    assert overview["volume"]["last_7_days"] >= 2 and overview["volume"]["previous_7_days"] >= 1
    assert overview["critical_high_open"] >= 2
    assert overview["customers_asking"]["customers"] >= 3
    assert overview["customers_asking"]["arr"] >= 480_000 + 36_000
    sentiment = overview["sentiment"]
    assert sentiment["sample_size"] >= 3 and -1 <= sentiment["average"] <= 1 and 0 < sentiment["negative_share"] <= 1
    assert sum(overview["by_priority"].values()) <= overview["total"]
    upcoming = [UUID(launch["id"]) for launch in overview["upcoming_launches"]]
    assert s.beta in upcoming and s.at_risk in upcoming and s.shipped not in upcoming
    assert datetime.fromisoformat(overview["last_updated"]) >= s.now + timedelta(seconds=7)


async def test_every_week_and_category_of_the_overview_lists_its_items(scenario: Scenario) -> None:
    s = scenario
    series: dict[str, Any] = {}

    def bounds(week: dict[str, Any]) -> dict[str, str]:
        end = date.fromisoformat(week["end"]) + timedelta(days=1)
        return {"created_from": week["start"], "created_to": end.isoformat()}

    async def consistent() -> bool:
        nonlocal series
        series = (await s.client.get("/api/v1/overview", params={"weeks": 3})).json()["over_time"]
        for week in series["weeks"]:
            for category, number in week["by_category"].items():
                page = await s.client.get("/api/v1/feedback", params={"category": category, **bounds(week)})
                if number != page.json()["total"]:
                    return False
        return series == (await s.client.get("/api/v1/overview", params={"weeks": 3})).json()["over_time"]

    assert await consistent(), "the series agrees with the list"
    assert [len(series["weeks"]), series["categories"][0]] == [3, "bug"]
    assert series["sample_size"] == sum(week["total"] for week in series["weeks"]) >= 3
    this_week, praise_week = (
        series["weeks"][-1],
        next(
            week for week in series["weeks"] if week["start"] <= str((s.now - timedelta(days=10)).date()) <= week["end"]
        ),
    )
    assert this_week["by_category"]["bug"] >= 1 and this_week["by_category"]["feature_request"] >= 1
    assert await ids(s, category="praise", **bounds(praise_week)) == [s.praise]
    assert await ids(s, category="praise", **bounds(this_week)) == []
    too_long = await s.client.get("/api/v1/overview", params={"weeks": 53})
    assert too_long.status_code == 422


async def test_launches_by_target_date_with_filters(scenario: Scenario) -> None:
    s = scenario

    async def launch_ids(**params: Any) -> list[UUID]:
        response = await s.client.get("/api/v1/launches", params=params)
        assert response.status_code == 200, response.text
        return [UUID(launch["id"]) for launch in response.json()["items"]]

    everything = await launch_ids()
    mine = [launch_id for launch_id in everything if launch_id in {s.beta, s.shipped, s.at_risk}]
    assert mine == [s.beta, s.shipped, s.at_risk]
    assert s.beta in await launch_ids(team="ml") and s.at_risk not in await launch_ids(team="ml")
    shipped = await launch_ids(status="shipped")
    assert s.shipped in shipped and s.beta not in shipped, "a late older change does not undo the shipment"
    launch = next(
        launch for launch in (await s.client.get("/api/v1/launches")).json()["items"] if launch["id"] == str(s.shipped)
    )
    assert launch["status"] == "shipped" and launch["shipped_at"] is not None
    assert (await s.client.get("/api/v1/launches", params={"status": "gone"})).status_code == 422


async def test_notifications_newest_first(scenario: Scenario) -> None:
    s = scenario
    response = await s.client.get("/api/v1/notifications", params={"launch_id": str(s.shipped)})
    assert response.status_code == 200, response.text
    body = response.json()
    assert [UUID(n["id"]) for n in body["items"]] == s.notifications[::-1] and body["total"] == 2
    assert body["items"][0]["customer_tier"] == "pro"
    limited = await s.client.get("/api/v1/notifications", params={"launch_id": str(s.shipped), "limit": 1})
    assert [UUID(n["id"]) for n in limited.json()["items"]] == [s.notifications[1]]


@pytest.mark.parametrize(
    "path",
    ["/api/v1/feedback", "/api/v1/feedback/{item}", "/api/v1/overview", "/api/v1/launches", "/api/v1/notifications"],
)
async def test_every_route_needs_a_valid_token(scenario: Scenario, path: str) -> None:
    s = scenario
    url = path.format(item=s.outage)
    assert (await s.client.get(url)).status_code == 200
    anonymous = await s.client.get(url, headers={"Authorization": ""})
    assert anonymous.status_code == 401
    forged = create_token("not-the-hub-key-not-the-hub-key-123", Role.ADMIN, "mallory")
    for token in ("garbage", forged):
        assert (await s.client.get(url, headers={"Authorization": f"Bearer {token}"})).status_code == 401
