"""Storing what connectors bring in: the items (into the outbox), the raw records behind them, and the
edits made at the source to items already held (feedback.updated, never a second item).

An item whose event would not fit in a broker message is refused before it is stored (the relay could never
publish it), and its record kept as a rejected payload with the reason; an update carries the same item, and
is as large give or take a few bytes, so the item's check covers its updates too.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import structlog
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.connectors.rejections import record_rejection
from libs.runtime.publishing import too_large
from libs.schemas.events import Envelope, FeedbackReceived
from libs.schemas.feedback import FeedbackItem
from services.ingest import domain, splits, storage
from services.ingest.connectors.requests import Feedback

log = structlog.get_logger()


@dataclass(frozen=True)
class Stored:
    fresh: list[UUID]
    """Items not held before."""
    updated: list[UUID]
    """Items held before whose content the source changed: each announced by a feedback.updated."""


def received(feedback: Sequence[Feedback], now: datetime) -> list[tuple[Feedback, FeedbackReceived]]:
    """Each piece of feedback with the event that announces it."""
    return [(piece, domain.received_event(domain.received_item(piece.item, now))) for piece in feedback]


def too_large_to_publish(event: Envelope) -> str | None:
    """Why an event can never be published (it would not fit in a broker message), or None when it can."""
    reason = too_large(event.model_dump_json())
    return None if reason is None else f"{event.type} of item {event.payload.item_id}: {reason}"


def _fitting(
    session: AsyncSession, events: Sequence[tuple[Feedback, FeedbackReceived]]
) -> list[tuple[Feedback, FeedbackReceived]]:
    """The pieces whose event can be published; each other one is kept as a rejected payload, with the reason."""
    kept = []
    for piece, event in events:
        if reason := too_large_to_publish(event):
            source = event.payload.source.value
            record_rejection(session, source, reason, json.dumps(piece.record, default=str).encode())
            log.warning("item refused: its event would not fit in a message", source=source, reason=reason)
        else:
            kept.append((piece, event))
    return kept


async def store_feedback(
    session: AsyncSession, events: Sequence[tuple[Feedback, FeedbackReceived]], origin: str
) -> Stored:
    """Store new items in the outbox, announce the ones held before whose content changed, keep every raw record."""
    events = _fitting(session, events)
    fresh, seen = await storage.store_new(session, [event for _, event in events])
    return Stored(fresh, await _announce_changes(session, events, seen, origin, only_held=False))


async def store_edits(
    session: AsyncSession, events: Sequence[tuple[Feedback, FeedbackReceived]], origin: str
) -> list[UUID]:
    """Records from a vendor's update events: they change items the hub holds and create none."""
    events = _fitting(session, events)
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
    versions = await storage.record_versions(session, held)
    updated: list[UUID] = []
    kept: list[tuple[FeedbackItem, Feedback]] = []
    for piece, event in events:
        incoming = event.payload
        before = announced.get(incoming.id)
        if before is None:
            if not only_held:
                kept.append((incoming, piece))
            continue
        if loses_transcript(before, incoming):
            continue  # a call without its transcript (a Gong webhook) says less than the one held
        if domain.overtaken(piece.updated_at, versions.get(incoming.id)):
            continue  # the vendor changed the record since (a replayed or late delivery): its content is not news
        kept.append((incoming, piece))
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
