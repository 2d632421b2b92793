"""Storing what connectors bring in: the items (into the outbox), the raw records behind them, and the
edits made at the source to items already held (feedback.updated, never a second item)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlmodel.ext.asyncio.session import AsyncSession

from libs.connectors.records import JSON
from libs.schemas.events import FeedbackReceived
from libs.schemas.feedback import FeedbackItem
from services.ingest import domain, splits, storage
from services.ingest.connectors.requests import Feedback


@dataclass(frozen=True)
class Stored:
    fresh: list[UUID]
    """Items not held before."""
    updated: list[UUID]
    """Items held before whose content the source changed: each announced by a feedback.updated."""


def received(feedback: Sequence[Feedback], now: datetime) -> list[tuple[Feedback, FeedbackReceived]]:
    """Each piece of feedback with the event that announces it."""
    return [(piece, domain.received_event(domain.received_item(piece.item, now))) for piece in feedback]


async def store_feedback(
    session: AsyncSession, events: Sequence[tuple[Feedback, FeedbackReceived]], origin: str
) -> Stored:
    """Store new items in the outbox, announce the ones held before whose content changed, keep every raw record."""
    fresh, seen = await storage.store_new(session, [event for _, event in events])
    return Stored(fresh, await _announce_changes(session, events, seen, origin, only_held=False))


async def store_edits(
    session: AsyncSession, events: Sequence[tuple[Feedback, FeedbackReceived]], origin: str
) -> list[UUID]:
    """Records from a vendor's update events: they change items the hub holds and create none."""
    held = [event.payload.id for _, event in events]
    return await _announce_changes(session, events, held, origin, only_held=True)


async def _announce_changes(
    session: AsyncSession,
    events: Sequence[tuple[Feedback, FeedbackReceived]],
    held: Sequence[UUID],
    origin: str,
    *,
    only_held: bool,
) -> list[UUID]:
    """feedback.updated for each held item whose content the source changed; returns their ids."""
    announced = await storage.announced_content(session, held)
    updated: list[UUID] = []
    kept: list[tuple[FeedbackItem, JSON]] = []
    for piece, event in events:
        incoming = event.payload
        before = announced.get(incoming.id)
        if before is None:
            if not only_held:
                kept.append((incoming, piece.record))
            continue
        if loses_transcript(before, incoming):
            continue  # a call without its transcript (a Gong webhook) says less than the one held
        kept.append((incoming, piece.record))
        if changed := domain.changed_content(before, incoming):
            update = domain.updated_event(before, incoming, changed, incoming.received_at)
            storage.add_update(session, update)
            announced[incoming.id] = update.payload.item
            updated.append(incoming.id)
    await storage.keep_records(session, kept, origin)
    return updated


def loses_transcript(announced: FeedbackItem, incoming: FeedbackItem) -> bool:
    """Whether a record would replace a call's transcript by less (the same call, without it)."""
    return splits.TRANSCRIPT_TAG in announced.tags and splits.TRANSCRIPT_TAG not in incoming.tags
