"""Dependencies the gateway's routers share."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import Depends, HTTPException, Request, status
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.schemas.events import Envelope, utcnow
from services.gateway import domain, storage


async def _session(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.runtime.sessions() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(_session)]


@dataclass
class ThemeNumbers:
    stats: dict[UUID, domain.ThemeStats]
    computed_at: datetime
    taken: float  # time.monotonic() when computed


@dataclass
class ThemeStatsCache:
    """Every theme's numbers, reused for `ttl` seconds: computing them scans every item, and the overview and the
    themes list ask on every view.

    No lock: a request that holds the database connection (SQLite has one) while it waits for a lock held by
    another that waits for the connection would never end; two requests may at worst count twice.
    """

    ttl: float
    _numbers: dict[int, ThemeNumbers] = field(default_factory=dict)

    async def get(self, session: AsyncSession, weeks: int) -> ThemeNumbers:
        cached = self._numbers.get(weeks)
        if cached is not None and time.monotonic() - cached.taken < self.ttl:
            return cached
        now = utcnow()
        fresh = ThemeNumbers(await storage.theme_stats(session, now, weeks), now, time.monotonic())
        self._numbers[weeks] = fresh
        return fresh


def _theme_stats(request: Request) -> ThemeStatsCache:
    return request.app.state.theme_stats  # type: ignore[no-any-return]


ThemeStatsDep = Annotated[ThemeStatsCache, Depends(_theme_stats)]


# The answer of a write when the broker is away, for the OpenAPI document.
BROKER_AWAY: dict[int | str, dict[str, Any]] = {503: {"description": "Broker unavailable."}}


async def publish_command(request: Request, command: Envelope) -> None:
    """Hand a command to the broker; when it is away, 503, so the person knows the write did not go through."""
    try:
        await request.app.state.runtime.publish(command)
    except Exception as error:  # whatever the Kafka client raises, the caller may simply try again
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, f"the broker is unavailable: {type(error).__name__}"
        ) from error
