"""Ingest's durable store: every accepted item, kept as the event to publish (an outbox),
every rejected payload with its reason, and the connectors' deliveries and raw records (the sync cursors are
libs/connectors/cursors.py's table)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import Column, Text, update
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.runtime.database import UTCDateTime, upsert_insert
from libs.schemas.events import FeedbackReceived, utcnow
from libs.schemas.feedback import FeedbackItem


class StoredItem(SQLModel, table=True):
    __tablename__ = "feedback_items"

    id: UUID = Field(primary_key=True)
    source: str = Field(max_length=40)
    source_id: str | None = Field(default=None, max_length=200)
    event: str = Field(sa_column=Column(Text, nullable=False))
    received_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))
    published_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), index=True))


class RejectedPayload(SQLModel, table=True):
    __tablename__ = "rejected_payloads"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    source: str = Field(max_length=40)
    reason: str = Field(sa_column=Column(Text, nullable=False))
    body: str = Field(sa_column=Column(Text, nullable=False))
    rejected_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


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
    await session.exec(  # type: ignore[call-overload]
        update(StoredItem).where(col(StoredItem.id).in_(ids)).values(published_at=utcnow())
    )


def record_rejection(session: AsyncSession, source: str, reason: str, body: bytes) -> None:
    session.add(RejectedPayload(source=source, reason=reason, body=body[:20_000].decode(errors="replace")))


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
    result = await session.exec(statement)  # type: ignore[call-overload]
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
    await session.exec(statement)  # type: ignore[call-overload]
