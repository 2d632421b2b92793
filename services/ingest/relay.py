"""The outbox relay: publishes stored items (and edits made at their source) until the broker has them.

The HTTP answer comes once an item is in the database; the relay then publishes it, and marks
it published only after the broker acknowledged. A broker that is down (or restarted empty, in
the embedded mode) only delays items; none is lost.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol
from uuid import UUID

import structlog
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.runtime.inbox import OutgoingMessage
from libs.runtime.service import ServiceRuntime
from services.ingest import storage
from services.ingest.settings import IngestSettings

log = structlog.get_logger()


class OutboxRow(Protocol):
    @property
    def outbox_id(self) -> UUID: ...

    @property
    def outgoing(self) -> OutgoingMessage: ...


@dataclass(frozen=True)
class Outbox:
    """A table of events stored before they are published: how to read the waiting ones and mark them sent."""

    unpublished: Callable[[AsyncSession, int], Awaitable[Sequence[OutboxRow]]]
    mark_published: Callable[[AsyncSession, Sequence[UUID]], Awaitable[None]]


# Items first: an update is published only after its item (unpublished_updates waits for it).
OUTBOXES = (
    Outbox(storage.unpublished, storage.mark_published),
    Outbox(storage.unpublished_updates, storage.mark_updates_published),
)


async def publish_pending(runtime: ServiceRuntime, outbox: Outbox, batch_size: int) -> int:
    """Publish one batch of an outbox's waiting events; returns how many went out."""
    async with runtime.sessions() as session:
        pending = await outbox.unpublished(session, batch_size)
    if not pending:
        return 0
    await runtime.publish_all([row.outgoing for row in pending])
    async with runtime.sessions() as session, session.begin():
        await outbox.mark_published(session, [row.outbox_id for row in pending])
    return len(pending)


def relay_loop(runtime: ServiceRuntime, settings: IngestSettings, wake: asyncio.Event):  # type: ignore[no-untyped-def]
    async def relay() -> None:
        while True:
            try:
                for outbox in OUTBOXES:
                    while await publish_pending(runtime, outbox, settings.relay_batch_size):
                        pass
            except Exception as error:  # the broker or the database is down: keep the items, try again
                log.warning("relay paused", error=f"{type(error).__name__}: {error}")
            wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), timeout=settings.relay_interval_seconds)

    return relay
