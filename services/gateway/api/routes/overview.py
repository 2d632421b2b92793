"""The hub's key numbers, under /api/v1; needs a viewer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.runtime.auth import Role, require
from libs.schemas.events import utcnow
from libs.schemas.feedback import Category
from services.gateway import domain, queries
from services.gateway.api.deps import SessionDep, ThemeStatsDep
from services.gateway.api.models import (
    CategoryWeekPublic,
    CustomersAskingPublic,
    FeedbackOverTimePublic,
    OverviewPublic,
    ProductAreaCountPublic,
    SentimentPublic,
    ThemeQuery,
    VolumePublic,
)
from services.gateway.api.routes.launches import launch_public
from services.gateway.api.routes.themes import ranked_themes
from services.gateway.read_model import FeedbackView

RECENT_DAYS = 7
TOP_PRODUCT_AREAS = 5
UPCOMING_LAUNCHES = 5
TOP_THEMES = 5
OVER_TIME_WEEKS = 12

router = APIRouter(prefix="/api/v1", dependencies=[Depends(require(Role.VIEWER))])


@router.get("/overview")
async def overview(
    session: SessionDep,
    themes: ThemeStatsDep,
    weeks: Annotated[int, Query(ge=2, le=52, description="Weeks of over_time.")] = OVER_TIME_WEEKS,
) -> OverviewPublic:
    """The key numbers of the hub, each with its sample size."""
    last_days, previous_days = await queries.created_since(session, utcnow(), RECENT_DAYS)
    average, negative, scored = await queries.sentiment_stats(session)
    arr, customers = await queries.customers_asking(session)
    areas = await queries.count_feedback_by(session, FeedbackView.product_area, limit=TOP_PRODUCT_AREAS)
    return OverviewPublic(
        total=await queries.count_feedback(session),
        volume=VolumePublic(last_7_days=last_days, previous_7_days=previous_days),
        by_category=await queries.count_feedback_by(session, FeedbackView.category),
        by_priority=await queries.count_feedback_by(session, FeedbackView.priority),
        by_source=await queries.count_feedback_by(session, FeedbackView.source),
        sentiment=SentimentPublic(
            average=average, negative_share=negative / scored if scored else None, sample_size=scored
        ),
        top_product_areas=[ProductAreaCountPublic(product_area=area, count=count) for area, count in areas.items()],
        critical_high_open=await queries.count_urgent_open(session),
        customers_asking=CustomersAskingPublic(arr=arr, customers=customers),
        top_themes=(await ranked_themes(session, themes, ThemeQuery(sort="arr", limit=TOP_THEMES)))[0],
        upcoming_launches=[launch_public(row) for row in await queries.upcoming_launches(session, UPCOMING_LAUNCHES)],
        last_updated=await queries.last_updated(session),
        over_time=await feedback_over_time(session, weeks),
    )


async def feedback_over_time(session: AsyncSession, weeks: int) -> FeedbackOverTimePublic:
    """Items per ISO week by category over the last `weeks` weeks."""
    now = utcnow()
    counted = domain.category_weeks(now, weeks, await queries.count_by_week_and_category(session, now, weeks))
    return FeedbackOverTimePublic(
        weeks=[CategoryWeekPublic.model_validate(week.model_dump()) for week in counted],
        categories=list(Category),
        sample_size=sum(week.total for week in counted),
        uncategorized=sum(week.uncategorized for week in counted),
    )
