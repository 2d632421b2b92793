"""Dedupe's periodic work: the embedding refresh, run when one is asked for."""

from __future__ import annotations

from libs.runtime.jobs import Scheduler
from services.dedupe.deps import Dedupe

REFRESH_VECTORS = "refresh-vectors"
# A refresh is asked for at start (a changed model) or by an admin, whose request wakes the job at once
# (run_soon); the periodic run only looks for a request that no wake-up reached, and usually finds none.
REFRESH_LOOK_SECONDS = 60.0


def schedule(scheduler: Scheduler, deps: Dedupe) -> None:
    scheduler.every(REFRESH_VECTORS, REFRESH_LOOK_SECONDS, lambda: refresh_vectors(deps))


async def refresh_vectors(deps: Dedupe) -> None:
    """Re-embed every item into a new generation of the index and switch to it, if a refresh was asked for."""
    await deps.vectors.run_requested_refresh()
