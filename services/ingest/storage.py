"""Ingest's durable store: every accepted item, kept as the event to publish (an outbox),
and every rejected payload with its reason."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID, uuid4

from sqlalchemy import Column, Text, update
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.runtime.database import UTCDateTime
from libs.schemas.events import FeedbackReceived, utcnow


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
