"""The read API under /api/v1: feedback, themes and overview; every route needs a viewer.

Launches are in launches_api.py; the writes (corrections, merges, theme edits) in overrides_api.py
and dedupe_api.py.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Query, status
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.runtime.auth import Role, require
from libs.schemas.events import DuplicateLink, utcnow
from libs.schemas.feedback import AITriage, Category, Customer, FeedbackStatus, SimilarItem, Source, Tier
from services.gateway import domain, storage
from services.gateway.deps import SessionDep, ThemeStatsCache, ThemeStatsDep
from services.gateway.launches_api import LaunchPublic, launch_public
from services.gateway.storage import FeedbackQuery, FeedbackView, ThemeView

RECENT_DAYS = 7
TOP_PRODUCT_AREAS = 5
UPCOMING_LAUNCHES = 5
TOP_THEMES = 5
THEME_PRODUCT_AREAS = 3
OVER_TIME_WEEKS = 12


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
    votes: int = Field(description="The item's own votes.")
    vote_total: int | None = Field(
        description="Its own votes and those of the items merged into it; null when it is merged into another."
    )
    duplicate_of: UUID | None
    theme_id: UUID | None


class FeedbackPagePublic(BaseModel):
    items: list[FeedbackSummaryPublic]
    total: int = Field(description="How many items match the filters, over all pages.")
    total_at_least: bool = Field(
        description="True when counting stopped early (a text search with more than "
        f"{storage.TEXT_COUNT_CAP:,} matches): there are at least `total` items, maybe more."
    )
    limit: int
    next_cursor: str | None = Field(
        description="Pass it as `cursor` (with the same filters, sort and order) for the next page; null on the last."
    )


class SubmittedPublic(BaseModel):
    """What the source submitted, before the AI or a person had a say."""

    category: str | None
    priority: str | None
    sentiment_score: float | None
    tags: list[str]
    product_area: str | None


class OverridePublic(domain.OverrideEntry):
    """A person's correction of the AI."""


class ThemeRefPublic(BaseModel):
    id: UUID
    name: str | None = Field(description="Null until dedupe names the theme.")


class DuplicatePublic(BaseModel):
    """An item merged into this one (directly, or through another duplicate): its votes count here."""

    id: UUID
    title: str
    votes: int
    created_at: AwareDatetime
    customer: CustomerSummaryPublic
    duplicate_of: UUID | None = Field(description="Its direct parent (this item, or another duplicate of it).")
    state: str | None
    link: DuplicateLink | None = Field(description="Dedupe's link: state, score, who and when.")


class HistoryItemPublic(BaseModel):
    id: UUID
    title: str | None = Field(description="Null when the item is not in the read model (yet).")
    created_at: AwareDatetime | None
    category: str | None


class CustomerHistoryPublic(BaseModel):
    """What the hub had heard from the customer before this item, as enrich found it."""

    previous_items: int
    items: list[HistoryItemPublic] = Field(description="The most recent previous items, newest first.")
    negative_items_recent: int
    churn_signals: list[str]


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
    duplicate_state: str | None = Field(description="suggested, merged, not_duplicate, standalone (null: not known).")
    duplicate_root: UUID | None = Field(description="The top of its duplicate chain, where its votes count.")
    duplicate_link: DuplicateLink | None = Field(description="Dedupe's newest link: state, score, who and when.")
    vote_total: int | None = Field(
        description="Its own votes and those of the items merged into it; null when it is merged into another."
    )
    duplicates: list[DuplicatePublic] = Field(description="The items merged into it, most votes first.")
    theme: ThemeRefPublic | None
    customer_history: CustomerHistoryPublic | None
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


class TrendWeekPublic(domain.WeekCount):
    """Items (duplicates included) received in one ISO week."""


class ThemeSummaryPublic(BaseModel):
    """A theme and its numbers, computed from its items as they are now."""

    id: UUID
    name: str | None = Field(description="Null until dedupe names the theme.")
    name_source: str | None
    keywords: list[str]
    items: int = Field(description="Requests: its items not merged into another.")
    mentions: int = Field(description="Its items, merged duplicates included.")
    customers: int = Field(description="Distinct customers asking (CRM id, else email).")
    votes: int = Field(description="Votes of all its items; a merged duplicate's count once, in its parent.")
    arr: float = Field(description="Sum of the ARR of the distinct known customers asking.")
    at_risk_customers: int
    top_product_areas: list[ProductAreaCountPublic]
    trend: list[TrendWeekPublic] = Field(description="Items received per ISO week, oldest first, y from 0.")
    trend_sample: int = Field(description="Items received over the weeks of the trend.")
    trend_change: int = Field(description="Items in the newer half of the weeks minus those in the older half.")
    merged_into: UUID | None = Field(description="Set when a person merged it into another theme: follow that one.")
    changed_at: AwareDatetime | None
    changed_by: str | None


