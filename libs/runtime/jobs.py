"""A service's one scheduler: every periodic job, named, one run at a time, its runs in /metrics.

A service declares its jobs in its jobs.py, in one `schedule(scheduler, deps)` function that the
composition root calls; the service runtime starts the scheduler with the broker and stops it first.
A failed run is logged and counted, never fatal: the next run tries again.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import UTC

import structlog
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from libs.schemas.events import utcnow

Job = Callable[[], Awaitable[object]]

log = structlog.get_logger()


class JobMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.runs = Counter(
            "prodops_job_runs_total",
            "Runs of a periodic job, by outcome: ok or failed.",
            ["job", "outcome"],
            registry=registry,
        )
        self.seconds = Histogram(
            "prodops_job_seconds", "How long one run of a periodic job took.", ["job"], registry=registry
        )
        self.last_run = Gauge(
            "prodops_job_last_run_timestamp_seconds",
            "When a periodic job's last run ended.",
            ["job"],
            registry=registry,
        )
        self.last_success = Gauge(
            "prodops_job_last_success_timestamp_seconds",
            "When a periodic job last ran without failing; time() minus it is how stale its work is.",
            ["job"],
            registry=registry,
        )


class Scheduler:
    """The service's periodic jobs on one APScheduler, each run wrapped with its log and metrics."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._scheduler = AsyncIOScheduler(timezone=UTC)
        self._metrics = JobMetrics(registry)
        self._running: dict[str, asyncio.Task[object]] = {}
        self._again: set[str] = set()

    @property
    def names(self) -> list[str]:
        return sorted(job.id for job in self._scheduler.get_jobs())

    def every(self, name: str, seconds: float, job: Job, *, at_start: bool = True) -> None:
        """Run `job` every `seconds` (and once as the service starts, unless `at_start` is False)."""
        self._add(name, IntervalTrigger(seconds=seconds, timezone=UTC), job, at_start)

    def cron(self, name: str, crontab: str, job: Job) -> None:
        """Run `job` on a crontab expression, in UTC (a nightly backfill)."""
        self._add(name, CronTrigger.from_crontab(crontab, timezone=UTC), job, at_start=False)

    def run_soon(self, name: str) -> None:
        """Run `name` now instead of at its next time; if it is running, once more when it ends."""
        if name in self._running:
            self._again.add(name)
        elif self._scheduler.running:
            self._scheduler.modify_job(name, next_run_time=utcnow())

    def start(self) -> None:
        self._scheduler.start()

    async def stop(self) -> None:
        """Stop scheduling, cancel the runs in flight and wait until they have let go of what they held."""
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        runs = list(self._running.values())
        for task in runs:
            task.cancel()
        await asyncio.gather(*runs, return_exceptions=True)

    def _add(self, name: str, trigger: BaseTrigger, job: Job, at_start: bool) -> None:
        if self._scheduler.get_job(name) is not None:
            raise ValueError(f"a job named {name!r} is scheduled already")

        async def run() -> None:
            self._running[name] = asyncio.current_task()  # type: ignore[assignment]
            try:
                while True:  # a run_soon() while it ran asks for one more
                    self._again.discard(name)
                    await self._once(name, job)
                    if name not in self._again:
                        return
            finally:
                del self._running[name]

        first = utcnow() if at_start else None
        options = {"next_run_time": first} if first else {}
        # One run at a time; runs missed while one was going (or the loop was busy) collapse into one.
        self._scheduler.add_job(
            run, trigger, id=name, name=name, max_instances=1, coalesce=True, misfire_grace_time=None, **options
        )

    async def _once(self, name: str, job: Job) -> None:
        started = time.perf_counter()
        outcome = "failed"
        try:
            await job()
            outcome = "ok"
        except Exception as error:  # a job that raised would be logged by APScheduler alone; ours says which and why
            log.warning("job failed; its next run tries again", job=name, error=f"{type(error).__name__}: {error}")
        finally:
            self._metrics.runs.labels(name, outcome).inc()
            self._metrics.seconds.labels(name).observe(time.perf_counter() - started)
            self._metrics.last_run.labels(name).set(time.time())
            if outcome == "ok":
                self._metrics.last_success.labels(name).set(time.time())
