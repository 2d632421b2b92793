"""What the API reads from the read model: the feedback list (filters, sort, cursor pages), the overview's
numbers, the themes' numbers (and their cache), launches and notifications."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, case, func, literal, literal_column, or_, tuple_, union_all
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.schemas.events import utcnow
from libs.schemas.feedback import FeedbackStatus, Priority, SentimentLabel
from libs.schemas.launches import LaunchStatus, Team
from services.gateway import domain
from services.gateway.api.models import FeedbackQuery, NotificationQuery
from services.gateway.read_model import CommandOutcomeView, FeedbackView, LaunchView, NotificationView, ThemeView


@dataclass
class FeedbackPage:
    rows: Sequence[FeedbackView]
    total: int
    total_at_least: bool
    next_cursor: str | None


PRIORITY_RANK = {Priority.CRITICAL: 4, Priority.HIGH: 3, Priority.MEDIUM: 2, Priority.LOW: 1}
OPEN_STATUSES = [
    status.value for status in FeedbackStatus if status not in (FeedbackStatus.SHIPPED, FeedbackStatus.CLOSED)
]

# Rows that triage or dedupe created before the item itself arrived are not shown.
BASED = col(FeedbackView.title).is_not(None)


async def list_feedback(session: AsyncSession, query: FeedbackQuery) -> FeedbackPage:
    """One page of the items that match (after the query's cursor), how many match in all, and whether that is only
    a lower bound; with the cursor of the page after it, if there is one.

    A text search counts up to domain.TEXT_COUNT_CAP matches: past that, the count is the cap and the bound flag is set.
    """
    conditions = _conditions(query)
    page, at_least = select(FeedbackView).where(*conditions), False
    if query.q:
        # A text search is checked row by row, so its matches are counted up to a cap, not all of them.
        matches = sa_select(col(FeedbackView.item_id)).where(*conditions).limit(domain.TEXT_COUNT_CAP + 1).subquery()
        total = (await session.exec(select(func.count()).select_from(matches))).one()
        if total > domain.TEXT_COUNT_CAP:
            total, at_least = domain.TEXT_COUNT_CAP, True
        elif session.bind.dialect.name == "postgresql":  # type: ignore[union-attr]
            # Few matches: sort those the trigram index found. Left to itself the planner, which cannot tell how
            # few they are, walks the newest-first index testing every row's text until it has a page. (SQLite
            # has no text index: there, finding them again would be a second scan.)
            page = select(FeedbackView).join(matches, col(FeedbackView.item_id) == matches.c.item_id)
    else:
        total = (await session.exec(select(func.count()).select_from(FeedbackView).where(*conditions))).one()
    # One row more than the page tells whether another page follows.
    rows: list[FeedbackView] = []
    sqlite = session.bind.dialect.name == "sqlite"  # type: ignore[union-attr]
    for part in _parts(query):
        ordering = _ordering(query)
        if sqlite and part.keyless:
            # The key is NULL throughout: SQLite sees that of a column but not of the priority's CASE, and would sort.
            ordering = ordering[1:]
        wanted = query.limit + 1 - len(rows)
        rows += (await session.exec(page.where(*part.conditions).order_by(*ordering).limit(wanted))).all()
        if len(rows) > query.limit:
            break
    following = cursor_after(query, rows[query.limit - 1]) if len(rows) > query.limit else None
    return FeedbackPage(rows[: query.limit], total, at_least, following)


async def get_feedback(session: AsyncSession, item_id: UUID) -> FeedbackView | None:
    return (await session.exec(select(FeedbackView).where(FeedbackView.item_id == item_id, BASED))).first()


def _conditions(query: FeedbackQuery) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [BASED]
    for column, values in (
        (FeedbackView.source, query.source),
        (FeedbackView.category, query.category),
        (FeedbackView.priority, query.priority),
        (FeedbackView.product_area, query.product_area),
        (FeedbackView.customer_tier, query.tier),
        (FeedbackView.status, query.status),
        (FeedbackView.sentiment_label, query.sentiment),
    ):
        if values:
            conditions.append(col(column).in_([str(value) for value in values]))
    if query.theme:
        conditions.append(col(FeedbackView.theme_id).in_(query.theme))
    if query.review:
        # Read from the stored verdict (JSON) row by row: no index, as the other filters have.
        state = col(FeedbackView.triage)[("review", "state")].as_string()
        conditions.append(state.in_([str(value) for value in query.review]))
    if query.q:
        conditions.append(
            or_(
                col(FeedbackView.title).icontains(query.q, autoescape=True),
                col(FeedbackView.description).icontains(query.q, autoescape=True),
            )
        )
    if query.created_from:
        conditions.append(col(FeedbackView.created_at) >= query.created_from)
    if query.created_to:
        conditions.append(col(FeedbackView.created_at) < query.created_to)
    return conditions


def _sort_key(sort: domain.FeedbackSort) -> Any:
    """The sort's key, as migration gateway_0004 indexes it; None for created_at, which every shown item has."""
    return {
        "created_at": None,
        # Literals, not bound parameters: the expression must be the one migration gateway_0004 indexes.
        "priority": case(
            {literal_column(f"'{p.value}'"): literal_column(str(rank)) for p, rank in PRIORITY_RANK.items()},
            value=col(FeedbackView.priority),
        ),
        "arr": col(FeedbackView.customer_arr),
    }[sort]


def _ordering(query: FeedbackQuery) -> list[Any]:
    """The order of gateway_0004's index for the sort (desc), or its exact reverse (asc: the index read backwards).

    Items without a key (no priority, no ARR) come last either way: _parts reads them as a second part, so each part
    is one range of the index and its NULLS placement here only has to match the index's (PostgreSQL's DESC puts
    NULLs first unless told; SQLite's NULLs are the smallest values).
    """
    key, created, item = _sort_key(query.sort), col(FeedbackView.created_at), col(FeedbackView.item_id)
    if key is None:
        newest = [created.desc().nulls_last(), item]
        return newest if query.order == "desc" else [created.asc().nulls_first(), item.desc()]
    if query.order == "desc":
        return [key.desc().nulls_last(), created.desc(), item]
    return [key.asc().nulls_first(), created.asc(), item.desc()]


@dataclass
class _Part:
    conditions: list[ColumnElement[bool]]
    keyless: bool = False


def _parts(query: FeedbackQuery) -> list[_Part]:
    """The list's parts, read one after the other: the items with a sort key, then those without; each from just
    after the query's cursor."""
    key, created, after = _sort_key(query.sort), col(FeedbackView.created_at), query.after
    if key is None:  # created_at: one part
        return [_Part([] if after is None else _past(query.order, [created], [after.created_at], after.item_id))]
    keyless = _Part([key.is_(None)], keyless=True)
    if after is None:
        return [_Part([key.is_not(None)]), keyless]
    if after.key is None:  # the cursor is among the items without a key: the rest of those
        keyless.conditions += _past(query.order, [created], [after.created_at], after.item_id)
        return [keyless]
    return [_Part(_past(query.order, [key, created], [after.key, after.created_at], after.item_id)), keyless]


def _past(order: domain.SortOrder, columns: list[Any], values: list[Any], item_id: UUID) -> list[ColumnElement[bool]]:
    """Rows strictly after (values, item_id) in _ordering's order: a row-value bound the index seeks to, then the
    ties on those columns broken by item_id (which runs the other way, as in the index)."""
    row = tuple_(*columns)
    at = tuple_(*[literal(value, column.type) for value, column in zip(values, columns, strict=True)])
    item = col(FeedbackView.item_id)
    if order == "desc":
        return [row <= at, or_(row < at, item > item_id)]
    return [row >= at, or_(row > at, item < item_id)]


def cursor_after(query: FeedbackQuery, row: FeedbackView) -> str:
    """The cursor of the page after this row: its values of _ordering's columns."""
    keys: dict[str, float | None] = {
        "created_at": None,
        "priority": PRIORITY_RANK.get(row.priority),  # type: ignore[call-overload]
        "arr": row.customer_arr,
    }
    assert row.created_at is not None  # every shown item has one: it comes with the title
    cursor = domain.FeedbackCursor(
        sort=query.sort, order=query.order, key=keys[query.sort], created_at=row.created_at, item_id=row.item_id
    )
    return domain.encode_cursor(cursor)


async def count_feedback(session: AsyncSession, *conditions: ColumnElement[bool]) -> int:
    """How many shown items meet every condition."""
    statement = select(func.count()).select_from(FeedbackView).where(BASED, *conditions)
    return (await session.exec(statement)).one()


async def count_feedback_by(session: AsyncSession, column: Any, limit: int | None = None) -> dict[str, int]:
    """Shown items per value of a column (values left empty not counted), most common first."""
    statement = (
        select(column, func.count())
        .where(BASED, column.is_not(None))
        .group_by(column)
        .order_by(func.count().desc(), column)
        .limit(limit)
    )
    return {value: count for value, count in (await session.exec(statement)).all()}


async def count_urgent_open(session: AsyncSession) -> int:
    """Critical or high priority items not shipped or closed yet."""
    return await count_feedback(
        session,
        col(FeedbackView.priority).in_([Priority.CRITICAL.value, Priority.HIGH.value]),
        col(FeedbackView.status).in_(OPEN_STATUSES),
    )


async def created_since(session: AsyncSession, now: datetime, days: int) -> tuple[int, int]:
    """Items created in the last `days` days, and in the `days` days before those."""
    start, previous_start = now - timedelta(days=days), now - timedelta(days=2 * days)
    created = col(FeedbackView.created_at)
    return (
        await count_feedback(session, created >= start),
        await count_feedback(session, created >= previous_start, created < start),
    )


async def sentiment_stats(session: AsyncSession) -> tuple[float | None, int, int]:
    """The average sentiment score, how many items are negative, and how many have a sentiment."""
    statement = select(
        func.avg(FeedbackView.sentiment_score),
        func.count(case((col(FeedbackView.sentiment_label) == SentimentLabel.NEGATIVE.value, 1))),
        func.count(col(FeedbackView.sentiment_score)),
    ).where(BASED)
    average, negative, scored = (await session.exec(statement)).one()
    return (float(average) if average is not None else None), negative, scored


async def customers_asking(session: AsyncSession) -> tuple[float, int]:
    """The ARR of the distinct known customers behind the items, and how many they are."""
    per_customer = (
        select(FeedbackView.customer_id, func.max(FeedbackView.customer_arr).label("arr"))
        .where(BASED, col(FeedbackView.customer_id).is_not(None))
        .group_by(FeedbackView.customer_id)
        .subquery()
    )
    statement = select(func.coalesce(func.sum(per_customer.c.arr), 0.0), func.count()).select_from(per_customer)
    arr, customers = (await session.exec(statement)).one()
    return float(arr), customers


async def count_by_week_and_category(
    session: AsyncSession, now: datetime, weeks: int
) -> dict[tuple[int, str | None], int]:
    """Shown items created in each of the last `weeks` ISO weeks (0: the oldest), by category (None: none yet).

    The database buckets and counts (GROUP BY), against the weeks' UTC Monday midnights.
    """
    created = col(FeedbackView.created_at)
    bounds = domain.week_bounds(now, weeks)
    week = case(*[(created >= bound, index) for index, bound in reversed(list(enumerate(bounds)))]).label("week")
    in_window = (created >= bounds[0]) & (created < bounds[-1] + timedelta(weeks=1))
    statement = (
        sa_select(week, col(FeedbackView.category), func.count())
        .where(BASED, in_window)
        .group_by(week, col(FeedbackView.category))
    )
    return {(index, category): count for index, category, count in await _all(session, statement)}


# --- duplicates and themes ------------------------------------------------------------------------

# An item and the root of its duplicate chain: a theme's numbers follow the root's theme, so a merged
# duplicate counts once, in its parent's theme, whatever theme it sat in before.
MEMBER = aliased(FeedbackView, name="member")
ROOT = aliased(FeedbackView, name="root")


def _merged_votes() -> Any:
    """Per root: the votes of the shown items merged below it, and how many they are."""
    return (
        select(
            col(FeedbackView.duplicate_root).label("root_id"),
            func.coalesce(func.sum(FeedbackView.votes), 0).label("votes"),
            func.count().label("merged"),
        )
        .where(BASED, col(FeedbackView.duplicate_root).is_not(None))
        .group_by(col(FeedbackView.duplicate_root))
    )


async def merged_votes(session: AsyncSession, root_ids: Sequence[UUID]) -> dict[UUID, tuple[int, int]]:
    """For each of these items, the votes merged into it and how many items carried them."""
    statement = _merged_votes().where(col(FeedbackView.duplicate_root).in_(root_ids))
    return {root: (votes, merged) for root, votes, merged in (await session.exec(statement)).all()}


async def merged_below(session: AsyncSession, root_id: UUID) -> Sequence[FeedbackView]:
    """The shown items merged into this one, directly or through another, most votes first."""
    statement = (
        select(FeedbackView)
        .where(BASED, col(FeedbackView.duplicate_root) == root_id)
        .order_by(col(FeedbackView.votes).desc().nulls_last(), col(FeedbackView.created_at), col(FeedbackView.item_id))
    )
    return (await session.exec(statement)).all()


async def get_feedback_many(session: AsyncSession, item_ids: Sequence[UUID]) -> dict[UUID, FeedbackView]:
    """The shown items among these ids."""
    rows = await session.exec(select(FeedbackView).where(BASED, col(FeedbackView.item_id).in_(item_ids)))
    return {row.item_id: row for row in rows.all()}


def _theme_members(session: AsyncSession, theme_ids: Sequence[UUID] | None) -> Any:
    """Each shown item with the theme it counts in: its own when it is a request, else its root's.

    Two index-friendly halves (requests by theme; duplicates by their root's primary key) rather than
    one join on a computed root id, which no index serves.
    """

    def columns(theme: Any, is_request: int) -> list[Any]:
        return [
            theme.label("theme_id"),
            literal_column(str(is_request)).label("is_request"),
            col(MEMBER.votes).label("votes"),
            func.coalesce(MEMBER.customer_id, func.lower(MEMBER.customer_email)).label("customer_key"),
            col(MEMBER.customer_id).label("customer_id"),
            col(MEMBER.customer_arr).label("customer_arr"),
            col(MEMBER.customer_at_risk).label("customer_at_risk"),
            col(MEMBER.product_area).label("product_area"),
            col(MEMBER.created_at).label("created_at"),
        ]

    shown = col(MEMBER.title).is_not(None)
    requests = sa_select(*columns(col(MEMBER.theme_id), 1)).where(
        shown, col(MEMBER.duplicate_root).is_(None), col(MEMBER.theme_id).is_not(None)
    )
    if theme_ids is None and session.bind.dialect.name == "sqlite":  # type: ignore[union-attr]
        # SQLite joins from every themed root to its duplicates (4x slower than this lookup per duplicate);
        # PostgreSQL hashes the join, and this form's estimated cost would make it JIT-compile (+1 s).
        theme = sa_select(col(ROOT.theme_id)).where(col(ROOT.item_id) == col(MEMBER.duplicate_root)).scalar_subquery()
        merged = sa_select(*columns(theme, 0)).where(shown, col(MEMBER.duplicate_root).is_not(None), theme.is_not(None))
    else:
        merged = (
            sa_select(*columns(col(ROOT.theme_id), 0))
            .select_from(MEMBER)
            .join(ROOT, col(ROOT.item_id) == col(MEMBER.duplicate_root))
            .where(shown, col(ROOT.theme_id).is_not(None))
        )
    if theme_ids is not None:
        requests = requests.where(col(MEMBER.theme_id).in_(theme_ids))
        merged = merged.where(col(ROOT.theme_id).in_(theme_ids))
    return union_all(requests, merged).subquery("members")


async def _all(session: AsyncSession, statement: Any) -> Sequence[Any]:
    """The rows of a core select (sqlmodel's exec is typed for its own selects only)."""
    return (await session.exec(statement)).all()


async def theme_stats(
    session: AsyncSession, now: datetime, weeks: int, theme_ids: Sequence[UUID] | None = None
) -> dict[UUID, domain.ThemeStats]:
    """Every theme's numbers (or these themes'), computed from the items' rows as they are now."""
    m = _theme_members(session, theme_ids).c
    # One row per theme and customer first: each customer counts once, at their largest known ARR.
    per_customer = (
        sa_select(
            m.theme_id,
            m.customer_key,
            func.sum(m.is_request).label("requests"),
            func.count().label("mentions"),
            func.coalesce(func.sum(m.votes), 0).label("votes"),
            func.max(case((m.customer_id.is_not(None), m.customer_arr))).label("arr"),
            func.max(case((m.customer_at_risk.is_(True), 1), else_=0)).label("at_risk"),
        )
        .group_by(m.theme_id, m.customer_key)
        .subquery()
    ).c
    counts = sa_select(
        per_customer.theme_id,
        func.sum(per_customer.requests),
        func.sum(per_customer.mentions),
        func.sum(per_customer.votes),
        func.count(per_customer.customer_key),
        func.sum(case((per_customer.customer_key.is_not(None), per_customer.at_risk), else_=0)),
        func.coalesce(func.sum(per_customer.arr), 0.0),
    ).group_by(per_customer.theme_id)
    stats = {
        theme_id: domain.ThemeStats(
            theme_id=theme_id,
            items=items,
            mentions=mentions,
            votes=votes,
            customers=customers,
            at_risk_customers=at_risk,
            arr=float(arr),
        )
        for theme_id, items, mentions, votes, customers, at_risk, arr in await _all(session, counts)
    }
    areas = sa_select(m.theme_id, m.product_area, func.count())
    areas = areas.where(m.product_area.is_not(None)).group_by(m.theme_id, m.product_area)
    for theme_id, area, count in await _all(session, areas):
        stats[theme_id].product_areas[area] = count
    # Items per ISO week, bucketed by the database against the weeks' UTC Monday midnights.
    bounds = domain.week_bounds(now, weeks)
    week = case(*[(m.created_at >= bound, index) for index, bound in reversed(list(enumerate(bounds)))])
    in_window = (m.created_at >= bounds[0]) & (m.created_at < bounds[-1] + timedelta(weeks=1))
    per_week = sa_select(m.theme_id, week, func.count()).where(in_window).group_by(m.theme_id, week)
    counted: dict[UUID, dict[int, int]] = {theme_id: {} for theme_id in stats}
    for theme_id, index, count in await _all(session, per_week):
        counted[theme_id][index] = count
    for theme_id, by_week in counted.items():
        stats[theme_id].weekly = domain.weekly(now, weeks, by_week)
    return stats


@dataclass
class ThemeNumbers:
    stats: dict[UUID, domain.ThemeStats]
    computed_at: datetime
    taken: float  # time.monotonic() when computed


@dataclass
class ThemeStatsCache:
    """Every theme's numbers, reused for `ttl` seconds: computing them scans every item, and the overview and the
    themes list ask on every view.

    No lock: a request that holds the database connection (SQLite has one) while it waits for a lock held by
    another that waits for the connection would never end; two requests may at worst count twice.
    """

    ttl: float
    _numbers: dict[int, ThemeNumbers] = field(default_factory=dict)

    async def get(self, session: AsyncSession, weeks: int) -> ThemeNumbers:
        cached = self._numbers.get(weeks)
        if cached is not None and time.monotonic() - cached.taken < self.ttl:
            return cached
        now = utcnow()
        fresh = ThemeNumbers(await theme_stats(session, now, weeks), now, time.monotonic())
        self._numbers[weeks] = fresh
        return fresh


async def get_themes(session: AsyncSession, theme_ids: Sequence[UUID] | None = None) -> dict[UUID, ThemeView]:
    """The themes dedupe has named (or these of them), merged ones included."""
    statement = select(ThemeView)
    if theme_ids is not None:
        statement = statement.where(col(ThemeView.theme_id).in_(theme_ids))
    return {row.theme_id: row for row in (await session.exec(statement)).all()}


async def theme_requests(
    session: AsyncSession, theme_id: UUID, limit: int
) -> tuple[list[tuple[FeedbackView, int, int]], int]:
    """A theme's requests (items not merged into another), most votes (their own and merged) first, and how many.

    Each comes with the votes merged into it and how many items carried them.
    """
    merged = _merged_votes().subquery()
    merged_votes = func.coalesce(merged.c.votes, 0)
    total_votes = func.coalesce(FeedbackView.votes, 0) + merged_votes
    conditions = [BASED, col(FeedbackView.theme_id) == theme_id, col(FeedbackView.duplicate_root).is_(None)]
    statement = (
        select(FeedbackView, merged_votes, func.coalesce(merged.c.merged, 0))
        .outerjoin(merged, merged.c.root_id == FeedbackView.item_id)
        .where(*conditions)
        .order_by(total_votes.desc(), col(FeedbackView.created_at).desc(), col(FeedbackView.item_id))
        .limit(limit)
    )
    rows = [(row, votes, count) for row, votes, count in (await session.exec(statement)).all()]
    total = (await session.exec(select(func.count()).select_from(FeedbackView).where(*conditions))).one()
    return rows, total


async def list_launches(
    session: AsyncSession, status: Sequence[LaunchStatus] = (), team: Sequence[Team] = (), year: int | None = None
) -> Sequence[LaunchView]:
    """Launches by target date, soonest first; of a year: those whose span (start to target) touches it."""
    statement = select(LaunchView).order_by(col(LaunchView.target_date), col(LaunchView.name))
    if status:
        statement = statement.where(col(LaunchView.status).in_([str(value) for value in status]))
    if team:
        statement = statement.where(col(LaunchView.team).in_([str(value) for value in team]))
    if year is not None:
        starts = func.coalesce(col(LaunchView.start_date), col(LaunchView.target_date))
        statement = statement.where(starts <= date(year, 12, 31), col(LaunchView.target_date) >= date(year, 1, 1))
    return (await session.exec(statement)).all()


async def get_launch(session: AsyncSession, launch_id: UUID) -> LaunchView | None:
    return await session.get(LaunchView, launch_id)


async def get_command_outcome(session: AsyncSession, command_id: UUID) -> CommandOutcomeView | None:
    """A command's refusal, if its owning service refused it."""
    return await session.get(CommandOutcomeView, command_id)


async def upcoming_launches(session: AsyncSession, limit: int) -> Sequence[LaunchView]:
    """The launches not shipped yet, soonest target first (so overdue ones lead)."""
    statement = (
        select(LaunchView)
        .where(col(LaunchView.shipped_at).is_(None), LaunchView.status != LaunchStatus.SHIPPED.value)
        .order_by(col(LaunchView.target_date), col(LaunchView.name))
        .limit(limit)
    )
    return (await session.exec(statement)).all()


async def list_notifications(session: AsyncSession, query: NotificationQuery) -> tuple[Sequence[NotificationView], int]:
    """The newest notifications that match, and how many match in all."""
    conditions: list[ColumnElement[bool]] = []
    if query.launch_id:
        conditions.append(col(NotificationView.launch_id) == query.launch_id)
    if query.channel:
        conditions.append(col(NotificationView.channel).in_(query.channel))
    if query.status:
        conditions.append(col(NotificationView.status).in_(query.status))
    if query.customer:
        conditions.append(
            or_(
                func.lower(col(NotificationView.customer_email)) == query.customer.lower(),
                col(NotificationView.customer_id) == query.customer,
            )
        )
    total = (await session.exec(select(func.count()).select_from(NotificationView).where(*conditions))).one()
    rows = await session.exec(
        select(NotificationView)
        .where(*conditions)
        .order_by(col(NotificationView.sent_at).desc(), col(NotificationView.notification_id))
        .limit(query.limit)
    )
    return rows.all(), total


async def last_updated(session: AsyncSession) -> datetime | None:
    """When the newest event folded into any read table happened."""
    stamps = [
        (await session.exec(select(func.max(model.updated_at)))).one()
        for model in (FeedbackView, LaunchView, NotificationView, ThemeView)
    ]
    return max((stamp for stamp in stamps if stamp is not None), default=None)
