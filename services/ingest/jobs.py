"""Ingest's periodic work: the outbox relay, each configured source's incremental sync and nightly backfill, and the
pruning of refusals and rejected payloads."""

from __future__ import annotations

from datetime import timedelta
from functools import partial

import structlog
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.connectors.rejections import RejectedPayload, prune
from libs.connectors.schedules import schedule_sync
from libs.runtime.jobs import Scheduler
from libs.schemas.events import utcnow
from services.ingest import relay
from services.ingest.connectors import Connector
from services.ingest.deps import Ingest
from services.ingest.settings import IngestSettings
from services.ingest.storage import WebhookRejection
from services.ingest.sync import sync_source

PRUNE_REJECTIONS = "prune-rejections"
# Often enough that a flood of forged deliveries between two runs stays small beside the rows kept.
PRUNE_EVERY_SECONDS = 300

log = structlog.get_logger()


def schedule(scheduler: Scheduler, deps: Ingest) -> None:
    # Woken (run_soon) as an item is stored; the interval catches what a wake missed (a broker that was down).
    scheduler.every(relay.RELAY, deps.settings.relay_interval_seconds, partial(relay.publish_waiting, deps))
    scheduler.every(
        PRUNE_REJECTIONS, PRUNE_EVERY_SECONDS, partial(prune_rejections, deps.runtime.sessions, deps.settings)
    )
    if not deps.settings.sync_schedules:
        return
    for name, connector in sorted(deps.connectors.items()):
        settings = connector.settings
        if settings.configured():
            sync = partial(sync_and_publish, deps, connector)
            schedule_sync(scheduler, name, sync, settings.sync_every_minutes, settings.backfill_cron)


async def sync_and_publish(deps: Ingest, connector: Connector, backfill: bool) -> None:
    """One scheduled run of a source's sync; the relay publishes each page as soon as it is stored."""
    await sync_source(deps.runtime.sessions, connector, backfill=backfill, on_page=lambda _: relay.wake(deps))


async def prune_rejections(sessions: async_sessionmaker[AsyncSession], settings: IngestSettings) -> None:
    """Refused deliveries (anyone can cause one) and rejected payloads: kept for a while, and never more than a set
    number of each."""
    before = utcnow() - timedelta(days=settings.rejection_retention_days)
    async with sessions() as session, session.begin():
        kept = settings.rejections_kept
        refusals = await prune(session, WebhookRejection, col(WebhookRejection.rejected_at), before, kept)
        payloads = await prune(session, RejectedPayload, col(RejectedPayload.rejected_at), before, kept)
    if refusals or payloads:
        log.info("rejections pruned", refusals=refusals, payloads=payloads)
