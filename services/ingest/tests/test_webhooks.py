"""POST /webhooks/{source} on the in-memory broker, SQLite and PostgreSQL: signed, forged, replayed, ignored."""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from pydantic import SecretStr
from sqlmodel import func, select

from libs.connectors.rejections import RejectedPayload
from libs.runtime.testing import DATABASES, UNUSED_BOOTSTRAP, database_for, in_memory, quick_settings
from libs.schemas.events import FeedbackReceived, FeedbackUpdated, utcnow
from services.ingest.app import create_app
from services.ingest.connectors import REGISTRY, Connector
from services.ingest.settings import IngestSettings
from services.ingest.storage import (
    SourceRecord,
    StoredItem,
    StoredUpdate,
    WebhookDelivery,
    WebhookRejection,
    announced_content,
)
from services.ingest.tests.connectors.vendors import BASE_URL, BY_SOURCE, VENDORS, WITH_FEEDBACK, Delivery, Vendor

SECRET = "whsec-test-0123456789"


def configured(source: str, secret: str | None = SECRET) -> Connector:
    cls = REGISTRY[source]
    return cls(cls.settings_type(webhook_secret=SecretStr(secret) if secret else None))


@pytest.fixture(params=DATABASES, scope="module")
async def ingest(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[httpx.AsyncClient]:
    data_dir = tmp_path_factory.mktemp("ingest-webhooks")
    settings = quick_settings(IngestSettings, UNUSED_BOOTSTRAP, data_dir, database_for(request))
    connectors = {source: configured(source) for source in REGISTRY}
    app = create_app(settings, connectors=connectors)
    transport = httpx.ASGITransport(app=app)
    async with in_memory(app) as bus, httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
        client.app = app  # type: ignore[attr-defined]
        client.bus = bus  # type: ignore[attr-defined]
        client.connectors = connectors  # type: ignore[attr-defined]
        yield client


async def post(client: httpx.AsyncClient, delivery: Delivery) -> httpx.Response:
    return await client.post(delivery.url, content=delivery.body, headers=delivery.headers)


async def count(client: httpx.AsyncClient, model: type, *where: Any) -> int:
    runtime = client.app.state.runtime  # type: ignore[attr-defined]
    async with runtime.sessions() as session:
        return (await session.exec(select(func.count()).select_from(model).where(*where))).one()


def with_fresh_ids(vendor: Vendor) -> Vendor:
    """The vendor's feedback payload with ids of its own, so runs on both databases stay apart."""
    text, suffix = json.dumps(vendor.feedback), uuid4().int % 10**9
    for old in ("9001", "7001", "5001", "3001", "10042", "553c3ef8b8cdcd1501ba1234", "500XX0000000001"):
        text = text.replace(old, f"{old}{suffix}")
    return Vendor(**{**vendor.__dict__, "feedback": json.loads(text)})


@pytest.mark.parametrize("vendor", WITH_FEEDBACK, ids=[v.source for v in WITH_FEEDBACK])
async def test_a_signed_feedback_delivery_is_stored_before_the_answer_and_a_replay_changes_nothing(
    ingest: httpx.AsyncClient, vendor: Vendor
) -> None:
    delivery = with_fresh_ids(vendor).feedback_delivery(SECRET, utcnow())
    response = await post(ingest, delivery)
    assert response.status_code == 202, response.text
    (item_id,) = [UUID(value) for value in response.json()["ids"]]
    assert await count(ingest, StoredItem, StoredItem.id == item_id) == 1
    assert await count(ingest, SourceRecord, SourceRecord.item_id == item_id) == 1
    delivery_id = response.json()["delivery_id"]
    assert await count(ingest, WebhookDelivery, WebhookDelivery.delivery_id == delivery_id) == 1

    items_before = await count(ingest, StoredItem)
    replay = await post(ingest, delivery)
    assert replay.status_code == 200 and replay.json()["duplicate"] is True
    assert await count(ingest, StoredItem) == items_before


@pytest.mark.parametrize("vendor", VENDORS, ids=[v.source for v in VENDORS])
async def test_a_forged_delivery_is_refused_recorded_and_never_processed(
    ingest: httpx.AsyncClient, vendor: Vendor
) -> None:
    before = (await count(ingest, StoredItem), await count(ingest, WebhookDelivery))
    forged = vendor.deliver("attacker-guess", vendor.feedback or vendor.ignored, utcnow(), vendor.feedback_headers)
    response = await post(ingest, forged)
    assert response.status_code == 401
    reason = response.json()["detail"]
    assert await count(
        ingest, WebhookRejection, WebhookRejection.source == vendor.source, WebhookRejection.reason == reason
    )
    assert (await count(ingest, StoredItem), await count(ingest, WebhookDelivery)) == before


@pytest.mark.parametrize("vendor", VENDORS, ids=[v.source for v in VENDORS])
async def test_an_event_without_feedback_is_acknowledged_and_ignored(ingest: httpx.AsyncClient, vendor: Vendor) -> None:
    items = await count(ingest, StoredItem)
    response = await post(ingest, vendor.ignored_delivery(SECRET, utcnow()))
    assert response.status_code == 200, response.text
    assert response.json()["ids"] == [] and response.json()["duplicate"] is False
    assert await count(ingest, StoredItem) == items


def probed(payload: Any) -> Any:
    """A payload of its own (a fresh id, a marker), so a first delivery is never taken for another test's."""
    marker = uuid4().hex
    if isinstance(payload, list):
        return [*payload[:-1], probed(payload[-1])]
    fresh = {**payload, "probe": marker}
    if "id" in payload and isinstance(payload["id"], str):
        fresh["id"] = f"{payload['id']}-{marker}"
    return fresh


@pytest.mark.parametrize("vendor", VENDORS, ids=[v.source for v in VENDORS])
async def test_a_replayed_delivery_of_any_event_is_a_duplicate(ingest: httpx.AsyncClient, vendor: Vendor) -> None:
    delivery = vendor.deliver(SECRET, probed(vendor.ignored), utcnow(), vendor.ignored_headers)
    first, replay = await post(ingest, delivery), await post(ingest, delivery)
    assert (first.status_code, first.json()["duplicate"]) == (200, False), first.text
    assert (replay.status_code, replay.json()["duplicate"]) == (200, True)
    assert replay.json()["delivery_id"] == first.json()["delivery_id"]


async def test_a_stale_delivery_is_refused(ingest: httpx.AsyncClient) -> None:
    linear = BY_SOURCE["linear"]
    response = await post(ingest, linear.feedback_delivery(SECRET, utcnow() - timedelta(minutes=2)))
    assert response.status_code == 401 and "replay window" in response.json()["detail"]


async def test_a_source_without_a_secret_refuses_its_webhooks(
    ingest: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(ingest.connectors, "jira", configured("jira", secret=None))  # type: ignore[attr-defined]
    response = await post(ingest, BY_SOURCE["jira"].feedback_delivery(SECRET, utcnow()))
    assert response.status_code == 401 and "PRODOPS_JIRA_WEBHOOK_SECRET" in response.json()["detail"]


async def test_an_unknown_source_is_not_found(ingest: httpx.AsyncClient) -> None:
    response = await ingest.post("/webhooks/fax", content=b"{}")
    assert response.status_code == 404


async def test_a_signed_but_unreadable_delivery_is_refused_and_kept(ingest: httpx.AsyncClient) -> None:
    github = BY_SOURCE["github"]
    broken = {**github.feedback, "issue": {"title": "no id"}}
    response = await post(ingest, github.deliver(SECRET, broken, utcnow(), github.feedback_headers))
    assert response.status_code == 422
    assert response.json()["detail"] == "unreadable github delivery: Issue.id: Field required"
    assert await count(ingest, RejectedPayload, RejectedPayload.source == "github")


async def test_a_webhook_item_is_published_as_feedback_received(ingest: httpx.AsyncClient) -> None:
    delivery = with_fresh_ids(BY_SOURCE["helpscout"]).feedback_delivery(SECRET, utcnow())
    item_id = UUID((await post(ingest, delivery)).json()["ids"][0])
    bus = ingest.bus  # type: ignore[attr-defined]
    seen = await bus.until(FeedbackReceived, lambda s: any(e.payload.id == item_id for e in s))
    event = next(e for e in seen if e.payload.id == item_id)
    assert event.payload.source.value == "helpscout" and event.payload.customer.email == "night@owl.io"


async def test_an_edit_at_the_source_is_published_as_feedback_updated_once(ingest: httpx.AsyncClient) -> None:
    github = with_fresh_ids(BY_SOURCE["github"])
    item_id = UUID((await post(ingest, github.feedback_delivery(SECRET, utcnow()))).json()["ids"][0])
    issue = {**github.feedback["issue"], "title": "Export to CSV drops unicode and emoji", "labels": []}
    edited = {**github.feedback, "action": "edited", "issue": issue}
    headers = {**github.feedback_headers, "X-GitHub-Delivery": str(uuid4())}
    answer = await post(ingest, github.deliver(SECRET, edited, utcnow(), headers))
    assert answer.status_code == 202 and answer.json()["updated"] == [str(item_id)]
    assert await count(ingest, StoredItem, StoredItem.id == item_id) == 1, "the same item, never a second"

    # GitHub sends the same edit again under another delivery id: the content is unchanged, so nothing.
    again = await post(ingest, github.deliver(SECRET, edited, utcnow(), {**headers, "X-GitHub-Delivery": "x2"}))
    assert again.json()["updated"] == [] and await count(ingest, StoredUpdate, StoredUpdate.item_id == item_id) == 1

    bus = ingest.bus  # type: ignore[attr-defined]
    seen = await bus.until(FeedbackUpdated, lambda s: any(e.payload.item_id == item_id for e in s))
    (update,) = [event for event in seen if event.payload.item_id == item_id]
    assert update.payload.changed == ["title", "tags"] and update.payload.item.title == issue["title"]


async def test_an_update_event_changes_a_held_item_and_creates_none(ingest: httpx.AsyncClient) -> None:
    jira = with_fresh_ids(BY_SOURCE["jira"])
    item_id = UUID((await post(ingest, jira.feedback_delivery(SECRET, utcnow()))).json()["ids"][0])
    issue = jira.feedback["issue"]
    updated = {**jira.feedback, "webhookEvent": "jira:issue_updated", "issue": {**issue, "fields": {**issue["fields"]}}}
    updated["issue"]["fields"]["votes"] = {"votes": 9}
    answer = await post(ingest, jira.deliver(SECRET, updated, utcnow()))
    assert answer.status_code == 202 and answer.json() | {"delivery_id": ""} == {
        "delivery_id": "",
        "event": "jira:issue_updated",
        "duplicate": False,
        "ids": [],
        "updated": [str(item_id)],
    }
    items = await count(ingest, StoredItem)
    unknown = {**updated, "issue": {**updated["issue"], "id": f"{uuid4().int % 10**9}"}}
    answer = await post(ingest, jira.deliver(SECRET, unknown, utcnow()))
    assert answer.status_code == 200 and answer.json()["updated"] == [] and await count(ingest, StoredItem) == items


# --- replays: GitHub and Jira sign the body, not the delivery id -------------------------------------

VERSIONED = [BY_SOURCE["github"], BY_SOURCE["jira"]]
T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


def issue_version(vendor: Vendor, title: str, updated: datetime, *, first: bool = False) -> Any:
    """The vendor's issue event carrying the issue titled `title`, last changed at `updated`."""
    payload = copy.deepcopy(vendor.feedback)
    if vendor.source == "github":
        payload["action"] = "opened" if first else "edited"
        payload["issue"].update(title=title, updated_at=updated.strftime("%Y-%m-%dT%H:%M:%SZ"))
    else:
        payload["webhookEvent"] = "jira:issue_created" if first else "jira:issue_updated"
        payload["issue"]["fields"].update(summary=title, updated=updated.strftime("%Y-%m-%dT%H:%M:%S.000+0000"))
    return payload


def under_a_new_id(vendor: Vendor, payload: Any) -> Delivery:
    """The payload signed, under a delivery id never used (the header is not signed: anyone may choose it)."""
    header = "X-GitHub-Delivery" if vendor.source == "github" else "X-Atlassian-Webhook-Identifier"
    return vendor.deliver(SECRET, payload, utcnow(), {**vendor.feedback_headers, header: str(uuid4())})


async def title_announced(client: httpx.AsyncClient, item_id: UUID) -> str:
    async with client.app.state.runtime.sessions() as session:  # type: ignore[attr-defined]
        return (await announced_content(session, [item_id]))[item_id].title


@pytest.mark.parametrize("vendor", VERSIONED, ids=[v.source for v in VERSIONED])
async def test_a_captured_body_sent_again_under_a_new_delivery_id_is_a_replay_and_changes_nothing(
    ingest: httpx.AsyncClient, vendor: Vendor
) -> None:
    vendor = with_fresh_ids(vendor)
    opened = issue_version(vendor, "Export drops unicode", T0, first=True)
    edited = issue_version(vendor, "Export drops unicode and emoji", T0 + timedelta(hours=1))
    item_id = UUID((await post(ingest, under_a_new_id(vendor, opened))).json()["ids"][0])
    assert (await post(ingest, under_a_new_id(vendor, edited))).json()["updated"] == [str(item_id)]
    deliveries = await count(ingest, WebhookDelivery)

    for captured in (opened, edited):  # the first would roll the edit back, and the second bring it again
        replay = await post(ingest, under_a_new_id(vendor, captured))
        assert (replay.status_code, replay.json()["duplicate"]) == (200, True), replay.text
    assert await count(ingest, StoredUpdate, StoredUpdate.item_id == item_id) == 1, "one feedback.updated, the edit"
    assert await count(ingest, WebhookDelivery) == deliveries, "a replay's body is not kept again"
    assert await title_announced(ingest, item_id) == "Export drops unicode and emoji"


@pytest.mark.parametrize("vendor", VERSIONED, ids=[v.source for v in VERSIONED])
async def test_a_record_older_than_the_one_held_does_not_roll_the_item_back(
    ingest: httpx.AsyncClient, vendor: Vendor
) -> None:
    vendor = with_fresh_ids(vendor)
    opened = issue_version(vendor, "Webhooks retry", T0, first=True)
    item_id = UUID((await post(ingest, under_a_new_id(vendor, opened))).json()["ids"][0])
    newest = issue_version(vendor, "Webhooks retry five times a minute", T0 + timedelta(hours=2))
    assert (await post(ingest, under_a_new_id(vendor, newest))).json()["updated"] == [str(item_id)]

    # A version from between the two, delivered late (or captured and sent now): never seen, but older.
    late = await post(
        ingest, under_a_new_id(vendor, issue_version(vendor, "Webhooks retry a lot", T0 + timedelta(hours=1)))
    )
    assert late.json()["duplicate"] is False and late.json()["updated"] == [], late.text
    assert await count(ingest, StoredUpdate, StoredUpdate.item_id == item_id) == 1
    assert await title_announced(ingest, item_id) == "Webhooks retry five times a minute"
    async with ingest.app.state.runtime.sessions() as session:  # type: ignore[attr-defined]
        record = await session.get(SourceRecord, item_id)
    assert record is not None and record.vendor_updated_at == T0 + timedelta(hours=2), "the newest record is kept"

    later = issue_version(vendor, "Webhooks retry, then give up", T0 + timedelta(hours=3))
    assert (await post(ingest, under_a_new_id(vendor, later))).json()["updated"] == [str(item_id)]
    assert await title_announced(ingest, item_id) == "Webhooks retry, then give up"
