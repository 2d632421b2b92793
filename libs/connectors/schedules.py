"""Sync jobs on a schedule, shared by ingest's sources and enrich's CRMs.

A job runs once at start and then every few minutes (a backfill on a cron, where asked); one run of a job at a
time; a failed run is logged and left alone, since the cursor holds what was stored and the next run resumes there.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC

import structlog
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from libs.schemas.events import utcnow

log = structlog.get_logger()

SyncRun = Callable[[bool], Awaitable[object]]
"""One sync of a source: called with backfill=True for the full walk."""


def schedule_sync(
    scheduler: AsyncIOScheduler,
    job_id: str,
    sync: SyncRun,
    every_minutes: float,
    backfill_cron: str | None = None,
) -> None:
    """Adds `job_id:incremental` (at once, then every `every_minutes`) and, with a cron, `job_id:backfill`."""
    lock = asyncio.Lock()

    async def run(backfill: bool = False) -> None:
        async with lock:
            try:
                await sync(backfill)
            except Exception as error:  # the cursor holds what was stored; the next run resumes from it
                log.warning("sync failed", job=job_id, backfill=backfill, error=f"{type(error).__name__}: {error}")

    every = IntervalTrigger(minutes=every_minutes, timezone=UTC)
    scheduler.add_job(run, every, id=f"{job_id}:incremental", next_run_time=utcnow(), max_instances=1, coalesce=True)
    if backfill_cron is not None:
        scheduler.add_job(
            run,
            CronTrigger.from_crontab(backfill_cron, timezone=UTC),
            kwargs={"backfill": True},
            id=f"{job_id}:backfill",
            max_instances=1,
            coalesce=True,
        )
    log.info("sync scheduled", job=job_id, every_minutes=every_minutes, backfill=backfill_cron)
