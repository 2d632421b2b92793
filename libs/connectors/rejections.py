"""The rejected_payloads table a service that takes in outside data keeps (each in its own database), its insert, and
the pruning that bounds it.

What could not be taken in (a sync's record, a webhook's body, a bad import) is kept with its reason, for whoever
sent it. Like sync_cursors, each service creates the table in its own migration; the model is shared so that a
rejection is kept the same way everywhere.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid4

from sqlalchemy import Column, Text, delete, or_
from sqlalchemy.orm import Mapped
from sqlmodel import Field, SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.runtime.database import UTCDateTime
from libs.schemas.events import utcnow

REASON_LENGTH = 2_000
BODY_LENGTH = 20_000


class RejectedPayload(SQLModel, table=True):
    __tablename__ = "rejected_payloads"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    source: str = Field(max_length=40)
    reason: str = Field(sa_column=Column(Text, nullable=False))
    body: str = Field(sa_column=Column(Text, nullable=False))
    rejected_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False, index=True))


def record_rejection(session: AsyncSession, source: str, reason: str, body: bytes) -> None:
    session.add(
        RejectedPayload(source=source, reason=reason[:REASON_LENGTH], body=body[:BODY_LENGTH].decode(errors="replace"))
    )


async def prune(
    session: AsyncSession, table: type[SQLModel], stamp: Mapped[datetime], before: datetime, keep: int
) -> int:
    """Delete the rows of `table` older than `before` (by their `stamp` column) and all but the newest `keep`; returns
    how many went. Rows as old as the first one past `keep` go with it, so never more than `keep` stay."""
    boundary = (await session.exec(select(stamp).order_by(stamp.desc()).offset(keep).limit(1))).first()
    expired = stamp < before if boundary is None else or_(stamp < before, stamp <= boundary)
    result = await session.exec(delete(table).where(expired))
    return int(result.rowcount)
