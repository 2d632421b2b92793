"""The ingest service over HTTP, on the in-memory broker, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from uuid import UUID

import httpx
import pytest
from sqlmodel import select

from libs.connectors.rejections import RejectedPayload
from libs.runtime.auth import Role, create_token
from libs.runtime.testing import UNUSED_BOOTSTRAP, in_memory, quick_settings
from libs.schemas.events import FeedbackReceived
from services.ingest.app import create_app
from services.ingest.settings import IngestSettings


@pytest.fixture
async def ingest(tmp_path: Path, database_url: str | None) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(quick_settings(IngestSettings, UNUSED_BOOTSTRAP, tmp_path, database_url))
    async with in_memory(app) as bus:
        token = create_token(app.state.signing_key, Role.EDITOR, "ingest-test")
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://ingest", headers={"Authorization": f"Bearer {token}"}
        ) as client:
            client.app = app  # type: ignore[attr-defined]
            client.bus = bus  # type: ignore[attr-defined]
            yield client


async def test_posted_feedback_is_accepted_and_published(ingest: httpx.AsyncClient) -> None:
    response = await ingest.post(
        "/api/v1/feedback",
        json={
            "title": "Batch API returns 500",
            "description": "Since Tuesday.",
            "source": "zendesk",
            "source_id": "zd-1",
            "customer": {"email": "ops@acme.io"},
        },
    )
    assert response.status_code == 202, response.text
    item_id = UUID(response.json()["id"])
    seen = await ingest.bus.until(FeedbackReceived, lambda s: any(e.payload.id == item_id for e in s))  # type: ignore[attr-defined]
    event = next(e for e in seen if e.payload.id == item_id)
    assert event.payload.customer.email == "ops@acme.io"
    assert event.correlation_id == item_id, "the item id threads through every event about it"


async def test_a_resent_source_item_is_one_item(ingest: httpx.AsyncClient) -> None:
    body = {"title": "Need SAML", "source": "canny", "source_id": "canny-77"}
    first = await ingest.post("/api/v1/feedback", json=body)
    second = await ingest.post("/api/v1/feedback", json=body)
    assert first.json()["id"] == second.json()["id"]
    assert (first.json()["duplicate"], second.json()["duplicate"]) == (False, True)


async def test_without_a_token_nothing_is_accepted(ingest: httpx.AsyncClient) -> None:
    response = await ingest.post("/api/v1/feedback", json={"title": "x"}, headers={"Authorization": ""})
    assert response.status_code == 401
    forged = await ingest.post("/api/v1/feedback", json={"title": "x"}, headers={"Authorization": "Bearer abc.def.ghi"})
    assert forged.status_code == 401


async def test_a_viewer_cannot_submit(ingest: httpx.AsyncClient) -> None:
    viewer = create_token(ingest.app.state.signing_key, Role.VIEWER, "sales")  # type: ignore[attr-defined]
    response = await ingest.post("/api/v1/feedback", json={"title": "x"}, headers={"Authorization": f"Bearer {viewer}"})
    assert response.status_code == 403


async def test_bad_input_is_refused_clearly_and_recorded(ingest: httpx.AsyncClient) -> None:
    response = await ingest.post("/api/v1/feedback", json={"title": "", "sentiment_score": 7, "colour": "red"})
    assert response.status_code == 422
    errors = " ".join(response.json()["detail"]["errors"])
    assert "title" in errors and "sentiment_score" in errors and "colour" in errors
    runtime = ingest.app.state.runtime  # type: ignore[attr-defined]
    async with runtime.sessions() as session:
        rejected = (await session.exec(select(RejectedPayload))).all()
    assert any("sentiment_score" in row.reason for row in rejected)


async def test_an_import_is_all_or_nothing(ingest: httpx.AsyncClient) -> None:
    bad = await ingest.post(
        "/api/v1/feedback/import",
        content=b'[{"title": "fine"}, {"description": "no title"}]',
        headers={"Content-Type": "application/json"},
    )
    assert bad.status_code == 422
    assert bad.json()["detail"]["rows"][0]["row"] == 2

    good = await ingest.post(
        "/api/v1/feedback/import",
        content=b"title,source,source_id,customer_company\nExport to CSV,hubspot,hs-9,Initech\nDark mode,canny,c-2,\n",
        headers={"Content-Type": "text/csv"},
    )
    assert good.status_code == 202, good.text
    ids = {UUID(i) for i in good.json()["ids"]}
    assert good.json()["accepted"] == 2
    await ingest.bus.until(FeedbackReceived, lambda s: ids <= {e.payload.id for e in s})  # type: ignore[attr-defined]


async def test_an_unknown_file_type_is_refused(ingest: httpx.AsyncClient) -> None:
    response = await ingest.post("/api/v1/feedback/import", content=b"x", headers={"Content-Type": "application/pdf"})
    assert response.status_code == 415
