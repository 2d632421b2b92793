"""Enrich's handlers: attach the CRM customer and its history to each item; remember which items were negative."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from libs.runtime.routing import EventRouter
from libs.schemas.events import Envelope, FeedbackEnriched, FeedbackReceived, FeedbackTriaged
from libs.schemas.feedback import SentimentLabel
from services.enrich import domain, storage
from services.enrich.deps import Enrich

router = EventRouter[Enrich]("enrich")


@router.consumes(FeedbackReceived, publishes=[FeedbackEnriched])
async def on_received(event: FeedbackReceived, session: AsyncSession, deps: Enrich) -> list[FeedbackEnriched]:
    """Attach the CRM customer (tier, ARR, health, at risk and why) and its history to a received item."""
    item = event.payload
    rules = deps.churn_rules
    matched = domain.match_customer(item.customer, await storage.find_candidates(session, item.customer))
    # Unknown authors still have a history, by their email.
    customer_id, email = matched.customer.id, domain.normalize_email(item.customer.email)
    past = None
    if customer_id or email:
        await storage.record_item(session, item, customer_id, email)
        past = await storage.past_items(session, item, customer_id, email, rules.window)
    payload = domain.enriched(item, matched, past, rules)
    return [FeedbackEnriched.caused_by(event, producer=deps.runtime.name, payload=payload)]


@router.consumes(FeedbackTriaged)
async def on_triaged(event: FeedbackTriaged, session: AsyncSession, deps: Enrich) -> list[Envelope]:
    """Remember which items were negative, for the churn signals of the customer's next items."""
    result = event.payload
    if not result.shadow:  # a shadow verdict is a suggestion, not what the hub believes
        verdict = result.ai_triage
        negative = verdict.sentiment_label is SentimentLabel.NEGATIVE
        await storage.record_sentiment(session, result.item_id, verdict.sentiment_score, negative, verdict.processed_at)
    return []
