"""The live stream: browsers listen over server-sent events to what each fold changed (services/gateway/live.py).

The browser's EventSource cannot send an Authorization header, and a bearer token in a URL ends up in
access logs and the browser's history. So the page trades its bearer token for a stream ticket
(`POST /api/v1/stream/ticket`): a token of the same subject and role that lives a minute and is only
good for `GET /api/v1/stream?ticket=...` (its audience makes the API refuse it as a bearer token).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Annotated

import jwt
from fastapi import APIRouter, HTTPException, Query, Request, status
from fastapi.responses import StreamingResponse

from libs.runtime.auth import create_token, verify_token
from services.gateway.api.deps import GatewayDep, Viewer
from services.gateway.api.models import StreamTicket

STREAM_AUDIENCE = "prodops-stream"
TICKET_TTL = timedelta(seconds=60)

router = APIRouter(prefix="/api/v1", tags=["live"])


@router.post("/stream/ticket")
async def stream_ticket(request: Request, principal: Viewer) -> StreamTicket:
    """A short-lived ticket for the event stream, for clients (browsers) that cannot send a header."""
    ticket = create_token(
        request.app.state.signing_key, principal.role, principal.subject, TICKET_TTL, audience=STREAM_AUDIENCE
    )
    return StreamTicket(ticket=ticket, expires_in=int(TICKET_TTL.total_seconds()))


@router.get(
    "/stream",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "Server-sent events."}},
)
async def stream(
    request: Request, gateway: GatewayDep, ticket: Annotated[str | None, Query()] = None
) -> StreamingResponse:
    """Server-sent events: `change` ({kind, id}) after each fold commits, a comment every heartbeat, and
    `reload` when this client fell too far behind (then the stream ends: reload, then listen again)."""
    if not ticket:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "missing stream ticket (POST /api/v1/stream/ticket)")
    try:
        verify_token(request.app.state.signing_key, ticket, audience=STREAM_AUDIENCE)
    except jwt.InvalidTokenError as error:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, f"invalid stream ticket: {error}") from error
    live, heartbeat = gateway.live, gateway.settings.live_heartbeat_seconds
    listener = live.listen()

    async def events() -> AsyncIterator[str]:
        try:
            yield "retry: 3000\n: live\n\n"
            while True:
                try:
                    change = await asyncio.wait_for(listener.queue.get(), heartbeat)
                except TimeoutError:
                    yield ": heartbeat\n\n"
                    continue
                if listener.overflowed:
                    yield 'event: reload\ndata: {"reason": "too far behind"}\n\n'
                    return
                yield f"event: change\ndata: {change.model_dump_json()}\n\n"
        finally:
            live.leave(listener)

    return StreamingResponse(
        events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    )
