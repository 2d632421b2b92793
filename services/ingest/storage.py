"""Ingest's durable store: every accepted item, kept as the event to publish (an outbox), and the connectors'
deliveries and raw records (the sync cursors and the rejected payloads are libs/connectors' tables)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import JSON, Column, Text, update
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.runtime.database import UTCDateTime, upsert_insert
from libs.runtime.inbox import OutgoingMessage
from libs.runtime.telemetry import trace_carrier
from libs.schemas.events import FeedbackReceived, FeedbackUpdated, utcnow
from libs.schemas.feedback import FeedbackItem


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

    @property
    def outbox_id(self) -> UUID:
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
    statement = (
        select(StoredItem)
        .where(col(StoredItem.published_at).is_(None))
        .order_by(col(StoredItem.received_at))
        .limit(limit)
    )
    return list((await session.exec(statement)).all())


async def mark_published(session: AsyncSession, ids: Sequence[UUID]) -> None:
    await session.exec(update(StoredItem).where(col(StoredItem.id).in_(ids)).values(published_at=utcnow()))


# --- connectors: webhook deliveries, raw vendor records, sync cursors ------------------------------


class WebhookDelivery(SQLModel, table=True):
    """Every verified webhook delivery, raw, once: a replay finds its row and changes nothing."""

    __tablename__ = "webhook_deliveries"

    source: str = Field(primary_key=True, max_length=40)
    delivery_id: str = Field(primary_key=True, max_length=200)
    event: str = Field(max_length=200)
    item_ids: str = Field(sa_column=Column(Text, nullable=False))
    body: str = Field(sa_column=Column(Text, nullable=False))
    received_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))


class WebhookRejection(SQLModel, table=True):
    """A delivery refused before it was read (bad or missing signature, stale timestamp); its body is not kept."""

    __tablename__ = "webhook_rejections"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    source: str = Field(max_length=40, index=True)
    reason: str = Field(sa_column=Column(Text, nullable=False))
    rejected_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class SourceRecord(SQLModel, table=True):
    """The vendor's own record behind an item, as last received, for re-processing."""

    __tablename__ = "source_records"

    item_id: UUID = Field(primary_key=True)
    source: str = Field(max_length=40)
    source_id: str = Field(max_length=200)
    origin: str = Field(max_length=20)
    record: str = Field(sa_column=Column(Text, nullable=False))
    received_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


async def record_delivery(
    session: AsyncSession, source: str, delivery_id: str, event: str, item_ids: Sequence[UUID], body: bytes
) -> bool:
    """Record a delivery; False when it was recorded before (a replay)."""
    statement = (
        upsert_insert(session)(WebhookDelivery)
        .values(
            source=source,
            delivery_id=delivery_id,
            event=event[:200],
            item_ids=json.dumps([str(item_id) for item_id in item_ids]),
            body=body.decode(errors="replace"),
            received_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["source", "delivery_id"])
    )
    result = await session.exec(statement)
    return bool(result.rowcount)


def record_webhook_rejection(session: AsyncSession, source: str, reason: str) -> None:
    session.add(WebhookRejection(source=source, reason=reason))


async def keep_records(
    session: AsyncSession, records: Sequence[tuple[FeedbackItem, dict[str, Any]]], origin: str
) -> None:
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
            "record": json.dumps(record, default=str),
            "received_at": item.received_at,
        }
        for item, record in records
    ]
    statement = insert(SourceRecord).values(rows)
    statement = statement.on_conflict_do_update(
        index_elements=["item_id"],
        set_={
            "record": statement.excluded.record,
            "origin": statement.excluded.origin,
            "received_at": statement.excluded.received_at,
        },
    )
    await session.exec(statement)


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
    """Updates to publish, oldest first, once their item itself is published (so consumers know it)."""
    statement = (
        select(StoredUpdate)
        .join(StoredItem, col(StoredItem.id) == col(StoredUpdate.item_id))
        .where(col(StoredUpdate.published_at).is_(None), col(StoredItem.published_at).is_not(None))
        .order_by(col(StoredUpdate.updated_at))
        .limit(limit)
    )
    return list((await session.exec(statement)).all())


async def mark_updates_published(session: AsyncSession, event_ids: Sequence[UUID]) -> None:
    await session.exec(
        update(StoredUpdate).where(col(StoredUpdate.event_id).in_(event_ids)).values(published_at=utcnow())
    )
