"""The inbox: one row per message a consumer has handled, with what it published in reply.

Work and the inbox row commit in one transaction. A redelivered message (the consumer died
before its offset commit) finds its row and republishes the stored replies, byte for byte, so
nothing is lost and downstream, idempotent on event_id, nothing is doubled.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel
from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.runtime.database import UTCDateTime
from libs.schemas.events import Envelope, utcnow


class OutgoingMessage(BaseModel):
    topic: str
    key: str | None
    body: str

    @classmethod
    def of(cls, message: Envelope) -> OutgoingMessage:
        key = message.key
        return cls(topic=message.TOPIC, key=key.decode() if key else None, body=message.model_dump_json())


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
    result = await session.exec(
        select(InboxEntry).where(InboxEntry.event_id == event_id, InboxEntry.consumer == consumer)
    )
    return result.first()


def record(session: AsyncSession, event_id: UUID, consumer: str, topic: str, outgoing: list[OutgoingMessage]) -> None:
    session.add(
        InboxEntry(
            event_id=event_id,
            consumer=consumer,
            topic=topic,
            outcome="handled",
            published=[message.model_dump() for message in outgoing],
        )
    )
