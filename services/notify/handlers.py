"""Subscribers: remember who asked; when a launch ships, tell them."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from libs.runtime.consumer import consume
from libs.runtime.service import ServiceRuntime
from libs.schemas.events import FeedbackEnriched, LaunchShipped, NotificationSent, utcnow
from services.notify import domain, storage


def register(runtime: ServiceRuntime) -> None:
    async def on_enriched(event: FeedbackEnriched, session: AsyncSession) -> list[NotificationSent]:
        """Remember which customer asked through each item."""
        customer = event.payload.item.customer
        requester = domain.Requester(
            item_id=event.payload.item.id, email=customer.email, company=customer.company, tier=customer.tier
        )
        await storage.remember_requester(session, requester)
        return []

    async def on_shipped(event: LaunchShipped, session: AsyncSession) -> list[NotificationSent]:
        """Tell every customer who asked for a launch that it shipped, once each."""
        requesters = await storage.requesters_of(session, event.payload.launch.feedback_ids)
        notifications = domain.notifications_for(event.payload, requesters, utcnow())
        sent = await storage.already_sent(session, [notification.id for notification in notifications])
        replies = []
        for notification in notifications:
            if notification.id in sent:
                continue
            storage.record_sent(session, notification)
            replies.append(NotificationSent.caused_by(event, producer=runtime.name, payload=notification))
        return replies

    consume(runtime, FeedbackEnriched, on_enriched)
    consume(runtime, LaunchShipped, on_shipped)
