"""Customers, history and sentiments in enrich's tables, on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

from libs.schemas.feedback import Customer, FeedbackItem, Tier
from services.enrich import storage
from services.enrich.domain import Account, TierChange
from services.enrich.tests.conftest import Sessions

DAY0 = datetime(2026, 11, 1, tzinfo=UTC)
WINDOW = timedelta(days=30)


def item_at(day: int, email: str = "ops@globex.com") -> FeedbackItem:
    at = DAY0 + timedelta(days=day)
    return FeedbackItem(id=uuid4(), title="Exports fail", customer=Customer(email=email), created_at=at, received_at=at)


async def see(sessions: Sessions, item: FeedbackItem, customer_id: str | None, email: str | None) -> None:
    async with sessions() as session, session.begin():
        await storage.record_item(session, item, customer_id, email)


async def past(sessions: Sessions, item: FeedbackItem, customer_id: str | None, email: str | None) -> storage.PastItems:
    async with sessions() as session:
        return await storage.past_items(session, item, customer_id, email, WINDOW)


async def triaged(sessions: Sessions, item_id: UUID, score: float, at: datetime = DAY0) -> None:
    async with sessions() as session, session.begin():
        await storage.record_sentiment(session, item_id, score, score <= -0.3, at)


async def test_an_item_seen_twice_counts_once(sessions: Sessions) -> None:
    items = [item_at(day) for day in range(3)]
    for item in [*items, items[1], items[2]]:  # a replay sees two of them again
        await see(sessions, item, "c-2", "ops@globex.com")
    last = await past(sessions, items[2], "c-2", None)
    assert (last.count, last.recent_ids) == (2, [items[1].id, items[0].id]), "most recent first, itself excluded"
    assert (await past(sessions, items[0], "c-2", None)).count == 0


async def test_the_history_lists_a_page_of_the_latest_and_counts_them_all(sessions: Sessions) -> None:
    items = [item_at(day) for day in range(25)]
    for item in items:
        await see(sessions, item, "c-2", None)
    history = await past(sessions, item_at(30), "c-2", None)
    assert history.count == 25
    assert history.recent_ids == [item.id for item in reversed(items)][:20]


async def test_negative_items_count_within_the_window_before_the_item(sessions: Sessions) -> None:
    old, recent, neutral, later = item_at(0), item_at(40), item_at(45), item_at(60)
    for item in (old, recent, neutral, later):
        await see(sessions, item, "c-2", None)
    await triaged(sessions, old.id, -0.8)
    await triaged(sessions, recent.id, -0.6)
    await triaged(sessions, neutral.id, 0.1)
    await triaged(sessions, later.id, -0.9)
    now = item_at(50)
    history = await past(sessions, now, "c-2", None)
    assert (history.count, history.negative_recent) == (3, 1), "day 0 is out of the window, day 60 is after the item"


async def test_a_late_older_verdict_does_not_replace_a_newer_one(sessions: Sessions) -> None:
    first, current = item_at(0), item_at(1)
    await see(sessions, first, "c-2", None)
    await triaged(sessions, first.id, -0.8, at=DAY0 + timedelta(hours=2))
    await triaged(sessions, first.id, 0.6, at=DAY0 + timedelta(hours=1))  # an older triage, delivered late
    assert (await past(sessions, current, "c-2", None)).negative_recent == 1
    await triaged(sessions, first.id, 0.6, at=DAY0 + timedelta(hours=3))  # a re-triage
    assert (await past(sessions, current, "c-2", None)).negative_recent == 0


async def test_an_unknown_author_has_a_history_by_email_that_stays_once_the_crm_knows_them(sessions: Sessions) -> None:
    email = f"{uuid4().hex[:8]}@newco.dev"
    before = item_at(0, email)
    await see(sessions, before, None, email)
    assert (await past(sessions, item_at(1, email), None, email)).count == 1
    # Later the CRM knows newco: a colleague's item by the CRM id, and the first author's by email, are one history.
    colleague = item_at(2, "cto@newco.dev")
    await see(sessions, colleague, "c-new", "cto@newco.dev")
    history = await past(sessions, item_at(3, email), "c-new", email)
    assert history.recent_ids == [colleague.id, before.id]


async def test_an_upsert_keeps_the_tier_before_a_downgrade(sessions: Sessions) -> None:
    def account(tier: Tier) -> Account:
        return Account(id="acc-9", company="Hooli", domain="hooli.com", tier=tier, arr=90_000, health_score=70)

    async def stored() -> storage.CustomerRecord:
        async with sessions() as session:
            record = await session.get(storage.CustomerRecord, "acc-9")
            assert record is not None
            return record

    async with sessions() as session, session.begin():
        await storage.upsert_customers(session, [account(Tier.ENTERPRISE)])
    assert (await stored()).as_known().tier_change == TierChange()
    async with sessions() as session, session.begin():
        await storage.upsert_customers(session, [account(Tier.PRO), account(Tier.PRO)])  # the same id twice
    after = (await stored()).as_known()
    assert after.customer.tier is Tier.PRO and after.tier_change.previous_tier is Tier.ENTERPRISE
    async with sessions() as session, session.begin():
        await storage.upsert_customers(session, [account(Tier.PRO)])
    assert (await stored()).as_known().tier_change == after.tier_change, "an unchanged tier keeps the downgrade"
    async with sessions() as session:
        found = await storage.find_candidates(session, Customer(email="x@hooli.com"))
    assert found.by_domain is not None and found.by_domain.tier_change.previous_tier is Tier.ENTERPRISE
