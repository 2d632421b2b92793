"""Ingest's durable store: every accepted item, kept as the event to publish (an outbox), and the connectors'
deliveries and raw records (the sync cursors and the rejected payloads are libs/connectors' tables)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import datetime
from uuid import UUID, uuid4

from pydantic import BaseModel
from sqlalchemy import JSON, Column, Text, func, update
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.runtime.database import UTCDateTime, upsert_insert
from libs.runtime.inbox import OutgoingMessage
from libs.runtime.telemetry import trace_carrier
from libs.schemas.events import FeedbackReceived, FeedbackUpdated, utcnow
from libs.schemas.feedback import FeedbackItem
from services.ingest.connectors.requests import Feedback


class StoredItem(SQLModel, table=True):
    __tablename__ = "feedback_items"

    id: UUID = Field(primary_key=True)
    source: str = Field(max_length=40)
    source_id: str | None = Field(default=None, max_length=200)
    event: str = Field(sa_column=Column(Text, nullable=False))
    received_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))
    published_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), index=True))
    # The trace the item arrived in (its webhook request): the relay publishes it within that trace.
    trace_context: dict[str, str] | None = Field(default=None, sa_column=Column(JSON))
    # Set when the broker refused the event for good (too large...): the outbox's dead letter, out of the relay's way.
    set_aside_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    set_aside_reason: str | None = Field(default=None, sa_column=Column(Text))

    @property
    def outbox_id(self) -> UUID:
        return self.id

    @property
    def item_id(self) -> UUID:
        return self.id

    @property
    def outgoing(self) -> OutgoingMessage:
        return OutgoingMessage(
            topic=FeedbackReceived.TOPIC, key=str(self.id), body=self.event, trace_context=self.trace_context or {}
        )


async def store_new(session: AsyncSession, events: Sequence[FeedbackReceived]) -> tuple[list[UUID], list[UUID]]:
    """Store the items not seen before; returns (new ids, ids already stored)."""
    ids = [event.payload.id for event in events]
    existing = set((await session.exec(select(StoredItem.id).where(col(StoredItem.id).in_(ids)))).all())
    fresh: list[UUID] = []
    for event in events:
        item = event.payload
        if item.id in existing or item.id in fresh:
            continue
        session.add(
            StoredItem(
                id=item.id,
                source=item.source.value,
                source_id=item.source_id,
                event=event.model_dump_json(),
                received_at=item.received_at,
                trace_context=trace_carrier(),
            )
        )
        fresh.append(item.id)
    return fresh, [item_id for item_id in ids if item_id in existing]


async def unpublished(session: AsyncSession, limit: int) -> list[StoredItem]:
    """Items to publish, oldest first; an item set aside is not one."""
    statement = (
        select(StoredItem)
        .where(col(StoredItem.published_at).is_(None), col(StoredItem.set_aside_at).is_(None))
        .order_by(col(StoredItem.received_at))
        .limit(limit)
    )
    return list((await session.exec(statement)).all())


async def mark_published(session: AsyncSession, ids: Sequence[UUID]) -> None:
    await session.exec(update(StoredItem).where(col(StoredItem.id).in_(ids)).values(published_at=utcnow()))


async def set_aside(session: AsyncSession, item_id: UUID, reason: str) -> None:
    """Take an item the broker refuses for good out of the relay's way, with why."""
    await session.exec(
        update(StoredItem).where(col(StoredItem.id) == item_id).values(set_aside_at=utcnow(), set_aside_reason=reason)
    )


# --- connectors: webhook deliveries, raw vendor records, sync cursors ------------------------------


class WebhookDelivery(SQLModel, table=True):
    """Every verified webhook delivery, raw, once: a replay finds its row and changes nothing."""

    __tablename__ = "webhook_deliveries"

    source: str = Field(primary_key=True, max_length=40)
    delivery_id: str = Field(primary_key=True, max_length=200)
    # SHA-256 of the body, unique per source: a signature covers the body, not the delivery id (GitHub's and
    # Jira's are plain headers), so a captured body sent again under a new id is still the same delivery.
    # None only for a repeated body held from before ingest_0006.
    digest: str | None = Field(default=None, max_length=64)
    event: str = Field(max_length=200)
    item_ids: str = Field(sa_column=Column(Text, nullable=False))
    body: str = Field(sa_column=Column(Text, nullable=False))
    received_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))


