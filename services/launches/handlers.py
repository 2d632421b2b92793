"""Subscribers: launch commands in, launch events out."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from libs.runtime.consumer import consume
from libs.runtime.service import ServiceRuntime
from libs.schemas.events import Envelope, LaunchChanged, LaunchShipped, ShippedLaunch, UpsertLaunch, utcnow
from services.launches import domain, storage


def register(runtime: ServiceRuntime) -> None:
    async def on_upsert(command: UpsertLaunch, session: AsyncSession) -> list[Envelope]:
        """Create or update a launch; announce every change, and the shipping once."""
        launch = command.payload.launch
        existing = await storage.get(session, launch.id)
        shipped_before = existing.shipped_at if existing else None
        shipped_at = domain.shipped_at_after(launch, shipped_before, utcnow())
        await storage.save(session, launch, shipped_at)
        replies: list[Envelope] = [LaunchChanged.caused_by(command, producer=runtime.name, payload=command.payload)]
        if domain.ships_now(launch, shipped_before) and shipped_at is not None:
            shipped = ShippedLaunch(launch=launch, shipped_at=shipped_at)
            replies.append(LaunchShipped.caused_by(command, producer=runtime.name, payload=shipped))
        return replies

    consume(runtime, UpsertLaunch, on_upsert)
