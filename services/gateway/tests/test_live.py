"""Live updates: the stream's tickets, a fold announced over server-sent events, slow clients dropped."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from uuid import uuid4

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from libs.runtime.auth import Role, create_token
from libs.runtime.broker import free_port
from libs.runtime.testing import UNUSED_BOOTSTRAP, InMemoryBus, in_memory, quick_settings
from libs.schemas.events import utcnow
from services.gateway.app import create_app
from services.gateway.live import Broadcaster, Change
from services.gateway.settings import GatewaySettings
from services.gateway.tests import factories


def test_a_slow_listener_is_marked_to_reload_and_never_blocks_the_others() -> None:
    live = Broadcaster(queue_size=2)
    slow, fast = live.listen(), live.listen()
    changes = [Change(kind="feedback", id=uuid4()) for _ in range(3)]
    for change in changes:
        live.announce(change)  # never waits, whoever is behind
        fast.queue.get_nowait()
    assert slow.overflowed and slow.queue.qsize() == 2
    assert not fast.overflowed
    live.leave(slow)
    live.announce(changes[0])
    assert fast.queue.get_nowait() == changes[0] and live.listeners == {fast}


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[tuple[FastAPI, str, InMemoryBus]]:
    """The gateway on the in-memory broker behind a real HTTP server (ASGITransport buffers whole responses,
    so cannot stream)."""
    settings = quick_settings(GatewaySettings, UNUSED_BOOTSTRAP, tmp_path, None, live_heartbeat_seconds=0.2)
    app = create_app(settings)
    port = free_port()
    # in_memory runs the app's lifespan; the server only serves.
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", lifespan="off", timeout_graceful_shutdown=2
    )
    server = uvicorn.Server(config)
    async with in_memory(app) as bus:
        task = asyncio.create_task(server.serve())
        while not server.started:
            assert not task.done(), "the gateway did not start"
            await asyncio.sleep(0.05)
        try:
            yield app, f"http://127.0.0.1:{port}", bus
        finally:
            server.should_exit = True
            await task


async def test_a_folded_event_reaches_the_stream(served: tuple[FastAPI, str, InMemoryBus]) -> None:
    app, url, bus = served
    key = app.state.signing_key
    bearer = create_token(key, Role.VIEWER, "sales@example.com")
    async with httpx.AsyncClient(base_url=url, timeout=10) as http:
        # The stream wants a ticket: none, a bearer token, or a forged one are refused.
        assert (await http.get("/api/v1/stream")).status_code == 401
        assert (await http.get("/api/v1/stream", params={"ticket": bearer})).status_code == 401
        assert (await http.get("/api/v1/stream", params={"ticket": bearer[:-4] + "AAAA"})).status_code == 401
        assert (await http.post("/api/v1/stream/ticket")).status_code == 401
        answer = await http.post("/api/v1/stream/ticket", headers={"Authorization": f"Bearer {bearer}"})
        assert answer.status_code == 200, answer.text
        ticket = answer.json()["ticket"]
        # A ticket is no bearer token.
        refused = await http.get("/api/v1/feedback", headers={"Authorization": f"Bearer {ticket}"})
        assert refused.status_code == 401

        item_id = uuid4()
        async with asyncio.timeout(60), http.stream("GET", "/api/v1/stream", params={"ticket": ticket}) as stream:
            assert stream.status_code == 200
            assert stream.headers["content-type"].startswith("text/event-stream")
            lines = stream.aiter_lines()
            assert await anext(lines) == "retry: 3000"
            assert await anext(lines) == ": live"
            async for line in lines:  # an idle stream sends heartbeats
                if line == ": heartbeat":
                    break
            await bus.publish(factories.received(item_id, utcnow(), title="Live one"))
            event = ""
            async for line in lines:
                if line.startswith("event: "):
                    event = line.removeprefix("event: ")
                elif line.startswith("data: ") and event == "change":
                    change = Change.model_validate(json.loads(line.removeprefix("data: ")))
                    if change.id == item_id:
                        assert change.kind == "feedback"
                        break
        # Announced after the commit: the item is already there to be read.
        item = await http.get(f"/api/v1/feedback/{item_id}", headers={"Authorization": f"Bearer {bearer}"})
        assert item.status_code == 200 and item.json()["title"] == "Live one"
    async with asyncio.timeout(10):  # a closed stream stops listening, once the server sees the disconnect
        while app.state.gateway.live.listeners:  # noqa: ASYNC110 (the server's task leaves; nothing to await)
            await asyncio.sleep(0.05)
