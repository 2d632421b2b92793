"""The feedback list's queries, as queries.py builds them, on SQLite and PostgreSQL: each sort (either order, from a
cursor or not) and filter reads an index of migration gateway_0004 in its order (no sort of the whole table);
walking the pages by cursor lists every match once, in the order of one big page, NULL sort keys and ties included;
a text search counts up to its cap and says so."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from sqlalchemy import event, insert, text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession

from bench.gateway_api import read_model
from libs.runtime.database import make_engine, migrate, session_factory
from libs.runtime.testing import DATABASES, database_for
from services.gateway import domain, queries
from services.gateway.api.models import FeedbackQuery
from services.gateway.app import NAME
from services.gateway.read_model import FeedbackView, ThemeView, _table

MIGRATIONS = Path(queries.__file__).parent / "migrations"
ITEMS = 150  # fewer than a page of 200: one page holds every match

# Each query with the index that must serve its page (in order) and its count.
SERVED = [
    (FeedbackQuery(), "ix_feedback_view_shown_newest"),
    (FeedbackQuery(sort="priority"), "ix_feedback_view_shown_by_priority"),
    (FeedbackQuery(sort="arr"), "ix_feedback_view_shown_by_arr"),
    (FeedbackQuery(order="asc"), "ix_feedback_view_shown_newest"),
    (FeedbackQuery(sort="priority", order="asc"), "ix_feedback_view_shown_by_priority"),
    (FeedbackQuery(sort="arr", order="asc"), "ix_feedback_view_shown_by_arr"),
    (FeedbackQuery(source=["zendesk"]), "ix_feedback_view_shown_source"),
    (FeedbackQuery(category=["bug"]), "ix_feedback_view_shown_category"),
    (FeedbackQuery(priority=["critical"]), "ix_feedback_view_shown_priority"),
    (FeedbackQuery(product_area=["search"]), "ix_feedback_view_shown_product_area"),
    (FeedbackQuery(tier=["enterprise"]), "ix_feedback_view_shown_customer_tier"),
    (FeedbackQuery(status=["planned"]), "ix_feedback_view_shown_status"),
    (FeedbackQuery(sentiment=["negative"]), "ix_feedback_view_shown_sentiment_label"),
]


@pytest.fixture(scope="module", params=DATABASES)
async def engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[AsyncEngine]:
    """A read model of its own (its own schema on PostgreSQL), migrated and filled."""
    url = database_for(request)
    schema = f"{NAME}_indexes_{uuid4().hex[:6]}"
    engine = make_engine(url or f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('indexes') / 'gateway.db'}", schema)
    await migrate(engine, schema, MIGRATIONS)
    themes, chunks = read_model(ITEMS, ITEMS)
    async with engine.begin() as connection:
        await connection.execute(insert(_table(ThemeView)), themes)
        for rows in chunks:
            await connection.execute(insert(_table(FeedbackView)), with_ties_and_gaps(rows))
        if engine.dialect.name == "sqlite":
            await connection.execute(text("ANALYZE"))
    if engine.dialect.name == "postgresql":
        # As autovacuum would: statistics, and the visibility map that lets a count read the index alone.
        async with engine.connect() as connection:
            autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
            await autocommit.execute(text(f'VACUUM ANALYZE "{schema}".feedback_view'))
    yield engine
    if engine.dialect.name == "postgresql":
        async with engine.begin() as connection:
            await connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    await engine.dispose()


def with_ties_and_gaps(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Items without a priority (ARR is missing for one customer in five already), and items created at the same
    moment as another, with the same priority and ARR too: ties all the way down to the item id."""
    for index, row in enumerate(rows):
        if index % 9 == 4:
            row["priority"] = None
        if index % 6 == 5:
            twin = rows[index - 1]
            row |= {key: twin[key] for key in ("created_at", "priority", "customer_arr", "customer_tier")}
    return rows


