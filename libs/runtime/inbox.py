"""The inbox: one row per message a consumer has handled, with what it published in reply.

Work and the inbox row commit in one transaction. A redelivered message (the consumer died
before its offset commit) finds its row and republishes the stored replies, byte for byte, so
nothing is lost and downstream, idempotent on event_id, nothing is doubled.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel
from sqlalchemy import JSON, Column, insert
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.runtime.database import UTCDateTime
from libs.runtime.telemetry import trace_carrier
from libs.schemas.events import Envelope, utcnow


class OutgoingMessage(BaseModel):
    topic: str
    key: str | None
    body: str
    # W3C trace context (traceparent, tracestate) of the work that made the message, when it is published later.
    trace_context: dict[str, str] = {}

    @classmethod
    def of(cls, message: Envelope) -> OutgoingMessage:
        """The message to publish, in the trace of the work that made it."""
        key = message.key
        return cls(
            topic=message.TOPIC,
            key=key.decode() if key else None,
            body=message.model_dump_json(),
            trace_context=trace_carrier(),
        )


class InboxEntry(SQLModel, table=True):
    __tablename__ = "inbox"

    event_id: UUID = Field(primary_key=True)
    consumer: str = Field(primary_key=True, max_length=100)
    topic: str = Field(max_length=200)
    outcome: str = Field(max_length=20)
    published: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    handled_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))

    @property
    def outgoing(self) -> list[OutgoingMessage]:
        return [OutgoingMessage.model_validate(item) for item in self.published]


async def find(session: AsyncSession, event_id: UUID, consumer: str) -> InboxEntry | None:
    return (await find_many(session, [event_id], consumer)).get(event_id)


async def find_many(session: AsyncSession, event_ids: Sequence[UUID], consumer: str) -> dict[UUID, InboxEntry]:
    """The rows of consumer `consumer` among these messages, by event id: one query for a batch."""
    result = await session.exec(
        select(InboxEntry).where(col(InboxEntry.event_id).in_(set(event_ids)), InboxEntry.consumer == consumer)
    )
    return {entry.event_id: entry for entry in result.all()}


async def record_many(
    session: AsyncSession, consumer: str, handled: Sequence[tuple[UUID, str, list[OutgoingMessage]]]
) -> None:
    """One row per (event id, topic, replies) handled, in one INSERT."""
    now = utcnow()
    rows = [
        {
            "event_id": event_id,
            "consumer": consumer,
            "topic": topic,
            "outcome": "handled",
            "published": [message.model_dump() for message in outgoing],
            "handled_at": now,
        }
        for event_id, topic, outgoing in handled
    ]
    if rows:
        await session.exec(insert(InboxEntry).values(rows))
