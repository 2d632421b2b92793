"""What a stranger on the open internet can do to the running hub: no series or memory that grows with what they
send, no body read past its limit, no item that stops the line behind it."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from prodops.hub import Hub
from services.ingest.settings import IngestSettings
from tests.conftest import HubClient, start_hub

pytestmark = [pytest.mark.e2e, pytest.mark.kafka]

MB = 1024 * 1024


@pytest.fixture(scope="module")
async def hub(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Hub]:
    running = await start_hub(Path(tmp_path_factory.mktemp("hostile-hub")), None)
    try:
        yield running
    finally:
        running.stop()


def resident_kib(hub: Hub, service: str) -> int:
    """The service process's resident memory (VmRSS), in KiB."""
    process = hub.processes[service].process
    assert process is not None
    for line in Path(f"/proc/{process.pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


async def series_count(http: httpx.AsyncClient, hub: Hub) -> int:
    """How many metric series ingest exports."""
    text = (await http.get(f"{hub.ingest_url}/metrics")).text
    return sum(1 for line in text.splitlines() if line and not line.startswith("#"))


async def made_up_webhooks(http: httpx.AsyncClient, hub: Hub, count: int, at_once: int = 20) -> None:
    async def post(index: int) -> None:
        response = await http.post(f"{hub.ingest_url}/webhooks/made-up-{secrets.token_hex(6)}", json={"n": index})
        assert response.status_code == 404

    for start in range(0, count, at_once):
        await asyncio.gather(*(post(index) for index in range(start, min(start + at_once, count))))


async def test_ten_thousand_webhooks_to_made_up_sources_leave_metrics_and_memory_flat(hub: Hub) -> None:
    async with httpx.AsyncClient(timeout=30.0) as http:
        await made_up_webhooks(http, hub, 500)  # warm: every route, label and allocator pool in use once
        series, memory = await series_count(http, hub), resident_kib(hub, "ingest")
        await made_up_webhooks(http, hub, 10_000)
        assert await series_count(http, hub) == series
        grown = resident_kib(hub, "ingest") - memory
    assert grown < 8 * 1024, f"ingest grew by {grown} KiB over 10,000 made-up webhooks"


async def post_streaming(url: str, path: str, megabytes: int, declare_length: bool) -> tuple[int, int]:
    """POST `megabytes` of body a megabyte at a time, as a client that does not wait to be told; stops sending once
    the answer comes. Returns the status and how many megabytes went out."""
    host, port = url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    length = f"Content-Length: {megabytes * MB}" if declare_length else "Transfer-Encoding: chunked"
    writer.write(f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n{length}\r\n\r\n".encode())
    answer = asyncio.ensure_future(reader.readline())
    sent = 0
    chunk = b"x" * MB
    try:
        while sent < megabytes and not answer.done():
            writer.write(chunk if declare_length else b"%x\r\n%s\r\n" % (len(chunk), chunk))
            await writer.drain()
            sent += 1
    except ConnectionError:
        pass  # the server answered and closed: the rest is not read
    status_line = await asyncio.wait_for(answer, 30)
    writer.close()
    return int(status_line.split()[1]), sent


@pytest.mark.parametrize("declare_length", [True, False], ids=["declared", "chunked"])
async def test_a_200_mb_body_is_refused_without_the_process_growing(hub: Hub, declare_length: bool) -> None:
    before = resident_kib(hub, "ingest")
    status, sent = await post_streaming(hub.ingest_url, "/webhooks/github", 200, declare_length)
    assert status == 413
    assert sent < 200, "the server read the whole body before answering"
    grown = resident_kib(hub, "ingest") - before
    # Chunked, the body is read up to the route's limit (5 MB for webhooks) before it is refused: at most that.
    allowed = IngestSettings().max_webhook_bytes // 1024 + 2 * 1024
    assert grown < allowed, f"ingest grew by {grown} KiB refusing a 200 MB body"


async def test_an_oversized_item_is_refused_and_the_next_one_arrives(hub: Hub) -> None:
    client = HubClient(hub)
    try:
        # Over the unified model's bounds (each tag, the customer id): refused with the reason, at the door. An event
        # the broker refuses anyway is set aside by the outbox relay (services/ingest/tests/test_oversized_items.py).
        oversized = {"title": "Tags as long as a chapter", "tags": ["t" * 2_000] * 20, "customer": {"id": "c" * 5_000}}
        response = await client.http.post(f"{hub.ingest_url}/api/v1/feedback", json=oversized, headers=client.editor)
        assert response.status_code == 422, response.text
        normal = await client.submit({"title": "Export to CSV, please", "customer": {"email": "gavin@hooli.xyz"}})
        processed = await client.processed([normal])
        assert processed[normal]["title"] == "Export to CSV, please"
    finally:
        await client.http.aclose()
