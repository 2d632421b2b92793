"""The dedupe_decisions table: one decision per item, so a replay repeats it and a person can audit it."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import Column
from sqlmodel import Field, SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.runtime.database import UTCDateTime
from libs.schemas.events import utcnow
from services.dedupe.domain import Decision


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
