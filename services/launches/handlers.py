"""The launches service's handler: launch commands in, launch events out (or, for a command that can never
apply, command.rejected with the reason)."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from libs.runtime.consumer import Refused
from libs.runtime.routing import EventRouter
from libs.schemas.events import (
    CommandRejected,
    LaunchChanged,
    LaunchCommand,
    LaunchPayload,
    LaunchShipped,
    ShippedLaunch,
)
from services.launches import domain, storage
from services.launches.deps import Launches

# LaunchCommand: the jobs ask the service itself (risk review, tracker sync and linking), one writer per launch.
router = EventRouter[Launches]("launches", also_publishes=[LaunchCommand])


@router.consumes(LaunchCommand, publishes=[LaunchChanged, LaunchShipped, CommandRejected])
async def on_command(
    command: LaunchCommand, session: AsyncSession, deps: Launches
) -> list[LaunchChanged | LaunchShipped]:
    """Apply a command to its launch; announce every change, and the shipping once."""
    before = await storage.get(session, command.payload.launch_id)
    # The command's own time: a tick is recorded when the person made it, not when it was handled.
    context = domain.Context(
        now=command.occurred_at,
        templates=await storage.templates(session),
        rules=deps.rules,
        creates_in=deps.settings.creates_in,
    )
    try:
        after = domain.apply(before, command.payload, context)
    except domain.Rejected as error:
        actor = command.payload.actor
        rejection = CommandRejected.of(command, producer=deps.runtime.name, reason=str(error), actor=actor)
        raise Refused(rejection) from error
    if after == before:
        return []
    await storage.save(session, after)
    payload = LaunchPayload(launch=after.launch, checklist=after.checklist)
    replies: list[LaunchChanged | LaunchShipped] = [
        LaunchChanged.caused_by(command, producer=deps.runtime.name, payload=payload)
    ]
    if domain.ships_now(before, after) and after.shipped_at is not None:
        shipped = ShippedLaunch(**dict(payload), shipped_at=after.shipped_at)
        replies.append(LaunchShipped.caused_by(command, producer=deps.runtime.name, payload=shipped))
    return replies
