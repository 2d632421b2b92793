"""Triage's handlers: triage enriched items, take people's corrections, triage again on request."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import NAMESPACE_URL, uuid5

import structlog
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.runtime.database import after_commit
from libs.runtime.routing import EventRouter
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
from services.triage.deps import Triage
from services.triage.engines import Assessment, EngineFailure

log = structlog.get_logger()

# RetriageFeedback: the jobs ask for it (a new model version, degraded verdicts waiting).
router = EventRouter[Triage]("triage", also_publishes=[RetriageFeedback])


async def assess_ahead(events: Sequence[FeedbackEnriched], deps: Triage) -> None:
    """Assess a batch's texts at once (one embedding pass for all: far cheaper per text), for `triaged`."""
    engine = deps.models.current
    texts = [event.payload.item.text for event in events]
    assessments = await engine.assess(texts)
    deps.ahead.keep({(engine, text): assessment for text, assessment in zip(texts, assessments, strict=True)})


@router.consumes(FeedbackEnriched, publishes=[FeedbackTriaged, FeedbackSplit], prepare=assess_ahead)
async def on_enriched(
    event: FeedbackEnriched, session: AsyncSession, deps: Triage
) -> list[FeedbackTriaged | FeedbackSplit]:
    """Classify an enriched item and weigh its priority; split a call transcript into its requests."""
    await storage.remember_item(session, event.payload)
    return [await triaged(event, event.payload, session, deps), *await split(event, event.payload.item, deps)]


@router.consumes(FeedbackUpdated, publishes=[FeedbackTriaged, FeedbackSplit])
async def on_updated(
    event: FeedbackUpdated, session: AsyncSession, deps: Triage
) -> list[FeedbackTriaged | FeedbackSplit]:
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
    first_transcript = not is_transcript(before.item.description, deps.settings.split_min_chars)
    splits = await split(event, enriched.item, deps) if first_transcript else []
    return [await triaged(event, enriched, session, deps), *splits]


@router.consumes(OverrideTriage, publishes=[FeedbackOverridden])
async def on_override(command: OverrideTriage, session: AsyncSession, deps: Triage) -> list[FeedbackOverridden]:
    """Keep a person's correction (who, when, what the AI had said) and announce it."""
    correction = command.payload
    ai = await storage.verdict_of(session, correction.item_id)
    storage.record_override(session, uuid5(NAMESPACE_URL, f"prodops:override/{command.event_id}"), correction, ai)
    for field in ("category", "priority", "tags", "product_area", "not_duplicate"):
        if getattr(correction, field) is not None:
            after_commit(session, deps.metrics.overrides.labels(field).inc)
    return [FeedbackOverridden.caused_by(command, producer=deps.runtime.name, payload=correction)]


@router.consumes(RetriageFeedback, publishes=[FeedbackTriaged])
async def on_retriage(command: RetriageFeedback, session: AsyncSession, deps: Triage) -> list[FeedbackTriaged]:
    """Triage stored items again with the current engine: one, a list, all, or the degraded ones."""
    request = command.payload
    if request.degraded and not request.everything:
        return await retriaged_degraded(command, session, deps)
    chosen = await storage.items(session, None if request.everything else request.item_ids)
    return [await triaged(command, enriched, session, deps) for enriched in chosen]


async def triaged(cause: Envelope, enriched: EnrichedFeedback, session: AsyncSession, deps: Triage) -> FeedbackTriaged:
    """The current engine's verdict (assessed ahead with its batch, or now), stored and announced."""
    engine = deps.models.current
    text = enriched.item.text
    if (assessment := deps.ahead.get((engine, text))) is None:
        [assessment] = await engine.assess([text])
    return await stored(cause, enriched, assessment, session, deps)


async def stored(
    cause: Envelope, enriched: EnrichedFeedback, assessment: Assessment, session: AsyncSession, deps: Triage
) -> FeedbackTriaged:
    verdict = domain.triage(
        enriched.item,
        assessment.reading,
        assessment.severity,
        deps.bands,
        assessment.model_version,
        utcnow(),
        assessment.degraded_reason,
        assessment.thresholds,
    )
    await storage.save_verdict(session, enriched.item.id, verdict)
    result = TriageResult(
        item_id=enriched.item.id,
        ai_triage=verdict,
        degraded=verdict.degraded,
        degraded_reason=verdict.degraded_reason,
        shadow=deps.settings.shadow_mode,
    )
    return FeedbackTriaged.caused_by(cause, producer=deps.runtime.name, payload=result)


async def retriaged_degraded(command: RetriageFeedback, session: AsyncSession, deps: Triage) -> list[FeedbackTriaged]:
    """The fallback's verdicts again, by the primary engine; the first item it still cannot answer
    ends the run (it and the rest stay degraded), so an outage costs one failed call a run."""
    primary = deps.models.primary
    if primary is None:
        return []  # no primary engine: the local verdicts are the best there is
    replies = []
    for enriched in await storage.degraded_items(session, deps.settings.retriage_degraded_batch):
        try:
            [assessment] = await primary.assess([enriched.item.text])
        except EngineFailure as error:
            log.info("the primary engine still fails; degraded items wait", reason=str(error)[:200])
            break
        replies.append(await stored(command, enriched, assessment, session, deps))
    return replies


async def split(cause: Envelope, item: FeedbackItem, deps: Triage) -> list[FeedbackSplit]:
    """A call transcript's requests, each to become an item of its own (ingest makes them)."""
    # Items made from a split are never split again; re-triage does not split either (ingest
    # keeps the first split of a transcript), so only a transcript's first arrival is read.
    if item.parent_id is not None or not is_transcript(item.description, deps.settings.split_min_chars):
        return []
    found = await deps.models.current.split(item.description, deps.split_policy)
    result = TranscriptSplit(
        item_id=item.id,
        requests=found.requests,
        model_version=found.model_version,
        degraded=found.degraded_reason is not None,
        degraded_reason=found.degraded_reason,
    )
    return [FeedbackSplit.caused_by(cause, producer=deps.runtime.name, payload=result)]
