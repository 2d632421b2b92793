"""Waiting for what ingest's outbox relay publishes: it publishes after the answer, on its own schedule."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

from libs.runtime.testing import InMemoryBus
from libs.schemas.events import Envelope

E = TypeVar("E", bound=Envelope)

# The in-memory broker is never dialled.
UNUSED_BOOTSTRAP = "127.0.0.1:9"


async def relayed(bus: InMemoryBus, event_type: type[E], until: Callable[[list[E]], bool]) -> list[E]:
    """What the service published on `event_type`'s topic, once `until` holds (a bounded wait)."""
    async with asyncio.timeout(30):
        while not until(seen := bus.published(event_type)):  # noqa: ASYNC110 - the relay runs on its schedule
            await asyncio.sleep(0.02)
    return seen
