"""feedback.updated in triage, on the real broker: a changed text is triaged again, and a call whose
transcript arrives only in the edit is split then; an edit of votes alone triggers nothing."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar
from uuid import uuid4

import pytest

from libs.runtime.testing import collect, publish, quick_settings, running
from libs.schemas.events import (
    ContentField,
    CustomerMatch,
    EnrichedFeedback,
    Envelope,
    FeedbackEnriched,
    FeedbackSplit,
    FeedbackTriaged,
    FeedbackUpdate,
    FeedbackUpdated,
    utcnow,
)
from libs.schemas.feedback import Customer, FeedbackItem, FeedbackStatus, Source
from services.triage.app import create_app
from services.triage.settings import TriageSettings

pytestmark = [pytest.mark.kafka, pytest.mark.model]
E = TypeVar("E", bound=Envelope)
TRANSCRIPT = "\n".join(
    [
        "Sam Rivera [internal]: Thanks for joining, Dana. Anything on your list today?",
        "Dana Lee [customer]: We need SAML SSO with Okta before we can roll this out to the whole company.",
        "Sam Rivera [internal]: Understood, I will pass that on to the product team.",
        "Dana Lee [customer]: Also the CSV export keeps failing on anything over ten thousand rows.",
    ]
)


@pytest.fixture
def settings(kafka_bootstrap: str, tmp_path: Path, database_url: str | None) -> TriageSettings:
    return quick_settings(TriageSettings, kafka_bootstrap, tmp_path, database_url)


def edit(item: FeedbackItem, changed: list[ContentField], **content: object) -> FeedbackUpdated:
    payload = FeedbackUpdate(
        item_id=item.id, changed=changed, item=item.model_copy(update=content), updated_at=utcnow()
    )
    return FeedbackUpdated(producer="test", correlation_id=item.id, payload=payload)


async def replies(bootstrap: str, event_type: type[E], cause: FeedbackUpdated | FeedbackEnriched) -> list[E]:
    seen = await collect(bootstrap, event_type, lambda seen: any(e.causation_id == cause.event_id for e in seen))
    return [event for event in seen if event.causation_id == cause.event_id]


async def test_a_call_whose_transcript_arrives_in_an_edit_is_triaged_again_and_split(
    settings: TriageSettings, kafka_bootstrap: str
) -> None:
    now = utcnow()
    call = FeedbackItem(
        id=uuid4(),
        source=Source.GONG,
        title="Acme / quarterly review",
        description="Quarterly review of the rollout.",
        customer=Customer(email="dana@acme.io", company="Acme"),
        created_at=now,
        received_at=now,
    )
    first = FeedbackEnriched(
        producer="test", payload=EnrichedFeedback(item=call, match=CustomerMatch(matched_by="email", known=True))
    )
    with_transcript = edit(
        call, ["description", "status"], description=TRANSCRIPT, status=FeedbackStatus.CLOSED, customer=Customer()
    )
    votes_only = edit(call, ["votes"], description=TRANSCRIPT, votes=4)
    retitled = edit(call, ["title"], title="Acme / QBR", description=TRANSCRIPT)
    async with running(create_app(settings)):
        await publish(kafka_bootstrap, first)
        await replies(kafka_bootstrap, FeedbackTriaged, first)
        await publish(kafka_bootstrap, with_transcript)
        [triaged] = await replies(kafka_bootstrap, FeedbackTriaged, with_transcript)
        [split] = await replies(kafka_bootstrap, FeedbackSplit, with_transcript)
        assert triaged.payload.item_id == call.id and split.payload.item_id == call.id
        assert [request.kind for request in split.payload.requests] == ["request", "bug"]

        await publish(kafka_bootstrap, votes_only)
        await publish(kafka_bootstrap, retitled)
        # One item's events keep their order: once the retitled edit is answered, the votes one was handled.
        answered = await collect(
            kafka_bootstrap, FeedbackTriaged, lambda seen: any(e.causation_id == retitled.event_id for e in seen)
        )
        splits = await collect(
            kafka_bootstrap, FeedbackSplit, lambda seen: any(e.causation_id == with_transcript.event_id for e in seen)
        )
    assert not [event for event in answered if event.causation_id == votes_only.event_id], "votes alone: no triage"
    split_causes = {event.causation_id for event in splits}
    assert first.event_id not in split_causes, "no transcript at first: nothing to split"
    assert retitled.event_id not in split_causes, "split once, when the transcript arrived"
