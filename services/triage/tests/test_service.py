"""The triage service on the real broker: triage, overrides, re-triage."""

from __future__ import annotations

from pathlib import Path
from uuid import uuid4

import pytest
from sqlmodel import select

from libs.runtime.testing import collect, publish, quick_settings, running
from libs.schemas.events import (
    CustomerMatch,
    EnrichedFeedback,
    FeedbackEnriched,
    FeedbackOverridden,
    FeedbackTriaged,
    OverrideTriage,
    RetriageFeedback,
    RetriageRequest,
    TriageOverride,
    utcnow,
)
from libs.schemas.feedback import Customer, FeedbackItem, Tier
from services.triage.app import create_app
from services.triage.settings import TriageSettings
from services.triage.storage import OverrideRecord

pytestmark = [pytest.mark.kafka, pytest.mark.model]


def enriched(title: str, customer: Customer) -> FeedbackEnriched:
    now = utcnow()
    item = FeedbackItem(id=uuid4(), title=title, customer=customer, created_at=now, received_at=now)
    return FeedbackEnriched(
        producer="test", payload=EnrichedFeedback(item=item, match=CustomerMatch(matched_by="email", known=True))
    )


@pytest.fixture
def settings(kafka_bootstrap: str, tmp_path: Path, database_url: str | None) -> TriageSettings:
    return quick_settings(TriageSettings, kafka_bootstrap, tmp_path, database_url)


async def test_items_are_triaged_corrected_and_triaged_again(settings: TriageSettings, kafka_bootstrap: str) -> None:
    enterprise = Customer(company="Acme", tier=Tier.ENTERPRISE, arr=480_000, health_score=30, at_risk=True)
    outage = enriched("Production is down: every API request returns 500 since 09:00", enterprise)
    app = create_app(settings)
    async with running(app):
        await publish(kafka_bootstrap, outage)
        [triaged] = [
            event
            for event in await collect(
                kafka_bootstrap, FeedbackTriaged, lambda seen: any(e.causation_id == outage.event_id for e in seen)
            )
            if event.causation_id == outage.event_id
        ]
        verdict = triaged.payload.ai_triage
        assert verdict.priority.value == "critical"
        assert "at risk" in verdict.priority_reasoning and "enterprise" in verdict.priority_reasoning
        assert verdict.model_version == "local-seed-1" and not triaged.payload.degraded

        correction = OverrideTriage(
            producer="gateway",
            payload=TriageOverride(item_id=outage.payload.item.id, actor="pm@acme.io", category="complaint"),
        )
        await publish(kafka_bootstrap, correction)
        announced = await collect(
            kafka_bootstrap, FeedbackOverridden, lambda seen: any(e.causation_id == correction.event_id for e in seen)
        )
        assert any(e.payload.actor == "pm@acme.io" for e in announced)
        async with app.state.runtime.sessions() as session:
            [kept] = (
                await session.exec(select(OverrideRecord).where(OverrideRecord.item_id == outage.payload.item.id))
            ).all()
        assert (kept.category, kept.ai_category, kept.actor) == ("complaint", verdict.category.value, "pm@acme.io")

        again = RetriageFeedback(
            producer="test", payload=RetriageRequest(item_ids=[outage.payload.item.id], requested_by="pm@acme.io")
        )
        await publish(kafka_bootstrap, again)
        await collect(
            kafka_bootstrap, FeedbackTriaged, lambda seen: any(e.causation_id == again.event_id for e in seen)
        )
