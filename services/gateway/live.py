"""Live updates: the folds announce what changed once their transaction commits; browsers listen over SSE.

The browser's EventSource cannot send an Authorization header, and a bearer token in a URL ends up in
access logs and the browser's history. So the page trades its bearer token for a stream ticket
(`POST /api/v1/stream/ticket`): a token of the same subject and role that lives a minute and is only
good for `GET /api/v1/stream?ticket=...` (its audience makes the API refuse it as a bearer token).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Annotated, Literal
from uuid import UUID

import jwt
from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from sqlalchemy import event as sa_event
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.runtime.auth import Principal, Role, create_token, require, verify_token

STREAM_AUDIENCE = "prodops-stream"
TICKET_TTL = timedelta(seconds=60)
Viewer = Annotated[Principal, Depends(require(Role.VIEWER))]

ChangeKind = Literal["feedback", "launch", "theme", "notification"]


class Change(BaseModel):
    """What a fold changed: the kind of row and its id."""

    kind: ChangeKind
    id: UUID


@dataclass(eq=False)  # compared by identity: a set holds them
class Listener:
    queue: asyncio.Queue[Change]
    overflowed: bool = False


@dataclass
class Broadcaster:
    """Hands every change to every listener without ever waiting: a listener whose queue is full is marked
    overflowed (it is told to reload and dropped) rather than slowing the folds down."""

    queue_size: int
    listeners: set[Listener] = field(default_factory=set)

    def announce(self, change: Change) -> None:
        for listener in self.listeners:
            if listener.overflowed:
                continue
            try:
                listener.queue.put_nowait(change)
            except asyncio.QueueFull:
                listener.overflowed = True

    def after_commit(self, session: AsyncSession, kind: ChangeKind, id_: UUID) -> None:
        """Announce the change once `session` commits; a rolled-back fold (retried later) announces nothing."""
        change = Change(kind=kind, id=id_)
        sa_event.listen(session.sync_session, "after_commit", lambda _: self.announce(change), once=True)

    def listen(self) -> Listener:
        listener = Listener(asyncio.Queue(self.queue_size))
        self.listeners.add(listener)
        return listener

    def leave(self, listener: Listener) -> None:
        self.listeners.discard(listener)


class StreamTicket(BaseModel):
    ticket: str = Field(description="Pass as `?ticket=` to GET /api/v1/stream; good for one minute.")
    expires_in: int = Field(description="Seconds.")


router = APIRouter(prefix="/api/v1", tags=["live"])


@router.post("/stream/ticket")
async def stream_ticket(
    request: Request, principal: Annotated[Principal, Depends(require(Role.VIEWER))]
) -> StreamTicket:
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
async def stream(request: Request, ticket: Annotated[str | None, Query()] = None) -> StreamingResponse:
    """Server-sent events: `change` ({kind, id}) after each fold commits, a comment every heartbeat, and
    `reload` when this client fell too far behind (then the stream ends: reload, then listen again)."""
    if not ticket:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "missing stream ticket (POST /api/v1/stream/ticket)")
    try:
        verify_token(request.app.state.signing_key, ticket, audience=STREAM_AUDIENCE)
    except jwt.InvalidTokenError as error:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, f"invalid stream ticket: {error}") from error
    live: Broadcaster = request.app.state.live
    heartbeat: float = request.app.state.runtime.settings.live_heartbeat_seconds
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
