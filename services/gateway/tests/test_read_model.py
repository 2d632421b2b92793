"""Folding into the read tables on a real database: the row of a new item, and two folds racing to make it."""

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import uuid4

import pytest
from sqlalchemy import text

from libs.runtime.database import make_engine, migrate, session_factory
from libs.schemas.feedback import Category
from services.gateway import read_model
from services.gateway.app import NAME
from services.gateway.cli import MIGRATIONS
from services.gateway.read_model import FeedbackView
from services.gateway.tests import factories

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
WAITING_ON_A_LOCK = text(
    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
)


async def test_every_event_folds_into_the_one_row_whichever_comes_first(
    database_url: str | None, tmp_path: Path
) -> None:
    engine = make_engine(database_url or f"sqlite+aiosqlite:///{tmp_path / 'gateway.db'}", NAME)
    await migrate(engine, NAME, MIGRATIONS)
    sessions = session_factory(engine)
    item_id = uuid4()
    for event in (
        factories.triaged(item_id, T0 + timedelta(minutes=2), category=Category.QUESTION),
        factories.received(item_id, T0, title="Export fails"),
        factories.triaged(item_id, T0 + timedelta(minutes=2), category=Category.QUESTION),
    ):
        async with sessions() as session, session.begin():
            await read_model.fold_feedback(session, event)
    async with sessions() as session:
        row = await session.get_one(FeedbackView, item_id)
    await engine.dispose()
    assert (row.item_id, row.title, row.category) == (item_id, "Export fails", Category.QUESTION.value)


@pytest.mark.postgres
async def test_two_events_about_a_new_item_folded_at_the_same_moment_both_land(postgres_url: str) -> None:
    engine = make_engine(postgres_url, NAME)
    await migrate(engine, NAME, MIGRATIONS)
    sessions = session_factory(engine)
    item_id = uuid4()

    async def fold_triage_beside() -> None:
        async with sessions() as session, session.begin():
            await read_model.fold_feedback(session, factories.triaged(item_id, T0, category=Category.BUG))

    async with sessions() as first, first.begin():
        await read_model.fold_feedback(first, factories.received(item_id, T0, title="Export fails"))
        beside = asyncio.create_task(fold_triage_beside())
        # The second fold found no row (the first's is not committed) and waits on its insert's key.
        async with engine.connect() as watcher:
            for _ in range(200):
                waiting = await watcher.scalar(WAITING_ON_A_LOCK)
                await watcher.rollback()  # the activity view is read once a transaction
                if waiting:
                    break
                await asyncio.sleep(0.05)
        assert waiting == 1 and not beside.done()
    await asyncio.wait_for(beside, 10)
    async with sessions() as session:
        row = await session.get_one(FeedbackView, item_id)
    await engine.dispose()
    assert (row.title, row.category) == ("Export fails", Category.BUG.value)
