"""Notify's periodic work: send the planned messages and announce how each went."""

from __future__ import annotations

from libs.runtime.jobs import Scheduler
from services.notify import delivery
from services.notify.deps import Notify

# Also woken (run_soon) as soon as new messages are planned.
DELIVER = "deliver-notifications"


def schedule(scheduler: Scheduler, deps: Notify) -> None:
    scheduler.every(DELIVER, deps.settings.delivery_poll_seconds, lambda: deliver(deps))


async def deliver(deps: Notify) -> None:
    """Send and announce at once while there is work; a failed run (database or broker away) loses nothing."""
    while await delivery.deliver_pending(deps):
        pass
