"""The gateway's read model: its tables, and the folds that keep each row as of the newest event about it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any, cast
from uuid import UUID

from sqlalchemy import JSON, Column, Date, Table, Text, bindparam, inspect, update
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import BindParameter
from sqlmodel import Field as SQLField
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import Select, SelectOfScalar

from libs.runtime.database import UTCDateTime, upsert_insert
from libs.schemas.events import CommandRejected, NotificationSent, ThemeChanged
from services.gateway import domain


def _timestamp(*, index: bool = False, nullable: bool = True) -> Any:
    return SQLField(default=None, sa_column=Column(UTCDateTime(), index=index, nullable=nullable))


def _json(*, nullable: bool = True) -> Any:
    return SQLField(default=None, sa_column=Column(JSON, nullable=nullable))


class FeedbackView(SQLModel, table=True):
    """One feedback item folded from every event about it; hidden until its base fields arrive."""

    __tablename__ = "feedback_view"

    item_id: UUID = SQLField(primary_key=True)
    # Base fields, from feedback.received (or feedback.enriched when received is late).
    source: str | None = SQLField(default=None, index=True)
    source_id: str | None = None
    title: str | None = None
    description: str | None = SQLField(default=None, sa_column=Column(Text))
    url: str | None = None
    votes: int | None = None
    status: str | None = SQLField(default=None, index=True)
    created_at: datetime | None = _timestamp(index=True)
    received_at: datetime | None = _timestamp()
    submitted_category: str | None = None
    submitted_priority: str | None = None
    submitted_sentiment_score: float | None = None
    submitted_tags: list[str] | None = _json()
    submitted_product_area: str | None = None
    # The customer, as enrich matched it (or as submitted until then).
    customer_id: str | None = SQLField(default=None, index=True)
    customer_email: str | None = None
    customer_name: str | None = None
    customer_company: str | None = None
    customer_tier: str | None = SQLField(default=None, index=True)
    customer_arr: float | None = None
    customer_health: float | None = None
    customer_at_risk: bool | None = None
    customer_known: bool | None = None
    # The AI's triage and dedupe, and the people's overrides.
    triage: dict[str, Any] | None = _json()
    similar_items: list[dict[str, Any]] | None = _json()
    suggested_duplicate_of: UUID | None = None
    duplicate_score: float | None = None
    overrides: list[dict[str, Any]] | None = _json()
    # Effective values (override, else AI, else submitted), flattened for filters.
    category: str | None = SQLField(default=None, index=True)
    priority: str | None = SQLField(default=None, index=True)
    product_area: str | None = SQLField(default=None, index=True)
    tags: list[str] | None = _json()
    sentiment_score: float | None = None
    sentiment_label: str | None = SQLField(default=None, index=True)
    duplicate_of: UUID | None = SQLField(default=None, index=True)
    duplicate_state: str | None = None
    # The top of the item's duplicate chain (None when the item stands alone): its votes count there.
    duplicate_root: UUID | None = SQLField(default=None, index=True)
    # Dedupe's newest link (state, who, when), the item's theme, and what enrich knew of the customer.
    duplicate_link: dict[str, Any] | None = _json()
    theme_id: UUID | None = SQLField(default=None, index=True)
    theme_score: float | None = None
    customer_history: dict[str, Any] | None = _json()
    # Version stamps: the occurred_at of the newest event of each kind folded in.
    received_event_at: datetime | None = _timestamp()
    enriched_at: datetime | None = _timestamp()
    triaged_at: datetime | None = _timestamp()
    deduped_at: datetime | None = _timestamp()
    linked_at: datetime | None = _timestamp()
    themed_at: datetime | None = _timestamp()
    updated_at: datetime = _timestamp(nullable=False)


class ThemeView(SQLModel, table=True):
    """A theme's name and history as of its newest themes.changed; its numbers are computed from the items."""

    __tablename__ = "themes_view"

    theme_id: UUID = SQLField(primary_key=True)
    name: str
    name_source: str
    keywords: list[str] = _json(nullable=False)
    summary: str | None = None
    merged_into: UUID | None = None
    created_at: datetime = _timestamp(nullable=False)
    changed_at: datetime = _timestamp(nullable=False)
    changed_by: str
    changed_event_at: datetime = _timestamp(nullable=False)
    updated_at: datetime = _timestamp(nullable=False)


