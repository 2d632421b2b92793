"""Who asked for what, which items duplicate which, and which theme holds each item (folded from
feedback and theme events), opt-outs, and every notification: planned (pending), being sent, then
sent or failed, then announced."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Any, Literal
from uuid import UUID

from sqlalchemy import Column, Text, or_, update
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.runtime.database import UTCDateTime, upsert_insert
from libs.schemas.commands import OptOut
from libs.schemas.events import Notification
from libs.schemas.feedback import Tier
from services.notify import domain
from services.notify.domain import Planned, Requester

Outcome = Literal["sent", "failed"]


class RequesterRecord(SQLModel, table=True):
    __tablename__ = "requesters"

    item_id: UUID = Field(primary_key=True)
    email: str | None = Field(default=None, max_length=320)
    company: str | None = Field(default=None, max_length=200)
    tier: str | None = Field(default=None, max_length=20)
    customer_id: str | None = Field(default=None, max_length=200)
    name: str | None = Field(default=None, max_length=200)
    title: str = Field(default="", max_length=500)
    description: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))

    def as_requester(self) -> Requester:
        return Requester(
            item_id=self.item_id,
            email=self.email,
            company=self.company,
            tier=Tier(self.tier) if self.tier else None,
            customer_id=self.customer_id,
            name=self.name,
            title=self.title,
            description=self.description,
        )


class DuplicateRecord(SQLModel, table=True):
    """What dedupe decided about an item, and whether a person said it is no duplicate; newest of each wins."""

    __tablename__ = "duplicates"

    item_id: UUID = Field(primary_key=True)
    duplicate_of: UUID | None = None
    deduped_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    not_duplicate: bool = False
    overridden_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


class ThemeMemberRecord(SQLModel, table=True):
    """The theme an item is in, as of the newest feedback.themed about it."""

    __tablename__ = "theme_members"

    item_id: UUID = Field(primary_key=True)
    theme_id: UUID = Field(index=True)
    themed_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class ThemeRecord(SQLModel, table=True):
    """The theme a theme was merged into (None: it stands), as of its newest themes.changed."""

    __tablename__ = "themes"

    id: UUID = Field(primary_key=True)
    merged_into: UUID | None = Field(default=None, index=True)
    changed_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class OptOutRecord(SQLModel, table=True):
    __tablename__ = "opt_outs"

    customer: str = Field(primary_key=True, max_length=320)
    channel: str = Field(primary_key=True, max_length=20)
    opted_out: bool
    actor: str = Field(max_length=200)
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class NotificationRecord(SQLModel, table=True):
    """One message; the row is stored before anything is sent, so a replay or a crash never sends it twice."""

    __tablename__ = "notifications"

    id: UUID = Field(primary_key=True)
    launch_id: UUID = Field(index=True)
    channel: str = Field(max_length=20)
    customer_key: str = Field(max_length=400)
    customer_email: str | None = Field(default=None, max_length=320)
    address: str = Field(max_length=400)
    subject: str = Field(max_length=400)
    notification: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(default="pending", max_length=10, index=True)
    attempts: int = 0
    reason: str | None = Field(default=None, sa_column=Column(Text))
    claimed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    sent_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    announced: bool = Field(default=False, index=True)

    def as_planned(self) -> Planned:
        return Planned(
            notification=Notification.model_validate_json(self.notification),
            customer_key=self.customer_key,
            address=self.address,
            subject=self.subject,
        )

    def as_notification(self) -> Notification:
        """The notification as announced: how its delivery went."""
        return Notification.model_validate_json(self.notification).model_copy(
            update={
                "status": self.status,
                "reason": self.reason,
                "attempts": max(self.attempts, 1),
                "sent_at": self.sent_at,
            }
        )


# --- who asked ----------------------------------------------------------------------------------


async def remember_requester(session: AsyncSession, requester: Requester) -> None:
    await session.merge(
        RequesterRecord(
            item_id=requester.item_id,
            email=requester.email,
            company=requester.company,
            tier=requester.tier.value if requester.tier else None,
            customer_id=requester.customer_id,
            name=requester.name,
            title=requester.title[:500],
            description=requester.description,
        )
    )


async def remember_duplicate(session: AsyncSession, item_id: UUID, duplicate_of: UUID | None, at: datetime) -> None:
    """Record dedupe's decision about an item, unless a newer one is already recorded."""
    values: dict[str, object] = {"duplicate_of": duplicate_of, "deduped_at": at}
    await _upsert_newer(session, DuplicateRecord, {"item_id": item_id}, values, col(DuplicateRecord.deduped_at), at)


