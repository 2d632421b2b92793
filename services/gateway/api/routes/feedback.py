"""The feedback list and one item in full, under /api/v1; every route needs a viewer."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Query, status
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.runtime.auth import Role, require
from libs.schemas.feedback import Customer
from services.gateway import domain, queries
from services.gateway.api.deps import SessionDep
from services.gateway.api.models import (
    CustomerHistoryPublic,
    CustomerSummaryPublic,
    DuplicatePublic,
    FeedbackPagePublic,
    FeedbackPublic,
    FeedbackQuery,
    FeedbackSummaryPublic,
    HistoryItemPublic,
    ProcessingPublic,
    SubmittedPublic,
    ThemeRefPublic,
)
from services.gateway.read_model import FeedbackView

router = APIRouter(prefix="/api/v1", dependencies=[Depends(require(Role.VIEWER))])


@router.get("/feedback")
async def list_feedback(session: SessionDep, query: Annotated[FeedbackQuery, Query()]) -> FeedbackPagePublic:
    """Feedback items that match the filters, one page of them (after `cursor`), with the total."""
    page = await queries.list_feedback(session, query)
    merged = await queries.merged_votes(session, [row.item_id for row in page.rows])
    return FeedbackPagePublic(
        items=[feedback_summary(row, merged.get(row.item_id, (0, 0))[0]) for row in page.rows],
        total=page.total,
        total_at_least=page.total_at_least,
        limit=query.limit,
        next_cursor=page.next_cursor,
    )


@router.get("/feedback/{item_id}", responses={404: {"description": "No such feedback item (yet)."}})
async def get_feedback(session: SessionDep, item_id: UUID) -> FeedbackPublic:
    """One feedback item with its customer and history, AI triage, duplicates, theme, overrides and processing."""
    row = await queries.get_feedback(session, item_id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"feedback item {item_id} not found")
    return await _detail(session, row)


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


def _customer_summary(row: FeedbackView) -> CustomerSummaryPublic:
    return CustomerSummaryPublic(company=row.customer_company, tier=row.customer_tier, arr=row.customer_arr)


def _vote_total(row: FeedbackView, merged_votes: int) -> int | None:
    return None if row.duplicate_root is not None else (row.votes or 0) + merged_votes


def feedback_summary(row: FeedbackView, merged_votes: int) -> FeedbackSummaryPublic:
    return FeedbackSummaryPublic.model_validate(
        _base(row)
        | {
            "customer": _customer_summary(row),
            "votes": row.votes or 0,
            "vote_total": _vote_total(row, merged_votes),
            "duplicate_of": row.duplicate_of,
            "theme_id": row.theme_id,
        }
    )


def _duplicate(row: FeedbackView) -> DuplicatePublic:
    return DuplicatePublic(
        id=row.item_id,
        title=row.title or "",
        votes=row.votes or 0,
        created_at=row.created_at,
        customer=_customer_summary(row),
        duplicate_of=row.duplicate_of,
        state=row.duplicate_state,
        link=domain.duplicate_link(row.model_dump()),
    )


async def _history(session: AsyncSession, row: FeedbackView) -> CustomerHistoryPublic | None:
    history = domain.customer_history(row.model_dump())
    if history is None:
        return None
    known = await queries.get_feedback_many(session, history.previous_item_ids)
    items = [
        HistoryItemPublic(id=item_id, title=None, created_at=None, category=None)
        if (previous := known.get(item_id)) is None
        else HistoryItemPublic(
            id=item_id, title=previous.title, created_at=previous.created_at, category=previous.category
        )
        for item_id in history.previous_item_ids
    ]
    return CustomerHistoryPublic(
        previous_items=history.previous_items,
        items=items,
        negative_items_recent=history.negative_items_recent,
        churn_signals=history.churn_signals,
    )


async def _detail(session: AsyncSession, row: FeedbackView) -> FeedbackPublic:
    stored = row.model_dump()
    duplicates = [] if row.duplicate_root is not None else await queries.merged_below(session, row.item_id)
    theme = None
    if row.theme_id is not None:
        named = (await queries.get_themes(session, [row.theme_id])).get(row.theme_id)
        theme = ThemeRefPublic(id=row.theme_id, name=named.name if named else None)
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
            "duplicate_state": row.duplicate_state,
            "duplicate_root": row.duplicate_root,
            "duplicate_link": domain.duplicate_link(stored),
            "vote_total": _vote_total(row, sum(child.votes or 0 for child in duplicates)),
            "duplicates": [_duplicate(child) for child in duplicates],
            "theme": theme,
            "customer_history": await _history(session, row),
            "overrides": [entry.model_dump() for entry in domain.override_entries(stored)],
            "updated_at": row.updated_at,
        }
    )
