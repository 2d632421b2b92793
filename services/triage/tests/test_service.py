"""The triage service's handlers, on the in-memory broker and both databases: triage, overrides, re-triage."""

from __future__ import annotations

from pathlib import Path
from uuid import uuid4

import pytest
from sqlmodel import col, select

from libs.runtime.testing import UNUSED_BOOTSTRAP, in_memory, quick_settings
from libs.schemas.events import (
    CustomerMatch,
    EnrichedFeedback,
    FeedbackEnriched,
    FeedbackOverridden,
    FeedbackSplit,
    FeedbackTriaged,
    OverrideTriage,
    RetriageFeedback,
    RetriageRequest,
    TriageOverride,
    utcnow,
)
from libs.schemas.feedback import Customer, FeedbackItem, Source, Tier
from libs.testing.mistral_server import MistralServer, Reply, running_mistral
from services.triage.app import create_app
from services.triage.settings import TriageSettings
from services.triage.storage import OverrideRecord, TriageVerdict

pytestmark = [pytest.mark.model]


def enriched(title: str, customer: Customer) -> FeedbackEnriched:
    now = utcnow()
    item = FeedbackItem(id=uuid4(), title=title, customer=customer, created_at=now, received_at=now)
    return FeedbackEnriched(
        producer="test", payload=EnrichedFeedback(item=item, match=CustomerMatch(matched_by="email", known=True))
    )


@pytest.fixture
def settings(tmp_path: Path, database_url: str | None) -> TriageSettings:
    return quick_settings(TriageSettings, UNUSED_BOOTSTRAP, tmp_path, database_url)


async def test_items_are_triaged_corrected_and_triaged_again(settings: TriageSettings) -> None:
    enterprise = Customer(company="Acme", tier=Tier.ENTERPRISE, arr=480_000, health_score=30, at_risk=True)
    outage = enriched("Production is down: every API request returns 500 since 09:00", enterprise)
    app = create_app(settings)
    async with in_memory(app) as bus:
        await bus.publish(outage)
        [triaged] = [event for event in bus.published(FeedbackTriaged) if event.causation_id == outage.event_id]
        verdict = triaged.payload.ai_triage
        assert verdict.priority.value == "critical"
        assert "at risk" in verdict.priority_reasoning and "enterprise" in verdict.priority_reasoning
        assert verdict.model_version == "local-seed-1" and not triaged.payload.degraded

        correction = OverrideTriage(
            producer="gateway",
            payload=TriageOverride(item_id=outage.payload.item.id, actor="pm@acme.io", category="complaint"),
        )
        await bus.publish(correction)
        announced = bus.published(FeedbackOverridden)
        assert any(e.payload.actor == "pm@acme.io" for e in announced)
        async with app.state.runtime.sessions() as session:
            [kept] = (
                await session.exec(select(OverrideRecord).where(OverrideRecord.item_id == outage.payload.item.id))
            ).all()
        assert (kept.category, kept.ai_category, kept.actor) == ("complaint", verdict.category.value, "pm@acme.io")

        again = RetriageFeedback(
            producer="test", payload=RetriageRequest(item_ids=[outage.payload.item.id], requested_by="pm@acme.io")
        )
        await bus.publish(again)
        assert any(event.causation_id == again.event_id for event in bus.published(FeedbackTriaged))


async def test_a_call_transcript_is_triaged_and_split_into_its_requests(
    settings: TriageSettings,
) -> None:
    transcript = "\n".join(
        [
            "Sam Rivera [internal]: Thanks for joining, Dana. Anything on your list today?",
            "Dana Lee [customer]: We need SAML SSO with Okta before we can roll this out to the whole company.",
            "Sam Rivera [internal]: Understood, I will pass that on to the product team.",
            "Dana Lee [customer]: Also the CSV export keeps failing on anything over ten thousand rows.",
        ]
    )
    now = utcnow()
    item = FeedbackItem(
        id=uuid4(),
        source=Source.GONG,
        title="Acme / quarterly review",
        description=transcript,
        customer=Customer(email="dana@acme.io"),
        created_at=now,
        received_at=now,
    )
    call = FeedbackEnriched(
        producer="test", payload=EnrichedFeedback(item=item, match=CustomerMatch(matched_by="email", known=True))
    )
    async with in_memory(create_app(settings)) as bus:
        await bus.publish(call)
        splits = bus.published(FeedbackSplit)
        triaged = bus.published(FeedbackTriaged)
    [split] = [event for event in splits if event.causation_id == call.event_id]
    assert split.payload.item_id == item.id and split.key == str(item.id).encode()
    assert [request.kind for request in split.payload.requests] == ["request", "bug"]
    assert "SAML SSO" in split.payload.requests[0].title
    assert split.payload.model_version.endswith("+split") and not split.payload.degraded
    assert any(event.payload.item_id == item.id for event in triaged), "the call itself is triaged as well"


async def test_degraded_verdicts_are_triaged_again_by_mistral_on_request_once_it_answers(
    tmp_path: Path, database_url: str | None
) -> None:
    answer = '{"category": "bug", "sentiment_score": -0.7, "severity": 4, "confidence": 0.9, "reasoning": "Down."}'
    with running_mistral(MistralServer(default_content=lambda messages: answer)) as mistral:
        settings = quick_settings(
            TriageSettings,
            UNUSED_BOOTSTRAP,
            tmp_path,
            database_url,
            mistral_api_key="test-key",
            mistral_server_url=mistral.url,
            mistral_timeout_seconds=1.0,
            mistral_retries=0,
            retriage_degraded_seconds=3600.0,  # only the command asks here
        )
        down, later = enriched("Exports fail with a 500", Customer()), enriched("Exports hang", Customer())
        app = create_app(settings)
        registry = app.state.runtime.registry
        async with in_memory(app) as bus:
            mistral.then(Reply(status=503), Reply(status=503))  # down for both items
            await bus.publish(down)
            await bus.publish(later)
            first = bus.published(FeedbackTriaged)
            fallen = [e.payload for e in first if e.causation_id in {down.event_id, later.event_id}]
            assert all(
                p.ai_triage.degraded and p.degraded and not p.ai_triage.model_version.startswith("mistral")
                for p in fallen
            )
            assert registry.get_sample_value("prodops_ai_fallbacks_total", {"reason": "primary_failed"}) == 2

            # Still down: the run stops at the first item; nothing is published, nothing falls back again.
            mistral.then(Reply(status=503))
            still = RetriageFeedback(producer="test", payload=RetriageRequest(degraded=True, requested_by="sre"))
            back = RetriageFeedback(producer="test", payload=RetriageRequest(degraded=True, requested_by="sre"))
            await bus.publish(still)
            await bus.publish(back)  # the API answers again by then
            again = bus.published(FeedbackTriaged)
            assert not [e for e in again if e.causation_id == still.event_id]
            retriaged = {e.payload.item_id: e.payload.ai_triage for e in again if e.causation_id == back.event_id}
            assert set(retriaged) == {down.payload.item.id, later.payload.item.id}
            assert all(t.model_version == "mistral:mistral-small-latest" and not t.degraded for t in retriaged.values())
            assert registry.get_sample_value("prodops_ai_fallbacks_total", {"reason": "primary_failed"}) == 2
            async with app.state.runtime.sessions() as session:
                verdicts = (
                    await session.exec(select(TriageVerdict).where(col(TriageVerdict.item_id).in_(retriaged)))
                ).all()
            assert sorted(v.item_id for v in verdicts) == sorted(retriaged) and not any(v.degraded for v in verdicts)
