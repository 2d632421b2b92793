"""The launches service's periodic work; each job turns what it finds into commands to the service itself.

Going through launch.commands (keyed by launch) keeps one writer per launch: a job never races a
person's edit of the same launch.
"""

from __future__ import annotations

import structlog

from libs.runtime.jobs import Scheduler
from libs.schemas.commands import LaunchCommandPayload, ReassessLaunch, RecordTrackerRef, UpdateLaunch
from libs.schemas.events import LaunchCommand, utcnow
from services.launches import domain, storage, trackers
from services.launches.adapters import TrackerError
from services.launches.deps import Launches

log = structlog.get_logger()

RISK_REVIEW = "launches:risk-review"


def schedule(scheduler: Scheduler, deps: Launches) -> None:
    settings = deps.settings
    scheduler.every("review-risks", settings.risk_review_seconds, lambda: review_risks(deps))
    if deps.trackers:
        scheduler.every("sync-trackers", settings.tracker_sync_seconds, lambda: sync_trackers(deps))
    if settings.creates_in:
        scheduler.every("link-trackers", settings.tracker_link_seconds, lambda: link_trackers(deps))


async def review_risks(deps: Launches) -> None:
    """Ask to reassess each launch whose shown status time alone has changed."""
    async with deps.runtime.sessions() as session:
        launches = await storage.not_shipped(session)
    today = utcnow().date()
    for state in launches:
        if domain.needs_reassessment(state, today, deps.rules):
            await ask(deps, ReassessLaunch(launch_id=state.launch.id, actor=RISK_REVIEW))


async def sync_trackers(deps: Launches) -> None:
    """Ask to update each unshipped launch whose tracker says something new."""
    async with deps.runtime.sessions() as session:
        launches = await storage.not_shipped(session)
    today = utcnow().date()
    for state in launches:
        link = state.launch.tracker
        if link is None or link.system not in deps.trackers:
            continue
        try:
            found = await deps.trackers[link.system].fetch(link.id)
        except TrackerError as error:  # one tracker object gone or unreachable does not stop the others
            log.warning("tracker sync skipped a launch", launch_id=str(state.launch.id), error=str(error))
            continue
        if changes := domain.tracker_update(state, trackers.changes(found, deps.settings.tracker_mapping, today)):
            await ask(deps, UpdateLaunch(launch_id=state.launch.id, actor=f"sync:{link.system}", changes=changes))


async def link_trackers(deps: Launches) -> None:
    """Find or create the tracker object of each launch waiting for one, and report how it went."""
    async with deps.runtime.sessions() as session:
        launches = await storage.awaiting_tracker(session)
    now = utcnow()
    for state in launches:
        ref = state.launch.tracker_ref
        if ref is None or not domain.tracker_due(ref, now) or ref.system not in deps.trackers:
            continue
        try:
            found = await deps.trackers[ref.system].find_or_create(state.launch, ref)
            outcome = domain.tracker_linked(ref, trackers.link(found))
        except TrackerError as error:
            log.warning("tracker object not created yet", launch_id=str(state.launch.id), error=str(error))
            outcome = domain.tracker_attempt_failed(ref, str(error), error.retryable, now, deps.tracker_retries)
        await ask(deps, RecordTrackerRef(launch_id=state.launch.id, actor=f"sync:{ref.system}", ref=outcome))


async def ask(deps: Launches, command: LaunchCommandPayload) -> None:
    """Send a command to the service itself, through launch.commands."""
    await deps.runtime.publish(LaunchCommand(producer=deps.runtime.name, payload=command))
