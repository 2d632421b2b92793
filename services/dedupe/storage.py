"""The dedupe service's tables: the model's decisions, the duplicate links, and the themes.

One decision per item, so a replay repeats it and a person can audit it; one link per item, with
its history; one theme placement per item, so a replayed item keeps its theme.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import JSON, Column, bindparam, func
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import BindParameter
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import Select

from libs.runtime.database import UTCDateTime, get_many, upsert_insert
from libs.schemas.events import Theme, utcnow
from services.dedupe.domain import LINKED_STATES, Decision, ItemLink, LinkState
from services.dedupe.domain import vote_root as domain_vote_root
from services.dedupe.themes import Centroid


class DecisionRecord(SQLModel, table=True):
    __tablename__ = "dedupe_decisions"

    item_id: UUID = Field(primary_key=True)
    duplicate_of: UUID | None = None
    # The best similarity within the window, flagged or not; null when no item was in the window.
    score: float | None = None
    threshold: float
    window_days: int
    model: str = Field(max_length=200)
    decided_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))

    def as_decision(self) -> Decision:
        return Decision(
            duplicate_of=self.duplicate_of,
            score=self.score,
            threshold=self.threshold,
            window_days=self.window_days,
            model=self.model,
        )


async def get_decision(session: AsyncSession, item_id: UUID) -> Decision | None:
    """The decision already taken for an item, if any."""
    record = await session.get(DecisionRecord, item_id)
    return record.as_decision() if record else None


def add_decision(session: AsyncSession, item_id: UUID, decision: Decision) -> None:
    """Record a new decision in the session's transaction."""
    session.add(
        DecisionRecord(
            item_id=item_id,
            duplicate_of=decision.duplicate_of,
            score=decision.score,
            threshold=decision.threshold,
            window_days=decision.window_days,
            model=decision.model,
        )
    )


# --- duplicate links ------------------------------------------------------------------------------


class LinkRecord(SQLModel, table=True):
    """Each item's duplicate link now, with the states it replaced (newest first) for an unmerge."""

    __tablename__ = "dedupe_links"

    item_id: UUID = Field(primary_key=True)
    duplicate_of: UUID | None = Field(default=None, index=True)
    state: str = Field(max_length=20)
    score: float | None = None
    actor: str = Field(max_length=200)
    changed_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    before: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))

    def as_link(self) -> ItemLink:
        current = LinkState(
            duplicate_of=self.duplicate_of,
            state=self.state,
            score=self.score,
            actor=self.actor,
            changed_at=self.changed_at,
        )
        return ItemLink(
            item_id=self.item_id, current=current, before=tuple(LinkState.model_validate(s) for s in self.before)
        )


class LinkHistoryRecord(SQLModel, table=True):
    """Every change of every link, in order, with the message that caused it: the audit trail."""

    __tablename__ = "dedupe_link_history"

    id: int | None = Field(default=None, primary_key=True)
    item_id: UUID = Field(index=True)
    duplicate_of: UUID | None = None
    state: str = Field(max_length=20)
    score: float | None = None
    actor: str = Field(max_length=200)
    changed_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    cause: UUID
    reason: str | None = Field(default=None, max_length=1000)


class RejectedPairRecord(SQLModel, table=True):
    """A pair a person said is no duplicate: the model never links the two again, either way round."""

    __tablename__ = "dedupe_rejected_pairs"

    item_id: UUID = Field(primary_key=True)
    other_id: UUID = Field(primary_key=True)
    actor: str = Field(max_length=200)
    rejected_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


async def get_link(session: AsyncSession, item_id: UUID) -> ItemLink | None:
    record = await session.get(LinkRecord, item_id)
    return record.as_link() if record else None


async def save_link(session: AsyncSession, link: ItemLink, *, cause: UUID, reason: str | None = None) -> None:
    """Store the item's new link and append the change to the history."""
    fields = link.current.model_dump()
    before = [earlier.model_dump(mode="json") for earlier in link.before]
    await session.merge(LinkRecord(item_id=link.item_id, before=before, **fields))
    session.add(LinkHistoryRecord(item_id=link.item_id, cause=cause, reason=reason, **fields))


