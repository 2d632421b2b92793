"""Subscribers: triage enriched items, take people's corrections, triage again on request."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import NAMESPACE_URL, uuid5

from prometheus_client import Counter
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.ml.embeddings import Embedder
from libs.runtime.consumer import consume
from libs.runtime.service import ServiceRuntime
from libs.schemas.events import (
    EnrichedFeedback,
    Envelope,
    FeedbackEnriched,
    FeedbackOverridden,
    FeedbackSplit,
    FeedbackTriaged,
    OverrideTriage,
    RetriageFeedback,
    TranscriptSplit,
    TriageResult,
    utcnow,
)
from libs.schemas.transcripts import is_transcript
from services.triage import domain, storage
from services.triage.engines import LocalEngine, TriageEngine
from services.triage.settings import TriageSettings
from services.triage.splitting import SplitPolicy


@dataclass
class Engine:
    """The engines in use: set when the service starts, swapped when a new model version appears."""

    current: TriageEngine | None = None
    local: LocalEngine | None = None
    embedder: Embedder | None = None


def register(runtime: ServiceRuntime, settings: TriageSettings, engine: Engine) -> None:
    bands = domain.PriorityBands(
        critical_from=settings.critical_from,
        high_from=settings.high_from,
        medium_from=settings.medium_from,
        at_risk_boost=settings.at_risk_boost,
    )
    policy = SplitPolicy(min_confidence=settings.split_min_confidence, max_requests=settings.split_max_requests)
    overrides = Counter(
        "prodops_triage_overrides_total", "Human corrections of the AI, by field.", ["field"], registry=runtime.registry
    )

    async def triaged(cause: Envelope, enriched: EnrichedFeedback, session: AsyncSession) -> FeedbackTriaged:
        assert engine.current is not None, "the engine is loaded before the broker starts"
        [assessment] = await engine.current.assess([enriched.item.text])
        verdict = domain.triage(
            enriched.item, assessment.reading, assessment.severity, bands, assessment.model_version, utcnow()
        )
        await storage.save_verdict(session, enriched.item.id, verdict)
        result = TriageResult(
            item_id=enriched.item.id,
            ai_triage=verdict,
            degraded=assessment.degraded_reason is not None,
            degraded_reason=assessment.degraded_reason,
            shadow=settings.shadow_mode,
        )
        return FeedbackTriaged.caused_by(cause, producer=runtime.name, payload=result)

    async def split(cause: FeedbackEnriched) -> list[FeedbackSplit]:
        """A call transcript's requests, each to become an item of its own (ingest makes them)."""
        item = cause.payload.item
        # Items made from a split are never split again; re-triage does not split either (ingest
        # keeps the first split of a transcript), so only a transcript's first arrival is read.
        if item.parent_id is not None or not is_transcript(item.description, settings.split_min_chars):
            return []
        assert engine.current is not None, "the engine is loaded before the broker starts"
        found = await engine.current.split(item.description, policy)
        result = TranscriptSplit(
            item_id=item.id,
            requests=found.requests,
            model_version=found.model_version,
            degraded=found.degraded_reason is not None,
            degraded_reason=found.degraded_reason,
        )
        return [FeedbackSplit.caused_by(cause, producer=runtime.name, payload=result)]

    async def on_enriched(event: FeedbackEnriched, session: AsyncSession) -> list[FeedbackTriaged | FeedbackSplit]:
        """Classify an enriched item and weigh its priority; split a call transcript into its requests."""
        await storage.remember_item(session, event.payload)
        return [await triaged(event, event.payload, session), *await split(event)]

    async def on_override(command: OverrideTriage, session: AsyncSession) -> list[FeedbackOverridden]:
        """Keep a person's correction (who, when, what the AI had said) and announce it."""
        correction = command.payload
        ai = await storage.verdict_of(session, correction.item_id)
        storage.record_override(session, uuid5(NAMESPACE_URL, f"prodops:override/{command.event_id}"), correction, ai)
        for field in ("category", "priority", "tags", "product_area", "not_duplicate"):
            if getattr(correction, field) is not None:
                overrides.labels(field).inc()
        return [FeedbackOverridden.caused_by(command, producer=runtime.name, payload=correction)]

    async def on_retriage(command: RetriageFeedback, session: AsyncSession) -> list[FeedbackTriaged]:
        """Triage stored items again with the current engine: one, a list, or all."""
        request = command.payload
        chosen = await storage.items(session, None if request.everything else request.item_ids)
        return [await triaged(command, enriched, session) for enriched in chosen]

    consume(runtime, FeedbackEnriched, on_enriched)
    consume(runtime, OverrideTriage, on_override)
    consume(runtime, RetriageFeedback, on_retriage)
