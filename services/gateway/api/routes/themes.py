"""Themes ranked with their numbers, and one theme with its requests, under /api/v1; every route needs a viewer."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Query, status
from pydantic import AwareDatetime
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.runtime.auth import Role, require
from libs.schemas.events import utcnow
from services.gateway import domain, queries
from services.gateway.api.deps import SessionDep, ThemeStatsDep
from services.gateway.api.models import (
    ProductAreaCountPublic,
    ThemeDetailPublic,
    ThemePagePublic,
    ThemeQuery,
    ThemeRequestPublic,
    ThemeSummaryPublic,
    TrendWeekPublic,
)
from services.gateway.api.routes.feedback import feedback_summary
from services.gateway.queries import ThemeStatsCache
from services.gateway.read_model import ThemeView

THEME_PRODUCT_AREAS = 3

router = APIRouter(prefix="/api/v1", dependencies=[Depends(require(Role.VIEWER))])


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
    stats = (await queries.theme_stats(session, utcnow(), weeks, [theme_id])).get(theme_id)
    row = (await queries.get_themes(session, [theme_id])).get(theme_id)
    if stats is None and row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"theme {theme_id} not found")
    empty = domain.ThemeStats(theme_id=theme_id, weekly=domain.weekly(utcnow(), weeks, {}))
    requests, total = await queries.theme_requests(session, theme_id, limit)
    return ThemeDetailPublic.model_validate(
        theme_summary(stats or empty, row).model_dump()
        | {
            "requests": [
                ThemeRequestPublic.model_validate(feedback_summary(item, votes).model_dump() | {"merged": merged})
                for item, votes, merged in requests
            ],
            "requests_total": total,
        }
    )


async def ranked_themes(
    session: AsyncSession, themes: ThemeStatsCache, query: ThemeQuery
) -> tuple[list[ThemeSummaryPublic], int, AwareDatetime]:
    """The page of the themes not merged away that pass the filters, ranked; how many pass; when they were counted.

    Themes dedupe named but with no items yet count as empty.
    """
    numbers, rows = await themes.get(session, query.weeks), await queries.get_themes(session)
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


def theme_summary(stats: domain.ThemeStats, row: ThemeView | None) -> ThemeSummaryPublic:
    areas = domain.top_product_areas(stats.product_areas, THEME_PRODUCT_AREAS)
    return ThemeSummaryPublic(
        id=stats.theme_id,
        name=row.name if row else None,
        name_source=row.name_source if row else None,
        keywords=row.keywords if row else [],
        summary=row.summary if row else None,
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
