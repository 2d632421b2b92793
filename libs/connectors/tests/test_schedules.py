import asyncio

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from libs.connectors.schedules import schedule_sync


def test_a_source_gets_an_incremental_job_and_a_backfill_only_with_a_cron() -> None:
    scheduler = AsyncIOScheduler()

    async def sync(backfill: bool) -> None: ...

    schedule_sync(scheduler, "zendesk", sync, every_minutes=15, backfill_cron="0 2 * * *")
    schedule_sync(scheduler, "crm:hubspot", sync, every_minutes=30)

    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {"zendesk:incremental", "zendesk:backfill", "crm:hubspot:incremental"}
    assert jobs["zendesk:backfill"].kwargs == {"backfill": True}
    assert jobs["crm:hubspot:incremental"].trigger.interval.total_seconds() == 30 * 60


async def test_runs_of_one_job_never_overlap_and_a_failure_leaves_the_next_run_free() -> None:
    scheduler = AsyncIOScheduler()
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

    schedule_sync(scheduler, "zendesk", sync, every_minutes=15, backfill_cron="0 2 * * *")
    incremental, backfill = scheduler.get_job("zendesk:incremental"), scheduler.get_job("zendesk:backfill")

    await asyncio.gather(incremental.func(), backfill.func(**backfill.kwargs), incremental.func())

    assert calls == [False, True, False]
    assert not overlapped
