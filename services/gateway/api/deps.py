"""The FastAPI dependencies the gateway's routes share."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, status
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.runtime.auth import Principal, Role, require
from libs.runtime.oidc import OidcClient
from libs.schemas.events import Envelope
from services.gateway.deps import Gateway
from services.gateway.queries import ThemeStatsCache


async def _session(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.runtime.sessions() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(_session)]


def _gateway(request: Request) -> Gateway:
    return request.app.state.gateway  # type: ignore[no-any-return]


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
