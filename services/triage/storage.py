"""Every triage verdict, kept: the read model shows the latest, overrides compare against it."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.runtime.database import UTCDateTime
from libs.schemas.feedback import AITriage


class TriageVerdict(SQLModel, table=True):
    __tablename__ = "triage_verdicts"

    item_id: UUID = Field(primary_key=True)
    category: str = Field(max_length=40)
    priority: str = Field(max_length=20)
    sentiment_score: float
    model_version: str = Field(max_length=100)
    triage: str = Field(sa_column=Column(Text, nullable=False))
    processed_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


async def save(session: AsyncSession, item_id: UUID, verdict: AITriage) -> None:
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
        )
    )
