"""The enrich service on the real broker, on SQLite and on PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from uuid import uuid4

import pytest

from libs.runtime.testing import collect, publish, publish_raw, running
from libs.schemas import topics
from libs.schemas.events import DeadLettered, FeedbackEnriched, FeedbackReceived, utcnow
from libs.schemas.feedback import Customer, FeedbackItem, Tier
from services.enrich.app import create_app
from services.enrich.settings import EnrichSettings

pytestmark = pytest.mark.kafka

CUSTOMERS_CSV = """id,company,domain,email,tier,arr,health_score
acc-1,"Acme, Inc.",acme.io,cto@acme.io,Enterprise,480000,35
acc-2,Initech,initech.com,,pro,36000,88
"""


def received(email: str | None, company: str | None = None) -> FeedbackReceived:
    now = utcnow()
    item = FeedbackItem(
        id=uuid4(),
        title="Rate limits too low",
        customer=Customer(email=email, company=company),
        created_at=now,
        received_at=now,
    )
    return FeedbackReceived(producer="test", payload=item)


async def test_feedback_is_enriched_with_the_crm_customer(
    kafka_bootstrap: str, database_url: str | None, tmp_path: Path
) -> None:
    customers = tmp_path / "customers.csv"
    customers.write_text(CUSTOMERS_CSV)
    settings = EnrichSettings(
        kafka_bootstrap=kafka_bootstrap,
        data_dir=tmp_path,
        database_url=database_url,
        customers_file=customers,
        kafka_session_timeout_ms=2000,
        kafka_heartbeat_interval_ms=500,
    )
    by_email, by_domain, unknown = received("cto@acme.io"), received("dev@initech.com"), received("x@nowhere.dev")
    async with running(create_app(settings)):
        await publish(kafka_bootstrap, by_email, by_domain, unknown)
        wanted = {by_email.event_id, by_domain.event_id, unknown.event_id}
        seen = await collect(kafka_bootstrap, FeedbackEnriched, lambda s: wanted <= {e.causation_id for e in s})

    out = {e.causation_id: e for e in seen}
    acme = out[by_email.event_id].payload
    assert (acme.item.customer.id, acme.item.customer.tier, acme.match.matched_by) == (
        "acc-1",
        Tier.ENTERPRISE,
        "email",
    )
    assert acme.item.customer.at_risk, "health 35 is below the at-risk threshold"
    assert out[by_domain.event_id].payload.match.matched_by == "domain"
    assert out[unknown.event_id].payload.match.known is False
    assert out[by_email.event_id].correlation_id == by_email.correlation_id


async def test_malformed_event_goes_to_the_dead_letter_topic_and_the_stream_goes_on(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    settings = EnrichSettings(
        kafka_bootstrap=kafka_bootstrap,
        data_dir=tmp_path,
        kafka_session_timeout_ms=2000,
        kafka_heartbeat_interval_ms=500,
    )
    marker = uuid4().hex
    good = received("after@poison.dev")
    async with running(create_app(settings)):
        await publish_raw(kafka_bootstrap, topics.FEEDBACK_RECEIVED, f'{{"poison": "{marker}"}}'.encode())
        await publish(kafka_bootstrap, good)
        letters = await collect(kafka_bootstrap, DeadLettered, lambda s: any(marker in d.payload.body for d in s))
        await collect(kafka_bootstrap, FeedbackEnriched, lambda s: any(e.causation_id == good.event_id for e in s))
    letter = next(d for d in letters if marker in d.payload.body)
    assert letter.payload.consumer_group == "enrich.feedback.received.v1"
    assert "invalid FeedbackReceived" in letter.payload.reason
