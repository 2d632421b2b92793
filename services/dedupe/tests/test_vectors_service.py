"""The dedupe service's vectors on the real broker: a changed model is refreshed at start, an admin can
ask for a refresh, and items keep being deduped in the new space."""

from __future__ import annotations

from pathlib import Path
from uuid import uuid4

import httpx
import pytest
from fastapi import FastAPI

from libs.ml.embeddings import E5_SMALL, MINILM
from libs.runtime.auth import Role, create_token
from libs.runtime.testing import collect, publish, quick_settings, running
from libs.schemas.events import DedupeResult, FeedbackDeduped, FeedbackReceived, utcnow
from libs.schemas.feedback import FeedbackItem
from services.dedupe.app import create_app
from services.dedupe.refresh import RefreshStatus, Vectors
from services.dedupe.settings import DedupeSettings

pytestmark = [pytest.mark.kafka, pytest.mark.model]

# Texts no other test uses: every test reads feedback.received from the session's one broker.
FIRST = ("Bulk tagging in the inbox forgets the tags after a page refresh", "We tag 50 items and they come back bare.")
TWIN = ("Tags applied in bulk in the inbox are lost when the page reloads", "The bulk tags disappear after reloading.")


def received(title: str, description: str) -> FeedbackReceived:
    now = utcnow()
    item = FeedbackItem(id=uuid4(), title=title, description=description, created_at=now, received_at=now)
    return FeedbackReceived(producer="test", payload=item)


async def deduped(kafka_bootstrap: str, event: FeedbackReceived) -> DedupeResult:
    await publish(kafka_bootstrap, event)
    seen = await collect(kafka_bootstrap, FeedbackDeduped, lambda s: event.event_id in {e.causation_id for e in s})
    return next(e.payload for e in seen if e.causation_id == event.event_id)


def admin_client(app: FastAPI, settings: DedupeSettings, role: Role = Role.ADMIN) -> httpx.AsyncClient:
    token = create_token(settings.signing_key(), role, "test")
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://dedupe", headers={"Authorization": f"Bearer {token}"}
    )


async def test_a_changed_model_is_refreshed_at_start_and_an_admin_can_refresh_again(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    minilm = quick_settings(DedupeSettings, kafka_bootstrap, tmp_path, None, embedding_model=MINILM)
    first = received(*FIRST)
    async with running(create_app(minilm)):
        assert (await deduped(kafka_bootstrap, first)).embedding_model == MINILM

    e5 = quick_settings(DedupeSettings, kafka_bootstrap, tmp_path, None, embedding_model=E5_SMALL)
    app = create_app(e5)
    async with running(app), admin_client(app, e5) as admin:
        vectors: Vectors = app.state.vectors
        at_start = await vectors.wait()
        assert (at_start.state, at_start.total, at_start.copied) == ("done", 1, 1), at_start.error
        status = RefreshStatus.model_validate((await admin.get("/admin/vectors")).json())
        assert status.live is not None and status.live.model == E5_SMALL

        asked = await admin.post("/admin/vectors/refresh")
        assert asked.status_code == 202, asked.text
        again = await vectors.wait()
        assert again.state == "done" and again.live is not None and again.live.name != status.live.name

        twin = await deduped(kafka_bootstrap, received(*TWIN))
        async with admin_client(app, e5, Role.EDITOR) as editor:
            assert (await editor.post("/admin/vectors/refresh")).status_code == 403

    assert twin.embedding_model == E5_SMALL
    assert twin.duplicate_of == first.payload.id, "the item indexed by MiniLM is found in E5's space"
    assert [similar.id for similar in twin.similar_items] == [first.payload.id]
