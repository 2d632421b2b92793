"""Storing what connectors bring in: the items (into the outbox) and the raw records behind them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlmodel.ext.asyncio.session import AsyncSession

from libs.schemas.events import FeedbackReceived
from services.ingest import domain, storage
from services.ingest.connectors.requests import Feedback


def received(feedback: Sequence[Feedback], now: datetime) -> list[tuple[Feedback, FeedbackReceived]]:
    """Each piece of feedback with the event that announces it."""
    return [(piece, domain.received_event(domain.received_item(piece.item, now))) for piece in feedback]


async def store_feedback(
    session: AsyncSession, events: Sequence[tuple[Feedback, FeedbackReceived]], origin: str
) -> tuple[list[UUID], list[UUID]]:
    """Store new items in the outbox and keep every raw record; returns (new ids, ids stored before)."""
    fresh, seen = await storage.store_new(session, [event for _, event in events])
    await storage.keep_records(session, [(event.payload, piece.record) for piece, event in events], origin)
    return fresh, seen
