"""Ingest's handlers: a call transcript split by triage comes back as one new item per request voiced."""

from __future__ import annotations

from functools import partial

import structlog
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.runtime.consumer import PoisonMessage
from libs.runtime.database import after_commit
from libs.runtime.routing import EventRouter
from libs.schemas.events import Envelope, FeedbackReceived, FeedbackSplit, FeedbackUpdated, utcnow
from services.ingest import intake, relay, splits, storage
from services.ingest.connectors.requests import Feedback
from services.ingest.deps import Ingest

log = structlog.get_logger()

# Every item (and every edit made at its source) goes out through the outbox relay, whoever stored it.
router = EventRouter[Ingest]("ingest", also_publishes=[FeedbackReceived, FeedbackUpdated])


@router.consumes(FeedbackSplit)
async def on_split(event: FeedbackSplit, session: AsyncSession, deps: Ingest) -> list[Envelope]:
    """Store each request of a split transcript as an item in the outbox (published as feedback.received)."""
    parent_id = event.payload.item_id
    stored = await session.get(storage.StoredItem, parent_id)
    if stored is None:
        raise PoisonMessage(f"feedback.split names item {parent_id}, which ingest never received")
    # The first split of a transcript stands: another one (a re-read, another model) adds nothing.
    first_child = await session.get(storage.StoredItem, splits.child_id(parent_id, 0))
    if first_child is not None:
        log.info("transcript already split", item_id=str(parent_id))
        return []
    parent = FeedbackReceived.model_validate_json(stored.event).payload
    events = splits.children(parent, event, utcnow())
    records = [request.model_dump(mode="json") for request in event.payload.requests]
    await intake.store_feedback(
        session,
        [(Feedback(record, child.payload), child) for record, child in zip(records, events, strict=True)],
        origin="split",
    )
    # The relay publishes what this transaction stored, once it is committed.
    after_commit(session, partial(relay.wake, deps))
    log.info("transcript split into items", item_id=str(parent_id), items=len(events))
    return []
