"""The sync schedules inside the ingest service, for every source with API credentials.

Per source (its settings block): incremental every `sync_every_minutes` (15 by default, and once at
start), backfill on `backfill_cron` (daily at 02:00 UTC by default). One run per source at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.connectors.schedules import schedule_sync
from services.ingest.connectors import Connector
from services.ingest.sync import SyncReport, run_sync


def sync_scheduler(
    sessions: async_sessionmaker[AsyncSession],
    connectors: Mapping[str, Connector],
    on_page: Callable[[SyncReport], None],
) -> AsyncIOScheduler:
    """A scheduler (not yet started) with the incremental and backfill jobs of every configured source."""
    scheduler = AsyncIOScheduler(timezone=UTC)
    for name, connector in sorted(connectors.items()):
        if not connector.settings.configured():
            continue

        async def sync(backfill: bool, connector: Connector = connector) -> None:
            await run_sync(sessions, connector, backfill=backfill, on_page=on_page)

        settings = connector.settings
        schedule_sync(scheduler, name, sync, settings.sync_every_minutes, settings.backfill_cron)
    return scheduler
