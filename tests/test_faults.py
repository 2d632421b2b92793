"""Faults at the edge of the hub, on a real broker that becomes unreachable and comes back."""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from typer.testing import CliRunner

from libs.runtime.broker import EmbeddedBroker, create_topics, free_port
from libs.runtime.testing import collect, publish_raw, running
from libs.schemas import topics
from libs.schemas.events import FeedbackReceived, utcnow
from libs.testing.tcp_proxy import TcpProxy
from prodops.cli import app as prodops
from prodops.hub import Hub
from services.ingest.app import create_app
from services.ingest.settings import IngestSettings
from services.ingest.tests.connectors.vendors import BY_SOURCE
from tests.conftest import HubClient, start_hub

pytestmark = [pytest.mark.e2e, pytest.mark.kafka]


async def test_a_webhook_acknowledged_while_the_broker_is_down_is_published_once_it_is_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = secrets.token_hex(16)
    monkeypatch.setenv("PRODOPS_GITHUB_WEBHOOK_SECRET", secret)
    # Clients reach the broker only through a proxy (it advertises the proxy's address): cut it, and
    # the broker is unreachable while it keeps what it has.
    proxy = TcpProxy("127.0.0.1", broker_port := free_port(), port=free_port())
    broker = EmbeddedBroker(broker_port, advertised_port=proxy.port)
    broker.start()
    await proxy.start()
    try:
        await create_topics(broker.bootstrap, topics.ALL)
        settings = IngestSettings(
            kafka_bootstrap=broker.bootstrap,
            data_dir=tmp_path,
            relay_interval_seconds=0.2,
            kafka_session_timeout_ms=2000,
            kafka_heartbeat_interval_ms=500,
        )
        app = create_app(settings)
        transport = httpx.ASGITransport(app=app)
        async with running(app), httpx.AsyncClient(transport=transport, base_url="http://ingest") as http:
            await proxy.cut()

            github = BY_SOURCE["github"]
            delivery = github.deliver(secret, github.feedback, utcnow(), {"X-GitHub-Event": "issues"}, "http://ingest")
            answer = await http.post(delivery.url, content=delivery.body, headers=delivery.headers)
            assert answer.status_code == 202, "stored durably: acknowledged without the broker"
            [item_id] = answer.json()["ids"]
            ready = (await http.get("/readyz")).json()
            assert ready["ready"] and "broker" in ready["degraded"], "still serving, and saying it is degraded"

            await proxy.start()  # the broker is reachable again
            received = await collect(
                broker.bootstrap,
                FeedbackReceived,
                lambda seen: any(event.payload.id == UUID(item_id) for event in seen),
                timeout=120,
            )
        published = {event.event_id for event in received if event.payload.id == UUID(item_id)}
        assert len(published) == 1, "one item: the outbox publishes it, and only it"
    finally:
        await proxy.cut()
        broker.stop()


# --- faults inside the running hub (every service its own process, one broker, SQLite) -----------

GITHUB_SECRET = "faults-github-secret-0123456789"


@pytest.fixture(scope="module")
async def hub(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Hub]:
    secret = {"PRODOPS_GITHUB_WEBHOOK_SECRET": GITHUB_SECRET}
    running = await start_hub(tmp_path_factory.mktemp("hub-faults"), None, secret, ready_timeout=600)
    try:
        yield running
    finally:
        running.stop()


