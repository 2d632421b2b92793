"""Command outcomes in the gateway, on the in-memory broker: an owning service's refusal is folded once, served
at GET /api/v1/commands/{id}, and answers a write sent with `wait` with a 409 and the reason.

The owning service is played here: the test publishes its command.rejected as dedupe would.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from uuid import uuid4

import httpx
import pytest
from fastapi import FastAPI
from sqlmodel import func, select

from libs.runtime.auth import Role, create_token
from libs.runtime.testing import UNUSED_BOOTSTRAP, InMemoryBus, in_memory, quick_settings
from libs.schemas.commands import MergeItems
from libs.schemas.events import CommandRejected, DedupeCommand, utcnow
from services.gateway.app import create_app
from services.gateway.read_model import CommandOutcomeView
from services.gateway.settings import GatewaySettings
from services.gateway.tests import factories
from services.gateway.tests.test_api import publish

REASON = "cannot merge item into its own duplicate"


@dataclass
class Hub:
    app: FastAPI
    client: httpx.AsyncClient
    editor: dict[str, str]
    bus: InMemoryBus


@pytest.fixture
async def hub(tmp_path: Path) -> AsyncIterator[Hub]:
    app = create_app(quick_settings(GatewaySettings, UNUSED_BOOTSTRAP, tmp_path, None))
    async with in_memory(app) as bus:
        key = app.state.signing_key
        viewer = {"Authorization": f"Bearer {create_token(key, Role.VIEWER, 'sales@hub')}"}
        editor = {"Authorization": f"Bearer {create_token(key, Role.EDITOR, 'pm@hub')}"}
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://gateway", headers=viewer
        ) as client:
            yield Hub(app, client, editor, bus)


def refusal_of(command: DedupeCommand) -> CommandRejected:
    return CommandRejected.of(command, producer="dedupe", reason=REASON, actor="pm@hub")


async def test_a_refusal_is_folded_once_and_served_with_its_reason(hub: Hub) -> None:
    command = DedupeCommand(producer="gateway", payload=MergeItems(item_id=uuid4(), into_id=uuid4(), actor="pm@hub"))
    refusal = refusal_of(command)
    await publish(hub.bus, refusal, refusal)  # redelivered

    response = await hub.client.get(f"/api/v1/commands/{command.event_id}")
    assert response.status_code == 200, response.text
    body = response.json()
    assert {k: body[k] for k in ("command_id", "status", "command_type", "service", "reason", "actor")} == {
        "command_id": str(command.event_id),
        "status": "rejected",
        "command_type": "dedupe.command",
        "service": "dedupe",
        "reason": REASON,
        "actor": "pm@hub",
    }
    assert body["decided_at"] is not None
    async with hub.app.state.runtime.sessions() as session:
        assert (await session.exec(select(func.count()).select_from(CommandOutcomeView))).one() == 1

    unknown = uuid4()
    assert (await hub.client.get(f"/api/v1/commands/{unknown}")).json() == {
        "command_id": str(unknown),
        "status": "pending",
        "command_type": None,
        "service": None,
        "reason": None,
        "actor": None,
        "decided_at": None,
    }
    assert (await hub.client.get(f"/api/v1/commands/{unknown}", headers={"Authorization": ""})).status_code == 401


async def test_a_write_that_waits_answers_409_with_the_owners_reason(hub: Hub) -> None:
    now = utcnow()
    item, into = uuid4(), uuid4()
    await publish(hub.bus, factories.received(item, now), factories.received(into, now + timedelta(seconds=1)))

    async def dedupe_refuses() -> None:
        """Dedupe, on its own time: it refuses the merge once it is on the bus."""
        sent = hub.bus.published(DedupeCommand)
        while not sent:
            await asyncio.sleep(0.02)
            sent = hub.bus.published(DedupeCommand)
        await hub.bus.publish(refusal_of(sent[0]))

    started = time.monotonic()
    response, _ = await asyncio.gather(
        hub.client.post(
            f"/api/v1/feedback/{item}/merge", params={"wait": 4}, json={"into_id": str(into)}, headers=hub.editor
        ),
        dedupe_refuses(),
    )
    assert response.status_code == 409, response.text
    assert time.monotonic() - started < 3, "answered once the refusal was folded, not at the end of the wait"
    [command] = hub.bus.published(DedupeCommand)
    detail = response.json()["detail"]
    assert (detail["command_id"], detail["status"], detail["service"], detail["reason"]) == (
        str(command.event_id),
        "rejected",
        "dedupe",
        REASON,
    )


async def test_a_write_says_pending_when_no_refusal_comes_and_answers_at_once_without_wait(hub: Hub) -> None:
    body = {"name": "Okta SSO", "type": "enterprise_feature", "team": "engineering", "target_date": "2031-06-30"}
    waited = await hub.client.post("/api/v1/launches", params={"wait": 0.3}, json=body, headers=hub.editor)
    assert waited.status_code == 202, waited.text
    assert waited.json()["status"] == "pending" and set(waited.json()) == {"id", "command_id", "status"}

    started = time.monotonic()
    at_once = await hub.client.post("/api/v1/launches", json=body, headers=hub.editor)
    assert at_once.status_code == 202 and at_once.json()["status"] == "pending"
    assert time.monotonic() - started < 0.3
    too_long = await hub.client.post("/api/v1/launches", params={"wait": 60}, json=body, headers=hub.editor)
    assert too_long.status_code == 422, "a wait is short: at most a few seconds"
