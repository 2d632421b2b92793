"""Events about feedback items and launches, as the other services would publish them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal
from uuid import UUID

from libs.schemas.events import (
    CustomerHistory,
    CustomerMatch,
    DedupeResult,
    DuplicateLink,
    DuplicateLinkChanged,
    EnrichedFeedback,
    FeedbackDeduped,
    FeedbackEnriched,
    FeedbackOverridden,
    FeedbackReceived,
    FeedbackThemed,
    FeedbackTriaged,
    LaunchChanged,
    LaunchPayload,
    LaunchShipped,
    ShippedLaunch,
    Theme,
    ThemeChanged,
    ThemeMembership,
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


def enriched(
    item_id: UUID, at: datetime, customer: Customer, history: CustomerHistory | None = None, **changes: Any
) -> FeedbackEnriched:
    item = feedback_item(item_id, at, customer=customer, **changes)
    match = CustomerMatch(matched_by="email", known=customer.id is not None)
    payload = EnrichedFeedback(item=item, match=match, history=history)
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


def linked(
    item_id: UUID,
    at: datetime,
    duplicate_of: UUID | None,
    state: Literal["suggested", "merged", "not_duplicate", "standalone"] = "merged",
    actor: str = "pm@hub",
    score: float | None = None,
) -> DuplicateLinkChanged:
    link = DuplicateLink(
        item_id=item_id, duplicate_of=duplicate_of, state=state, score=score, actor=actor, changed_at=at
    )
    return DuplicateLinkChanged(producer="test", occurred_at=at, payload=link)


def themed(item_id: UUID, at: datetime, theme_id: UUID, score: float | None = 0.8) -> FeedbackThemed:
    membership = ThemeMembership(item_id=item_id, theme_id=theme_id, score=score)
    return FeedbackThemed(producer="test", occurred_at=at, payload=membership)


def theme_changed(
    theme_id: UUID,
    at: datetime,
    name: str,
    merged_into: UUID | None = None,
    by: str = "dedupe",
    summary: str | None = None,
) -> ThemeChanged:
    theme = Theme(
        id=theme_id,
        name=name,
        name_source="keywords" if by == "dedupe" else "person",
        keywords=name.lower().split()[:3],
        summary=summary,
        items=0,
        merged_into=merged_into,
        created_at=at,
        changed_at=at,
        changed_by=by,
    )
    return ThemeChanged(producer="test", occurred_at=at, payload=theme)
