"""The dedupe service embedding with Mistral Embed (the real SDK, a local Mistral-speaking server), on the real
broker: while the API is down, a message is redelivered (not dead-lettered) until it answers."""

from __future__ import annotations

from pathlib import Path
from uuid import UUID

import pytest

from libs.ml.mistral import MISTRAL_EMBED
from libs.runtime.testing import collect, publish, quick_settings, running
from libs.schemas.events import DedupeResult, FeedbackDeduped, FeedbackReceived
from libs.testing.mistral_server import MistralServer, Reply, running_mistral
from services.dedupe.app import create_app
from services.dedupe.settings import DedupeSettings
from services.dedupe.tests.test_service import received

pytestmark = pytest.mark.kafka

# The local server's vectors carry no meaning (a hash of the text): only equal texts are alike.
SAML_TWICE = ("Mistral-embedded: SAML assertions expire too early", "Sessions end after five minutes with SAML.")
EXPORT_CSV = ("Mistral-embedded: export the audit log as CSV", "Compliance wants the audit log in a spreadsheet.")


async def deduped(kafka_bootstrap: str, *events: FeedbackReceived) -> dict[UUID, DedupeResult]:
    """Publish the events and wait for the result of each, by the event it answers."""
    await publish(kafka_bootstrap, *events)
    wanted = {event.event_id for event in events}
    seen = await collect(kafka_bootstrap, FeedbackDeduped, lambda s: wanted <= {e.causation_id for e in s})
    return {event.event_id: next(e.payload for e in seen if e.causation_id == event.event_id) for event in events}


async def test_with_the_api_down_an_item_waits_then_is_embedded_by_mistral_and_its_twin_flagged(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    with running_mistral(MistralServer()) as server:
        settings = quick_settings(
            DedupeSettings,
            kafka_bootstrap,
            tmp_path,
            None,
            mistral_api_key="test-key",
            mistral_server_url=server.url,
            mistral_retries=0,
        )
        assert settings.embedding_model == MISTRAL_EMBED
        # Down for more than one delivery's attempts: the message must wait, not be dead-lettered.
        attempts = settings.handler_attempts
        server.then(*[Reply(status=503)] * (attempts + 2))
        first, twin, other = received(SAML_TWICE), received(SAML_TWICE), received(EXPORT_CSV)
        async with running(create_app(settings)):
            results = await deduped(kafka_bootstrap, first)
            results |= await deduped(kafka_bootstrap, twin, other)
        embeddings = [request for request in server.requests if request["path"] == "embeddings"]

    # The failures, then at most one request per item (the items of a batch share one).
    assert attempts + 2 < len(embeddings) <= attempts + 2 + 3
    original, duplicate, unrelated = results[first.event_id], results[twin.event_id], results[other.event_id]
    assert {result.embedding_model for result in results.values()} == {MISTRAL_EMBED}
    assert original.duplicate_of is None and unrelated.duplicate_of is None
    assert duplicate.duplicate_of == first.payload.id
    assert duplicate.duplicate_score == pytest.approx(1.0) and duplicate.threshold == 0.85
