"""Feedback over time by category: the weeks (pure), and the database's counts on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from uuid import uuid4

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from libs.runtime.database import make_engine, migrate, session_factory
from libs.schemas.feedback import Category
from services.gateway import queries
from services.gateway.api.routes.overview import feedback_over_time
from services.gateway.domain import category_weeks
from services.gateway.read_model import FeedbackView

MIGRATIONS = Path(__file__).parents[1] / "migrations"


def test_weeks_hold_every_category_and_the_uncategorized_with_empty_weeks_as_zero() -> None:
    now = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)  # a Friday in ISO week 2026-W48
    counts = {(0, "bug"): 2, (0, None): 1, (2, "praise"): 4, (2, "bug"): 1, (7, "bug"): 99}  # 7: no such week
    weeks = category_weeks(now, 3, counts)
    assert [(week.week, week.start, week.end) for week in weeks] == [
        ("2026-W46", date(2026, 11, 9), date(2026, 11, 15)),
        ("2026-W47", date(2026, 11, 16), date(2026, 11, 22)),
        ("2026-W48", date(2026, 11, 23), date(2026, 11, 29)),
    ]
    assert [week.total for week in weeks] == [3, 0, 5], "the uncategorized count in the total"
    assert [week.uncategorized for week in weeks] == [1, 0, 0]
    assert set(weeks[1].by_category) == set(Category) and not any(weeks[1].by_category.values())
    assert weeks[2].by_category[Category.PRAISE] == 4 and weeks[2].by_category[Category.BUG] == 1


@pytest.fixture
async def engine(database_url: str | None, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    # A schema of its own: the session's PostgreSQL database is shared with the other tests.
    schema = f"gateway_{uuid4().hex[:8]}"
    engine = make_engine(database_url or f"sqlite+aiosqlite:///{tmp_path / 'gateway.db'}", schema)
    await migrate(engine, schema, MIGRATIONS)
    try:
        yield engine
    finally:
        await engine.dispose()


def row(created_at: datetime, category: str | None, *, shown: bool = True) -> FeedbackView:
    return FeedbackView(
        item_id=uuid4(),
        title="an item" if shown else None,
        source="api",
        status="new",
        category=category,
        created_at=created_at,
        updated_at=created_at,
    )


async def test_the_database_counts_items_per_week_and_category(engine: AsyncEngine) -> None:
    now = datetime.now(UTC)
    monday = datetime.combine(now.date() - timedelta(days=now.weekday()), datetime.min.time(), tzinfo=UTC)
    rows = [
        row(monday, "bug"),  # the first instant of this week
        row(monday - timedelta(microseconds=1), "bug"),  # the last of the week before
        row(monday - timedelta(weeks=1), "praise"),
        row(monday - timedelta(weeks=1, hours=-3), None),  # not triaged yet
        row(monday - timedelta(weeks=3), "question"),  # the oldest of 4 weeks
        row(monday - timedelta(weeks=3, seconds=1), "question"),  # before the window
        row(monday + timedelta(days=1), "bug", shown=False),  # not received yet: never shown
    ]
    async with session_factory(engine)() as session:
        session.add_all(rows)
        await session.commit()
        counted = await queries.count_by_week_and_category(session, now, 4)
        over_time = await feedback_over_time(session, 4)

    assert counted == {(3, "bug"): 1, (2, "bug"): 1, (2, "praise"): 1, (2, None): 1, (0, "question"): 1}
    assert [week.total for week in over_time.weeks] == [1, 0, 3, 1]
    assert over_time.sample_size == 5 and over_time.uncategorized == 1
    assert over_time.categories == list(Category)
    assert over_time.weeks[-1].start == monday.date() and over_time.weeks[-1].by_category[Category.BUG] == 1