async def remember_not_duplicate(session: AsyncSession, item_id: UUID, not_duplicate: bool, at: datetime) -> None:
    """Record a person's word on whether the item is a duplicate, unless a newer one is already recorded."""
    values: dict[str, object] = {"not_duplicate": not_duplicate, "overridden_at": at}
    await _upsert_newer(session, DuplicateRecord, {"item_id": item_id}, values, col(DuplicateRecord.overridden_at), at)


async def remember_membership(session: AsyncSession, item_id: UUID, theme_id: UUID, at: datetime) -> None:
    """Record the theme an item joined, unless a newer move of the item is already recorded."""
    values: dict[str, object] = {"theme_id": theme_id, "themed_at": at}
    await _upsert_newer(session, ThemeMemberRecord, {"item_id": item_id}, values, col(ThemeMemberRecord.themed_at), at)


async def remember_theme(session: AsyncSession, theme_id: UUID, merged_into: UUID | None, at: datetime) -> None:
    """Record where a theme was merged into (or that it stands), unless a newer change is already recorded."""
    values: dict[str, object] = {"merged_into": merged_into, "changed_at": at}
    await _upsert_newer(session, ThemeRecord, {"id": theme_id}, values, col(ThemeRecord.changed_at), at)


async def _upsert_newer(
    session: AsyncSession,
    table: type[SQLModel],
    key: dict[str, UUID],
    values: dict[str, object],
    stamp: Any,
    at: datetime,
) -> None:
    statement = upsert_insert(session)(table).values(**key, **values)
    statement = statement.on_conflict_do_update(
        index_elements=list(key), set_=values, where=or_(stamp.is_(None), stamp < at)
    )
    await session.exec(statement)


async def duplicate_cluster(session: AsyncSession, linked: Collection[UUID]) -> set[UUID]:
    """The linked items and their duplicates, either way, transitively; a person's 'not a duplicate' cuts a link."""
    not_cut = col(DuplicateRecord.not_duplicate).is_(False)
    return await _cluster(session, linked, col(DuplicateRecord.item_id), col(DuplicateRecord.duplicate_of), not_cut)


async def theme_cluster(session: AsyncSession, theme_ids: Collection[UUID]) -> set[UUID]:
    """The linked themes, those they were merged into, and those merged into them, transitively."""
    return await _cluster(session, theme_ids, col(ThemeRecord.id), col(ThemeRecord.merged_into))


async def _cluster(session: AsyncSession, start: Collection[UUID], child: Any, parent: Any, *only: Any) -> set[UUID]:
    """Grow `start` along the (child, parent) links of one table until nothing joins."""
    cluster = set(start)
    while True:
        rows = await session.exec(
            select(child, parent).where(parent.is_not(None), *only, or_(child.in_(cluster), parent.in_(cluster)))
        )
        grown = domain.cluster(start, [(item, linked) for item, linked in rows.all() if linked])
        if grown == cluster:
            return cluster
        cluster = grown


async def items_in_themes(session: AsyncSession, theme_ids: Collection[UUID]) -> set[UUID]:
    """The items these themes hold now."""
    if not theme_ids:
        return set()
    rows = await session.exec(select(ThemeMemberRecord.item_id).where(col(ThemeMemberRecord.theme_id).in_(theme_ids)))
    return set(rows.all())


async def requesters_of(session: AsyncSession, item_ids: Collection[UUID]) -> list[Requester]:
    if not item_ids:
        return []
    rows = await session.exec(select(RequesterRecord).where(col(RequesterRecord.item_id).in_(item_ids)))
    return [row.as_requester() for row in rows.all()]


# --- opt-outs -----------------------------------------------------------------------------------


