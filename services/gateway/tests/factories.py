"""Events about feedback items and launches, as the other services would publish them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from libs.schemas.events import (
    CustomerMatch,
    DedupeResult,
    EnrichedFeedback,
    FeedbackDeduped,
    FeedbackEnriched,
    FeedbackOverridden,
    FeedbackReceived,
    FeedbackTriaged,
    LaunchChanged,
    LaunchPayload,
    LaunchShipped,
    ShippedLaunch,
    TriageOverride,
    TriageResult,
)
from libs.schemas.feedback import (
    AITriage,
    Category,
    Customer,
    FeedbackItem,
    FieldConfidence,
    Priority,
    SimilarItem,
    sentiment_label,
)
from libs.schemas.launches import Launch, LaunchStatus, LaunchType, Team


def feedback_item(item_id: UUID, at: datetime, **changes: Any) -> FeedbackItem:
    fields: dict[str, Any] = {
        "id": item_id,
        "title": "Rate limits too low",
        "description": "We hit 429s every hour.",
        "customer": Customer(email="cto@acme.io"),
        "category": Category.FEATURE_REQUEST,
        "tags": ["rate-limits"],
        "product_area": "api",
        "sentiment_score": -0.5,
        "created_at": at,
        "received_at": at,
    }
    return FeedbackItem(**fields | changes)


def received(item_id: UUID, at: datetime, **changes: Any) -> FeedbackReceived:
    return FeedbackReceived(producer="test", occurred_at=at, payload=feedback_item(item_id, at, **changes))


def enriched(item_id: UUID, at: datetime, customer: Customer, **changes: Any) -> FeedbackEnriched:
    item = feedback_item(item_id, at, customer=customer, **changes)
    payload = EnrichedFeedback(item=item, match=CustomerMatch(matched_by="email", known=customer.id is not None))
    return FeedbackEnriched(producer="test", occurred_at=at, payload=payload)


def triaged(
    item_id: UUID,
    at: datetime,
    category: Category = Category.BUG,
    priority: Priority = Priority.HIGH,
    sentiment: float = 0.6,
    tags: list[str] | None = None,
    shadow: bool = False,
) -> FeedbackTriaged:
    triage = AITriage(
        category=category,
        sentiment_score=sentiment,
        sentiment_label=sentiment_label(sentiment),
        priority=priority,
        priority_score=11,
        priority_reasoning="Tier x 3 + Severity x 2 + Revenue x 1",
        tags=["quota"] if tags is None else tags,
        product_area="platform",
        confidence=FieldConfidence(category=0.9, sentiment=0.8, priority=0.7),
        model_version="test-1",
        processed_at=at,
    )
    result = TriageResult(item_id=item_id, ai_triage=triage, shadow=shadow)
    return FeedbackTriaged(producer="test", occurred_at=at, payload=result)


def deduped(
    item_id: UUID, at: datetime, similar: list[SimilarItem], duplicate_of: UUID | None = None
) -> FeedbackDeduped:
    result = DedupeResult(
        item_id=item_id,
        similar_items=similar,
        duplicate_of=duplicate_of,
        duplicate_score=similar[0].score if duplicate_of else None,
        threshold=0.9,
        window_days=30,
        embedding_model="test",
    )
    return FeedbackDeduped(producer="test", occurred_at=at, payload=result)


def overridden(item_id: UUID, at: datetime, **fields: Any) -> FeedbackOverridden:
    override = TriageOverride(item_id=item_id, actor="pm@hub", **fields)
    return FeedbackOverridden(producer="test", occurred_at=at, payload=override)


def launch(launch_id: UUID, status: LaunchStatus, target_date: date, team: Team = Team.ENGINEERING) -> Launch:
    return Launch(
        id=launch_id,
        name=f"Higher rate limits {launch_id.hex[:6]}",
        type=LaunchType.API_PLATFORM_UPDATE,
        status=status,
        team=team,
        target_date=target_date,
    )


def launch_changed(
    launch_id: UUID, at: datetime, status: LaunchStatus, target_date: date, team: Team = Team.ENGINEERING
) -> LaunchChanged:
    payload = LaunchPayload(launch=launch(launch_id, status, target_date, team))
    return LaunchChanged(producer="test", occurred_at=at, payload=payload)


def launch_shipped(launch_id: UUID, at: datetime, target_date: date) -> LaunchShipped:
    payload = ShippedLaunch(launch=launch(launch_id, LaunchStatus.SHIPPED, target_date), shipped_at=at)
    return LaunchShipped(producer="test", occurred_at=at, payload=payload)
