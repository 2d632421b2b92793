"""The dedupe service's handlers on the in-memory broker, on SQLite and on PostgreSQL, with the real MiniLM model."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from uuid import UUID, uuid4

import pytest
from fastapi import FastAPI

from libs.ml.embeddings import MINILM
from libs.runtime.service import ServiceRuntime
from libs.runtime.testing import UNUSED_BOOTSTRAP, InMemoryBus, in_memory, quick_settings
from libs.schemas.events import DedupeResult, FeedbackDeduped, FeedbackReceived, utcnow
from libs.schemas.feedback import FeedbackItem
from services.dedupe import storage
from services.dedupe.app import create_app
from services.dedupe.domain import Decision
from services.dedupe.settings import DedupeSettings

pytestmark = pytest.mark.model


SLACK_DELAYED = (
    "Webhook deliveries to our Slack channel are delayed by hours",
    "Events that happen in the morning only show up in Slack in the afternoon.",
)
SLACK_LATE = (
    "Slack notifications from webhooks arrive hours late",
    "Our team sees the alerts in Slack long after the event actually happened.",
)
DARK_INVOICES = ("Add a dark theme to the invoice PDF export", "The exported invoices clash with our brand colours.")
OKTA_LOOP = (
    "Okta SSO login loops back to the sign-in page",
    "After authenticating with Okta, users land on login again.",
)
OKTA_REDIRECT = (
    "Single sign-on with Okta keeps redirecting to the login screen",
    "Signing in through Okta sends people back to the sign-in form, in a loop.",
)


def received(text: tuple[str, str], days_ago: int = 0) -> FeedbackReceived:
    now = utcnow()
    title, description = text
    item = FeedbackItem(
        id=uuid4(), title=title, description=description, created_at=now - timedelta(days=days_ago), received_at=now
    )
    return FeedbackReceived(producer="test", payload=item)


def settings_for(data_dir: Path, database_url: str | None = None) -> DedupeSettings:
    return quick_settings(DedupeSettings, UNUSED_BOOTSTRAP, data_dir, database_url)


async def deduped(bus: InMemoryBus, *events: FeedbackReceived) -> dict[UUID, DedupeResult]:
    """Publish the events, one after the other, and the result of each, by the event it answers."""
    for event in events:
        await bus.publish(event)
    seen = bus.published(FeedbackDeduped)
    return {event.event_id: next(e.payload for e in seen if e.causation_id == event.event_id) for event in events}


async def test_a_paraphrase_is_flagged_as_a_duplicate_of_the_first_and_a_replay_keeps_the_decision(
    database_url: str | None, tmp_path: Path
) -> None:
    settings = settings_for(tmp_path, database_url)
    first, paraphrase, unrelated = received(SLACK_DELAYED), received(SLACK_LATE), received(DARK_INVOICES)
    first_id, paraphrase_id, unrelated_id = (e.payload.id for e in (first, paraphrase, unrelated))
    app = create_app(settings)
    async with in_memory(app) as bus:
        results = await deduped(bus, first, paraphrase, unrelated)
        counted = decisions_counted(app)
        # A replay (a new event for an item already decided) keeps the decision though its twin is indexed now.
        replay = FeedbackReceived(producer="test", payload=first.payload)
        replayed = (await deduped(bus, replay))[replay.event_id]
        assert decisions_counted(app) == counted, "a decision is counted once, when made"
        assert counted["duplicate"] >= 1 and counted["unique"] >= 2
        decisions = {
            item_id: await stored_decision(app, item_id) for item_id in (first_id, paraphrase_id, unrelated_id)
        }

    threshold = settings.duplicate_threshold
    original, twin, other = results[first.event_id], results[paraphrase.event_id], results[unrelated.event_id]
    assert original.duplicate_of is None
    assert twin.duplicate_of == first_id
    assert twin.duplicate_score is not None and twin.duplicate_score >= threshold
    assert (twin.threshold, twin.window_days, twin.embedding_model) == (threshold, settings.window_days, MINILM)
    assert twin.similar_items[0].id == first_id
    assert twin.similar_items[0].title == SLACK_DELAYED[0]
    assert other.duplicate_of is None and other.duplicate_score is None
    for item_id, result in ((first_id, original), (paraphrase_id, twin), (unrelated_id, other), (first_id, replayed)):
        assert result.item_id == item_id
        assert item_id not in {similar.id for similar in result.similar_items}

    assert replayed.duplicate_of is None
    assert paraphrase_id in {similar.id for similar in replayed.similar_items}
    assert decisions[paraphrase_id].duplicate_of == first_id
    assert decisions[paraphrase_id].score == pytest.approx(twin.duplicate_score)
    assert decisions[first_id].duplicate_of is None
    assert decisions[unrelated_id].duplicate_of is None


async def test_a_twin_older_than_the_window_is_similar_but_not_the_parent(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    old = received(OKTA_LOOP, days_ago=settings.window_days + 15)
    new = received(OKTA_REDIRECT)
    async with in_memory(create_app(settings)) as bus:
        result = (await deduped(bus, old, new))[new.event_id]

    assert result.duplicate_of is None
    similar = {item.id: item.score for item in result.similar_items}
    assert similar[old.payload.id] >= settings.duplicate_threshold, "similar enough: only its age keeps it apart"


def decisions_counted(app: FastAPI) -> dict[str, float]:
    """The model's decisions in /metrics, by outcome."""
    registry = app.state.runtime.registry
    return {
        outcome: registry.get_sample_value(
            "prodops_dedupe_decisions_total", {"decided_by": "model", "outcome": outcome}
        )
        or 0.0
        for outcome in ("duplicate", "unique")
    }


async def stored_decision(app: FastAPI, item_id: UUID) -> Decision:
    runtime: ServiceRuntime = app.state.runtime
    async with runtime.sessions() as session:
        decision = await storage.get_decision(session, item_id)
    assert decision is not None, f"no decision stored for {item_id}"
    return decision