async def set_opt_out(session: AsyncSession, opt_out: OptOut, at: datetime) -> None:
    """Record an opt-out (or opt-in) unless a newer word on the same customer and channel is recorded."""
    values = {"opted_out": opt_out.opted_out, "actor": opt_out.actor, "updated_at": at}
    statement = upsert_insert(session)(OptOutRecord).values(
        customer=opt_out.customer.lower(), channel=opt_out.channel or domain.EVERY_CHANNEL, **values
    )
    statement = statement.on_conflict_do_update(
        index_elements=[col(OptOutRecord.customer), col(OptOutRecord.channel)],
        set_=values,
        where=col(OptOutRecord.updated_at) < at,
    )
    await session.exec(statement)


async def opt_outs(session: AsyncSession, customers: Collection[str]) -> set[tuple[str, str]]:
    """The (customer, channel) opt-outs in force among these customers ('*': every channel)."""
    if not customers:
        return set()
    rows = await session.exec(
        select(OptOutRecord.customer, OptOutRecord.channel).where(
            col(OptOutRecord.customer).in_(customers), col(OptOutRecord.opted_out).is_(True)
        )
    )
    return {(customer, channel) for customer, channel in rows.all()}


# --- notifications ------------------------------------------------------------------------------


async def add_planned(session: AsyncSession, planned: Sequence[Planned]) -> None:
    """Store planned messages as pending; one stored before (a replay) stays as it is."""
    if not planned:
        return
    rows = [
        {
            "id": message.notification.id,
            "launch_id": message.notification.launch_id,
            "channel": message.notification.channel,
            "customer_key": message.customer_key,
            "customer_email": message.notification.customer_email,
            "address": message.address,
            "subject": message.subject,
            "notification": message.notification.model_dump_json(),
            "status": "pending",
            "attempts": 0,
            "announced": False,
        }
        for message in planned
    ]
    await session.exec(upsert_insert(session)(NotificationRecord).values(rows).on_conflict_do_nothing())


async def claim(session: AsyncSession, now: datetime, lease: timedelta, limit: int) -> list[NotificationRecord]:
    """Take pending messages (and those whose sender died mid-send) for sending; each goes to one sender."""
    claimable = or_(
        col(NotificationRecord.status) == "pending",
        (col(NotificationRecord.status) == "sending") & (col(NotificationRecord.claimed_at) < now - lease),
    )
    candidates = (await session.exec(select(NotificationRecord).where(claimable).limit(limit))).all()
    claimed = []
    for row in candidates:
        # Compare-and-set: another sender that took the row first leaves nothing to update.
        result = await session.exec(
            update(NotificationRecord)
            .where(col(NotificationRecord.id) == row.id, col(NotificationRecord.status) == row.status)
            .where(
                or_(col(NotificationRecord.claimed_at).is_(None), col(NotificationRecord.claimed_at) == row.claimed_at)
            )
            .values(status="sending", claimed_at=now)
        )
        if result.rowcount == 1:
            claimed.append(row)
    return claimed


async def finish(
    session: AsyncSession, notification_id: UUID, outcome: Outcome, reason: str | None, attempts: int, at: datetime
) -> None:
    """Record how sending a message ended."""
    await session.exec(
        update(NotificationRecord)
        .where(col(NotificationRecord.id) == notification_id)
        .values(status=outcome, reason=reason, attempts=attempts, sent_at=at)
    )


async def unannounced(session: AsyncSession, limit: int) -> Sequence[NotificationRecord]:
    """Messages whose outcome is recorded but not yet published."""
    statement = (
        select(NotificationRecord)
        .where(col(NotificationRecord.status).in_(["sent", "failed"]), col(NotificationRecord.announced).is_(False))
        .limit(limit)
    )
    return (await session.exec(statement)).all()


async def mark_announced(session: AsyncSession, notification_ids: Collection[UUID]) -> None:
    await session.exec(
        update(NotificationRecord).where(col(NotificationRecord.id).in_(notification_ids)).values(announced=True)
    )


async def of_launch(session: AsyncSession, launch_id: UUID) -> Sequence[NotificationRecord]:
    """Every message about a launch."""
    return (await session.exec(select(NotificationRecord).where(col(NotificationRecord.launch_id) == launch_id))).all()
