"""The read API under /api/v1: feedback and overview; every route needs a viewer (launches: launches_api.py)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Query, status
from pydantic import AwareDatetime, BaseModel, Field

from libs.runtime.auth import Role, require
from libs.schemas.events import utcnow
from libs.schemas.feedback import AITriage, Customer, FeedbackStatus, SimilarItem, Source, Tier
from services.gateway import domain, storage
from services.gateway.deps import SessionDep
from services.gateway.launches_api import LaunchPublic, launch_public
from services.gateway.storage import FeedbackQuery, FeedbackView

RECENT_DAYS = 7
TOP_PRODUCT_AREAS = 5
UPCOMING_LAUNCHES = 5


router = APIRouter(prefix="/api/v1", dependencies=[Depends(require(Role.VIEWER))])


# --- models -------------------------------------------------------------------------------------


class CustomerSummaryPublic(BaseModel):
    company: str | None
    tier: Tier | None
    arr: float | None


class ProcessingPublic(BaseModel):
    """Which events about the item the gateway has folded."""

    received: bool
    enriched: bool
    triaged: bool
    deduped: bool


class _FeedbackBase(BaseModel):
    id: UUID
    source: Source
    title: str
    status: FeedbackStatus
    created_at: AwareDatetime
    # Effective values: a person's override, else the AI's triage, else what was submitted.
    category: str | None
    priority: str | None
    sentiment_label: str | None
    product_area: str | None
    processing: ProcessingPublic


class FeedbackSummaryPublic(_FeedbackBase):
    customer: CustomerSummaryPublic


class FeedbackPagePublic(BaseModel):
    items: list[FeedbackSummaryPublic]
    total: int = Field(description="How many items match the filters, over all pages.")
    limit: int
    offset: int


class SubmittedPublic(BaseModel):
    """What the source submitted, before the AI or a person had a say."""

    category: str | None
    priority: str | None
    sentiment_score: float | None
    tags: list[str]
    product_area: str | None


class OverridePublic(domain.OverrideEntry):
    """A person's correction of the AI."""


class FeedbackPublic(_FeedbackBase):
    source_id: str | None
    description: str
    url: str | None
    votes: int
    received_at: AwareDatetime
    tags: list[str]
    sentiment_score: float | None
    submitted: SubmittedPublic
    customer: Customer
    customer_known: bool | None = Field(description="Whether enrich found the customer in the CRM (null: not yet).")
    ai_triage: AITriage | None
    similar_items: list[SimilarItem]
    duplicate_of: UUID | None
    duplicate_score: float | None
    overrides: list[OverridePublic]
    updated_at: AwareDatetime


class VolumePublic(BaseModel):
    last_7_days: int
    previous_7_days: int


class SentimentPublic(BaseModel):
    average: float | None
    negative_share: float | None
    sample_size: int = Field(description="Items with a sentiment score.")


class ProductAreaCountPublic(BaseModel):
    product_area: str
    count: int


class CustomersAskingPublic(BaseModel):
    arr: float = Field(description="Sum of the ARR of the distinct known customers behind the items.")
    customers: int


class OverviewPublic(BaseModel):
    total: int = Field(description="Items shown; the sample behind the counts by category, priority and source.")
    volume: VolumePublic
    by_category: dict[str, int]
    by_priority: dict[str, int]
    by_source: dict[str, int]
    sentiment: SentimentPublic
    top_product_areas: list[ProductAreaCountPublic]
    critical_high_open: int = Field(description="Critical or high priority items not shipped or closed.")
    customers_asking: CustomersAskingPublic
    upcoming_launches: list[LaunchPublic] = Field(description="Not shipped yet, soonest target first.")
    last_updated: AwareDatetime | None = Field(description="When the newest event folded in happened.")


# --- routes -------------------------------------------------------------------------------------


@router.get("/feedback")
async def list_feedback(session: SessionDep, query: Annotated[FeedbackQuery, Query()]) -> FeedbackPagePublic:
    """Feedback items that match the filters, one page of them, with the total."""
    rows, total = await storage.list_feedback(session, query)
    return FeedbackPagePublic(
        items=[_summary(row) for row in rows], total=total, limit=query.limit, offset=query.offset
    )