class LaunchView(SQLModel, table=True):
    """One launch as of its newest event, and when it shipped."""

    __tablename__ = "launches_view"

    launch_id: UUID = SQLField(primary_key=True)
    launch: dict[str, Any] = _json(nullable=False)
    name: str
    status: str = SQLField(index=True)
    team: str = SQLField(index=True)
    type: str
    start_date: date | None = SQLField(default=None, sa_column=Column(Date))
    target_date: date = SQLField(sa_column=Column(Date, index=True, nullable=False))
    checklist: dict[str, Any] | None = _json()
    readiness: float | None = None
    shipped_at: datetime | None = _timestamp()
    changed_at: datetime = _timestamp(nullable=False)
    updated_at: datetime = _timestamp(nullable=False)


class NotificationView(SQLModel, table=True):
    """One notification sent to a customer about a launch."""

    __tablename__ = "notifications_view"

    notification_id: UUID = SQLField(primary_key=True)
    launch_id: UUID = SQLField(index=True)
    launch_name: str
    channel: str = SQLField(index=True)
    status: str = "sent"
    reason: str | None = SQLField(default=None, sa_column=Column(Text))
    attempts: int = 1
    customer_id: str | None = None
    customer_email: str | None = None
    customer_company: str | None = None
    customer_tier: str | None = None
    feedback_ids: list[str] = _json(nullable=False)
    message: str = SQLField(sa_column=Column(Text, nullable=False))
    sent_at: datetime = _timestamp(index=True, nullable=False)
    updated_at: datetime = _timestamp(nullable=False)


class CommandOutcomeView(SQLModel, table=True):
    """A command its owning service refused, with the reason; a command with no row here is pending (or
    applied: its effect shows in the other tables once folded)."""

    __tablename__ = "command_outcomes_view"

    command_id: UUID = SQLField(primary_key=True)
    command_type: str
    status: str = "rejected"
    service: str
    reason: str = SQLField(sa_column=Column(Text, nullable=False))
    actor: str
    decided_at: datetime = _timestamp(nullable=False)
    updated_at: datetime = _timestamp(nullable=False)


# --- folding ------------------------------------------------------------------------------------


async def fold_feedback(session: AsyncSession, event: domain.FeedbackEvent) -> None:
    """Fold a feedback event into its item's row; a changed parent re-roots the item and what hangs below it."""
    item_id = event.payload.item_id
    changes = await _fold(session, _table(FeedbackView), item_id, lambda row: domain.fold_feedback(row, event))
    if "duplicate_of" in changes:
        await _reroot(session, item_id)


async def fold_theme(session: AsyncSession, event: ThemeChanged) -> None:
    """Fold a theme change into the theme's row."""
    await _fold(session, _table(ThemeView), event.payload.id, lambda row: domain.fold_theme(row, event))


# Rows changed by one UPDATE ... WHERE id IN (...): well under every database's limit on bound parameters.
UPDATE_CHUNK = 500


def _chain_walks() -> tuple[Select[UUID, UUID | None], SelectOfScalar[UUID]]:
    """The links up from :item_id (child, parent), and the items below it: built once, run per fold.

    Recursive queries, however deep a popular request's duplicates go; UNION, not UNION ALL, ends
    either walk on a cycle.
    """
    start: BindParameter[UUID] = bindparam("item_id")
    up = select(FeedbackView.item_id, FeedbackView.duplicate_of).where(FeedbackView.item_id == start)
    upward = up.cte("upward", recursive=True)
    above = aliased(FeedbackView)
    upward = upward.union(select(above.item_id, above.duplicate_of).where(above.item_id == upward.c.duplicate_of))
    down = select(FeedbackView.item_id).where(col(FeedbackView.duplicate_of) == start)
    downward = down.cte("downward", recursive=True)
    below = aliased(FeedbackView)
    downward = downward.union(select(below.item_id).where(below.duplicate_of == downward.c.item_id))
    return select(upward.c.item_id, upward.c.duplicate_of), select(downward.c.item_id)


