"""Subscribers: thin, decode (done by the runtime), call the domain, store, reply."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from libs.runtime.consumer import consume
from libs.runtime.service import ServiceRuntime
from libs.schemas.events import FeedbackEnriched, FeedbackReceived
from services.enrich import domain, storage
from services.enrich.settings import EnrichSettings


def register(runtime: ServiceRuntime, settings: EnrichSettings) -> None:
    async def on_received(event: FeedbackReceived, session: AsyncSession) -> list[FeedbackEnriched]:
        """Attach the CRM customer (tier, ARR, health) to a received feedback item."""
        item = event.payload
        candidates = await storage.find_candidates(session, item.customer)
        customer, match = domain.match_customer(item.customer, candidates, settings.at_risk_health_below)
        return [
            FeedbackEnriched.caused_by(event, producer=runtime.name, payload=domain.enriched(item, customer, match))
        ]

    consume(runtime, FeedbackReceived, on_received)
