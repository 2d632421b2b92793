"""Subscribers: remember who asked, which items duplicate which, which theme holds each item, and
opt-outs; when a launch ships, plan one message per customer and channel (sent by delivery.py)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel.ext.asyncio.session import AsyncSession

from libs.runtime.consumer import consume
from libs.runtime.service import ServiceRuntime
from libs.schemas.commands import Channel
from libs.schemas.events import (
    Envelope,
    FeedbackDeduped,
    FeedbackEnriched,
    FeedbackOverridden,
    FeedbackThemed,
    LaunchChanged,
    LaunchShipped,
    SetNotificationOptOut,
    ThemeChanged,
)
from libs.schemas.launches import Launch, LaunchStatus
from services.notify import domain, storage
from services.notify.settings import NotifySettings


def register(runtime: ServiceRuntime, settings: NotifySettings, channels: Sequence[Channel]) -> None:
    slack = domain.SlackRouting(channels=settings.slack.account_channels, default=settings.slack.channel)

    async def on_enriched(event: FeedbackEnriched, session: AsyncSession) -> list[Envelope]:
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

    async def on_deduped(event: FeedbackDeduped, session: AsyncSession) -> list[Envelope]:
        """Remember which item an item duplicates (its customer asked for the same)."""
        await storage.remember_duplicate(session, event.payload.item_id, event.payload.duplicate_of, event.occurred_at)
        return []

    async def on_overridden(event: FeedbackOverridden, session: AsyncSession) -> list[Envelope]:
        """Remember a person's word that an item is, or is not, a duplicate."""
        if event.payload.not_duplicate is not None:
            await storage.remember_not_duplicate(
                session, event.payload.item_id, event.payload.not_duplicate, event.occurred_at
            )
        return []

    async def on_themed(event: FeedbackThemed, session: AsyncSession) -> list[Envelope]:
        """Remember the theme an item is in (its customer asked for what the theme stands for)."""
        await storage.remember_membership(session, event.payload.item_id, event.payload.theme_id, event.occurred_at)
        return []

    async def on_theme_changed(event: ThemeChanged, session: AsyncSession) -> list[Envelope]:
        """Remember a theme merged into another: a launch linked to either is about both."""
        theme = event.payload
        await storage.remember_theme(session, theme.id, theme.merged_into, theme.changed_at)
        return []

    async def on_opt_out(command: SetNotificationOptOut, session: AsyncSession) -> list[Envelope]:
        """Record that a customer opted out of launch notifications (or back in)."""
        await storage.set_opt_out(session, command.payload, command.occurred_at)
        return []

    async def plan_for(launch: Launch, event: Envelope, session: AsyncSession) -> None:
        themes = await storage.theme_cluster(session, launch.theme_ids)
        linked = {*launch.feedback_ids, *await storage.items_in_themes(session, themes)}
        asked = await storage.duplicate_cluster(session, linked)
        requesters = await storage.requesters_of(session, asked)
        opt_outs = await storage.opt_outs(session, domain.opt_out_names(requesters, channels))
        planned = domain.plan(launch, requesters, channels, opt_outs, slack, event.occurred_at, settings.excerpt_chars)
        await storage.add_planned(session, planned)

    async def on_shipped(event: LaunchShipped, session: AsyncSession) -> list[Envelope]:
        """Plan the messages to every customer who asked for a launch: once each per channel, replays included."""
        await plan_for(event.payload.launch, event, session)
        return []

    async def on_changed(event: LaunchChanged, session: AsyncSession) -> list[Envelope]:
        """Items linked to a launch after it shipped: their customers hear too (those told before, not again)."""
        if event.payload.launch.status == LaunchStatus.SHIPPED:
            await plan_for(event.payload.launch, event, session)
        return []

    consume(runtime, FeedbackEnriched, on_enriched)
    consume(runtime, FeedbackDeduped, on_deduped)
    consume(runtime, FeedbackOverridden, on_overridden)
    consume(runtime, FeedbackThemed, on_themed)
    consume(runtime, ThemeChanged, on_theme_changed)
    consume(runtime, SetNotificationOptOut, on_opt_out)
    consume(runtime, LaunchShipped, on_shipped)
    consume(runtime, LaunchChanged, on_changed)
