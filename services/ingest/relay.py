"""The outbox relay: publishes stored items (and edits made at their source) until the broker has them.

The HTTP answer comes once an item is in the database; the relay then publishes it, and marks
it published only after the broker acknowledged. A broker that is down (or restarted empty, in
the embedded mode) only delays items; none is lost: the failed run is logged and counted by the
scheduler, and the next one tries again. An event the broker refuses for good (larger than a
message may be, say) is set aside with its reason, logged and counted, so the events behind it
go on: the outbox's dead letters, which an admin lists at GET /admin/outbox/set-aside.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol
from uuid import UUID

import structlog
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.runtime.inbox import OutgoingMessage
from libs.runtime.publishing import describe, publish_each
from services.ingest import storage
from services.ingest.deps import Ingest

log = structlog.get_logger()

# The relay's job on the service's scheduler (jobs.py); `wake` runs it at once.
RELAY = "outbox-relay"


class OutboxRow(Protocol):
    @property
    def outbox_id(self) -> UUID: ...

    @property
    def item_id(self) -> UUID: ...

    @property
    def outgoing(self) -> OutgoingMessage: ...


@dataclass(frozen=True)
class Outbox:
    """A table of events stored before they are published: how to read the waiting ones, mark them sent, or set one
    aside."""

    unpublished: Callable[[AsyncSession, int], Awaitable[Sequence[OutboxRow]]]
    mark_published: Callable[[AsyncSession, Sequence[UUID]], Awaitable[None]]
    set_aside: Callable[[AsyncSession, UUID, str], Awaitable[None]]


# Items first: an update is published only after its item (unpublished_updates waits for it).
OUTBOXES = (
    Outbox(storage.unpublished, storage.mark_published, storage.set_aside),
    Outbox(storage.unpublished_updates, storage.mark_updates_published, storage.set_update_aside),
)


def wake(deps: Ingest) -> None:
    """Have the relay publish now what was just stored, rather than at its next tick."""
    deps.runtime.scheduler.run_soon(RELAY)


async def publish_waiting(deps: Ingest) -> None:
    """Publish every outbox's waiting events, batch after batch, until none waits."""
    for outbox in OUTBOXES:
        while await publish_pending(deps, outbox):
            pass


async def publish_pending(deps: Ingest, outbox: Outbox) -> int:
    """Publish one batch of an outbox's waiting events; returns how many left the outbox (published or set aside).

    Raises when the broker did not take the rest (it is down): they wait for the next run.
    """
    runtime = deps.runtime
    async with runtime.sessions() as session:
        pending = await outbox.unpublished(session, deps.settings.relay_batch_size)
    if not pending:
        return 0
    outcome = await publish_each(runtime.publish_all, [(row, [row.outgoing]) for row in pending])
    refused = [
        (refusal.subject, refusal.error, f"the broker refuses it: {describe(refusal.error)}")
        for refusal in outcome.refused
    ]
    async with runtime.sessions() as session, session.begin():
        if outcome.delivered:
            await outbox.mark_published(session, [row.outbox_id for row in outcome.delivered])
        for row, _, reason in refused:
            await outbox.set_aside(session, row.outbox_id, reason)
    for row, error, reason in refused:
        topic = row.outgoing.topic
        log.error("outbox event set aside", item_id=str(row.item_id), topic=topic, reason=reason)
        deps.set_aside.labels(topic, type(error).__name__).inc()
    if outcome.error is not None:
        raise outcome.error
    return len(outcome.delivered) + len(refused)
