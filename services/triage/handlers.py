"""Subscribers: thin, call the domain, store, reply."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from libs.runtime.consumer import consume
from libs.runtime.service import ServiceRuntime
from libs.schemas.events import FeedbackEnriched, FeedbackTriaged, TriageResult, utcnow
from services.triage import domain, storage
from services.triage.settings import TriageSettings

MODEL_VERSION = "local-rules-2026.11"


def register(runtime: ServiceRuntime, settings: TriageSettings) -> None:
    bands = domain.PriorityBands(
        critical_from=settings.critical_from,
        high_from=settings.high_from,
        medium_from=settings.medium_from,
        at_risk_boost=settings.at_risk_boost,
    )

    async def on_enriched(event: FeedbackEnriched, session: AsyncSession) -> list[FeedbackTriaged]:
        """Classify an enriched item and weigh its priority by the customer's tier, ARR and health."""
        item = event.payload.item
        verdict = domain.triage(item, bands, MODEL_VERSION, utcnow())
        await storage.save(session, item.id, verdict)
        result = TriageResult(item_id=item.id, ai_triage=verdict)
        return [FeedbackTriaged.caused_by(event, producer=runtime.name, payload=result)]

    consume(runtime, FeedbackEnriched, on_enriched)
