"""Ingest's periodic work: the outbox relay, and each configured source's incremental sync and nightly backfill."""

from __future__ import annotations

from functools import partial

from libs.connectors.schedules import schedule_sync
from libs.runtime.jobs import Scheduler
from services.ingest import relay
from services.ingest.connectors import Connector
from services.ingest.deps import Ingest
from services.ingest.sync import sync_source


def schedule(scheduler: Scheduler, deps: Ingest) -> None:
    # Woken (run_soon) as an item is stored; the interval catches what a wake missed (a broker that was down).
    scheduler.every(relay.RELAY, deps.settings.relay_interval_seconds, partial(relay.publish_waiting, deps))
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
