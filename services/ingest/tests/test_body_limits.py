"""Bodies over a route's limit are refused as they arrive: before parsing, before any signature or token check."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlmodel import select

from libs.connectors.rejections import RejectedPayload
from libs.runtime.testing import UNUSED_BOOTSTRAP, in_memory, quick_settings
from services.ingest.app import create_app
from services.ingest.settings import IngestSettings

MB = 1_000_000


@pytest.fixture
async def ingest(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, IngestSettings]]:
    settings = quick_settings(IngestSettings, UNUSED_BOOTSTRAP, tmp_path, None, max_webhook_bytes=MB)
    app = create_app(settings)
    async with (
        in_memory(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://ingest") as client,
    ):
        client.app = app  # type: ignore[attr-defined]
        yield client, settings


async def test_a_declared_length_over_the_limit_is_refused_unread(
    ingest: tuple[httpx.AsyncClient, IngestSettings],
) -> None:
    client, settings = ingest
    pulled = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal pulled
        for _ in range(200):  # 200 MB, if anyone read it
            pulled += 1
            yield b"x" * MB

    headers = {"content-length": str(200 * MB), "content-type": "application/json"}
    response = await client.post("/webhooks/github", content=body(), headers=headers)
    assert response.status_code == 413 and str(settings.max_webhook_bytes) in response.json()["detail"]
    assert pulled <= 1, "refused on the declared length"


async def test_a_streamed_body_is_read_only_until_it_passes_the_limit(
    ingest: tuple[httpx.AsyncClient, IngestSettings],
) -> None:
    client, _ = ingest
    pulled = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal pulled
        for _ in range(200):
            pulled += 1
            yield b"x" * (MB // 4)

    response = await client.post("/webhooks/github", content=body())  # chunked: no length declared
    assert response.status_code == 413
    assert pulled <= 6, f"read {pulled} chunks of 250 KB for a 1 MB limit"


async def test_an_oversized_item_is_refused_before_its_token_is_checked_and_nothing_is_kept(
    ingest: tuple[httpx.AsyncClient, IngestSettings],
) -> None:
    client, settings = ingest
    too_big = b'{"title": "' + b"x" * settings.max_feedback_bytes + b'"}'
    response = await client.post("/api/v1/feedback", content=too_big, headers={"content-type": "application/json"})
    assert response.status_code == 413  # no token sent: the size is checked first, and nothing parsed
    async with client.app.state.runtime.sessions() as session:  # type: ignore[attr-defined]
        assert not (await session.exec(select(RejectedPayload))).all()


async def test_a_body_within_the_limit_reaches_the_route(ingest: tuple[httpx.AsyncClient, IngestSettings]) -> None:
    client, _ = ingest
    response = await client.post("/webhooks/github", content=b'{"zen": "hi"}')
    assert response.status_code == 401  # read whole, then its (missing) signature refused
