"""PostgreSQL down for a while under the whole hub: every service reaches it only through a proxy that is cut.

While it is away ingest refuses new items (nothing is acknowledged that is not stored), every service says it is
not ready, and the consumers wait for it (`dependency_down`); once it is back, every accepted item and a correction
sent meanwhile end in the read model exactly once.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any
from urllib.parse import urlsplit
from uuid import uuid4

import pytest
from prometheus_client.parser import text_string_to_metric_families

from libs.schemas import topics
from libs.testing.tcp_proxy import TcpProxy
from tests.conftest import HubClient, start_hub

pytestmark = [pytest.mark.e2e, pytest.mark.kafka, pytest.mark.postgres]

# Short backoffs: a consumer that meets the database away retries and waits in a fraction of a second.
ENV = {"PRODOPS_HANDLER_BACKOFF_SECONDS": "0.05"}
# The outage lasts until the consumer of corrections has waited for the database this many times.
WAITS = 10
TRIAGE_COMMANDS = f"triage.{topics.TRIAGE_OVERRIDES}"


def feedback(marker: str, name: str, title: str, email: str) -> dict[str, Any]:
    """An item with a source id of its own: sent again, it is the same item (the same hub id)."""
    return {
        "title": f"{title} [{marker}]",
        "source": "api",
        "source_id": f"{marker}-{name}",
        "customer": {"email": email},
    }


async def dependency_down(client: HubClient, service: str) -> dict[str, float]:
    """prodops_messages_handled_total{outcome="dependency_down"} per consumer group, as the service's /metrics says."""
    text = (await client.http.get(f"{client.hub.processes[service].url}/metrics")).text
    return {
        sample.labels["consumer"]: sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "prodops_messages_handled_total" and sample.labels["outcome"] == "dependency_down"
    }


async def test_the_database_down_for_a_while_is_waited_out_and_nothing_is_lost_or_doubled(
    postgres_url: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    database = urlsplit(postgres_url)
    proxy = TcpProxy(database.hostname or "127.0.0.1", database.port or 5432)
    await proxy.start()
    # One URL for every service, each its own schema in it (libs/runtime/database.py), all through the proxy.
    hub = await start_hub(tmp_path_factory.mktemp("hub-db-down"), proxy.through(postgres_url), ENV, ready_timeout=600)
    client = HubClient(hub)
    ingest, gateway = hub.ingest_url, hub.gateway_url
    marker = uuid4().hex[:8]
    try:
        before = [
            await client.submit(feedback(marker, "sso", "SSO login fails with Okta", "cto@northwind.ai")),
            await client.submit(feedback(marker, "csv", "Add a CSV export of usage", "richard@piedpiper.com")),
        ]
        first = (await client.processed(before))[before[0]]

        # A burst acknowledged just before the cut: wherever the cut finds each item (the outbox, a topic, a
        # handler's transaction), it must end processed once.
        burst_rows = [
            feedback(marker, f"burst-{n}", f"Dashboard charts load slowly, case {n}", "gavin@hooli.xyz")
            for n in range(10)
        ]
        burst = await client.http.post(f"{ingest}/api/v1/feedback/import", json=burst_rows, headers=client.editor)
        assert burst.status_code == 202, burst.text
        burst_ids = [str(item_id) for item_id in burst.json()["ids"]]
        await proxy.cut()

        # Ingest cannot store: it refuses, and says the sender may try again, rather than acknowledge and lose.
        during = feedback(marker, "during", "Webhooks arrive twice", "cto@northwind.ai")
        refused = await client.http.post(f"{ingest}/api/v1/feedback", json=during, headers=client.editor)
        assert refused.status_code == 503, refused.text
        assert "unavailable" in refused.json()["detail"] and refused.headers["Retry-After"]
        # A correction needs no database at the gateway (a command to the broker); triage, which owns it, waits.
        corrected = "praise" if first["ai_triage"]["category"] != "praise" else "question"
        override = await client.http.post(
            f"{gateway}/api/v1/feedback/{before[0]}/overrides",
            json={"category": corrected, "reason": "sent while the database was away"},
            headers=client.editor,
        )
        assert override.status_code == 202, override.text

        deadline = time.monotonic() + 60
        while (await dependency_down(client, "triage")).get(TRIAGE_COMMANDS, 0) < WAITS:
            assert time.monotonic() < deadline, "triage never waited for the database"
            await asyncio.sleep(0.2)
        for name, service in hub.processes.items():
            ready = await client.http.get(f"{service.url}/readyz")
            assert ready.status_code == 503 and "database" in ready.json()["problems"], f"{name}: {ready.text}"
        # The gateway cannot read its model either: a 503 to retry, never a 404 saying the item does not exist.
        item_away = await client.item(before[0])
        assert item_away.status_code == 503 and item_away.headers["Retry-After"], item_away.text

        await proxy.start()  # the database is back, on the same port

        resent = await client.submit(during)  # the sender tries again: the same item, stored once now
        accepted = [*before, *burst_ids, resent]
        items = await client.processed(accepted)
        assert all(item["ai_triage"]["model_version"] for item in items.values())

        # The correction made while the database was away is folded, once.
        fixed = await client.item_when(before[0], lambda item: item["category"] == corrected)
        assert [entry["category"] for entry in fixed["overrides"]] == [corrected], fixed["overrides"]

        listed = await client.http.get(
            f"{gateway}/api/v1/feedback", params={"q": marker, "limit": 200}, headers=client.viewer
        )
        assert listed.status_code == 200, listed.text
        shown = [item["id"] for item in listed.json()["items"]]
        assert sorted(shown) == sorted(accepted), "every accepted item in the read model, each once, nothing else"
        assert listed.json()["total"] == len(accepted)
        for name, service in hub.processes.items():
            assert (await client.http.get(f"{service.url}/readyz")).status_code == 200, f"{name} ready again"
    finally:
        await client.http.aclose()
        # In a thread: the services close their database connections through the proxy, which runs on this loop.
        await asyncio.to_thread(hub.stop)
        await proxy.cut()
