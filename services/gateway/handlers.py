"""Subscribers: thin, decode (done by the runtime), fold into the read tables; nothing published yet."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from libs.runtime.consumer import consume
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
    LaunchChanged,
    LaunchShipped,
    NotificationSent,
    ThemeChanged,
)
from services.gateway import domain, storage


async def on_feedback(event: domain.FeedbackEvent, session: AsyncSession) -> list[Envelope]:
    """Fold a feedback event (received, enriched, triaged, deduped, overridden, linked, themed) into the item's row."""
    await storage.fold_feedback(session, event)
    return []


async def on_launch(event: domain.LaunchEvent, session: AsyncSession) -> list[Envelope]:
    """Fold a launch change or shipment into the launch's row."""
    await storage.fold_launch(session, event)
    return []


async def on_theme(event: ThemeChanged, session: AsyncSession) -> list[Envelope]:
    """Fold a theme's new name, keywords or merge into its row."""
    await storage.fold_theme(session, event)
    return []


async def on_notification(event: NotificationSent, session: AsyncSession) -> list[Envelope]:
    """Keep a notification sent to a customer."""
    await storage.add_notification(session, event)
    return []


def register(runtime: ServiceRuntime) -> None:
    consume(runtime, FeedbackReceived, on_feedback)
    consume(runtime, FeedbackEnriched, on_feedback)
    consume(runtime, FeedbackTriaged, on_feedback)
    consume(runtime, FeedbackDeduped, on_feedback)
    consume(runtime, FeedbackOverridden, on_feedback)
    consume(runtime, DuplicateLinkChanged, on_feedback)
    consume(runtime, FeedbackThemed, on_feedback)
    consume(runtime, ThemeChanged, on_theme)
    consume(runtime, LaunchChanged, on_launch)
    consume(runtime, LaunchShipped, on_launch)
    consume(runtime, NotificationSent, on_notification)
