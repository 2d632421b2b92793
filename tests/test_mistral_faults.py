"""The Mistral API down, slow or answering garbage, with the whole hub on the real broker and database.

Items still reach the read model, triaged by the local engine and marked degraded; the fallback is
counted in triage's /metrics; once the API answers again, triage's schedule has Mistral read the
marked items again, and the read model shows Mistral's verdict: one item each, nothing lost.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import pytest
from prometheus_client.parser import text_string_to_metric_families

from libs.ml.embeddings import MINILM
from libs.testing.mistral_server import MistralServer, Reply, running_mistral
from libs.testing.tcp_proxy import TcpProxy
from prodops.hub import Hub
from tests.conftest import HubClient, start_hub

pytestmark = [pytest.mark.e2e, pytest.mark.kafka]

TIMEOUT_SECONDS = 1.0
ANSWER = json.dumps(
    {"category": "bug", "sentiment_score": -0.7, "severity": 4, "confidence": 0.9, "reasoning": "An outage."}
)
# Enough scripted failures for every call made while a fault lasts; what is left is dropped at its end.
FAULT_CALLS = 500


@dataclass
class Mistral:
    """The local Mistral-speaking server, reached by the hub only through a proxy that can be cut."""

    server: MistralServer
    proxy: TcpProxy


@pytest.fixture(scope="module")
def mistral_server() -> Iterator[MistralServer]:
    with running_mistral(MistralServer(default_content=lambda messages: ANSWER)) as server:
        yield server


@pytest.fixture(scope="module")
async def mistral(mistral_server: MistralServer) -> AsyncIterator[Mistral]:
    host, port = mistral_server.url.removeprefix("http://").split(":")
    proxy = TcpProxy(host, int(port))
    await proxy.start()
    try:
        yield Mistral(mistral_server, proxy)
    finally:
        await proxy.cut()


@pytest.fixture(scope="module")
async def hub(mistral: Mistral, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Hub]:
    env = {
        "PRODOPS_MISTRAL_API_KEY": "test-key",
        "PRODOPS_MISTRAL_SERVER_URL": f"http://127.0.0.1:{mistral.proxy.port}",
        "PRODOPS_MISTRAL_TIMEOUT_SECONDS": str(TIMEOUT_SECONDS),
        "PRODOPS_MISTRAL_RETRIES": "0",
        "PRODOPS_RETRIAGE_DEGRADED_SECONDS": "1",
        # Dedupe embeds with the local model: this test is about triage's fallback.
        "PRODOPS_EMBEDDING_MODEL": MINILM,
    }
    # Loading the models takes minutes when the machine is busy: wait for it, it is not what is tested.
    running = await start_hub(tmp_path_factory.mktemp("hub-mistral-faults"), None, env, ready_timeout=600)
    try:
        yield running
    finally:
        running.stop()


async def api_down(mistral: Mistral) -> Callable[[], Awaitable[None]]:
    await mistral.proxy.cut()
    return mistral.proxy.start


async def api_slow(mistral: Mistral) -> Callable[[], Awaitable[None]]:
    mistral.server.then(*[Reply(content=ANSWER, delay_seconds=TIMEOUT_SECONDS * 3)] * FAULT_CALLS)
    return _clear_script(mistral)


async def api_garbage(mistral: Mistral) -> Callable[[], Awaitable[None]]:
    malformed_body = Reply(raw_body='{"choices": [{"message": truncated')
    invalid_fields = Reply(content='{"category": "weather", "sentiment_score": 7, "severity": "high"}')
    not_json = Reply(content="Sure! I think this is a bug.")
    mistral.server.then(*[malformed_body, invalid_fields, not_json] * (FAULT_CALLS // 3))
    return _clear_script(mistral)


def _clear_script(mistral: Mistral) -> Callable[[], Awaitable[None]]:
    async def clear() -> None:
        mistral.server.script.clear()

    return clear


FAULTS = {"down": api_down, "slow": api_slow, "garbage": api_garbage}


async def fallbacks(client: HubClient) -> float:
    """prodops_ai_fallbacks_total, all reasons, as triage's /metrics says now."""
    text = (await client.http.get(f"{client.hub.processes['triage'].url}/metrics")).text
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        if family.name == "prodops_ai_fallbacks"
        for sample in family.samples
        if sample.name == "prodops_ai_fallbacks_total"
    )


@pytest.mark.parametrize("fault", FAULTS)
async def test_a_mistral_fault_falls_back_marks_the_item_and_mistral_triages_it_once_back(
    fault: str, hub: Hub, mistral: Mistral
) -> None:
    client = HubClient(hub)
    try:
        before = await fallbacks(client)
        end_fault = await FAULTS[fault](mistral)
        try:
            title = f"Exports fail with a 500 while the AI is {fault}"
            item_id = await client.submit({"title": title, "customer": {"email": "cto@northwind.ai"}})
            fallen = (await client.processed([item_id]))[item_id]["ai_triage"]
            assert fallen["degraded"] and fallen["degraded_reason"], "marked for re-triage, with the reason"
            assert not fallen["model_version"].startswith("mistral:"), "the local engine's verdict"
            assert await fallbacks(client) > before, "the fallback is counted in /metrics"
        finally:
            await end_fault()

        def by_mistral(item: dict[str, Any]) -> bool:
            return item["ai_triage"]["model_version"].startswith("mistral:") and not item["ai_triage"]["degraded"]

        item = await client.item_when(item_id, by_mistral)
        assert item["ai_triage"]["degraded_reason"] is None
        assert item["category"] == "bug", "the read model shows Mistral's verdict"

        listed = await client.http.get(f"{hub.gateway_url}/api/v1/feedback", params={"q": title}, headers=client.viewer)
        assert [row["id"] for row in listed.json()["items"]] == [item_id], "one item in the read model"
        with sqlite3.connect(hub.data_dir / "triage.db") as triage_db:
            assert triage_db.execute(
                "SELECT count(*), max(degraded) FROM triage_verdicts WHERE item_id = ?", (UUID(item_id).hex,)
            ).fetchone() == (1, 0), "one verdict, no longer degraded"
    finally:
        await client.http.aclose()


async def test_the_gateway_takes_a_request_to_retriage_the_degraded_items(hub: Hub) -> None:
    client = HubClient(hub)
    try:
        retriage = f"{hub.gateway_url}/api/v1/feedback/retriage"
        accepted = await client.http.post(retriage, json={"degraded": True}, headers=client.editor)
        assert accepted.status_code == 202, accepted.text
        assert (await client.http.post(retriage, json={}, headers=client.editor)).status_code == 422
        assert (await client.http.post(retriage, json={"degraded": True}, headers=client.viewer)).status_code == 403
    finally:
        await client.http.aclose()