async def link_history(session: AsyncSession, item_id: UUID) -> list[LinkHistoryRecord]:
    result = await session.exec(
        select(LinkHistoryRecord).where(LinkHistoryRecord.item_id == item_id).order_by(col(LinkHistoryRecord.id))
    )
    return list(result.all())


def _links_above() -> Select[UUID, UUID | None]:
    """The links (child, parent) up from :item_id: one recursive query however long the chain (a popular
    request's duplicates chain up, one under the next); UNION, not UNION ALL, ends the walk on a cycle,
    which the domain then reports. Built once, run per call."""
    linked = col(LinkRecord.state).in_(LINKED_STATES)
    start: BindParameter[UUID] = bindparam("item_id")
    first = select(LinkRecord.item_id, LinkRecord.duplicate_of).where(LinkRecord.item_id == start, linked)
    walk = first.cte("chain", recursive=True)
    step = aliased(LinkRecord)
    walk = walk.union(
        select(step.item_id, step.duplicate_of).where(
            step.item_id == walk.c.duplicate_of, col(step.state).in_(LINKED_STATES)
        )
    )
    return select(walk.c.item_id, walk.c.duplicate_of)


LINKS_ABOVE = _links_above()


async def vote_root(session: AsyncSession, item_id: UUID) -> UUID:
    """The item whose votes this one's count towards (itself when it is not linked)."""
    rows = (await session.exec(LINKS_ABOVE, params={"item_id": item_id})).all()
    return domain_vote_root(item_id, {child: parent for child, parent in rows if parent is not None})


async def linked_children(session: AsyncSession, parent_ids: Collection[UUID]) -> list[UUID]:
    """The items linked (suggested or merged) straight to any of these."""
    if not parent_ids:
        return []
    result = await session.exec(
        select(LinkRecord.item_id).where(
            col(LinkRecord.duplicate_of).in_(parent_ids), col(LinkRecord.state).in_(LINKED_STATES)
        )
    )
    return list(result.all())


async def rejected_partners(session: AsyncSession, item_id: UUID) -> set[UUID]:
    """The items a person said this one does not duplicate, nor is duplicated by."""
    result = await session.exec(
        select(RejectedPairRecord).where(
            (RejectedPairRecord.item_id == item_id) | (RejectedPairRecord.other_id == item_id)
        )
    )
    return {pair.other_id if pair.item_id == item_id else pair.item_id for pair in result.all()}


async def reject_pair(session: AsyncSession, item_id: UUID, other_id: UUID, actor: str) -> None:
    await session.merge(RejectedPairRecord(item_id=item_id, other_id=other_id, actor=actor))


# --- themes ---------------------------------------------------------------------------------------


class ThemeRecord(SQLModel, table=True):
    """A theme, with the centroid of its members' vectors and the model those vectors came from."""

    __tablename__ = "dedupe_themes"

    id: UUID = Field(primary_key=True)
    name: str = Field(max_length=200)
    name_source: str = Field(max_length=20)
    keywords: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    summary: str | None = Field(default=None, max_length=300)
    centroid: list[float] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    centroid_count: int = 0
    centroid_model: str = Field(max_length=200)
    merged_into: UUID | None = None
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    changed_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    changed_by: str = Field(max_length=200)

    @property
    def centroid_of(self) -> Centroid:
        return Centroid(tuple(self.centroid), self.centroid_count, self.centroid_model)

    def set_centroid(self, centroid: Centroid) -> None:
        self.centroid = list(centroid.mean)
        self.centroid_count = centroid.count
        self.centroid_model = centroid.model

    def as_theme(self, items: int) -> Theme:
        return Theme(
            id=self.id,
            name=self.name,
            name_source=self.name_source,
            keywords=self.keywords,
            summary=self.summary,
            items=items,
            merged_into=self.merged_into,
            created_at=self.created_at,
            changed_at=self.changed_at,
            changed_by=self.changed_by,
        )


