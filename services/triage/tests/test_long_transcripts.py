"""A call with a 50 KB monologue, on the in-memory broker: the item keeps its verdict and its split is published."""

from __future__ import annotations

import json
from pathlib import Path
from uuid import uuid4

import pytest

from libs.runtime.testing import UNUSED_BOOTSTRAP, in_memory, quick_settings
from libs.schemas.events import (
    CustomerMatch,
    EnrichedFeedback,
    FeedbackEnriched,
    FeedbackSplit,
    FeedbackTriaged,
    TranscriptSplit,
    utcnow,
)
from libs.schemas.feedback import Customer, FeedbackItem, Source
from libs.testing.mistral_server import MistralServer, running_mistral
from services.triage.app import create_app
from services.triage.engines import SPLIT_PROMPT
from services.triage.settings import TriageSettings

pytestmark = [pytest.mark.model]

# The event's bounds (libs/schemas VoicedRequest): a request over them cannot be published.
QUOTE_MAX = DESCRIPTION_MAX = 5_000
EXPORT_TROUBLE = (
    "The CSV export keeps failing on anything over ten thousand rows. "
    "The export times out after a minute and we lose the whole file. "
    "Our finance team needs that export every morning before the board call. "
    "When the export fails they rebuild the report by hand from the raw tables. "
)
# Just under the unified model's 50,000 characters for a description, with the turns around it.
MONOLOGUE = (EXPORT_TROUBLE * (48_000 // len(EXPORT_TROUBLE))).strip()
TRANSCRIPT = "\n".join(
    [
        "Sam Rivera [internal]: Thanks for joining, Dana. How are exports going?",
        f"Dana Lee [customer]: {MONOLOGUE}",
        "Sam Rivera [internal]: Understood, I will take all of that to engineering.",
        "Dana Lee [customer]: Thanks, talk next week.",
    ]
)


def call() -> FeedbackEnriched:
    now = utcnow()
    item = FeedbackItem(
        id=uuid4(),
        source=Source.GONG,
        title="Acme / exports",
        description=TRANSCRIPT,
        customer=Customer(email="dana@acme.io"),
        created_at=now,
        received_at=now,
    )
    return FeedbackEnriched(
        producer="test", payload=EnrichedFeedback(item=item, match=CustomerMatch(matched_by="email", known=True))
    )


async def triaged_and_split(settings: TriageSettings, event: FeedbackEnriched) -> TranscriptSplit:
    """The call's split, once the call itself is known to have its verdict."""
    async with in_memory(create_app(settings)) as bus:
        await bus.publish(event)
        verdicts = [e for e in bus.published(FeedbackTriaged) if e.causation_id == event.event_id]
        splits = [e for e in bus.published(FeedbackSplit) if e.causation_id == event.event_id]
    assert [verdict.payload.item_id for verdict in verdicts] == [event.payload.item.id], "the call has its verdict"
    [split] = splits
    assert split.payload.requests, "the monologue's requests are published"
    assert all(
        len(request.quote) <= QUOTE_MAX and len(request.description) <= DESCRIPTION_MAX
        for request in split.payload.requests
    )
    return split.payload


async def test_a_50_kb_monologue_keeps_its_verdict_and_is_split_into_requests_that_fit(tmp_path: Path) -> None:
    settings = quick_settings(TriageSettings, UNUSED_BOOTSTRAP, tmp_path, None)
    split = await triaged_and_split(settings, call())
    assert not split.degraded and split.model_version.endswith("+split")
    assert len(split.requests) >= 9, "cut into several requests, none lost to the cap"
    assert split.requests[0].kind == "bug" and split.requests[0].quote.startswith("The CSV export keeps failing")


async def test_a_models_over_long_quote_is_shortened_not_a_failed_item(tmp_path: Path) -> None:
    triage = json.dumps({"category": "bug", "sentiment_score": -0.6, "severity": 3, "confidence": 0.9})
    requests = [
        {
            "title": "CSV export fails on large files",
            "description": "Exports over ten thousand rows time out. " * 200,
            "quote": MONOLOGUE[:12_000],
            "speaker": "Dana Lee",
            "kind": "bug",
        }
    ]

    def answer(messages: list[dict[str, str]]) -> str:
        return json.dumps({"requests": requests}) if messages[0]["content"] == SPLIT_PROMPT else triage

    with running_mistral(MistralServer(default_content=answer)) as mistral:
        settings = quick_settings(
            TriageSettings,
            UNUSED_BOOTSTRAP,
            tmp_path,
            None,
            mistral_api_key="test-key",
            mistral_server_url=mistral.url,
            mistral_timeout_seconds=5.0,
            mistral_retries=0,
        )
        split = await triaged_and_split(settings, call())
    assert split.model_version == "mistral:mistral-large-latest" and not split.degraded, "the model's answer is kept"
    [request] = split.requests
    assert request.quote.endswith("…") and MONOLOGUE.startswith(request.quote.removesuffix("…"))