REFUSAL_REASON_LENGTH = 500


class WebhookRejection(SQLModel, table=True):
    """A delivery refused before it was read (bad or missing signature, stale timestamp); its body is not kept.

    Anyone can cause one: the reason is cut to REFUSAL_REASON_LENGTH, and jobs.prune_rejections bounds the rows."""

    __tablename__ = "webhook_rejections"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    source: str = Field(max_length=40, index=True)
    reason: str = Field(sa_column=Column(Text, nullable=False))
    rejected_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False, index=True))


class SourceRecord(SQLModel, table=True):
    """The vendor's own record behind an item, as last received, for re-processing."""

    __tablename__ = "source_records"

    item_id: UUID = Field(primary_key=True)
    source: str = Field(max_length=40)
    source_id: str = Field(max_length=200)
    origin: str = Field(max_length=20)
    record: str = Field(sa_column=Column(Text, nullable=False))
    received_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    # When the vendor last changed the record (Connector.versioned sources): an older version never replaces it.
    vendor_updated_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


async def record_delivery(
    session: AsyncSession, source: str, delivery_id: str, event: str, item_ids: Sequence[UUID], body: bytes
) -> bool:
    """Record a delivery; False when it was recorded before (a replay): the same delivery id, or the same body."""
    statement = (
        upsert_insert(session)(WebhookDelivery)
        .values(
            source=source,
            delivery_id=delivery_id,
            digest=hashlib.sha256(body).hexdigest(),
            event=event[:200],
            item_ids=json.dumps([str(item_id) for item_id in item_ids]),
            body=body.decode(errors="replace"),
            received_at=utcnow(),
        )
        .on_conflict_do_nothing()  # either key: (source, delivery_id) or (source, digest)
    )
    result = await session.exec(statement)
    return bool(result.rowcount)


def record_webhook_rejection(session: AsyncSession, source: str, reason: str) -> None:
    session.add(WebhookRejection(source=source, reason=reason[:REFUSAL_REASON_LENGTH]))


async def keep_records(session: AsyncSession, records: Sequence[tuple[FeedbackItem, Feedback]], origin: str) -> None:
    """Keep (or refresh) the vendor record behind each item."""
    if not records:
        return
    insert = upsert_insert(session)
    rows = [
        {
            "item_id": item.id,
            "source": item.source.value,
            "source_id": item.source_id or "",
            "origin": origin,
            "record": json.dumps(piece.record, default=str),
            "received_at": item.received_at,
            "vendor_updated_at": piece.updated_at,
        }
        for item, piece in records
    ]
    statement = insert(SourceRecord).values(rows)
    statement = statement.on_conflict_do_update(
        index_elements=["item_id"],
        set_={
            "record": statement.excluded.record,
            "origin": statement.excluded.origin,
            "received_at": statement.excluded.received_at,
            # A record that does not say when it changed keeps the version known.
            "vendor_updated_at": func.coalesce(statement.excluded.vendor_updated_at, SourceRecord.vendor_updated_at),
        },
    )
    await session.exec(statement)


async def record_versions(session: AsyncSession, ids: Sequence[UUID]) -> dict[UUID, datetime]:
    """When the vendor last changed the record held behind each item, where it says so."""
    if not ids:
        return {}
    rows = await session.exec(
        select(SourceRecord.item_id, SourceRecord.vendor_updated_at).where(col(SourceRecord.item_id).in_(ids))
    )
    return {item_id: version for item_id, version in rows.all() if version is not None}


# --- edits at the source: feedback.updated, through an outbox of its own ----------------------------