class ThemeItemRecord(SQLModel, table=True):
    """Where an item stands among themes: `home_theme_id` is where clustering (or a person) put it and
    whose centroid its vector is part of; `theme_id` is where it counts now (its vote root's home)."""

    __tablename__ = "dedupe_theme_items"

    item_id: UUID = Field(primary_key=True)
    title: str = Field(max_length=500)
    home_theme_id: UUID | None = Field(default=None, index=True)
    theme_id: UUID | None = Field(default=None, index=True)
    # Similarity to the home theme's centroid when clustering placed it.
    score: float | None = None
    added_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class TermRecord(SQLModel, table=True):
    """How many items' titles use each word: the rarity that weighs keywords."""

    __tablename__ = "dedupe_terms"

    term: str = Field(primary_key=True, max_length=100)
    items: int


async def get_theme(session: AsyncSession, theme_id: UUID) -> ThemeRecord | None:
    return await session.get(ThemeRecord, theme_id)


async def merged_root(session: AsyncSession, theme: ThemeRecord) -> ThemeRecord:
    """The theme a merged one redirects to, following every redirect."""
    seen = {theme.id}
    while theme.merged_into is not None:
        target = await session.get(ThemeRecord, theme.merged_into)
        if target is None or target.id in seen:
            raise ValueError(f"theme {theme.id} redirects to a missing theme, or in a circle")
        seen.add(target.id)
        theme = target
    return theme


async def themes_by_id(session: AsyncSession, theme_ids: Collection[UUID]) -> list[ThemeRecord]:
    return list((await get_many(session, ThemeRecord, theme_ids)).values())


async def get_placement(session: AsyncSession, item_id: UUID) -> ThemeItemRecord | None:
    return await session.get(ThemeItemRecord, item_id)


async def placements(session: AsyncSession, item_ids: Collection[UUID]) -> dict[UUID, ThemeItemRecord]:
    return await get_many(session, ThemeItemRecord, item_ids)


async def homed_in(session: AsyncSession, theme_id: UUID) -> list[ThemeItemRecord]:
    """The items whose home is this theme."""
    result = await session.exec(select(ThemeItemRecord).where(ThemeItemRecord.home_theme_id == theme_id))
    return list(result.all())


async def item_counts(session: AsyncSession, theme_ids: Collection[UUID]) -> dict[UUID, int]:
    """How many items count in each of these themes now."""
    result = await session.exec(
        select(ThemeItemRecord.theme_id, func.count())
        .where(col(ThemeItemRecord.theme_id).in_(theme_ids))
        .group_by(col(ThemeItemRecord.theme_id))
    )
    counts = {theme_id: 0 for theme_id in theme_ids}
    counts.update({theme_id: count for theme_id, count in result.all() if theme_id is not None})
    return counts


async def titles(session: AsyncSession, theme_id: UUID, limit: int) -> list[str]:
    """The titles of the items that count in a theme, the latest `limit` of them."""
    result = await session.exec(
        select(ThemeItemRecord.title)
        .where(ThemeItemRecord.theme_id == theme_id)
        .order_by(col(ThemeItemRecord.added_at).desc())
        .limit(limit)
    )
    return list(result.all())


# The terms table's row that counts every item placed: the rarity's denominator, kept beside the words
# (migration dedupe_0003) rather than counted over every placement for each new item.
EVERY_ITEM = ""


async def count_terms(session: AsyncSession, words: Collection[str]) -> None:
    """One more item is placed, and it uses each of these words."""
    insert = upsert_insert(session)
    table = TermRecord.__table__  # type: ignore[attr-defined]
    statement = insert(table).values([{"term": word, "items": 1} for word in sorted({EVERY_ITEM, *words})])
    await session.exec(statement.on_conflict_do_update(index_elements=["term"], set_={"items": table.c["items"] + 1}))


async def term_frequencies(session: AsyncSession, words: Collection[str]) -> tuple[dict[str, int], int]:
    """For each word, how many items' titles use it; and how many items there are."""
    result = await session.exec(select(TermRecord).where(col(TermRecord.term).in_({EVERY_ITEM, *words})))
    counts = {record.term: record.items for record in result.all()}
    return counts, counts.pop(EVERY_ITEM, 0)
