"""The outbox relay: publishes stored items until the broker has them.

The HTTP answer comes once an item is in the database; the relay then publishes it, and marks
it published only after the broker acknowledged. A broker that is down (or restarted empty, in
the embedded mode) only delays items; none is lost.
"""

from __future__ import annotations

import asyncio
import contextlib

import structlog

from libs.runtime.inbox import OutgoingMessage
from libs.runtime.service import ServiceRuntime
from libs.schemas.events import FeedbackReceived
from services.ingest import storage
from services.ingest.settings import IngestSettings

log = structlog.get_logger()


async def publish_pending(runtime: ServiceRuntime, batch_size: int) -> int:
    """Publish one batch of unpublished items; returns how many went out."""
    async with runtime.sessions() as session:
        pending = await storage.unpublished(session, batch_size)
    if not pending:
        return 0
    await runtime.publish_all(
        [OutgoingMessage(topic=FeedbackReceived.TOPIC, key=str(item.id), body=item.event) for item in pending]
    )
    async with runtime.sessions() as session, session.begin():
        await storage.mark_published(session, [item.id for item in pending])
    return len(pending)


def relay_loop(runtime: ServiceRuntime, settings: IngestSettings, wake: asyncio.Event):  # type: ignore[no-untyped-def]
    async def relay() -> None:
        while True:
            try:
                while await publish_pending(runtime, settings.relay_batch_size):
                    pass
            except Exception as error:  # the broker or the database is down: keep the items, try again
                log.warning("relay paused", error=f"{type(error).__name__}: {error}")
            wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), timeout=settings.relay_interval_seconds)

    return relay
