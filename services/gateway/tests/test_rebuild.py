"""`prodops gateway rebuild` on the real broker: a damaged read model comes back as it was, and the live
service goes on after it."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from fastapi import FastAPI
from sqlmodel import SQLModel, col, delete, select, update

from libs.runtime.broker import free_port
from libs.runtime.testing import publish, quick_settings, running
from libs.schemas.events import Envelope, utcnow
from libs.schemas.feedback import Category, Priority
from libs.schemas.launches import LaunchStatus
from services.gateway.app import create_app
from services.gateway.read_model import FeedbackView, LaunchView, NotificationView, ThemeView
from services.gateway.settings import GatewaySettings
from services.gateway.tests import factories
from services.gateway.tests.test_api import _all_folded, _notification, until

pytestmark = pytest.mark.kafka

PRODOPS = Path(sys.executable).parent / "prodops"


async def snapshot(app: FastAPI, ids: dict[type[SQLModel], list[UUID]]) -> dict[UUID, dict[str, Any]]:
    """This test's rows of every read table, by key (the topics also hold other tests' events)."""
    rows: dict[UUID, dict[str, Any]] = {}
    async with app.state.runtime.sessions() as session:
        for model, keys in ids.items():
            (key,) = model.__table__.primary_key.columns  # type: ignore[attr-defined]
            for row in (await session.exec(select(model).where(col(key).in_(keys)))).all():
                rows[getattr(row, key.name)] = row.model_dump()
    return rows


async def prodops(env: dict[str, str], *args: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        str(PRODOPS), *args, env=os.environ | env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    output, _ = await process.communicate()
    return process.returncode or 0, output.decode()


async def test_a_rebuild_restores_the_read_model(
    database_url: str | None, kafka_bootstrap: str, tmp_path: Path
) -> None:
    settings = quick_settings(GatewaySettings, kafka_bootstrap, tmp_path, database_url)
    now = utcnow()
    first, second, theme, launch, notification = uuid4(), uuid4(), uuid4(), uuid4(), uuid4()
    target = date.today() + timedelta(days=30)
    events: list[Envelope] = [
        factories.received(first, now, title="Rebuild me"),
        factories.triaged(first, now + timedelta(seconds=1), Category.BUG, Priority.CRITICAL),
        factories.themed(first, now + timedelta(seconds=2), theme),
        factories.received(second, now, title="And me"),
        factories.overridden(second, now + timedelta(seconds=1), category=Category.QUESTION, reason="asks"),
        factories.theme_changed(theme, now, "Rate limits"),
        factories.launch_changed(launch, now, LaunchStatus.BETA, target),
        _notification(notification, launch, now),
    ]
    ids: dict[type[SQLModel], list[UUID]] = {
        FeedbackView: [first, second],
        ThemeView: [theme],
        LaunchView: [launch],
        NotificationView: [notification],
    }

    app = create_app(settings)
    async with running(app):
        await publish(kafka_bootstrap, *events)
        await until(lambda: _all_folded(app, events), "the events to be folded")
    before = await snapshot(app, ids)
    assert set(before) == {first, second, theme, launch, notification}, "every table holds this test's rows"
    assert (before[first]["title"], before[first]["category"], before[first]["theme_id"]) == (
        "Rebuild me",
        "bug",
        theme,
    )

    # The gateway is stopped; its read model is damaged: a row changed, rows lost.
    async with app.state.runtime.sessions() as session, session.begin():
        await session.exec(update(FeedbackView).where(col(FeedbackView.item_id) == first).values(title="garbage"))
        await session.exec(delete(FeedbackView).where(col(FeedbackView.item_id) == second))
        await session.exec(delete(ThemeView))
        await session.exec(delete(NotificationView))
    assert await snapshot(app, ids) != before

    env = {
        "PRODOPS_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "PRODOPS_DATA_DIR": str(tmp_path),
        "PRODOPS_BASE_PORT": str(free_port()),
        **({"PRODOPS_DATABASE_URL": database_url} if database_url else {}),
    }
    status, output = await prodops(env, "gateway", "rebuild")
    assert status == 0, output
    assert "events folded" in output
    assert await snapshot(app, ids) == before

    # The live service goes on: what the rebuild folded is not folded twice, what comes next is folded.
    later = factories.triaged(second, now + timedelta(seconds=5), Category.BUG, Priority.LOW)
    async with running(create_app(settings)) as live:
        await publish(kafka_bootstrap, later)
        await until(lambda: _all_folded(live, [later]), "the next event to be folded")
        after = await snapshot(live, ids)
    assert after[second]["triaged_at"] == later.occurred_at
    assert after[second]["category"] == "question", "the person's correction still beats the AI"
    assert {key: row for key, row in after.items() if key != second} == {
        key: row for key, row in before.items() if key != second
    }


async def test_a_rebuild_refuses_while_the_gateway_answers(tmp_path: Path) -> None:
    """A running gateway would fold into the tables while they are wiped."""
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        port = listening.getsockname()[1]
        status, output = await prodops(
            {"PRODOPS_DATA_DIR": str(tmp_path), "PRODOPS_BASE_PORT": str(port)}, "gateway", "rebuild"
        )
    assert status == 1
    assert "stop it first" in output
