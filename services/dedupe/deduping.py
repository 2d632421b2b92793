"""Deduping a received item: embed it once, list its similar items, decide (once) whether it is a
likely duplicate, index it, link it to that duplicate, and place it in a theme."""

from __future__ import annotations

import asyncio

from sqlmodel.ext.asyncio.session import AsyncSession

from libs.runtime.database import after_commit
from libs.schemas.events import Envelope, FeedbackDeduped, FeedbackReceived, utcnow
from libs.schemas.feedback import FeedbackItem
from services.dedupe import domain, storage
from services.dedupe.adapters import IndexedItem
from services.dedupe.changes import Changes
from services.dedupe.deps import Dedupe
from services.dedupe.domain import Decision
from services.dedupe.engines import Serving


async def dedupe(event: FeedbackReceived, session: AsyncSession, deps: Dedupe) -> list[Envelope]:
    """The item's result (its similar items, where it stands), and the events of every link and theme it changed."""
    item = event.payload
    # The pair read once: a refresh switching meanwhile retires this index, and the consumer retries.
    serving = deps.engines.serving
    embedder, index = serving.embedder, serving.index
    # Embedding is the costliest step of the pipeline: once per item, off the event loop. Never
    # another model's vector in its place: Mistral down raises MistralUnavailable, a ConnectionError,
    # so the consumer waits and redelivers (nothing dead-lettered, nothing lost).
    vector = await deps.engines.embed(embedder, item.text)
    similar = await asyncio.to_thread(index.search, vector, limit=deps.settings.top_k, exclude=item.id)
    # A replayed item keeps its first decision, even though later items are in the index now.
    decision = await storage.get_decision(session, item.id)
    if decision is None:
        decision = await decided(item, vector, serving, session, deps)
    indexed = IndexedItem(
        item_id=item.id, title=item.title, created_at=item.created_at, model=embedder.model_name, text=item.text
    )
    await asyncio.to_thread(index.upsert, indexed, vector)  # durable once the batch concludes

    changes = Changes(session, index, deps.runtime.name, event, actor=domain.MODEL_ACTOR, now=utcnow())
    link = await storage.get_link(session, item.id)
    parent_root = await storage.vote_root(session, decision.duplicate_of) if decision.duplicate_of else None
    if (new := domain.suggested(item.id, link, decision, parent_root=parent_root, now=changes.now)) is not None:
        # A standalone item is no news: only a suggestion is announced.
        await changes.set_link(new, announce=new.current.linked)
        link = new
    await changes.place(item.id, item.title, vector, similar, deps.theme_rules, embedder.model_name)
    standing = domain.standing(decision, link.current) if link else decision
    result = domain.dedupe_result(item.id, similar, standing)
    return [FeedbackDeduped.caused_by(event, producer=deps.runtime.name, payload=result), *await changes.replies()]


async def decided(
    item: FeedbackItem, vector: list[float], serving: Serving, session: AsyncSession, deps: Dedupe
) -> Decision:
    """The model's decision on an item seen for the first time: its likeliest duplicate in the time window, stored."""
    settings = deps.settings
    window = domain.TimeWindow.around(item.created_at, settings.window_days)
    in_window = await asyncio.to_thread(
        serving.index.search, vector, limit=settings.top_k, exclude=item.id, window=window
    )
    # A pair a person called no duplicate is never suggested again, whichever item comes first.
    rejected = await storage.rejected_partners(session, item.id)
    decision = domain.decide(
        [candidate for candidate in in_window if candidate.item_id not in rejected],
        created_at=item.created_at,
        threshold=settings.duplicate_threshold,
        window_days=settings.window_days,
        model=serving.embedder.model_name,
    )
    storage.add_decision(session, item.id, decision)
    outcome = "duplicate" if decision.duplicate_of else "unique"
    after_commit(session, deps.metrics.decisions.labels("model", outcome).inc)
    return decision
