"""The outbox relay: publishes stored items (and edits made at their source) until the broker has them.

The HTTP answer comes once an item is in the database; the relay then publishes it, and marks
it published only after the broker acknowledged. A broker that is down (or restarted empty, in
the embedded mode) only delays items; none is lost: the failed run is logged and counted by the
scheduler, and the next one tries again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol
from uuid import UUID

from sqlmodel.ext.asyncio.session import AsyncSession

from libs.runtime.inbox import OutgoingMessage
from libs.runtime.service import ServiceRuntime
from services.ingest import storage
from services.ingest.deps import Ingest

# The relay's job on the service's scheduler (jobs.py); `wake` runs it at once.
RELAY = "outbox-relay"


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


def wake(deps: Ingest) -> None:
    """Have the relay publish now what was just stored, rather than at its next tick."""
    deps.runtime.scheduler.run_soon(RELAY)


async def publish_waiting(deps: Ingest) -> None:
    """Publish every outbox's waiting events, batch after batch, until none waits."""
    for outbox in OUTBOXES:
        while await publish_pending(deps.runtime, outbox, deps.settings.relay_batch_size):
            pass


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