@pytest.mark.e2e
async def test_a_webhook_delivered_twice_and_replayed_is_one_item_in_the_read_model(client: HubClient) -> None:
    github = BY_SOURCE["github"]
    title = f"Export to CSV drops unicode ({uuid4().hex[:8]})"
    issue = github.feedback | {"issue": github.feedback["issue"] | {"id": uuid4().int % 10**12, "title": title}}
    ingest = client.hub.ingest_url
    first = github.deliver(GITHUB_SECRET, issue, utcnow(), github.feedback_headers, ingest)
    # The vendor retries the same issue under a new delivery id; and the first delivery is replayed as is: both are
    # recognised (by their content, by their id) and change nothing.
    retried = github.deliver(GITHUB_SECRET, issue, utcnow(), github.feedback_headers, ingest)
    answers = [
        await client.http.post(delivery.url, content=delivery.body, headers=delivery.headers)
        for delivery in (first, retried, first)
    ]
    assert [answer.status_code for answer in answers] == [202, 200, 200], [a.text for a in answers]
    assert [answer.json()["duplicate"] for answer in answers] == [False, True, True]
    [item_id] = answers[0].json()["ids"]

    await client.processed([item_id])
    listed = await client.http.get(
        f"{client.hub.gateway_url}/api/v1/feedback", params={"q": title}, headers=client.viewer
    )
    assert [item["id"] for item in listed.json()["items"]] == [item_id], "one item in the read model"


async def dead_letters_of(bootstrap: str, message_id: str) -> list[dict[str, Any]]:
    """`prodops dlq list --json`, as an operator runs it: the letters holding this message."""
    arguments = ["dlq", "list", "--json", "--limit", "1000"]
    environment = {"PRODOPS_KAFKA_BOOTSTRAP": bootstrap}
    result = await asyncio.to_thread(CliRunner().invoke, prodops, arguments, env=environment)
    assert result.exit_code == 0, result.output
    return [row for row in json.loads(result.stdout) if row["message_id"] == message_id]


async def letters_per_group(bootstrap: str, message_id: str, count: int, timeout: float = 90.0) -> list[dict[str, Any]]:
    """Wait until each consumer of feedback.received has dead-lettered the message `count` times."""
    deadline = time.monotonic() + timeout
    while True:
        rows = await dead_letters_of(bootstrap, message_id)
        per_group = Counter(row["consumer_group"] for row in rows)
        if set(READERS) <= set(per_group) and all(per_group[group] >= count for group in READERS):
            return rows
        assert time.monotonic() < deadline, f"dead letters after {timeout}s: {dict(per_group)}"
        await asyncio.sleep(1.0)


READERS = [f"{service}.{topics.FEEDBACK_RECEIVED}" for service in ("enrich", "dedupe", "gateway")]


@pytest.mark.e2e
async def test_a_poison_event_is_dead_lettered_with_its_reason_the_stream_goes_on_and_dlq_replays_it(
    client: HubClient,
) -> None:
    bootstrap = client.hub.kafka_bootstrap
    assert bootstrap is not None
    # An envelope whose payload no version of feedback.received accepts (no title, a bad id).
    poison_id = str(uuid4())
    poison = {"event_id": poison_id, "type": "feedback.received", "producer": "a-broken-producer", "payload": {"id": 7}}
    await publish_raw(bootstrap, topics.FEEDBACK_RECEIVED, json.dumps(poison).encode())
    later = await client.submit({"title": "Sent after the poison event", "customer": {"email": "cto@northwind.ai"}})
    await client.processed([later])  # the stream went on past it

    letters = await letters_per_group(bootstrap, poison_id, 1)
    assert all(row["reason"].startswith("invalid FeedbackReceived") for row in letters), letters
    assert all(row["topic"] == topics.FEEDBACK_RECEIVED and row["attempts"] == 1 for row in letters)

    replayed = await asyncio.to_thread(
        CliRunner().invoke, prodops, ["dlq", "replay", poison_id, "--bootstrap", bootstrap]
    )
    assert replayed.exit_code == 0 and f"to {topics.FEEDBACK_RECEIVED}" in replayed.output, replayed.output
    # Published once again, whichever groups had dead-lettered it: each dead-letters it once more (still bad).
    again = await letters_per_group(bootstrap, poison_id, 2)
    assert len(again) == 2 * len(letters)
    after = await client.submit({"title": "Sent after the replay", "customer": {"email": "x@hooli.xyz"}})
    await client.processed([after])
