"""Sync jobs on a service's one scheduler, shared by ingest's sources and enrich's CRMs.

A source's incremental job runs once at start and then every few minutes, its backfill (where asked) on a cron.
A failed run is logged and counted by the scheduler, and left alone: the cursor holds what was stored and the
next run resumes there.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from functools import partial

import structlog

from libs.runtime.jobs import Scheduler

log = structlog.get_logger()

SyncRun = Callable[[bool], Awaitable[object]]
"""One sync of a source: called with backfill=True for the full walk."""


def schedule_sync(
    scheduler: Scheduler,
    name: str,
    sync: SyncRun,
    every_minutes: float,
    backfill_cron: str | None = None,
) -> None:
    """Schedules `name:incremental` (at once, then every `every_minutes`) and, with a cron, `name:backfill`."""
    # A source's incremental run and its backfill store the same items: one of them at a time.
    lock = asyncio.Lock()

    async def run(backfill: bool) -> None:
        async with lock:
            await sync(backfill)

    scheduler.every(f"{name}:incremental", every_minutes * 60, partial(run, False))
    if backfill_cron is not None:
        scheduler.cron(f"{name}:backfill", backfill_cron, partial(run, True))
    log.info("sync scheduled", job=name, every_minutes=every_minutes, backfill=backfill_cron)
