"""Edits at the source: a record the hub holds, brought again with changed content, is announced once as
feedback.updated (never a new item); the same content again announces nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.schemas.events import FeedbackReceived, FeedbackUpdated
from libs.schemas.feedback import FeedbackInput, FeedbackItem, FeedbackStatus, Source
from services.ingest import domain
from services.ingest.storage import SourceRecord, StoredItem, StoredUpdate
from services.ingest.sync import sync_source
from services.ingest.tests.connectors.fake_vendors import EPOCH, FakeVendor, serving
from services.ingest.tests.test_sync import connector_at
from services.ingest.tests.test_sync_lookups import call_monologues, gong_vendor

Sessions = async_sessionmaker[AsyncSession]
NOW = datetime(2026, 11, 27, 9, tzinfo=UTC)


def item(now: datetime = NOW, **changes: object) -> FeedbackItem:
    submitted = FeedbackInput(source=Source.GITHUB, source_id="77", title="Export fails", description="On big files.")
    return domain.received_item(submitted.model_copy(update=changes), now)


def test_only_a_change_of_content_counts() -> None:
    before = item(tags=["bug"], votes=2)
    assert domain.changed_content(before, item(tags=["bug"], votes=2)) == []
    assert domain.changed_content(before, item(title="Export fails on 10k rows", tags=["bug"], votes=2)) == ["title"]
    changed = domain.changed_content(before, item(description="Always.", tags=["bug", "export"], votes=5))
    assert changed == ["description", "votes", "tags"]
    assert domain.changed_content(before, item(tags=["bug"], votes=2, status=FeedbackStatus.CLOSED)) == ["status"]


def test_the_update_keeps_the_items_id_and_times() -> None:
    before = item()
    later = item(NOW + timedelta(days=2), title="Export fails on 10k rows")
    event = domain.updated_event(before, later, ["title"], NOW + timedelta(days=2))
    assert event.payload.item.id == before.id and event.key == str(before.id).encode()
    assert (event.payload.item.received_at, event.payload.item.created_at) == (before.received_at, before.created_at)
    assert event.payload.item.title == "Export fails on 10k rows" and event.payload.text_changed


async def updates(sessions: Sessions) -> list[FeedbackUpdated]:
    async with sessions() as session:
        rows = (await session.exec(select(StoredUpdate).order_by(col(StoredUpdate.updated_at)))).all()
    return [FeedbackUpdated.model_validate_json(row.event) for row in rows]


async def test_a_synced_edit_is_announced_once_and_a_redelivery_not_at_all(sessions: Sessions) -> None:
    vendor = FakeVendor("github")
    vendor.add(4)
    async with serving(vendor) as base:
        connector = connector_at("github", base)
        await sync_source(sessions, connector)
        edited = vendor.records[0]
        edited |= {"title": "github request 1, now with steps", "updated_at": "2026-11-02T00:00:00Z"}
        edited["reactions"] = {"+1": 2}
        report = await sync_source(sessions, connector)
        assert (report.new, report.updated) == (0, 1)
        again = await sync_source(sessions, connector, since=EPOCH)
        assert (again.records, again.new, again.updated) == (3, 0, 0), "the same content again: nothing"
    (update,) = await updates(sessions)
    assert update.payload.changed == ["title", "votes"]
    assert update.payload.item.title == "github request 1, now with steps" and update.payload.item.votes == 3
    async with sessions() as session:
        stored = await session.get(StoredItem, update.payload.item_id)
    assert stored is not None, "the same item, not a new one"
    original = FeedbackReceived.model_validate_json(stored.event).payload
    assert original.title == "github request 1" and update.payload.item.received_at == original.received_at


async def test_a_call_whose_transcript_arrives_later_is_updated_and_never_loses_it(sessions: Sessions) -> None:
    vendor = gong_vendor(2, with_transcripts=range(0))
    async with serving(vendor) as base:
        connector = connector_at("gong", base)
        await sync_source(sessions, connector)  # Gong had not transcribed the calls yet
        vendor.transcripts["9001"] = call_monologues(1)
        report = await sync_source(sessions, connector, since=EPOCH)
        assert report.updated == 1
        vendor.transcripts.clear()  # a record without it again (as a Gong webhook sends)
        assert (await sync_source(sessions, connector, since=EPOCH)).updated == 0
    (update,) = await updates(sessions)
    assert update.payload.changed == ["description", "tags", "status"]
    assert update.payload.item.status == FeedbackStatus.CLOSED and "[customer]" in update.payload.item.description
    async with sessions() as session:
        raw = await session.get(SourceRecord, update.payload.item_id)
    assert raw is not None and "transcript" in raw.record, "the raw record with the transcript is kept"
