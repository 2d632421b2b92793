"""The enrich service's handlers and its CRM sync, on the in-memory broker, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from uuid import UUID, uuid4

from fastapi import FastAPI
from pydantic import SecretStr
from sqlmodel import func, select

from libs.connectors.settings import HubSpotCrmSettings
from libs.runtime.testing import UNUSED_BOOTSTRAP, InMemoryBus, in_memory, quick_settings
from libs.schemas import topics
from libs.schemas.events import (
    DeadLettered,
    FeedbackEnriched,
    FeedbackReceived,
    FeedbackTriaged,
    TriageResult,
    utcnow,
)
from libs.schemas.feedback import AITriage, Category, Customer, FeedbackItem, FieldConfidence, Priority, Tier
from libs.schemas.feedback import sentiment_label as label_of
from libs.testing.http import serving
from services.enrich.app import create_app
from services.enrich.crm import HubSpotCrm
from services.enrich.settings import EnrichSettings
from services.enrich.storage import CustomerRecord, ItemSentiment
from services.enrich.tests.fake_crm import FakeCrm

CUSTOMERS_CSV = """id,company,domain,email,tier,arr,health_score
acc-1,"Acme, Inc.",acme.io,cto@acme.io,Enterprise,480000,35
acc-2,Initech,initech.com,,pro,36000,88
"""


def received(email: str | None, company: str | None = None, minutes_ago: int = 0) -> FeedbackReceived:
    at = utcnow() - timedelta(minutes=minutes_ago)
    item = FeedbackItem(
        id=uuid4(),
        title="Rate limits too low",
        customer=Customer(email=email, company=company),
        created_at=at,
        received_at=at,
    )
    return FeedbackReceived(producer="test", payload=item)


def triaged(item_id: UUID, score: float) -> FeedbackTriaged:
    verdict = AITriage(
        category=Category.COMPLAINT,
        sentiment_score=score,
        sentiment_label=label_of(score),
        priority=Priority.HIGH,
        priority_score=7,
        priority_reasoning="test",
        confidence=FieldConfidence(category=0.9, sentiment=0.9, priority=0.9),
        model_version="test",
        processed_at=utcnow(),
    )
    return FeedbackTriaged(producer="test", payload=TriageResult(item_id=item_id, ai_triage=verdict))


async def enriched(bus: InMemoryBus, *events: FeedbackReceived) -> dict[UUID, FeedbackEnriched]:
    """The enriched reply to each event, by the event's id."""
    for event in events:
        await bus.publish(event)
    wanted = {event.event_id for event in events}
    return {e.causation_id: e for e in bus.published(FeedbackEnriched) if e.causation_id in wanted}


async def until_stored(app: FastAPI, model: type, count: int) -> None:
    """Wait (a bounded while) until the service's table holds `count` rows: some work sends no reply to wait for."""
    async with asyncio.timeout(30):
        while True:
            async with app.state.runtime.sessions() as session:
                if (await session.exec(select(func.count()).select_from(model))).one() >= count:
                    return
            await asyncio.sleep(0.1)


async def test_feedback_is_enriched_with_the_crm_customer(database_url: str | None, tmp_path: Path) -> None:
    customers = tmp_path / "customers.csv"
    customers.write_text(CUSTOMERS_CSV)
    settings = quick_settings(EnrichSettings, UNUSED_BOOTSTRAP, tmp_path, database_url, customers_file=customers)
    by_email, by_domain, unknown = received("cto@acme.io"), received("dev@initech.com"), received("x@nowhere.dev")
    async with in_memory(create_app(settings, crms=[])) as bus:
        out = await enriched(bus, by_email, by_domain, unknown)

    acme = out[by_email.event_id].payload
    assert (acme.item.customer.id, acme.item.customer.tier, acme.match.matched_by) == (
        "acc-1",
        Tier.ENTERPRISE,
        "email",
    )
    assert acme.item.customer.at_risk, "health 35 is below the at-risk threshold"
    assert acme.history is not None and acme.history.churn_signals == ["health 35 < 40"]
    assert out[by_domain.event_id].payload.match.matched_by == "domain"
    assert not out[by_domain.event_id].payload.item.customer.at_risk
    stranger = out[unknown.event_id].payload
    assert stranger.match.known is False and stranger.history is not None, "unknown, kept, with a history by email"
    assert out[by_email.event_id].correlation_id == by_email.correlation_id