@router.get("/feedback/{item_id}", responses={404: {"description": "No such feedback item (yet)."}})
async def get_feedback(session: SessionDep, item_id: UUID) -> FeedbackPublic:
    """One feedback item with its customer, AI triage, similar items, overrides and processing."""
    row = await storage.get_feedback(session, item_id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"feedback item {item_id} not found")
    return _detail(row)


@router.get("/overview")
async def overview(session: SessionDep) -> OverviewPublic:
    """The key numbers of the hub, each with its sample size."""
    last_days, previous_days = await storage.created_since(session, utcnow(), RECENT_DAYS)
    average, negative, scored = await storage.sentiment_stats(session)
    arr, customers = await storage.customers_asking(session)
    areas = await storage.count_feedback_by(session, FeedbackView.product_area, limit=TOP_PRODUCT_AREAS)
    return OverviewPublic(
        total=await storage.count_feedback(session),
        volume=VolumePublic(last_7_days=last_days, previous_7_days=previous_days),
        by_category=await storage.count_feedback_by(session, FeedbackView.category),
        by_priority=await storage.count_feedback_by(session, FeedbackView.priority),
        by_source=await storage.count_feedback_by(session, FeedbackView.source),
        sentiment=SentimentPublic(
            average=average, negative_share=negative / scored if scored else None, sample_size=scored
        ),
        top_product_areas=[ProductAreaCountPublic(product_area=area, count=count) for area, count in areas.items()],
        critical_high_open=await storage.count_urgent_open(session),
        customers_asking=CustomersAskingPublic(arr=arr, customers=customers),
        upcoming_launches=[launch_public(row) for row in await storage.upcoming_launches(session, UPCOMING_LAUNCHES)],
        last_updated=await storage.last_updated(session),
    )


# --- rows to public models ----------------------------------------------------------------------


def _processing(row: FeedbackView) -> ProcessingPublic:
    return ProcessingPublic(
        received=row.received_event_at is not None,
        enriched=row.enriched_at is not None,
        triaged=row.triaged_at is not None,
        deduped=row.deduped_at is not None,
    )


def _base(row: FeedbackView) -> dict[str, object]:
    return {
        "id": row.item_id,
        "source": row.source,
        "title": row.title,
        "status": row.status,
        "created_at": row.created_at,
        "category": row.category,
        "priority": row.priority,
        "sentiment_label": row.sentiment_label,
        "product_area": row.product_area,
        "processing": _processing(row),
    }


def _summary(row: FeedbackView) -> FeedbackSummaryPublic:
    customer = {"company": row.customer_company, "tier": row.customer_tier, "arr": row.customer_arr}
    return FeedbackSummaryPublic.model_validate(_base(row) | {"customer": customer})


def _detail(row: FeedbackView) -> FeedbackPublic:
    stored = row.model_dump()
    customer = Customer.model_validate(
        {
            "id": row.customer_id,
            "email": row.customer_email,
            "name": row.customer_name,
            "company": row.customer_company,
            "tier": row.customer_tier,
            "arr": row.customer_arr,
            "health_score": row.customer_health,
            "at_risk": bool(row.customer_at_risk),
        }
    )
    submitted = SubmittedPublic(
        category=row.submitted_category,
        priority=row.submitted_priority,
        sentiment_score=row.submitted_sentiment_score,
        tags=row.submitted_tags or [],
        product_area=row.submitted_product_area,
    )
    return FeedbackPublic.model_validate(
        _base(row)
        | {
            "source_id": row.source_id,
            "description": row.description or "",
            "url": row.url,
            "votes": row.votes,
            "received_at": row.received_at,
            "tags": row.tags or [],
            "sentiment_score": row.sentiment_score,
            "submitted": submitted,
            "customer": customer,
            "customer_known": row.customer_known,
            "ai_triage": domain.ai_triage(stored),
            "similar_items": row.similar_items or [],
            "duplicate_of": row.duplicate_of,
            "duplicate_score": row.duplicate_score,
            "overrides": [entry.model_dump() for entry in domain.override_entries(stored)],
            "updated_at": row.updated_at,
        }
    )
