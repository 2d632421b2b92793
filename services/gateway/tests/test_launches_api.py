"""The launch, checklist and notification routes of the gateway, on the in-memory broker, SQLite and PostgreSQL.

Writes are checked by the commands they publish; reads by the events the gateway folds (published
here as the launches and notify services would). The scenario's launches live in a year of their own.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from fastapi import FastAPI

from libs.runtime.auth import Role, create_token
from libs.runtime.testing import DATABASES, UNUSED_BOOTSTRAP, InMemoryBus, database_for, in_memory, quick_settings
from libs.schemas.commands import CreateLaunch, LinkLaunch, TickChecklistItem, UpdateLaunch
from libs.schemas.events import (
    LaunchChanged,
    LaunchCommand,
    LaunchPayload,
    Notification,
    NotificationSent,
    SetNotificationOptOut,
    utcnow,
)
from libs.schemas.launches import (
    Checklist,
    ChecklistItem,
    ChecklistTeam,
    Launch,
    LaunchStatus,
    LaunchType,
    Readiness,
    Team,
)
from services.gateway.app import create_app
from services.gateway.settings import GatewaySettings
from services.gateway.tests.test_api import _all_folded, publish

# Each scenario gets a year of its own, far from today's.
YEARS = iter(range(random.randint(2101, 2150), 2200))


@dataclass
class Scenario:
    app: FastAPI
    client: httpx.AsyncClient
    editor: dict[str, str]
    bus: InMemoryBus
    year: int = field(default_factory=lambda: next(YEARS))
    sso: UUID = field(default_factory=uuid4)  # engineering, in dev, March to May, with a checklist
    model: UUID = field(default_factory=uuid4)  # ml, beta, target in November
    docs: UUID = field(default_factory=uuid4)  # product, at risk, target in May
    notifications: list[UUID] = field(default_factory=lambda: [uuid4(), uuid4()])  # one sent, one failed


def checklist() -> Checklist:
    at = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    items = [
        ChecklistItem(
            id="engineering.tests", team=ChecklistTeam.ENGINEERING, title="Tests", done=True, done_by="qa", done_at=at
        ),
        ChecklistItem(id="legal.tos", team=ChecklistTeam.LEGAL, title="ToS"),
    ]
    readiness = Readiness(overall=0.5, by_team={ChecklistTeam.ENGINEERING: 1.0, ChecklistTeam.LEGAL: 0.0})
    return Checklist(items=items, readiness=readiness)


def changed(launch_id: UUID, **fields: Any) -> LaunchChanged:
    launch = Launch.model_validate({"id": launch_id, "name": f"Launch {launch_id.hex[:6]}"} | fields)
    return LaunchChanged(producer="test", payload=LaunchPayload(launch=launch, checklist=checklist()))


def notification(notification_id: UUID, launch_id: UUID, failed: bool) -> NotificationSent:
    payload = Notification(
        id=notification_id,
        launch_id=launch_id,
        launch_name="Okta SSO",
        channel="slack" if failed else "email",
        status="failed" if failed else "sent",
        reason="slack answered channel_not_found" if failed else None,
        attempts=3 if failed else 1,
        customer_id="acc-7",
        customer_email="it@globex.com",
        customer_company="Globex",
        feedback_ids=[uuid4()],
        message="Okta SSO has shipped.",
        sent_at=utcnow(),
    )
    return NotificationSent(producer="test", payload=payload)


@pytest.fixture(scope="module", params=DATABASES)
async def scenario(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Scenario]:
    data_dir = tmp_path_factory.mktemp(f"gateway-launches-{request.param}")
    settings = quick_settings(GatewaySettings, UNUSED_BOOTSTRAP, data_dir, database_for(request))
    app = create_app(settings)
    async with in_memory(app) as bus:
        key = app.state.signing_key
        viewer = {"Authorization": f"Bearer {create_token(key, Role.VIEWER, 'sales@hub')}"}
        editor = {"Authorization": f"Bearer {create_token(key, Role.EDITOR, 'pm@hub')}"}
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://gateway", headers=viewer
        ) as client:
            s = Scenario(app, client, editor, bus)
            y = s.year
            events = [
                changed(
                    s.sso,
                    type=LaunchType.ENTERPRISE_FEATURE,
                    team=Team.ENGINEERING,
                    start_date=date(y, 3, 2),
                    target_date=date(y, 5, 20),
                ),
                changed(
                    s.model,
                    type=LaunchType.MAJOR_MODEL_RELEASE,
                    team=Team.ML,
                    status="beta",
                    target_date=date(y, 11, 3),
                ),
                changed(
                    s.docs,
                    type=LaunchType.DOCUMENTATION,
                    team=Team.PRODUCT,
                    status="at_risk",
                    risk_reason="the target date has passed",
                    target_date=date(y, 5, 1),
                ),
                notification(s.notifications[0], s.sso, failed=False),
                notification(s.notifications[1], s.sso, failed=True),
            ]
            await publish(bus, *events)
            assert await _all_folded(app, events)
            yield s


async def sent_command(s: Scenario, response: httpx.Response) -> LaunchCommand:
    """The command an accepted write published."""
    assert response.status_code == 202, response.text
    command_id = UUID(response.json()["command_id"])
    return next(c for c in s.bus.published(LaunchCommand) if c.event_id == command_id)


async def test_the_calendar_is_the_years_twelve_months(scenario: Scenario) -> None:
    s = scenario
    response = await s.client.get("/api/v1/launches", params={"view": "calendar", "year": s.year})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["view"], body["year"], body["total"], len(body["months"])) == ("calendar", s.year, 3, 12)
    may = body["months"][4]
    assert (may["month"], may["name"]) == (5, "May")
    assert [launch["id"] for launch in may["launches"]] == [str(s.docs), str(s.sso)], "by target date"
    assert [launch["id"] for launch in body["months"][10]["launches"]] == [str(s.model)]
    assert sum(len(month["launches"]) for month in body["months"]) == 3
    sso = may["launches"][1]
    assert (sso["readiness"], sso["shipped_at"], sso["type"]) == (0.5, None, "enterprise_feature")
    assert may["launches"][0]["risk_reason"] == "the target date has passed"


async def test_the_timeline_puts_each_launch_in_every_quarter_it_spans(scenario: Scenario) -> None:
    s = scenario
    body = (await s.client.get("/api/v1/launches", params={"view": "timeline", "year": s.year})).json()
    assert body["view"] == "timeline" and body["total"] == 3
    quarters = {q["quarter"]: [launch["id"] for launch in q["launches"]] for q in body["quarters"]}
    assert quarters == {1: [str(s.sso)], 2: [str(s.docs), str(s.sso)], 3: [], 4: [str(s.model)]}
    q1 = body["quarters"][0]
    assert (q1["label"], q1["start"], q1["end"]) == (f"Q1 {s.year}", f"{s.year}-01-01", f"{s.year}-03-31")


async def test_the_calendar_filters_by_status_and_team(scenario: Scenario) -> None:
    s = scenario

    async def ids(**params: Any) -> set[str]:
        body = (await s.client.get("/api/v1/launches", params={"view": "calendar", "year": s.year, **params})).json()
        return {launch["id"] for month in body["months"] for launch in month["launches"]}

    assert await ids(status="at_risk") == {str(s.docs)}
    assert await ids(status=["beta", "in_dev"]) == {str(s.model), str(s.sso)}
    assert await ids(team="ml") == {str(s.model)}
    assert await ids(year=s.year + 1) == set()
    this_year = (await s.client.get("/api/v1/launches", params={"view": "calendar"})).json()
    assert this_year["year"] == utcnow().year
    for bad in ({"view": "gantt"}, {"status": "done"}, {"team": "sales"}, {"year": "soon"}):
        assert (await s.client.get("/api/v1/launches", params=bad)).status_code == 422, bad


async def test_a_launch_is_created_by_a_command_from_an_editor(scenario: Scenario) -> None:
    s = scenario
    body = {
        "name": "Okta SSO",
        "type": "enterprise_feature",
        "team": "engineering",
        "owner": "Aiko",
        "start_date": f"{s.year}-02-01",
        "target_date": f"{s.year}-06-30",
        "feedback_ids": [str(uuid4())],
    }
    response = await s.client.post("/api/v1/launches", json=body, headers=s.editor)
    command = await sent_command(s, response)
    assert isinstance(command.payload, CreateLaunch)
    assert UUID(response.json()["id"]) == command.payload.launch.id == command.payload.launch_id
    assert command.payload.actor == "pm@hub"
    assert command.payload.launch.status == LaunchStatus.IN_DEV and command.payload.launch.owner == "Aiko"
    assert (await s.client.post("/api/v1/launches", json=body)).status_code == 403, "a viewer cannot"
    for bad in ({**body, "type": "rocket"}, {**body, "start_date": f"{s.year}-07-01"}, {**body, "extra": 1}):
        assert (await s.client.post("/api/v1/launches", json=bad, headers=s.editor)).status_code == 422


async def test_a_patch_sends_only_the_fields_given_and_status_shipped_ships(scenario: Scenario) -> None:
    s = scenario
    response = await s.client.patch(
        f"/api/v1/launches/{s.sso}", json={"status": "shipped", "owner": None}, headers=s.editor
    )
    command = await sent_command(s, response)
    assert isinstance(command.payload, UpdateLaunch) and command.payload.launch_id == s.sso
    assert command.payload.changes.model_dump(mode="json") == {"status": "shipped", "owner": None}
    assert (
        await s.client.patch(f"/api/v1/launches/{uuid4()}", json={"name": "x"}, headers=s.editor)
    ).status_code == 404
    assert (await s.client.patch(f"/api/v1/launches/{s.sso}", json={}, headers=s.editor)).status_code == 422
    assert (await s.client.patch(f"/api/v1/launches/{s.sso}", json={"name": None}, headers=s.editor)).status_code == 422
    assert (await s.client.patch(f"/api/v1/launches/{s.sso}", json={"status": "shipped"})).status_code == 403


async def test_links_go_to_the_launch_as_a_command(scenario: Scenario) -> None:
    s = scenario
    item, theme = uuid4(), uuid4()
    response = await s.client.post(
        f"/api/v1/launches/{s.sso}/links",
        json={"feedback_ids": [str(item)], "theme_ids": [str(theme)]},
        headers=s.editor,
    )
    command = await sent_command(s, response)
    assert isinstance(command.payload, LinkLaunch)
    assert (command.payload.feedback_ids, command.payload.theme_ids) == ([item], [theme])
    assert (await s.client.post(f"/api/v1/launches/{s.sso}/links", json={}, headers=s.editor)).status_code == 422
    link = {"feedback_ids": [str(item)]}
    assert (await s.client.post(f"/api/v1/launches/{uuid4()}/links", json=link, headers=s.editor)).status_code == 404


async def test_the_checklist_shows_who_ticked_what_and_a_tick_is_a_command(scenario: Scenario) -> None:
    s = scenario
    response = await s.client.get(f"/api/v1/launches/{s.sso}/checklist")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["launch_id"] == str(s.sso)
    assert body["readiness"] == {"overall": 0.5, "by_team": {"engineering": 1.0, "legal": 0.0}}
    tests = body["items"][0]
    assert (tests["id"], tests["done"], tests["done_by"]) == ("engineering.tests", True, "qa")
    assert tests["done_at"].startswith("2026-11-27T09:00")
    untick = await s.client.patch(
        f"/api/v1/launches/{s.sso}/checklist/engineering.tests", json={"done": False}, headers=s.editor
    )
    command = await sent_command(s, untick)
    assert isinstance(command.payload, TickChecklistItem)
    assert (command.payload.item_id, command.payload.done, command.payload.actor) == (
        "engineering.tests",
        False,
        "pm@hub",
    )
    unknown = await s.client.patch(
        f"/api/v1/launches/{s.sso}/checklist/sales.faq", json={"done": True}, headers=s.editor
    )
    assert unknown.status_code == 404
    assert (await s.client.get(f"/api/v1/launches/{uuid4()}/checklist")).status_code == 404
    viewer_tick = await s.client.patch(f"/api/v1/launches/{s.sso}/checklist/legal.tos", json={"done": True})
    assert viewer_tick.status_code == 403


async def test_notifications_of_a_launch_sent_and_failed_with_the_reason(scenario: Scenario) -> None:
    s = scenario
    body = (await s.client.get("/api/v1/notifications", params={"launch_id": str(s.sso)})).json()
    assert body["total"] == 2
    by_id = {UUID(n["id"]): n for n in body["items"]}
    sent, failed = by_id[s.notifications[0]], by_id[s.notifications[1]]
    assert (sent["channel"], sent["status"], sent["reason"], sent["customer_id"]) == ("email", "sent", None, "acc-7")
    assert (failed["channel"], failed["status"], failed["attempts"]) == ("slack", "failed", 3)
    assert failed["reason"] == "slack answered channel_not_found"
    only_failed = (
        await s.client.get("/api/v1/notifications", params={"launch_id": str(s.sso), "status": "failed"})
    ).json()
    assert [UUID(n["id"]) for n in only_failed["items"]] == [s.notifications[1]]
    email = (await s.client.get("/api/v1/notifications", params={"launch_id": str(s.sso), "channel": "email"})).json()
    assert [UUID(n["id"]) for n in email["items"]] == [s.notifications[0]]
    customer = (
        await s.client.get("/api/v1/notifications", params={"customer": "IT@globex.com", "launch_id": str(s.sso)})
    ).json()
    assert customer["total"] == 2
    assert (await s.client.get("/api/v1/notifications", params={"channel": "webhook"})).status_code == 422


async def test_an_opt_out_is_a_command_to_notify(scenario: Scenario) -> None:
    s = scenario
    response = await s.client.post(
        "/api/v1/notifications/opt-outs", json={"customer": "cto@acme.io", "channel": "email"}, headers=s.editor
    )
    assert response.status_code == 202, response.text
    command_id = UUID(response.json()["command_id"])
    opt_out = next(c for c in s.bus.published(SetNotificationOptOut) if c.event_id == command_id).payload
    assert (opt_out.customer, opt_out.channel, opt_out.opted_out, opt_out.actor) == (
        "cto@acme.io",
        "email",
        True,
        "pm@hub",
    )
    assert (await s.client.post("/api/v1/notifications/opt-outs", json={"customer": "x@y.z"})).status_code == 403


async def test_a_launch_alone_and_the_overview_show_its_readiness(scenario: Scenario) -> None:
    s = scenario
    launch = (await s.client.get(f"/api/v1/launches/{s.sso}")).json()
    assert (launch["name"], launch["readiness"], launch["start_date"]) == (
        f"Launch {s.sso.hex[:6]}",
        0.5,
        f"{s.year}-03-02",
    )
    assert (await s.client.get(f"/api/v1/launches/{uuid4()}")).status_code == 404
    listed = (await s.client.get("/api/v1/launches", params={"year": s.year})).json()
    assert listed["view"] == "list" and [launch["id"] for launch in listed["items"]] == [
        str(s.docs),
        str(s.sso),
        str(s.model),
    ]
