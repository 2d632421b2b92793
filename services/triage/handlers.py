"""Subscribers: triage enriched items, take people's corrections, triage again on request."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from uuid import NAMESPACE_URL, uuid5

import structlog
from prometheus_client import Counter
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.ml.embeddings import Embedder
from libs.runtime.consumer import Ahead, consume
from libs.runtime.database import after_commit
from libs.runtime.service import ServiceRuntime
from libs.schemas.events import (
    EnrichedFeedback,
    Envelope,
    FeedbackEnriched,
    FeedbackOverridden,
    FeedbackSplit,
    FeedbackTriaged,
    FeedbackUpdated,
    OverrideTriage,
    RetriageFeedback,
    TranscriptSplit,
    TriageResult,
    utcnow,
)
from libs.schemas.feedback import FeedbackItem
from libs.schemas.transcripts import is_transcript
from services.triage import domain, storage
from services.triage.engines import Assessment, EngineFailure, FallbackEngine, LocalEngine, TriageEngine
from services.triage.settings import TriageSettings
from services.triage.splitting import SplitPolicy

log = structlog.get_logger()


@dataclass
class Engine:
    """The engines in use: set when the service starts, swapped when a new model version appears."""

    current: TriageEngine | None = None
    local: LocalEngine | None = None
    embedder: Embedder | None = None

    @property
    def primary(self) -> TriageEngine | None:
        """The engine whose verdicts are not degraded (Mistral), when there is one besides the local."""
        return self.current.primary if isinstance(self.current, FallbackEngine) else None


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

    async def stored(
        cause: Envelope, enriched: EnrichedFeedback, assessment: Assessment, session: AsyncSession
    ) -> FeedbackTriaged:
        verdict = domain.triage(
            enriched.item,
            assessment.reading,
            assessment.severity,
            bands,
            assessment.model_version,
            utcnow(),
            assessment.degraded_reason,
        )
        await storage.save_verdict(session, enriched.item.id, verdict)
        result = TriageResult(
            item_id=enriched.item.id,
            ai_triage=verdict,
            degraded=verdict.degraded,
            degraded_reason=verdict.degraded_reason,
            shadow=settings.shadow_mode,
        )
        return FeedbackTriaged.caused_by(cause, producer=runtime.name, payload=result)

    # A batch's assessments, made in one pass of the engine, by (engine, text).
    ahead: Ahead[tuple[TriageEngine, str], Assessment] = Ahead()

    async def assess_ahead(events: Sequence[FeedbackEnriched]) -> None:
        """Assess a batch's texts at once (one embedding pass for all: far cheaper per text), for `triaged`."""
        current = engine.current
        assert current is not None, "the engine is loaded before the broker starts"
        texts = [event.payload.item.text for event in events]
        assessments = await current.assess(texts)
        ahead.keep({(current, text): assessment for text, assessment in zip(texts, assessments, strict=True)})

    async def triaged(cause: Envelope, enriched: EnrichedFeedback, session: AsyncSession) -> FeedbackTriaged:
        current = engine.current
        assert current is not None, "the engine is loaded before the broker starts"
        text = enriched.item.text
        if (assessment := ahead.get((current, text))) is None:
            [assessment] = await current.assess([text])
        return await stored(cause, enriched, assessment, session)

    async def retriaged_degraded(command: RetriageFeedback, session: AsyncSession) -> list[FeedbackTriaged]:
        """The fallback's verdicts again, by the primary engine; the first item it still cannot answer
        ends the run (it and the rest stay degraded), so an outage costs one failed call a run."""
        primary = engine.primary
        if primary is None:
            return []  # no primary engine: the local verdicts are the best there is
        replies = []
        for enriched in await storage.degraded_items(session, settings.retriage_degraded_batch):
            try:
                [assessment] = await primary.assess([enriched.item.text])
            except EngineFailure as error:
                log.info("the primary engine still fails; degraded items wait", reason=str(error)[:200])
                break
            replies.append(await stored(command, enriched, assessment, session))
        return replies

    async def split(cause: Envelope, item: FeedbackItem) -> list[FeedbackSplit]:
        """A call transcript's requests, each to become an item of its own (ingest makes them)."""
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
        return [await triaged(event, event.payload, session), *await split(event, event.payload.item)]

    async def on_updated(event: FeedbackUpdated, session: AsyncSession) -> list[FeedbackTriaged | FeedbackSplit]:
        """An item edited at its source: keep its new version; triage it again when its text changed,
        and split a call whose transcript arrived only now (a Gong webhook's call, then the sync's)."""
        update = event.payload
        known = await storage.items(session, [update.item_id])
        if not known:
            return []  # not enriched yet: nothing triaged to redo
        before = known[0]
        # Enrich's customer (tier, ARR, health) stays: the edit is to the content.
        enriched = before.model_copy(update={"item": update.item.model_copy(update={"customer": before.item.customer})})
        await storage.remember_item(session, enriched)
        if not update.text_changed:
            return []
        first_transcript = not is_transcript(before.item.description, settings.split_min_chars)
        splits = await split(event, enriched.item) if first_transcript else []
        return [await triaged(event, enriched, session), *splits]

    async def on_override(command: OverrideTriage, session: AsyncSession) -> list[FeedbackOverridden]:
        """Keep a person's correction (who, when, what the AI had said) and announce it."""
        correction = command.payload
        ai = await storage.verdict_of(session, correction.item_id)
        storage.record_override(session, uuid5(NAMESPACE_URL, f"prodops:override/{command.event_id}"), correction, ai)
        for field in ("category", "priority", "tags", "product_area", "not_duplicate"):
            if getattr(correction, field) is not None:
                after_commit(session, overrides.labels(field).inc)
        return [FeedbackOverridden.caused_by(command, producer=runtime.name, payload=correction)]

    async def on_retriage(command: RetriageFeedback, session: AsyncSession) -> list[FeedbackTriaged]:
        """Triage stored items again with the current engine: one, a list, all, or the degraded ones."""
        request = command.payload
        if request.degraded and not request.everything:
            return await retriaged_degraded(command, session)
        chosen = await storage.items(session, None if request.everything else request.item_ids)
        return [await triaged(command, enriched, session) for enriched in chosen]

    consume(runtime, FeedbackEnriched, on_enriched, prepare=assess_ahead)
    consume(runtime, FeedbackUpdated, on_updated)
    consume(runtime, OverrideTriage, on_override)
    consume(runtime, RetriageFeedback, on_retriage)
