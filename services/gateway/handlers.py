"""Subscribers: thin, decode (done by the runtime), fold into the read tables, announce; nothing published."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from libs.runtime.consumer import Handler, consume
from libs.runtime.service import ServiceRuntime
from libs.schemas.events import (
    DuplicateLinkChanged,
    Envelope,
    FeedbackDeduped,
    FeedbackEnriched,
    FeedbackOverridden,
    FeedbackReceived,
    FeedbackThemed,
    FeedbackTriaged,
    FeedbackUpdated,
    LaunchChanged,
    LaunchShipped,
    NotificationSent,
    ThemeChanged,
)
from services.gateway import domain, storage
from services.gateway.live import Broadcaster


@dataclass
class Folds:
    """The gateway's subscribers: fold each event into its read table, then (after commit) tell `live`."""

    live: Broadcaster

    async def on_feedback(self, event: domain.FeedbackEvent, session: AsyncSession) -> list[Envelope]:
        """Fold a feedback event (received, updated, enriched, triaged, deduped, overridden, linked, themed)."""
        await storage.fold_feedback(session, event)
        self.live.after_commit(session, "feedback", event.payload.item_id)
        return []

    async def on_launch(self, event: domain.LaunchEvent, session: AsyncSession) -> list[Envelope]:
        """Fold a launch change or shipment into the launch's row."""
        await storage.fold_launch(session, event)
        self.live.after_commit(session, "launch", event.payload.launch.id)
        return []

    async def on_theme(self, event: ThemeChanged, session: AsyncSession) -> list[Envelope]:
        """Fold a theme's new name, keywords or merge into its row."""
        await storage.fold_theme(session, event)
        self.live.after_commit(session, "theme", event.payload.id)
        return []

    async def on_notification(self, event: NotificationSent, session: AsyncSession) -> list[Envelope]:
        """Keep a notification sent to a customer."""
        await storage.add_notification(session, event)
        self.live.after_commit(session, "notification", event.payload.id)
        return []

    def handlers(self) -> list[tuple[type[Envelope], Handler[Any]]]:
        """Every event the gateway consumes, with its fold: what the live service subscribes and a rebuild replays."""
        return [
            (FeedbackReceived, self.on_feedback),
            (FeedbackUpdated, self.on_feedback),
            (FeedbackEnriched, self.on_feedback),
            (FeedbackTriaged, self.on_feedback),
            (FeedbackDeduped, self.on_feedback),
            (FeedbackOverridden, self.on_feedback),
            (DuplicateLinkChanged, self.on_feedback),
            (FeedbackThemed, self.on_feedback),
            (ThemeChanged, self.on_theme),
            (LaunchChanged, self.on_launch),
            (LaunchShipped, self.on_launch),
            (NotificationSent, self.on_notification),
        ]


def register(runtime: ServiceRuntime, live: Broadcaster) -> None:
    for event_type, handler in Folds(live).handlers():
        consume(runtime, event_type, handler)
