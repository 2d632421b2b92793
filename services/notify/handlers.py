"""Notify's handlers: remember who asked, which items duplicate which, which theme holds each item,
and opt-outs; when a launch ships, plan one message per customer and channel (sent by the delivery job)."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from libs.runtime.routing import EventRouter
from libs.schemas.events import (
    Envelope,
    FeedbackDeduped,
    FeedbackEnriched,
    FeedbackOverridden,
    FeedbackThemed,
    LaunchChanged,
    LaunchShipped,
    NotificationSent,
    SetNotificationOptOut,
    ThemeChanged,
)
from libs.schemas.launches import LaunchStatus
from services.notify import domain, planning, storage
from services.notify.deps import Notify

# NotificationSent: the delivery job announces each message's outcome.
router = EventRouter[Notify]("notify", also_publishes=[NotificationSent])


@router.consumes(FeedbackEnriched)
async def on_enriched(event: FeedbackEnriched, session: AsyncSession, deps: Notify) -> list[Envelope]:
    """Remember which customer asked through each item, and their words."""
    item = event.payload.item
    customer = item.customer
    requester = domain.Requester(
        item_id=item.id,
        email=customer.email,
        company=customer.company,
        tier=customer.tier,
        customer_id=customer.id,
        name=customer.name,
        title=item.title,
        description=item.description,
    )
    await storage.remember_requester(session, requester)
    return []


@router.consumes(FeedbackDeduped)
async def on_deduped(event: FeedbackDeduped, session: AsyncSession, deps: Notify) -> list[Envelope]:
    """Remember which item an item duplicates (its customer asked for the same)."""
    await storage.remember_duplicate(session, event.payload.item_id, event.payload.duplicate_of, event.occurred_at)
    return []


@router.consumes(FeedbackOverridden)
async def on_overridden(event: FeedbackOverridden, session: AsyncSession, deps: Notify) -> list[Envelope]:
    """Remember a person's word that an item is, or is not, a duplicate."""
    if event.payload.not_duplicate is not None:
        await storage.remember_not_duplicate(
            session, event.payload.item_id, event.payload.not_duplicate, event.occurred_at
        )
    return []


@router.consumes(FeedbackThemed)
async def on_themed(event: FeedbackThemed, session: AsyncSession, deps: Notify) -> list[Envelope]:
    """Remember the theme an item is in (its customer asked for what the theme stands for)."""
    await storage.remember_membership(session, event.payload.item_id, event.payload.theme_id, event.occurred_at)
    return []


@router.consumes(ThemeChanged)
async def on_theme_changed(event: ThemeChanged, session: AsyncSession, deps: Notify) -> list[Envelope]:
    """Remember a theme merged into another: a launch linked to either is about both."""
    theme = event.payload
    await storage.remember_theme(session, theme.id, theme.merged_into, theme.changed_at)
    return []


@router.consumes(SetNotificationOptOut)
async def on_opt_out(command: SetNotificationOptOut, session: AsyncSession, deps: Notify) -> list[Envelope]:
    """Record that a customer opted out of launch notifications (or back in)."""
    await storage.set_opt_out(session, command.payload, command.occurred_at)
    return []


@router.consumes(LaunchShipped)
async def on_shipped(event: LaunchShipped, session: AsyncSession, deps: Notify) -> list[Envelope]:
    """Plan the messages to every customer who asked for a launch: once each per channel, replays included."""
    await planning.plan(session, event.payload.launch, event.occurred_at, deps)
    return []


@router.consumes(LaunchChanged)
async def on_changed(event: LaunchChanged, session: AsyncSession, deps: Notify) -> list[Envelope]:
    """Items linked to a launch after it shipped: their customers hear too (those told before, not again)."""
    if event.payload.launch.status == LaunchStatus.SHIPPED:
        await planning.plan(session, event.payload.launch, event.occurred_at, deps)
    return []