class ThemeQuery(BaseModel):
    """Sort, filters and page of the themes list."""

    model_config = ConfigDict(extra="forbid")

    sort: domain.ThemeSort = Field(default="arr", description="Largest first; trend: fastest growing first.")
    product_area: list[str] = Field(default_factory=list, description="Themes with items in any of these areas.")
    min_items: int = Field(default=0, ge=0)
    weeks: int = Field(default=8, ge=2, le=52, description="Weeks of the trend.")
    limit: int = Field(default=50, ge=1, le=200)
    offset: int = Field(default=0, ge=0)


class ThemePagePublic(BaseModel):
    items: list[ThemeSummaryPublic]
    total: int = Field(description="How many themes match the filters, over all pages.")
    limit: int
    offset: int
    computed_at: AwareDatetime = Field(
        description="When the numbers were computed (reused for PRODOPS_THEMES_CACHE_SECONDS, 10 s by default)."
    )


class ThemeRequestPublic(FeedbackSummaryPublic):
    merged: int = Field(description="How many items are merged into it.")


class ThemeDetailPublic(ThemeSummaryPublic):
    requests: list[ThemeRequestPublic] = Field(description="Its requests, most votes first.")
    requests_total: int


class CategoryWeekPublic(domain.CategoryWeek):
    """Items created in one ISO week, by category: list them with created_from=start, created_to=end + 1 day."""


class FeedbackOverTimePublic(BaseModel):
    """Items created per ISO week over the last weeks, split by category; counted by the database."""

    weeks: list[CategoryWeekPublic] = Field(description="Oldest first, the current (partial) week last; y from 0.")
    categories: list[Category] = Field(description="The categories, in the order the chart stacks them.")
    sample_size: int = Field(description="Items created in these weeks.")
    uncategorized: int = Field(description="Of those, items with no category yet.")


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
    top_themes: list[ThemeSummaryPublic] = Field(description="The themes with the most ARR asking.")
    upcoming_launches: list[LaunchPublic] = Field(description="Not shipped yet, soonest target first.")
    last_updated: AwareDatetime | None = Field(description="When the newest event folded in happened.")
    over_time: FeedbackOverTimePublic = Field(description="Items per ISO week by category.")


# --- routes -------------------------------------------------------------------------------------


@router.get("/feedback")
async def list_feedback(session: SessionDep, query: Annotated[FeedbackQuery, Query()]) -> FeedbackPagePublic:
    """Feedback items that match the filters, one page of them (after `cursor`), with the total."""
    page = await storage.list_feedback(session, query)
    merged = await storage.merged_votes(session, [row.item_id for row in page.rows])
    return FeedbackPagePublic(
        items=[_summary(row, merged.get(row.item_id, (0, 0))[0]) for row in page.rows],
        total=page.total,
        total_at_least=page.total_at_least,
        limit=query.limit,
        next_cursor=page.next_cursor,
    )


@router.get("/feedback/{item_id}", responses={404: {"description": "No such feedback item (yet)."}})
async def get_feedback(session: SessionDep, item_id: UUID) -> FeedbackPublic:
    """One feedback item with its customer and history, AI triage, duplicates, theme, overrides and processing."""
    row = await storage.get_feedback(session, item_id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"feedback item {item_id} not found")
    return await _detail(session, row)


@router.get("/themes")
async def list_themes(
    session: SessionDep, themes: ThemeStatsDep, query: Annotated[ThemeQuery, Query()]
) -> ThemePagePublic:
    """Themes ranked by ARR, votes, items or trend, with their numbers; one page of them, with the total."""
    page, total, computed_at = await ranked_themes(session, themes, query)
    return ThemePagePublic(items=page, total=total, limit=query.limit, offset=query.offset, computed_at=computed_at)


