"""Faults at the edge of the hub, on a real broker that becomes unreachable and comes back."""

from __future__ import annotations

import secrets
from pathlib import Path
from uuid import UUID

import httpx
import pytest

from libs.runtime.broker import EmbeddedBroker, create_topics, free_port
from libs.runtime.testing import collect, running
from libs.schemas import topics
from libs.schemas.events import FeedbackReceived, utcnow
from libs.testing.tcp_proxy import TcpProxy
from services.ingest.app import create_app
from services.ingest.settings import IngestSettings
from services.ingest.tests.connectors.vendors import BY_SOURCE

pytestmark = pytest.mark.kafka


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
