"""The sync schedules inside the ingest service, for every source with API credentials.

Per source (its settings block): incremental every `sync_every_minutes` (15 by default, and once at
start), backfill on `backfill_cron` (daily at 02:00 UTC by default). One run per source at a time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from datetime import UTC

import structlog
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.schemas.events import utcnow
from services.ingest.connectors import Connector
from services.ingest.sync import SyncReport, run_sync

log = structlog.get_logger()


def sync_scheduler(
    sessions: async_sessionmaker[AsyncSession],
    connectors: Mapping[str, Connector],
    on_page: Callable[[SyncReport], None],
) -> AsyncIOScheduler:
    """A scheduler (not yet started) with the incremental and backfill jobs of every configured source."""
    scheduler = AsyncIOScheduler(timezone=UTC)
    for name, connector in sorted(connectors.items()):
        if not connector.settings.can_sync():
            continue
        lock = asyncio.Lock()

        async def run(connector: Connector = connector, lock: asyncio.Lock = lock, backfill: bool = False) -> None:
            async with lock:
                try:
                    await run_sync(sessions, connector, backfill=backfill, on_page=on_page)
                except Exception as error:  # the cursor holds what was stored; the next run resumes from it
                    log.warning("sync failed", source=connector.name.value, error=f"{type(error).__name__}: {error}")

        settings = connector.settings
        scheduler.add_job(
            run,
            IntervalTrigger(minutes=settings.sync_every_minutes, timezone=UTC),
            id=f"{name}:incremental",
            next_run_time=utcnow(),
            max_instances=1,
            coalesce=True,
        )
        scheduler.add_job(
            run,
            CronTrigger.from_crontab(settings.backfill_cron, timezone=UTC),
            kwargs={"backfill": True},
            id=f"{name}:backfill",
            max_instances=1,
            coalesce=True,
        )
        log.info(
            "sync scheduled", source=name, every_minutes=settings.sync_every_minutes, backfill=settings.backfill_cron
        )
    return scheduler
