"""Sync jobs as a service's scheduler is given them: names, intervals, crons; one run of a source at a time."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry

from libs.connectors.schedules import schedule_sync
from libs.runtime.jobs import Job, Scheduler


@dataclass
class Recorded:
    """What schedule_sync asks of a Scheduler: each job by name, with its interval (seconds) or its crontab."""

    jobs: dict[str, tuple[float | str, Job]] = field(default_factory=dict)

    def every(self, name: str, seconds: float, job: Job, *, at_start: bool = True) -> None:
        self.jobs[name] = (seconds, job)

    def cron(self, name: str, crontab: str, job: Job) -> None:
        self.jobs[name] = (crontab, job)


def scheduled(recorded: Recorded) -> Scheduler:
    return recorded  # type: ignore[return-value]


def test_a_source_gets_an_incremental_job_and_a_backfill_only_with_a_cron() -> None:
    recorded = Recorded()

    async def sync(backfill: bool) -> None: ...

    schedule_sync(scheduled(recorded), "zendesk", sync, every_minutes=15, backfill_cron="0 2 * * *")
    schedule_sync(scheduled(recorded), "crm:hubspot", sync, every_minutes=30)

    assert {name: when for name, (when, _) in recorded.jobs.items()} == {
        "zendesk:incremental": 15 * 60,
        "zendesk:backfill": "0 2 * * *",
        "crm:hubspot:incremental": 30 * 60,
    }


def test_the_runtimes_scheduler_takes_the_jobs_by_name() -> None:
    scheduler = Scheduler(CollectorRegistry())

    async def sync(backfill: bool) -> None: ...

    schedule_sync(scheduler, "zendesk", sync, every_minutes=15, backfill_cron="30 3 * * *")
    assert scheduler.names == ["zendesk:backfill", "zendesk:incremental"]


async def test_a_sources_runs_never_overlap_and_a_failure_leaves_the_next_run_free() -> None:
    recorded = Recorded()
    running, overlapped, calls = 0, False, []

    async def sync(backfill: bool) -> None:
        nonlocal running, overlapped
        running += 1
        overlapped |= running > 1
        calls.append(backfill)
        await asyncio.sleep(0.01)
        running -= 1
        if len(calls) == 1:
            raise ConnectionError("vendor down")

    schedule_sync(scheduled(recorded), "zendesk", sync, every_minutes=15, backfill_cron="0 2 * * *")
    _, incremental = recorded.jobs["zendesk:incremental"]
    _, backfill = recorded.jobs["zendesk:backfill"]

    outcomes = await asyncio.gather(incremental(), backfill(), incremental(), return_exceptions=True)

    assert calls == [False, True, False]
    assert not overlapped
    # The scheduler logs and counts a failed run; the cursor holds what was stored.
    assert isinstance(outcomes[0], ConnectionError) and list(outcomes[1:]) == [None, None]
