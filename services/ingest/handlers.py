"""Subscribers: a call transcript split by triage comes back as one new item per request voiced."""

from __future__ import annotations

import asyncio

import structlog
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.runtime.consumer import PoisonMessage, consume
from libs.runtime.service import ServiceRuntime
from libs.schemas.events import Envelope, FeedbackReceived, FeedbackSplit, utcnow
from services.ingest import intake, splits, storage
from services.ingest.connectors.requests import Feedback

log = structlog.get_logger()


def register(runtime: ServiceRuntime, wake_relay: asyncio.Event) -> None:
    async def on_split(event: FeedbackSplit, session: AsyncSession) -> list[Envelope]:
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
        # The relay publishes once this transaction commits; waking it early only saves its next tick.
        wake_relay.set()
        log.info("transcript split into items", item_id=str(parent_id), items=len(events))
        return []

    consume(runtime, FeedbackSplit, on_split)
