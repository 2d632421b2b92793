"""Who asked for what (folded from feedback.enriched), and every notification sent."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.runtime.database import UTCDateTime
from libs.schemas.events import Notification
from libs.schemas.feedback import Tier
from services.notify.domain import Requester


class RequesterRecord(SQLModel, table=True):
    __tablename__ = "requesters"

    item_id: UUID = Field(primary_key=True)
    email: str | None = Field(default=None, max_length=320)
    company: str | None = Field(default=None, max_length=200)
    tier: str | None = Field(default=None, max_length=20)

    def as_requester(self) -> Requester:
        return Requester(
            item_id=self.item_id, email=self.email, company=self.company, tier=Tier(self.tier) if self.tier else None
        )


class NotificationRecord(SQLModel, table=True):
    __tablename__ = "notifications"

    id: UUID = Field(primary_key=True)
    launch_id: UUID = Field(index=True)
    channel: str = Field(max_length=20)
    customer_email: str | None = Field(default=None, max_length=320)
    notification: str = Field(sa_column=Column(Text, nullable=False))
    sent_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


async def remember_requester(session: AsyncSession, requester: Requester) -> None:
    await session.merge(
        RequesterRecord(
            item_id=requester.item_id,
            email=requester.email,
            company=requester.company,
            tier=requester.tier.value if requester.tier else None,
        )
    )


async def requesters_of(session: AsyncSession, item_ids: Sequence[UUID]) -> list[Requester]:
    if not item_ids:
        return []
    rows = await session.exec(select(RequesterRecord).where(col(RequesterRecord.item_id).in_(item_ids)))
    return [row.as_requester() for row in rows.all()]


async def already_sent(session: AsyncSession, notification_ids: Sequence[UUID]) -> set[UUID]:
    if not notification_ids:
        return set()
    rows = await session.exec(select(NotificationRecord.id).where(col(NotificationRecord.id).in_(notification_ids)))
    return set(rows.all())


def record_sent(session: AsyncSession, notification: Notification) -> None:
    session.add(
        NotificationRecord(
            id=notification.id,
            launch_id=notification.launch_id,
            channel=notification.channel,
            customer_email=notification.customer_email,
            notification=notification.model_dump_json(),
            sent_at=notification.sent_at,
        )
    )
