"""Live updates: the folds announce what changed once their transaction commits; browsers listen over SSE
(the stream's routes are in api/routes/live.py)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Literal
from uuid import UUID

from pydantic import BaseModel
from sqlalchemy import event as sa_event
from sqlmodel.ext.asyncio.session import AsyncSession

# "command": an owning service refused a command (its id); GET /api/v1/commands/{id} says why.
ChangeKind = Literal["feedback", "launch", "theme", "notification", "command"]


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