@router.get("/themes/{theme_id}", responses={404: {"description": "No such theme (yet)."}})
async def get_theme(
    session: SessionDep,
    theme_id: UUID,
    weeks: Annotated[int, Query(ge=2, le=52)] = 8,
    limit: Annotated[int, Query(ge=1, le=500, description="How many of its requests.")] = 50,
) -> ThemeDetailPublic:
    """One theme: its numbers and its requests, each with its votes and those merged into it."""
    stats = (await storage.theme_stats(session, utcnow(), weeks, [theme_id])).get(theme_id)
    row = (await storage.get_themes(session, [theme_id])).get(theme_id)
    if stats is None and row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"theme {theme_id} not found")
    empty = domain.ThemeStats(theme_id=theme_id, weekly=domain.weekly(utcnow(), weeks, {}))
    requests, total = await storage.theme_requests(session, theme_id, limit)
    return ThemeDetailPublic.model_validate(
        theme_summary(stats or empty, row).model_dump()
        | {
            "requests": [
                ThemeRequestPublic.model_validate(_summary(item, votes).model_dump() | {"merged": merged})
                for item, votes, merged in requests
            ],
            "requests_total": total,
        }
    )


@router.get("/overview")
async def overview(
    session: SessionDep,
    themes: ThemeStatsDep,
    weeks: Annotated[int, Query(ge=2, le=52, description="Weeks of over_time.")] = OVER_TIME_WEEKS,
) -> OverviewPublic:
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
        top_themes=(await ranked_themes(session, themes, ThemeQuery(sort="arr", limit=TOP_THEMES)))[0],
        upcoming_launches=[launch_public(row) for row in await storage.upcoming_launches(session, UPCOMING_LAUNCHES)],
        last_updated=await storage.last_updated(session),
        over_time=await feedback_over_time(session, weeks),
    )


async def feedback_over_time(session: AsyncSession, weeks: int) -> FeedbackOverTimePublic:
    """Items per ISO week by category over the last `weeks` weeks."""
    now = utcnow()
    counted = domain.category_weeks(now, weeks, await storage.count_by_week_and_category(session, now, weeks))
    return FeedbackOverTimePublic(
        weeks=[CategoryWeekPublic.model_validate(week.model_dump()) for week in counted],
        categories=list(Category),
        sample_size=sum(week.total for week in counted),
        uncategorized=sum(week.uncategorized for week in counted),
    )


async def ranked_themes(
    session: AsyncSession, themes: ThemeStatsCache, query: ThemeQuery
) -> tuple[list[ThemeSummaryPublic], int, AwareDatetime]:
    """The page of the themes not merged away that pass the filters, ranked; how many pass; when they were counted.

    Themes dedupe named but with no items yet count as empty.
    """
    numbers, rows = await themes.get(session, query.weeks), await storage.get_themes(session)
    empty = domain.weekly(numbers.computed_at, query.weeks, {})
    stats = numbers.stats | {
        theme_id: domain.ThemeStats(theme_id=theme_id, weekly=empty) for theme_id in rows.keys() - numbers.stats.keys()
    }
    chosen = [
        theme
        for theme in stats.values()
        if (row := rows.get(theme.theme_id)) is None or row.merged_into is None
        if theme.items >= query.min_items
        if not query.product_area or theme.product_areas.keys() & set(query.product_area)
    ]
    ranked = domain.rank_themes(chosen, query.sort)[query.offset : query.offset + query.limit]
    return [theme_summary(theme, rows.get(theme.theme_id)) for theme in ranked], len(chosen), numbers.computed_at


# --- rows to public models ----------------------------------------------------------------------


def theme_summary(stats: domain.ThemeStats, row: ThemeView | None) -> ThemeSummaryPublic:
    areas = domain.top_product_areas(stats.product_areas, THEME_PRODUCT_AREAS)
    return ThemeSummaryPublic(
        id=stats.theme_id,
        name=row.name if row else None,
        name_source=row.name_source if row else None,
        keywords=row.keywords if row else [],
        items=stats.items,
        mentions=stats.mentions,
        customers=stats.customers,
        votes=stats.votes,
        arr=stats.arr,
        at_risk_customers=stats.at_risk_customers,
        top_product_areas=[ProductAreaCountPublic(product_area=area, count=count) for area, count in areas],
        trend=[TrendWeekPublic.model_validate(week.model_dump()) for week in stats.weekly],
        trend_sample=sum(week.count for week in stats.weekly),
        trend_change=stats.trend,
        merged_into=row.merged_into if row else None,
        changed_at=row.changed_at if row else None,
        changed_by=row.changed_by if row else None,
    )


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


def _summary(row: FeedbackView, merged_votes: int) -> FeedbackSummaryPublic:
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
    known = await storage.get_feedback_many(session, history.previous_item_ids)
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
    duplicates = [] if row.duplicate_root is not None else await storage.merged_below(session, row.item_id)
    theme = None
    if row.theme_id is not None:
        named = (await storage.get_themes(session, [row.theme_id])).get(row.theme_id)
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
