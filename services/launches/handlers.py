"""Subscribers: launch commands in, launch events out."""

from __future__ import annotations

from typing import Literal

from sqlmodel.ext.asyncio.session import AsyncSession

from libs.runtime.consumer import PoisonMessage, consume
from libs.runtime.service import ServiceRuntime
from libs.schemas.events import Envelope, LaunchChanged, LaunchCommand, LaunchPayload, LaunchShipped, ShippedLaunch
from services.launches import domain, storage


def register(runtime: ServiceRuntime, rules: domain.RiskRules, creates_in: Literal["linear", "jira"] | None) -> None:
    async def on_command(command: LaunchCommand, session: AsyncSession) -> list[Envelope]:
        """Apply a command to its launch; announce every change, and the shipping once."""
        before = await storage.get(session, command.payload.launch_id)
        # The command's own time: a tick is recorded when the person made it, not when it was handled.
        templates = await storage.templates(session)
        context = domain.Context(now=command.occurred_at, templates=templates, rules=rules, creates_in=creates_in)
        try:
            after = domain.apply(before, command.payload, context)
        except domain.Rejected as error:
            raise PoisonMessage(str(error)) from error
        if after == before:
            return []
        await storage.save(session, after)
        payload = LaunchPayload(launch=after.launch, checklist=after.checklist)
        replies: list[Envelope] = [LaunchChanged.caused_by(command, producer=runtime.name, payload=payload)]
        if domain.ships_now(before, after) and after.shipped_at is not None:
            shipped = ShippedLaunch(**dict(payload), shipped_at=after.shipped_at)
            replies.append(LaunchShipped.caused_by(command, producer=runtime.name, payload=shipped))
        return replies

    consume(runtime, LaunchCommand, on_command)
