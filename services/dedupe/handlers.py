"""Dedupe's handlers: received items are deduped, linked and placed in a theme (deduping.py); commands
on dedupe.commands.v1 merge, unmerge and unlink items, and rename, merge and split themes (changes.py).
A command that can never apply (an item merged into itself or into its own duplicate, an unknown
theme) changes nothing: dedupe publishes command.rejected with its reason, for the sender to show.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from sqlmodel.ext.asyncio.session import AsyncSession

from libs.runtime.consumer import Refused
from libs.runtime.database import after_commit
from libs.runtime.routing import EventRouter
from libs.schemas.commands import MarkNotDuplicate, MergeItems, UnmergeItem
from libs.schemas.events import (
    CommandRejected,
    DedupeCommand,
    DuplicateLinkChanged,
    Envelope,
    FeedbackDeduped,
    FeedbackReceived,
    FeedbackThemed,
    ThemeChanged,
)
from services.dedupe import deduping, domain
from services.dedupe.changes import Changes
from services.dedupe.deps import Dedupe

router = EventRouter[Dedupe]("dedupe")

# A person's command on items, as the decision it records.
PERSON_OUTCOMES = {MergeItems: "merged", UnmergeItem: "unmerged", MarkNotDuplicate: "not_duplicate"}


async def embed_received(events: Sequence[FeedbackReceived], deps: Dedupe) -> None:
    """Embed a batch's texts in one call, for each handler to find its item's vector."""
    await deps.engines.embed_ahead([event.payload.text for event in events])


async def flush_index(deps: Dedupe) -> None:
    """The batch's vectors reach the disk once, before its decisions commit."""
    await asyncio.to_thread(deps.engines.serving.index.flush)


@router.consumes(
    FeedbackReceived,
    publishes=[FeedbackDeduped, DuplicateLinkChanged, FeedbackThemed, ThemeChanged],
    prepare=embed_received,
    conclude=flush_index,
)
async def on_received(event: FeedbackReceived, session: AsyncSession, deps: Dedupe) -> list[Envelope]:
    """List the items most similar to a received one, link it to a likely duplicate, and place it in a theme."""
    return await deduping.dedupe(event, session, deps)


@router.consumes(DedupeCommand, publishes=[DuplicateLinkChanged, FeedbackThemed, ThemeChanged, CommandRejected])
async def on_command(command: DedupeCommand, session: AsyncSession, deps: Dedupe) -> list[Envelope]:
    """Apply a person's merge, unmerge or unlinking of items, or renaming, merging or splitting of themes."""
    payload = command.payload
    # The command's own time: a change is recorded when the person made it, not when it was handled.
    changes = Changes(
        session, deps.engines.serving.index, deps.runtime.name, command, actor=payload.actor, now=command.occurred_at
    )
    try:
        await changes.apply(payload)
    except domain.Rejected as error:
        rejection = CommandRejected.of(command, producer=deps.runtime.name, reason=str(error), actor=payload.actor)
        raise Refused(rejection) from error
    if (outcome := PERSON_OUTCOMES.get(type(payload))) is not None:
        after_commit(session, deps.metrics.decisions.labels("person", outcome).inc)
    return await changes.replies()
