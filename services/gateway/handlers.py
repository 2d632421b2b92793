"""The gateway's handlers: fold each event into its read table, then (after commit) tell the live stream; they
publish nothing (the gateway's commands come from its API routes)."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from libs.runtime.routing import EventRouter
from libs.schemas.events import (
    CommandRejected,
    DedupeCommand,
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
    LaunchCommand,
    LaunchShipped,
    NotificationSent,
    OverrideTriage,
    RetriageFeedback,
    SetNotificationOptOut,
    ThemeChanged,
)
from services.gateway import domain, read_model
from services.gateway.deps import Gateway

# The commands people send through the API, each to the service that owns what it changes.
router = EventRouter[Gateway](
    "gateway",
    also_publishes=[OverrideTriage, RetriageFeedback, DedupeCommand, LaunchCommand, SetNotificationOptOut],
)


# Every event about a feedback item folds into the item's row; so every launch event into the launch's row.
@router.consumes(FeedbackReceived)
@router.consumes(FeedbackUpdated)
@router.consumes(FeedbackEnriched)
@router.consumes(FeedbackTriaged)
@router.consumes(FeedbackDeduped)
@router.consumes(FeedbackOverridden)
@router.consumes(DuplicateLinkChanged)
@router.consumes(FeedbackThemed)
async def on_feedback(event: domain.FeedbackEvent, session: AsyncSession, deps: Gateway) -> list[Envelope]:
    """Fold a feedback event (received, updated, enriched, triaged, deduped, overridden, linked, themed)."""
    await read_model.fold_feedback(session, event)
    deps.live.after_commit(session, "feedback", event.payload.item_id)
    return []


@router.consumes(ThemeChanged)
async def on_theme(event: ThemeChanged, session: AsyncSession, deps: Gateway) -> list[Envelope]:
    """Fold a theme's new name, keywords or merge into its row."""
    await read_model.fold_theme(session, event)
    deps.live.after_commit(session, "theme", event.payload.id)
    return []


@router.consumes(LaunchChanged)
@router.consumes(LaunchShipped)
async def on_launch(event: domain.LaunchEvent, session: AsyncSession, deps: Gateway) -> list[Envelope]:
    """Fold a launch change or shipment into the launch's row."""
    await read_model.fold_launch(session, event)
    deps.live.after_commit(session, "launch", event.payload.launch.id)
    return []


@router.consumes(NotificationSent)
async def on_notification(event: NotificationSent, session: AsyncSession, deps: Gateway) -> list[Envelope]:
    """Keep a notification sent to a customer."""
    await read_model.add_notification(session, event)
    deps.live.after_commit(session, "notification", event.payload.id)
    return []


@router.consumes(CommandRejected)
async def on_rejected(event: CommandRejected, session: AsyncSession, deps: Gateway) -> list[Envelope]:
    """Keep why an owning service refused a command, for the API call (or the browser) that sent it."""
    await read_model.add_rejection(session, event)
    deps.live.after_commit(session, "command", event.payload.command_id)
    return []