LINKS_ABOVE, ITEMS_BELOW = _chain_walks()


async def _reroot(session: AsyncSession, item_id: UUID) -> None:
    """Point the item and every item merged below it at the top of its chain (votes count there, once)."""
    parent_of = dict((await session.exec(LINKS_ABOVE, params={"item_id": item_id})).all())
    chain, top = [item_id], parent_of.get(item_id)
    while top is not None and top not in chain:
        chain.append(top)
        top = parent_of.get(top)
    # A cycle (never made by dedupe, but a row may be mid-update) leaves the item standing alone.
    root = item_id if top is not None else chain[-1]
    connection = await session.connection()
    await connection.execute(
        update(FeedbackView)
        .where(col(FeedbackView.item_id) == item_id)
        .values(duplicate_root=None if root == item_id else root)
    )
    below = (await session.exec(ITEMS_BELOW, params={"item_id": item_id})).all()
    descendants = [child for child in below if child not in (item_id, root)]
    for start in range(0, len(descendants), UPDATE_CHUNK):
        chunk = descendants[start : start + UPDATE_CHUNK]
        await connection.execute(
            update(FeedbackView).where(col(FeedbackView.item_id).in_(chunk)).values(duplicate_root=root)
        )


async def fold_launch(session: AsyncSession, event: domain.LaunchEvent) -> None:
    """Fold a launch event into its launch's row."""
    await _fold(session, _table(LaunchView), event.payload.launch.id, lambda row: domain.fold_launch(row, event))


async def add_notification(session: AsyncSession, event: NotificationSent) -> None:
    """Keep a sent notification; one already kept stays as it is (a notification never changes)."""
    sent = event.payload
    values = sent.model_dump(exclude={"id", "feedback_ids"}) | {
        "notification_id": sent.id,
        "feedback_ids": [str(feedback_id) for feedback_id in sent.feedback_ids],
        "updated_at": event.occurred_at,
    }
    await session.exec(upsert_insert(session)(NotificationView).values(values).on_conflict_do_nothing())


async def add_rejection(session: AsyncSession, event: CommandRejected) -> None:
    """Keep a command's refusal; a command is refused once (a redelivered refusal changes nothing)."""
    rejection = event.payload
    values = {
        "command_id": rejection.command_id,
        "command_type": rejection.command_type,
        "status": "rejected",
        "service": rejection.service,
        "reason": rejection.reason,
        "actor": rejection.actor,
        "decided_at": rejection.rejected_at,
        "updated_at": event.occurred_at,
    }
    await session.exec(upsert_insert(session)(CommandOutcomeView).values(values).on_conflict_do_nothing())


async def _fold(
    session: AsyncSession, table: Table, key: UUID, fold: Callable[[domain.Row], domain.Columns]
) -> domain.Columns:
    """Upsert one row: fold the event into the locked row, or else insert what it makes of nothing; the changes.

    The row is looked for first: every event of an item after its first finds it (two statements, not three).
    """
    (key_column,) = table.primary_key.columns
    connection = await session.connection()
    # The row lock (Postgres; SQLite's single writer already serialises) makes events about one item,
    # consumed from different topics at the same moment, fold one after the other.
    locked = sa_select(table).where(key_column == key).with_for_update()
    current = (await connection.execute(locked)).mappings().first()
    if current is None:
        created = fold({})
        inserted = await connection.execute(
            upsert_insert(session)(table)
            .values({key_column.name: key, **created})
            .on_conflict_do_nothing(index_elements=[key_column])
            .returning(key_column)
        )
        if inserted.first() is not None:
            return created
        # Another consumer's fold inserted it in between: fold into that.
        current = (await connection.execute(locked)).mappings().one()
    if changes := fold(dict(current)):
        await connection.execute(update(table).where(key_column == key).values(changes))
    return changes


def _table(model: type[SQLModel]) -> Table:
    return cast(Table, inspect(model).local_table)