async def test_negative_items_make_a_customer_at_risk_and_replays_count_once(
    database_url: str | None, tmp_path: Path
) -> None:
    # A customer of its own: the PostgreSQL schema and the topics outlive a test.
    company = uuid4().hex[:8]
    customers = tmp_path / "customers.csv"
    customers.write_text(f"id,company,domain,tier,arr,health_score\n{company},{company},{company}.com,pro,36000,88\n")
    settings = quick_settings(EnrichSettings, UNUSED_BOOTSTRAP, tmp_path, database_url, customers_file=customers)
    team = f"team@{company}.com"  # healthy (88): only the negative items can put it at risk
    earlier = [received(team, minutes_ago=10 - n) for n in range(3)]
    latest = received(team)
    app = create_app(settings, crms=[])
    async with in_memory(app) as bus:
        await enriched(bus, *earlier)
        for event in earlier:
            await bus.publish(triaged(event.payload.id, -0.7))
        await until_stored(app, ItemSentiment, 3)
        first = (await enriched(bus, latest))[latest.event_id].payload
        # The same items again, as new events (a re-sync): nothing is counted twice.
        again = FeedbackReceived(producer="test", payload=latest.payload)
        replayed_middle = FeedbackReceived(producer="test", payload=earlier[1].payload)
        out = await enriched(bus, again, replayed_middle)

    assert first.item.customer.at_risk and first.item.customer.id == company
    assert first.history is not None
    assert first.history.churn_signals == ["3 negative items in 30 days"]
    assert first.history.previous_item_ids == [event.payload.id for event in reversed(earlier)]
    assert out[again.event_id].payload.history == first.history
    middle = out[replayed_middle.event_id].payload.history
    assert middle is not None and middle.previous_item_ids == [earlier[0].payload.id]


async def test_the_service_syncs_a_configured_crm_on_its_interval(tmp_path: Path) -> None:
    vendor = FakeCrm("hubspot")
    vendor.add(3, plan="Enterprise", arr=300_000, health=90)
    with serving(vendor.app()) as base:
        hubspot = HubSpotCrm(HubSpotCrmSettings(api_url=base, api_token=SecretStr("t"), sync_every_minutes=0.01))
        app = create_app(quick_settings(EnrichSettings, UNUSED_BOOTSTRAP, tmp_path, None), crms=[hubspot])
        async with in_memory(app) as bus:
            await until_stored(app, CustomerRecord, 3)
            vendor.add(1)  # changed while the service runs: a later scheduled run picks it up
            await until_stored(app, CustomerRecord, 4)
            item = received("buyer@company-4.io")
            out = (await enriched(bus, item))[item.event_id].payload
    assert (out.item.customer.id, out.item.customer.tier, out.match.matched_by) == ("hubspot:1004", Tier.PRO, "domain")


async def test_malformed_event_goes_to_the_dead_letter_topic_and_the_stream_goes_on(tmp_path: Path) -> None:
    settings = quick_settings(EnrichSettings, UNUSED_BOOTSTRAP, tmp_path, None)
    marker = uuid4().hex
    good = received("after@poison.dev")
    async with in_memory(create_app(settings, crms=[])) as bus:
        await bus.publish_raw(topics.FEEDBACK_RECEIVED, f'{{"poison": "{marker}"}}'.encode())
        await bus.publish(good)
        letters = bus.published(DeadLettered)
        assert any(e.causation_id == good.event_id for e in bus.published(FeedbackEnriched))
    letter = next(d for d in letters if marker in d.payload.body)
    assert letter.payload.consumer_group == "enrich.feedback.received.v1"
    assert "invalid FeedbackReceived" in letter.payload.reason
