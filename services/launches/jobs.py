"""Background jobs of the launches service; each turns what it finds into commands to the service itself.

Going through launch.commands (keyed by launch) keeps one writer per launch: a job never races a
person's edit of the same launch.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping

import structlog

from libs.runtime.service import ServiceRuntime
from libs.schemas.commands import ReassessLaunch, RecordTrackerRef, UpdateLaunch
from libs.schemas.events import LaunchCommand, utcnow
from services.launches import domain, storage, trackers
from services.launches.adapters import Tracker, TrackerError

log = structlog.get_logger()

RISK_REVIEW = "launches:risk-review"


async def periodically(what: str, every_seconds: float, job: Callable[[], Awaitable[object]]) -> None:
    """Run a job at start and then every interval; a failed round is logged, and the next one tries again."""
    while True:
        try:
            await job()
        except Exception as error:  # a job loop that died would never run again
            log.warning(f"{what} failed", error=f"{type(error).__name__}: {error}")
        await asyncio.sleep(every_seconds)


async def review_risks(runtime: ServiceRuntime, rules: domain.RiskRules) -> int:
    """Ask to reassess each launch whose shown status time alone has changed; how many were asked."""
    async with runtime.sessions() as session:
        launches = await storage.not_shipped(session)
    today, asked = utcnow().date(), 0
    for state in launches:
        if domain.needs_reassessment(state, today, rules):
            command = ReassessLaunch(launch_id=state.launch.id, actor=RISK_REVIEW)
            await runtime.publish(LaunchCommand(producer=runtime.name, payload=command))
            asked += 1
    return asked


async def sync_trackers(
    runtime: ServiceRuntime, found_in: Mapping[str, Tracker], mapping: trackers.StatusMapping
) -> int:
    """Ask to update each unshipped launch whose tracker says something new; how many were asked."""
    async with runtime.sessions() as session:
        launches = await storage.not_shipped(session)
    today, asked = utcnow().date(), 0
    for state in launches:
        link = state.launch.tracker
        if link is None or link.system not in found_in:
            continue
        try:
            found = await found_in[link.system].fetch(link.id)
        except TrackerError as error:  # one tracker object gone or unreachable does not stop the others
            log.warning("tracker sync skipped a launch", launch_id=str(state.launch.id), error=str(error))
            continue
        if changes := domain.tracker_update(state, trackers.changes(found, mapping, today)):
            command = UpdateLaunch(launch_id=state.launch.id, actor=f"sync:{link.system}", changes=changes)
            await runtime.publish(LaunchCommand(producer=runtime.name, payload=command))
            asked += 1
    return asked


async def link_trackers(runtime: ServiceRuntime, found_in: Mapping[str, Tracker], policy: domain.RetryPolicy) -> int:
    """Find or create the tracker object of each launch waiting for one, and report how it went; how many were tried."""
    async with runtime.sessions() as session:
        launches = await storage.awaiting_tracker(session)
    now, tried = utcnow(), 0
    for state in launches:
        ref = state.launch.tracker_ref
        if ref is None or not domain.tracker_due(ref, now) or ref.system not in found_in:
            continue
        try:
            found = await found_in[ref.system].find_or_create(state.launch, ref)
            outcome = domain.tracker_linked(ref, trackers.link(found))
        except TrackerError as error:
            log.warning("tracker object not created yet", launch_id=str(state.launch.id), error=str(error))
            outcome = domain.tracker_attempt_failed(ref, str(error), error.retryable, now, policy)
        command = RecordTrackerRef(launch_id=state.launch.id, actor=f"sync:{ref.system}", ref=outcome)
        await runtime.publish(LaunchCommand(producer=runtime.name, payload=command))
        tried += 1
    return tried