class StoredUpdate(SQLModel, table=True):
    """A change of an item's content at its source, kept as the event to publish (after its item's)."""

    __tablename__ = "feedback_updates"

    event_id: UUID = Field(primary_key=True)
    item_id: UUID = Field(index=True)
    event: str = Field(sa_column=Column(Text, nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))
    published_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), index=True))
    trace_context: dict[str, str] | None = Field(default=None, sa_column=Column(JSON))
    set_aside_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    set_aside_reason: str | None = Field(default=None, sa_column=Column(Text))

    @property
    def outbox_id(self) -> UUID:
        return self.event_id

    @property
    def outgoing(self) -> OutgoingMessage:
        return OutgoingMessage(
            topic=FeedbackUpdated.TOPIC, key=str(self.item_id), body=self.event, trace_context=self.trace_context or {}
        )


def add_update(session: AsyncSession, event: FeedbackUpdated) -> None:
    session.add(
        StoredUpdate(
            event_id=event.event_id,
            item_id=event.payload.item_id,
            event=event.model_dump_json(),
            updated_at=event.payload.updated_at,
            trace_context=trace_carrier(),
        )
    )


async def announced_content(session: AsyncSession, ids: Sequence[UUID]) -> dict[UUID, FeedbackItem]:
    """The version last announced of each item held: its newest update, else the item as first received."""
    if not ids:
        return {}
    items = await session.exec(select(StoredItem.id, StoredItem.event).where(col(StoredItem.id).in_(ids)))
    announced: dict[UUID, FeedbackItem] = {
        item_id: FeedbackReceived.model_validate_json(event).payload for item_id, event in items.all()
    }
    updates = await session.exec(
        select(StoredUpdate.event).where(col(StoredUpdate.item_id).in_(ids)).order_by(col(StoredUpdate.updated_at))
    )
    for event in updates.all():
        update = FeedbackUpdated.model_validate_json(event).payload
        announced[update.item_id] = update.item
    return announced


async def unpublished_updates(session: AsyncSession, limit: int) -> list[StoredUpdate]:
    """Updates to publish, oldest first, once their item itself is published (so consumers know it): the updates
    of an item set aside wait with it."""
    statement = (
        select(StoredUpdate)
        .join(StoredItem, col(StoredItem.id) == col(StoredUpdate.item_id))
        .where(
            col(StoredUpdate.published_at).is_(None),
            col(StoredUpdate.set_aside_at).is_(None),
            col(StoredItem.published_at).is_not(None),
        )
        .order_by(col(StoredUpdate.updated_at))
        .limit(limit)
    )
    return list((await session.exec(statement)).all())


async def mark_updates_published(session: AsyncSession, event_ids: Sequence[UUID]) -> None:
    await session.exec(
        update(StoredUpdate).where(col(StoredUpdate.event_id).in_(event_ids)).values(published_at=utcnow())
    )


async def set_update_aside(session: AsyncSession, event_id: UUID, reason: str) -> None:
    """Take an update the broker refuses for good out of the relay's way, with why."""
    await session.exec(
        update(StoredUpdate)
        .where(col(StoredUpdate.event_id) == event_id)
        .values(set_aside_at=utcnow(), set_aside_reason=reason)
    )


class SetAside(BaseModel):
    """An event either outbox set aside, as an admin reads it."""

    topic: str
    item_id: UUID
    reason: str
    set_aside_at: datetime
    event_bytes: int


async def set_aside_events(session: AsyncSession, limit: int) -> list[SetAside]:
    """What either outbox set aside, the newest first."""
    item_set_aside, update_set_aside = col(StoredItem.set_aside_at), col(StoredUpdate.set_aside_at)
    items = await session.exec(
        select(StoredItem).where(item_set_aside.is_not(None)).order_by(item_set_aside.desc()).limit(limit)
    )
    updates = await session.exec(
        select(StoredUpdate).where(update_set_aside.is_not(None)).order_by(update_set_aside.desc()).limit(limit)
    )
    rows: list[StoredItem | StoredUpdate] = [*items.all(), *updates.all()]
    listed = [
        SetAside(
            topic=row.outgoing.topic,
            item_id=row.item_id,
            reason=row.set_aside_reason or "",
            set_aside_at=row.set_aside_at,
            event_bytes=len(row.event.encode()),
        )
        for row in rows
        if row.set_aside_at is not None
    ]
    return sorted(listed, key=lambda entry: entry.set_aside_at, reverse=True)[:limit]