async def _statements(engine: AsyncEngine, query: FeedbackQuery) -> list[tuple[str, Any]]:
    """The SQL list_feedback runs for the query, with its parameters."""
    seen: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        seen.append((statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        async with AsyncSession(engine) as session:
            await queries.list_feedback(session, query)
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)
    return seen


async def _plan(engine: AsyncEngine, statement: str, parameters: Any) -> str:
    async with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            # Too few rows for the planner to bother with an index: forbid the alternatives, so that a Sort or a
            # Seq Scan left in the plan means no index serves the query.
            for setting in ("enable_seqscan", "enable_sort", "enable_bitmapscan"):
                await connection.exec_driver_sql(f"SET {setting} = off")
            explain = "EXPLAIN "
        else:
            explain = "EXPLAIN QUERY PLAN "
        rows = (await connection.exec_driver_sql(explain + statement, parameters)).all()
    return "\n".join(" ".join(str(value) for value in row) for row in rows)


@pytest.mark.parametrize(("query", "index"), SERVED, ids=[index for _, index in SERVED])
async def test_each_sort_and_filter_of_the_list_reads_its_index(
    engine: AsyncEngine, query: FeedbackQuery, index: str
) -> None:
    count, *pages = await _statements(engine, query)
    if engine.dialect.name == "postgresql":
        plan = await _plan(engine, *count)  # any index that holds the rows it counts will do
        assert "Index Only Scan" in plan and "Seq Scan" not in plan, plan
    await _assert_pages_read(engine, pages, index)


async def _assert_pages_read(engine: AsyncEngine, pages: list[tuple[str, Any]], index: str) -> None:
    """Each statement of a page (the items with a sort key, those without) reads the index in its order."""
    assert pages
    for page in pages:
        plan = await _plan(engine, *page)
        if engine.dialect.name == "postgresql":
            assert index in plan and not re.search(r"\bSort\b|Seq Scan", plan), plan
        else:
            # SQLite counts through the table (a partial index covers only the columns it lists), and may order ties
            # of the index's leading key itself ("RIGHT PART"), but never sorts the whole result.
            assert "USING INDEX" in plan and "USE TEMP B-TREE FOR ORDER BY" not in plan, plan


SORTED = {
    "created_at": ("ix_feedback_view_shown_newest", None),
    "priority": ("ix_feedback_view_shown_by_priority", 2),
    "arr": ("ix_feedback_view_shown_by_arr", 36_000.0),
}
# A cursor in the middle of the items with a sort key, and one among those without (created_at has no such items).
CURSORS = [
    (sort, order, key)
    for sort, (_, keyed) in SORTED.items()
    for order in ("desc", "asc")
    for key in ({keyed, None} if keyed else {None})
]


@pytest.mark.parametrize(("sort", "order", "key"), CURSORS, ids=[f"{s}-{o}-{k}" for s, o, k in CURSORS])
async def test_a_page_after_a_cursor_seeks_into_its_index(
    engine: AsyncEngine, sort: domain.FeedbackSort, order: domain.SortOrder, key: float | None
) -> None:
    after = domain.FeedbackCursor(
        sort=sort, order=order, key=key, created_at=datetime(2026, 6, 1, tzinfo=UTC), item_id=UUID(int=2**127)
    )
    query = FeedbackQuery(sort=sort, order=order, cursor=domain.encode_cursor(after))
    _, *pages = await _statements(engine, query)
    await _assert_pages_read(engine, pages, SORTED[sort][0])
    if engine.dialect.name == "postgresql":  # a seek: the scan starts at the cursor (an Index Cond), not the top
        for page in pages:
            assert "Index Cond" in await _plan(engine, *page)


async def test_a_text_search_counts_up_to_the_cap_and_says_so(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    sessions = session_factory(engine)
    async with sessions() as session:
        everything = await queries.list_feedback(session, FeedbackQuery(q="the", limit=200))
    assert not everything.total_at_least and 10 < everything.total <= ITEMS
    monkeypatch.setattr(domain, "TEXT_COUNT_CAP", 5)
    async with sessions() as session:
        capped = await walk(session, FeedbackQuery(q="the", limit=3))
    assert [(page.total, page.total_at_least) for page in capped] == [(5, True)] * len(capped)
    assert [row.item_id for page in capped for row in page.rows] == [row.item_id for row in everything.rows]


async def walk(session: AsyncSession, query: FeedbackQuery) -> list[queries.FeedbackPage]:
    """Every page of the query, each from the cursor of the one before."""
    pages = [await queries.list_feedback(session, query)]
    while (cursor := pages[-1].next_cursor) is not None:
        assert len(pages[-1].rows) == query.limit, "a page before the last is full"
        pages.append(await queries.list_feedback(session, query.model_copy(update={"cursor": cursor})))
        assert len(pages) <= ITEMS, "the walk goes on and on"
    return pages


def microseconds(row: FeedbackView) -> int:
    assert row.created_at is not None
    return (row.created_at - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)


def expected_order(rows: list[FeedbackView], query: FeedbackQuery) -> list[FeedbackView]:
    """The list's order, said plainly: the sort key (desc or asc) with missing keys last, then created_at, then the
    id the other way."""
    rank = {"critical": 4, "high": 3, "medium": 2, "low": 1}
    keys = {
        "created_at": microseconds,
        "priority": lambda row: rank.get(row.priority),
        "arr": lambda row: row.customer_arr,
    }
    sign = -1 if query.order == "desc" else 1

    def order(row: FeedbackView) -> tuple[Any, ...]:
        key = keys[query.sort](row)
        return (key is None, sign * (key or 0), sign * microseconds(row), -sign * row.item_id.int)

    return sorted(rows, key=order)


FILTERS: list[dict[str, Any]] = [{}, {"category": ["bug", "question"]}, {"tier": ["enterprise"]}, {"q": "the"}]


@pytest.mark.parametrize("sort", ["created_at", "priority", "arr"])
@pytest.mark.parametrize("order", ["desc", "asc"])
@pytest.mark.parametrize("filters", FILTERS, ids=["all", "category", "tier", "text"])
async def test_walking_the_pages_by_cursor_lists_each_match_once_in_order(
    engine: AsyncEngine, sort: str, order: str, filters: dict[str, Any]
) -> None:
    query = FeedbackQuery.model_validate({"sort": sort, "order": order, "limit": 7, **filters})
    async with session_factory(engine)() as session:
        whole = await queries.list_feedback(session, query.model_copy(update={"limit": 200}))
        pages = await walk(session, query)
    walked = [row.item_id for page in pages for row in page.rows]
    assert walked == [row.item_id for row in whole.rows]
    assert len(set(walked)) == len(walked) == whole.total
    assert [row.item_id for row in expected_order(list(whole.rows), query)] == walked
    assert {(page.total, page.total_at_least) for page in pages} == {(whole.total, False)}
    assert whole.next_cursor is None and pages[-1].next_cursor is None
    if sort != "created_at" and not filters:
        assert any(getattr(row, "priority" if sort == "priority" else "customer_arr") is None for row in whole.rows)
