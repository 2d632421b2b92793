"""The rejected_payloads table a service that takes in outside data keeps (each in its own database), and its insert.

What could not be taken in (a sync's record, a webhook's body, a bad import) is kept with its reason, for whoever
sent it. Like sync_cursors, each service creates the table in its own migration; the model is shared so that a
rejection is kept the same way everywhere.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid4

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.runtime.database import UTCDateTime
from libs.schemas.events import utcnow


class RejectedPayload(SQLModel, table=True):
    __tablename__ = "rejected_payloads"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    source: str = Field(max_length=40)
    reason: str = Field(sa_column=Column(Text, nullable=False))
    body: str = Field(sa_column=Column(Text, nullable=False))
    rejected_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


def record_rejection(session: AsyncSession, source: str, reason: str, body: bytes) -> None:
    session.add(RejectedPayload(source=source, reason=reason, body=body[:20_000].decode(errors="replace")))
