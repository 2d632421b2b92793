"""A transcript's requests (feedback.split) become child items: pure mapping, then the service in memory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID, uuid4

import httpx
import pytest
from sqlmodel import col, func, select

from libs.runtime.auth import Role, create_token
from libs.runtime.testing import UNUSED_BOOTSTRAP, in_memory, quick_settings
from libs.schemas.events import DeadLettered, FeedbackReceived, FeedbackSplit, TranscriptSplit, VoicedRequest
from libs.schemas.feedback import Customer, FeedbackItem, Source
from services.ingest import splits
from services.ingest.app import create_app
from services.ingest.settings import IngestSettings
from services.ingest.storage import SourceRecord, StoredItem

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
SSO = VoicedRequest(
    title="SAML SSO with Okta",
    description="They cannot roll out without SSO.",
    quote="We need SAML SSO with Okta before the rollout.",
    speaker="Dana Lee",
    kind="request",
)
EXPORT = VoicedRequest(
    title="CSV export fails on big files",
    description="Exports over 10k rows time out.",
    quote="The export keeps failing on big files.",
    speaker="Dana Lee",
    kind="bug",
)


def split_of(parent_id: UUID, *requests: VoicedRequest) -> FeedbackSplit:
    return FeedbackSplit(
        producer="triage", payload=TranscriptSplit(item_id=parent_id, requests=list(requests), model_version="test")
    )


def test_a_request_becomes_an_item_of_the_calls_customer_linked_to_the_call() -> None:
    parent = FeedbackItem(
        id=uuid4(),
        source=Source.GONG,
        source_id="call-9",
        title="Acme / QBR",
        description="Dana Lee [customer]: ...",
        customer=Customer(email="dana@acme.io", company="Acme"),
        url="https://app.gong.io/call?id=9",
        created_at=NOW,
        received_at=NOW,
    )
    split = split_of(parent.id, SSO, EXPORT)
    first, second = splits.children(parent, split, NOW)
    assert first.payload.id == splits.child_id(parent.id, 0) != second.payload.id == splits.child_id(parent.id, 1)
    assert splits.children(parent, split, NOW)[0].payload.id == first.payload.id, "the same split, the same ids"
    child = first.payload
    assert (child.parent_id, child.source, child.source_id, child.customer) == (
        parent.id,
        Source.GONG,
        "call-9#1",
        parent.customer,
    )
    assert SSO.quote in child.description and "Dana Lee" in child.description and "Acme / QBR" in child.description
    assert child.tags == ["sales-call", "request"] and second.payload.tags == ["sales-call", "bug"]
    assert (str(child.url), child.created_at, child.title) == (str(parent.url), NOW, SSO.title)
    assert first.causation_id == split.event_id and first.correlation_id == child.id


@pytest.fixture
async def ingest(tmp_path: Path, database_url: str | None) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(quick_settings(IngestSettings, UNUSED_BOOTSTRAP, tmp_path, database_url))
    async with in_memory(app) as bus:
        token = create_token(app.state.signing_key, Role.EDITOR, "ingest-test")
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://ingest",
            headers={"Authorization": f"Bearer {token}"},
        ) as client:
            client.app = app  # type: ignore[attr-defined]
            client.bus = bus  # type: ignore[attr-defined]
            yield client


async def children_stored(client: httpx.AsyncClient, parent_id: UUID) -> int:
    runtime = client.app.state.runtime  # type: ignore[attr-defined]
    ids = [splits.child_id(parent_id, index) for index in range(5)]
    async with runtime.sessions() as session:
        return (await session.exec(select(func.count()).where(col(StoredItem.id).in_(ids)))).one()


async def test_a_split_call_becomes_one_item_per_request_once(ingest: httpx.AsyncClient) -> None:
    call = {
        "title": "Acme / QBR",
        "description": "Sam [internal]: Anything else?\nDana Lee [customer]: We need SAML SSO.",
        "source": "gong",
        "source_id": f"call-{uuid4().hex[:8]}",
        "customer": {"email": "dana@acme.io"},
        "status": "closed",
        "tags": ["sales-call", "transcript"],
    }
    response = await ingest.post("/api/v1/feedback", json=call)
    assert response.status_code == 202, response.text
    parent_id = UUID(response.json()["id"])

    split = split_of(parent_id, SSO, EXPORT)
    bus = ingest.bus  # type: ignore[attr-defined]
    await bus.publish(split)
    seen = await bus.until(FeedbackReceived, lambda s: sum(e.payload.parent_id == parent_id for e in s) >= 2)
    made = sorted((e.payload for e in seen if e.payload.parent_id == parent_id), key=lambda item: item.source_id or "")
    assert [item.id for item in made] == [splits.child_id(parent_id, 0), splits.child_id(parent_id, 1)]
    assert [item.title for item in made] == [SSO.title, EXPORT.title]
    assert all(item.customer.email == "dana@acme.io" and item.source == Source.GONG for item in made)

    # The same split delivered again, and another split of the same call: nothing new.
    await bus.publish(split)
    again = split_of(parent_id, EXPORT, SSO, SSO)
    await bus.publish(again)
    assert await children_stored(ingest, parent_id) == 2
    runtime = ingest.app.state.runtime  # type: ignore[attr-defined]
    async with runtime.sessions() as session:
        record = await session.get(SourceRecord, splits.child_id(parent_id, 0))
    assert record is not None and record.origin == "split" and SSO.quote in record.record


async def test_a_split_of_an_item_ingest_never_had_is_dead_lettered(ingest: httpx.AsyncClient) -> None:
    stranger = split_of(uuid4(), SSO)
    await ingest.bus.publish(stranger)  # type: ignore[attr-defined]
    letters = ingest.bus.published(DeadLettered)  # type: ignore[attr-defined]
    [letter] = [e for e in letters if str(stranger.payload.item_id) in e.payload.reason]
    assert letter.payload.consumer_group == "ingest.feedback.split.v1" and "never received" in letter.payload.reason
