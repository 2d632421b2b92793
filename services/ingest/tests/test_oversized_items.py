"""No item stops the line: an event that can never be a broker message is refused before it is stored, and one
stored anyway (the model's bounds keep items far smaller; these are made larger around them) is set aside by the
relay with its reason, while the items behind it are published."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.connectors.rejections import RejectedPayload
from libs.runtime.auth import Role, create_token
from libs.runtime.settings import MAX_MESSAGE_BYTES
from libs.runtime.testing import collect, quick_settings, running
from libs.runtime.tests.probe import eventually
from libs.schemas.events import FeedbackReceived, FeedbackUpdated, utcnow
from libs.schemas.feedback import FeedbackInput, Source
from services.ingest import domain, intake, storage
from services.ingest.app import create_app
from services.ingest.connectors.requests import Feedback
from services.ingest.settings import IngestSettings

NOW = datetime(2026, 11, 27, 9, tzinfo=UTC)


def piece(source_id: str, now: datetime = NOW) -> tuple[Feedback, FeedbackReceived]:
    """A vendor record and the event that announces its item."""
    submitted = FeedbackInput(source=Source.GITHUB, source_id=source_id, title=f"Issue {source_id}")
    [(feedback, event)] = intake.received([Feedback({"number": source_id}, submitted)], now)
    return feedback, event


def oversized(event: FeedbackReceived) -> FeedbackReceived:
    """The event with a description larger than a message (model_copy does not validate: around the bounds)."""
    item = event.payload.model_copy(update={"description": "x" * MAX_MESSAGE_BYTES})
    return event.model_copy(update={"payload": item})


async def test_a_record_whose_event_would_not_fit_in_a_message_is_rejected_with_why_and_the_rest_stored(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    record, event = piece("1")
    huge = (record, oversized(event))
    async with sessions() as session, session.begin():
        stored = await intake.store_feedback(session, [huge, piece("2")], origin="webhook")
    async with sessions() as session:
        items = (await session.exec(select(storage.StoredItem))).all()
        [rejected] = (await session.exec(select(RejectedPayload))).all()
    assert [row.source_id for row in items] == ["2"] and len(stored.fresh) == 1
    assert rejected.source == "github" and rejected.body == '{"number": "1"}'
    assert rejected.reason.startswith(f"feedback.received of item {event.payload.id}: the event is ")
    assert rejected.reason.endswith(" a message may carry")


@pytest.mark.kafka
async def test_an_event_the_broker_refuses_is_set_aside_with_its_reason_and_the_next_one_is_published(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    settings = quick_settings(IngestSettings, kafka_bootstrap, tmp_path, None, relay_interval_seconds=0.2)
    app = create_app(settings, connectors={})
    runtime = app.state.runtime
    _, huge = piece("huge", NOW - timedelta(minutes=1))
    _, normal = piece("normal")
    huge = oversized(huge)
    item = normal.payload
    # Edits of the normal item: the oldest too large to publish, then one that fits.
    huge_edit = domain.updated_event(
        item, item.model_copy(update={"description": "x" * MAX_MESSAGE_BYTES}), ["description"], utcnow()
    )
    edit = domain.updated_event(item, item.model_copy(update={"title": "Issue normal, edited"}), ["title"], utcnow())
    admin = create_token(app.state.signing_key, Role.ADMIN, "admin-test")
    editor = create_token(app.state.signing_key, Role.EDITOR, "editor-test")

    async with (
        running(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://ingest") as http,
    ):
        async with runtime.sessions() as session, session.begin():
            await storage.store_new(session, [huge, normal])  # oldest first: the huge one leads the batch
            storage.add_update(session, huge_edit)
            storage.add_update(session, edit)

        received = await collect(
            kafka_bootstrap, FeedbackReceived, lambda seen: any(e.event_id == normal.event_id for e in seen)
        )
        updated = await collect(
            kafka_bootstrap, FeedbackUpdated, lambda seen: any(e.event_id == edit.event_id for e in seen)
        )

        as_admin = {"Authorization": f"Bearer {admin}"}

        async def both_set_aside() -> bool:
            return len((await http.get("/admin/outbox/set-aside", headers=as_admin)).json()) == 2

        await eventually(both_set_aside, timeout=10)  # set aside in the transaction that marks the rest published
        listed = (await http.get("/admin/outbox/set-aside", headers=as_admin)).json()
        refused = await http.get("/admin/outbox/set-aside", headers={"Authorization": f"Bearer {editor}"})

    assert huge.event_id not in {e.event_id for e in received}
    assert huge_edit.event_id not in {e.event_id for e in updated}
    assert {(entry["topic"], entry["item_id"]) for entry in listed} == {
        (FeedbackReceived.TOPIC, str(huge.payload.id)),
        (FeedbackUpdated.TOPIC, str(item.id)),
    }
    for entry in listed:
        assert entry["reason"].startswith("the broker refuses it: MessageSizeTooLargeError: ")
        assert entry["event_bytes"] > MAX_MESSAGE_BYTES
    assert refused.status_code == 403, "an admin's view"
    for topic in (FeedbackReceived.TOPIC, FeedbackUpdated.TOPIC):
        labels = {"topic": topic, "reason": "MessageSizeTooLargeError"}
        assert runtime.registry.get_sample_value("prodops_outbox_set_aside_total", labels) == 1
