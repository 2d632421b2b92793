"""The dedupe service's vectors, on the in-memory broker: a changed model is refreshed at start, an admin
can ask for a refresh, and items keep being deduped in the new space."""

from __future__ import annotations

import asyncio
from pathlib import Path
from uuid import uuid4

import httpx
import pytest
from fastapi import FastAPI

from libs.ml.embeddings import E5_SMALL, MINILM
from libs.runtime.auth import Role, create_token
from libs.runtime.testing import UNUSED_BOOTSTRAP, InMemoryBus, in_memory, quick_settings
from libs.schemas.events import DedupeResult, FeedbackDeduped, FeedbackReceived, utcnow
from libs.schemas.feedback import FeedbackItem
from services.dedupe.app import create_app
from services.dedupe.refresh import RefreshStatus
from services.dedupe.settings import DedupeSettings

pytestmark = pytest.mark.model

FIRST = ("Bulk tagging in the inbox forgets the tags after a page refresh", "We tag 50 items and they come back bare.")
TWIN = ("Tags applied in bulk in the inbox are lost when the page reloads", "The bulk tags disappear after reloading.")


def received(title: str, description: str) -> FeedbackReceived:
    now = utcnow()
    item = FeedbackItem(id=uuid4(), title=title, description=description, created_at=now, received_at=now)
    return FeedbackReceived(producer="test", payload=item)


async def deduped(bus: InMemoryBus, event: FeedbackReceived) -> DedupeResult:
    await bus.publish(event)
    return next(e.payload for e in bus.published(FeedbackDeduped) if e.causation_id == event.event_id)


def admin_client(app: FastAPI, settings: DedupeSettings, role: Role = Role.ADMIN) -> httpx.AsyncClient:
    token = create_token(settings.signing_key(), role, "test")
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://dedupe", headers={"Authorization": f"Bearer {token}"}
    )


async def refreshed(admin: httpx.AsyncClient) -> RefreshStatus:
    """The status once the refresh under way (the refresh-vectors job) has ended."""
    async with asyncio.timeout(120):
        while True:
            status = RefreshStatus.model_validate((await admin.get("/admin/vectors")).json())
            if status.state != "running":
                return status
            await asyncio.sleep(0.1)


async def test_a_changed_model_is_refreshed_at_start_and_an_admin_can_refresh_again(tmp_path: Path) -> None:
    minilm = quick_settings(DedupeSettings, UNUSED_BOOTSTRAP, tmp_path, None, embedding_model=MINILM)
    first = received(*FIRST)
    async with in_memory(create_app(minilm)) as bus:
        assert (await deduped(bus, first)).embedding_model == MINILM

    e5 = quick_settings(DedupeSettings, UNUSED_BOOTSTRAP, tmp_path, None, embedding_model=E5_SMALL)
    app = create_app(e5)
    async with in_memory(app) as bus, admin_client(app, e5) as admin:
        at_start = await refreshed(admin)
        assert (at_start.state, at_start.total, at_start.copied) == ("done", 1, 1), at_start.error
        assert at_start.live is not None and at_start.live.model == E5_SMALL

        asked = await admin.post("/admin/vectors/refresh")
        assert asked.status_code == 202, asked.text
        again = await refreshed(admin)
        assert again.state == "done" and again.live is not None and again.live.name != at_start.live.name

        twin = await deduped(bus, received(*TWIN))
        async with admin_client(app, e5, Role.EDITOR) as editor:
            assert (await editor.post("/admin/vectors/refresh")).status_code == 403

    assert twin.embedding_model == E5_SMALL
    assert twin.duplicate_of == first.payload.id, "the item indexed by MiniLM is found in E5's space"
    assert [similar.id for similar in twin.similar_items] == [first.payload.id]
