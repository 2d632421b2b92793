"""The FastAPI dependencies the gateway's routes share."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any
from uuid import UUID

from fastapi import Depends, HTTPException, Query, Request, status
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.runtime.auth import Principal, Role, require
from libs.runtime.oidc import OidcClient
from libs.schemas.events import Envelope
from services.gateway import queries
from services.gateway.api.models import CommandOutcomePublic, CommandRefusal
from services.gateway.deps import Gateway
from services.gateway.queries import ThemeStatsCache
from services.gateway.read_model import CommandOutcomeView


async def _session(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.runtime.sessions() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(_session)]


def _gateway(request: Request) -> Gateway:
    return request.app.state.gateway


GatewayDep = Annotated[Gateway, Depends(_gateway)]


def _theme_stats(gateway: GatewayDep) -> ThemeStatsCache:
    return gateway.theme_stats


ThemeStatsDep = Annotated[ThemeStatsCache, Depends(_theme_stats)]


def _oidc(gateway: GatewayDep) -> OidcClient:
    if gateway.oidc is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no OpenID Connect provider is configured")
    return gateway.oidc


OidcDep = Annotated[OidcClient, Depends(_oidc)]

Viewer = Annotated[Principal, Depends(require(Role.VIEWER))]

# The answers of a write besides its 202, for the OpenAPI document.
BROKER_AWAY: dict[int | str, dict[str, Any]] = {503: {"description": "Broker unavailable."}}
REFUSED: dict[int | str, dict[str, Any]] = {
    409: {"model": CommandRefusal, "description": "With wait: the owning service refused the command (the reason)."}
}

# A short wait: a person is looking at a spinner, and the request holds a worker.
MAX_WAIT_SECONDS = 5.0
POLL_SECONDS = 0.1

Wait = Annotated[
    float,
    Query(
        ge=0,
        le=MAX_WAIT_SECONDS,
        description="Seconds to wait for the owning service's refusal: one within them is a 409 with the reason, "
        "else the 202 says pending. 0 (the default): answer at once.",
    ),
]


async def publish_command(
    request: Request, command: Envelope, wait: float = 0.0, session: AsyncSession | None = None
) -> None:
    """Hand a command to the broker; when it is away, 503, so the person knows the write did not go through.

    With `wait`, then wait up to that long for its owning service to refuse it, and answer 409 with the reason if
    it does; `session` (the request's) is closed first, so that the wait holds no database connection.
    """
    try:
        await request.app.state.runtime.publish(command)
    except Exception as error:  # whatever the Kafka client raises, the caller may simply try again
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, f"the broker is unavailable: {type(error).__name__}"
        ) from error
    if wait <= 0:
        return
    if session is not None:
        await session.close()  # SQLite has one connection, and the refusal's fold needs it
    if (refused := await _refusal_within(request, command.event_id, wait)) is not None:
        raise HTTPException(
            status.HTTP_409_CONFLICT, command_outcome(command.event_id, refused).model_dump(mode="json")
        )


async def _refusal_within(request: Request, command_id: UUID, wait: float) -> CommandOutcomeView | None:
    """The command's refusal once folded, polled in fresh sessions (the fold may run in another replica)."""
    deadline = time.monotonic() + wait
    while True:
        async with request.app.state.runtime.sessions() as session:
            if (refused := await queries.get_command_outcome(session, command_id)) is not None:
                return refused
        if (left := deadline - time.monotonic()) <= 0:
            return None
        await asyncio.sleep(min(POLL_SECONDS, left))


def command_outcome(command_id: UUID, refused: CommandOutcomeView | None) -> CommandOutcomePublic:
    """A command's outcome as the API tells it: rejected with the reason, else pending."""
    if refused is None:
        return CommandOutcomePublic(command_id=command_id, status="pending")
    return CommandOutcomePublic.model_validate(refused.model_dump(exclude={"updated_at"}))
