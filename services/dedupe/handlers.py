"""Subscribers: thin, decode (done by the runtime), embed once, search, decide, store, reply."""

from __future__ import annotations

import asyncio

from sqlmodel.ext.asyncio.session import AsyncSession

from libs.ml.embeddings import Embedder
from libs.runtime.consumer import consume
from libs.runtime.service import ServiceRuntime
from libs.schemas.events import FeedbackDeduped, FeedbackReceived
from services.dedupe import domain, storage
from services.dedupe.adapters import IndexedItem, VectorIndex
from services.dedupe.settings import DedupeSettings


class Engines:
    """The embedder and the vector index: set when the service starts, never at import."""

    embedder: Embedder
    index: VectorIndex


def register(runtime: ServiceRuntime, settings: DedupeSettings, engines: Engines) -> None:
    async def on_received(event: FeedbackReceived, session: AsyncSession) -> list[FeedbackDeduped]:
        """List the items most similar to a received one, and flag it when it duplicates a recent one."""
        item = event.payload
        embedder, index = engines.embedder, engines.index
        # Embedding is the costliest step of the pipeline: once per item, off the event loop.
        [vector] = await asyncio.to_thread(embedder.embed, [item.text])
        similar = await asyncio.to_thread(index.search, vector, limit=settings.top_k, exclude=item.id)
        # A replayed item keeps its first decision, even though later items are in the index now.
        decision = await storage.get_decision(session, item.id)
        if decision is None:
            window = domain.TimeWindow.around(item.created_at, settings.window_days)
            in_window = await asyncio.to_thread(
                index.search, vector, limit=settings.top_k, exclude=item.id, window=window
            )
            decision = domain.decide(
                in_window,
                created_at=item.created_at,
                threshold=settings.duplicate_threshold,
                window_days=settings.window_days,
                model=embedder.model_name,
            )
            storage.add_decision(session, item.id, decision)
        indexed = IndexedItem(item_id=item.id, title=item.title, created_at=item.created_at, model=embedder.model_name)
        await asyncio.to_thread(index.upsert, indexed, vector)
        result = domain.dedupe_result(item.id, similar, decision)
        return [FeedbackDeduped.caused_by(event, producer=runtime.name, payload=result)]

    consume(runtime, FeedbackReceived, on_received)
