"""Sending planned notifications: claim, send with retries, record the outcome, announce it.

Each step commits before the next, so a crash anywhere loses nothing and sends nothing twice
once it is recorded sent: a pending message is claimed (status sending) before it goes out;
after the send it is marked sent or failed; only then is notification.sent published, under an
event id fixed by the message and its outcome, so publishing again after a crash is a no-op
downstream. The one window left is a crash between a send and its record: the claim's lease runs
out and the message is sent once more (email keeps its Message-ID, so mail software sees one).
"""

from __future__ import annotations

from datetime import timedelta
from uuid import NAMESPACE_URL, uuid5

import stamina
import structlog

from libs.schemas.events import NotificationSent, utcnow
from services.notify import storage
from services.notify.adapters import DeliveryFailed, Notifier
from services.notify.deps import Notify
from services.notify.domain import Planned
from services.notify.settings import NotifySettings

log = structlog.get_logger()

BATCH = 50


async def send_with_retries(
    notifier: Notifier, planned: Planned, settings: NotifySettings
) -> tuple[DeliveryFailed | None, int]:
    """Send one message, retrying what may pass next time; why it failed (None: sent) and the attempts."""
    attempts = 0
    retrying = stamina.retry_context(
        on=lambda error: isinstance(error, DeliveryFailed) and error.retry,
        attempts=settings.delivery_attempts,
        wait_initial=settings.delivery_backoff_seconds,
        wait_max=settings.delivery_backoff_seconds * 30,
        timeout=None,
    )
    try:
        async for attempt in retrying:
            with attempt:
                attempts += 1
                await notifier.send(planned)
    except DeliveryFailed as error:
        return error, attempts
    except Exception as error:  # any other error fails this message alone, with its reason; the batch goes on
        return DeliveryFailed(f"{type(error).__name__}: {error}"[:500], retry=False), attempts
    return None, attempts


async def deliver_pending(deps: Notify) -> int:
    """Send what is claimable and announce every outcome not yet announced; how many messages moved."""
    runtime, settings = deps.runtime, deps.settings
    async with runtime.sessions() as session, session.begin():
        claimed = await storage.claim(session, utcnow(), timedelta(seconds=settings.delivery_lease_seconds), BATCH)
    for row in claimed:
        planned = row.as_planned()
        channel = planned.notification.channel
        notifier = deps.notifiers.get(channel)
        failure: DeliveryFailed | None
        if notifier is None:
            failure, attempts = NotConfigured(f"the {channel} channel is not configured", retry=False), 0
        else:
            failure, attempts = await send_with_retries(notifier, planned, settings)
        if failure:
            log.warning("notification failed", channel=channel, reason=failure.reason)
        reason = failure.reason if failure else None
        async with runtime.sessions() as session, session.begin():
            await storage.finish(session, row.id, "failed" if failure else "sent", reason, max(attempts, 1), utcnow())
        deps.metrics.count(channel, failure)  # once recorded: a crash before it sends again, and counts then
    return len(claimed) + await announce(deps)


class NotConfigured(DeliveryFailed):
    @property
    def kind(self) -> str:
        return "not_configured"


async def announce(deps: Notify) -> int:
    """Publish notification.sent for each recorded outcome, then mark it announced."""
    runtime = deps.runtime
    async with runtime.sessions() as session:
        rows = await storage.unannounced(session, BATCH)
    for row in rows:
        notification = row.as_notification()
        event = NotificationSent(
            event_id=uuid5(NAMESPACE_URL, f"prodops:notify/sent/{notification.id}/{notification.status}"),
            producer=runtime.name,
            payload=notification,
        )
        await runtime.publish(event)
    if rows:
        async with runtime.sessions() as session, session.begin():
            await storage.mark_announced(session, [row.id for row in rows])
    return len(rows)
