"""Planning a shipped launch's messages: one per customer who asked (through its items, their
duplicates and its themes) and channel, stored pending for delivery, which is woken for them."""

from __future__ import annotations

from datetime import datetime
from functools import partial

from sqlmodel.ext.asyncio.session import AsyncSession

from libs.runtime.database import after_commit
from libs.schemas.launches import Launch
from services.notify import domain, jobs, storage
from services.notify.deps import Notify


async def plan(session: AsyncSession, launch: Launch, at: datetime, deps: Notify) -> None:
    """Store the messages to every customer who asked for the launch; one planned before stays as it is."""
    themes = await storage.theme_cluster(session, launch.theme_ids)
    linked = {*launch.feedback_ids, *await storage.items_in_themes(session, themes)}
    asked = await storage.duplicate_cluster(session, linked)
    requesters = await storage.requesters_of(session, asked)
    channels = list(deps.notifiers)
    opt_outs = await storage.opt_outs(session, domain.opt_out_names(requesters, channels))
    planned = domain.plan(launch, requesters, channels, opt_outs, deps.slack, at, deps.settings.excerpt_chars)
    await storage.add_planned(session, planned)
    if planned:
        # Sent as soon as they are stored, not at the next poll.
        after_commit(session, partial(deps.runtime.scheduler.run_soon, jobs.DELIVER))
