"""What triage keeps: each item it has seen (to re-triage it), its verdicts, and every human override."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy import Column, Text, func
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.runtime.database import UTCDateTime
from libs.schemas.events import EnrichedFeedback, TriageOverride, utcnow
from libs.schemas.feedback import AITriage


class TriagedItem(SQLModel, table=True):
    """The enriched item as triage last saw it, so it can be triaged again without the topic."""

    __tablename__ = "triage_items"

    item_id: UUID = Field(primary_key=True)
    enriched: str = Field(sa_column=Column(Text, nullable=False))

    def as_enriched(self) -> EnrichedFeedback:
        return EnrichedFeedback.model_validate_json(self.enriched)


class TriageVerdict(SQLModel, table=True):
    __tablename__ = "triage_verdicts"

    item_id: UUID = Field(primary_key=True)
    category: str = Field(max_length=40)
    priority: str = Field(max_length=20)
    sentiment_score: float
    model_version: str = Field(max_length=100)
    triage: str = Field(sa_column=Column(Text, nullable=False))
    processed_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    # The fallback's verdict: triaged again by the primary engine once it answers.
    degraded: bool = Field(default=False, index=True)

    def as_triage(self) -> AITriage:
        return AITriage.model_validate_json(self.triage)


class OverrideRecord(SQLModel, table=True):
    """A person's correction, with who and when: training data for the next `train`."""

    __tablename__ = "triage_overrides"

    id: UUID = Field(primary_key=True)
    item_id: UUID = Field(index=True)
    actor: str = Field(max_length=200)
    category: str | None = Field(default=None, max_length=40)
    priority: str | None = Field(default=None, max_length=20)
    override: str = Field(sa_column=Column(Text, nullable=False))
    ai_category: str | None = Field(default=None, max_length=40)
    ai_priority: str | None = Field(default=None, max_length=20)
    overridden_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


async def remember_item(session: AsyncSession, enriched: EnrichedFeedback) -> None:
    await session.merge(TriagedItem(item_id=enriched.item.id, enriched=enriched.model_dump_json()))


async def items(session: AsyncSession, item_ids: Sequence[UUID] | None) -> list[EnrichedFeedback]:
    """The stored items with these ids, or all of them."""
    statement = select(TriagedItem)
    if item_ids is not None:
        statement = statement.where(col(TriagedItem.item_id).in_(item_ids))
    return [row.as_enriched() for row in (await session.exec(statement)).all()]


async def save_verdict(session: AsyncSession, item_id: UUID, verdict: AITriage) -> None:
    """Store (or replace, on re-triage) the verdict for an item."""
    await session.merge(
        TriageVerdict(
            item_id=item_id,
            category=verdict.category.value,
            priority=verdict.priority.value,
            sentiment_score=verdict.sentiment_score,
            model_version=verdict.model_version,
            triage=verdict.model_dump_json(),
            processed_at=verdict.processed_at,
            degraded=verdict.degraded,
        )
    )


async def degraded_count(session: AsyncSession) -> int:
    """How many items hold a verdict of the fallback engine."""
    statement = select(func.count()).select_from(TriageVerdict).where(col(TriageVerdict.degraded))
    return (await session.exec(statement)).one()


async def degraded_items(session: AsyncSession, limit: int | None = None) -> list[EnrichedFeedback]:
    """The items whose verdict is the fallback's, oldest verdict first."""
    statement = (
        select(TriagedItem)
        .join(TriageVerdict, col(TriageVerdict.item_id) == col(TriagedItem.item_id))
        .where(col(TriageVerdict.degraded))
        .order_by(col(TriageVerdict.processed_at))
        .limit(limit)
    )
    return [row.as_enriched() for row in (await session.exec(statement)).all()]


async def verdict_of(session: AsyncSession, item_id: UUID) -> TriageVerdict | None:
    return await session.get(TriageVerdict, item_id)


def record_override(
    session: AsyncSession, override_id: UUID, override: TriageOverride, ai: TriageVerdict | None
) -> None:
    session.add(
        OverrideRecord(
            id=override_id,
            item_id=override.item_id,
            actor=override.actor,
            category=override.category,
            priority=override.priority,
            override=override.model_dump_json(),
            ai_category=ai.category if ai else None,
            ai_priority=ai.priority if ai else None,
        )
    )


async def training_rows(session: AsyncSession) -> list[tuple[str, str | None, str | None]]:
    """(text, corrected category, corrected priority) for every item a person corrected, newest correction wins."""
    statement = (
        select(TriagedItem, OverrideRecord)
        .join(OverrideRecord, col(OverrideRecord.item_id) == col(TriagedItem.item_id))
        .order_by(col(OverrideRecord.overridden_at))
    )
    latest: dict[UUID, tuple[str, str | None, str | None]] = {}
    for item, override in (await session.exec(statement)).all():
        text = item.as_enriched().item.text
        previous = latest.get(item.item_id, (text, None, None))
        latest[item.item_id] = (text, override.category or previous[1], override.priority or previous[2])
    return list(latest.values())


async def verdicts_beside_human_triage(session: AsyncSession) -> list[tuple[EnrichedFeedback, AITriage]]:
    """Every item that came with a person's category or priority, beside the AI's verdict on it."""
    statement = select(TriagedItem, TriageVerdict).join(
        TriageVerdict, col(TriageVerdict.item_id) == col(TriagedItem.item_id)
    )
    pairs = [(item.as_enriched(), verdict.as_triage()) for item, verdict in (await session.exec(statement)).all()]
    return [(item, verdict) for item, verdict in pairs if item.item.category or item.item.priority]
