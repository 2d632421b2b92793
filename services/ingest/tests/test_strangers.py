"""What a caller without credentials can make ingest do: have no body parsed, and leave nothing behind but a counted
refusal without its body, bounded in length, number and age. On the in-memory broker, SQLite and PostgreSQL (one
database for the whole run: each test counts what it adds)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr
from sqlmodel import col, delete, func, select

from libs.connectors.rejections import REASON_LENGTH, RejectedPayload, record_rejection
from libs.runtime.auth import Role, create_token
from libs.runtime.testing import UNUSED_BOOTSTRAP, in_memory, quick_settings
from libs.schemas.events import utcnow
from services.ingest import jobs, storage
from services.ingest.app import create_app
from services.ingest.connectors import REGISTRY
from services.ingest.settings import IngestSettings
from services.ingest.storage import WebhookRejection
from services.ingest.tests.connectors.vendors import BASE_URL, BY_SOURCE

SECRET = "whsec-test-0123456789"
KEPT = 5


@pytest.fixture
async def ingest(tmp_path: Path, database_url: str | None) -> AsyncIterator[httpx.AsyncClient]:
    settings = quick_settings(IngestSettings, UNUSED_BOOTSTRAP, tmp_path, database_url, rejections_kept=KEPT)
    github = REGISTRY["github"]
    connectors = {"github": github(github.settings_type(webhook_secret=SecretStr(SECRET)))}
    app = create_app(settings, connectors=connectors)
    async with in_memory(app), httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL) as client:
        client.app = app  # type: ignore[attr-defined]
        client.settings = settings  # type: ignore[attr-defined]
        yield client


async def rows(client: httpx.AsyncClient, model: type) -> int:
    async with client.app.state.runtime.sessions() as session:  # type: ignore[attr-defined]
        return (await session.exec(select(func.count()).select_from(model))).one()


@pytest.mark.parametrize(
    ("body", "credentials"),
    [
        (b"{not json", {}),
        (b"{not json", {"Authorization": "Bearer abc.def.ghi"}),
        (b'{"title": "", "colour": "red"}', {}),
        (b'[{"title": "not one item"}]', {"Cookie": "prodops_session=forged"}),
    ],
    ids=["malformed", "malformed-forged-token", "invalid", "invalid-forged-session"],
)
async def test_a_strangers_body_is_refused_401_before_it_is_parsed_and_nothing_is_kept(
    ingest: httpx.AsyncClient, body: bytes, credentials: dict[str, str]
) -> None:
    kept = await rows(ingest, RejectedPayload)
    headers = {"Content-Type": "application/json", **credentials}
    response = await ingest.post("/api/v1/feedback", content=body, headers=headers)
    assert response.status_code == 401, response.text
    assert "JSON" not in response.text and "colour" not in response.text, "nothing tells how the body was read"
    assert await rows(ingest, RejectedPayload) == kept


async def test_an_editors_malformed_body_is_still_answered_422_and_kept(ingest: httpx.AsyncClient) -> None:
    kept = await rows(ingest, RejectedPayload)
    token = create_token(ingest.app.state.signing_key, Role.EDITOR, "editor")  # type: ignore[attr-defined]
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    response = await ingest.post("/api/v1/feedback", content=b"{not json", headers=headers)
    assert response.status_code == 422 and response.json()["detail"]["errors"], response.text
    assert await rows(ingest, RejectedPayload) == kept + 1


async def test_the_feedback_route_still_documents_its_body_and_its_role(ingest: httpx.AsyncClient) -> None:
    operation = (await ingest.get("/openapi.json")).json()["paths"]["/api/v1/feedback"]["post"]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    assert schema["$ref"] == "#/components/schemas/FeedbackCreate" and operation["requestBody"]["required"]
    assert {"HTTPBearer": []} in operation["security"]


async def test_a_forged_delivery_is_counted_by_source_and_kind_and_a_made_up_source_by_nothing(
    ingest: httpx.AsyncClient,
) -> None:
    refusals = await rows(ingest, WebhookRejection)
    github = BY_SOURCE["github"]
    forged = github.deliver("attacker-guess", github.feedback, utcnow(), github.feedback_headers)
    for _ in range(3):
        assert (await ingest.post(forged.url, content=forged.body, headers=forged.headers)).status_code == 401
    assert (await ingest.post("/webhooks/made-up", content=b"{}")).status_code == 404
    metrics = (await ingest.get("/metrics")).text
    assert 'prodops_webhook_refusals_total{kind="signature",source="github"} 3.0' in metrics
    assert "made-up" not in metrics
    assert await rows(ingest, WebhookRejection) == refusals + 3


async def test_a_refusals_reason_and_a_rejections_reason_are_cut(ingest: httpx.AsyncClient) -> None:
    async with ingest.app.state.runtime.sessions() as session, session.begin():  # type: ignore[attr-defined]
        storage.record_webhook_rejection(session, "github", "long " * 20_000)
        record_rejection(session, "api", "long " * 20_000, b"{}")
    async with ingest.app.state.runtime.sessions() as session:  # type: ignore[attr-defined]
        refusal = (
            await session.exec(select(WebhookRejection).where(col(WebhookRejection.reason).startswith("long ")))
        ).one()
        rejection = (
            await session.exec(select(RejectedPayload).where(col(RejectedPayload.reason).startswith("long ")))
        ).one()
    assert len(refusal.reason) == storage.REFUSAL_REASON_LENGTH and len(rejection.reason) == REASON_LENGTH


async def test_refusals_and_rejected_payloads_are_pruned_by_age_and_by_number(ingest: httpx.AsyncClient) -> None:
    now = utcnow()
    month_ago = now - timedelta(days=IngestSettings().rejection_retention_days + 1)
    recent = [now - timedelta(minutes=minutes) for minutes in range(KEPT + 3)]
    async with ingest.app.state.runtime.sessions() as session, session.begin():  # type: ignore[attr-defined]
        for table in (WebhookRejection, RejectedPayload):
            await session.exec(delete(table))  # only this test's rows, to count what the job keeps
        for when in [month_ago, *recent]:
            session.add(WebhookRejection(source="github", reason="forged", rejected_at=when))
            session.add(RejectedPayload(source="api", reason="bad", body="{}", rejected_at=when))

    runtime = ingest.app.state.runtime  # type: ignore[attr-defined]
    await jobs.prune_rejections(runtime.sessions, ingest.settings)  # type: ignore[attr-defined]

    async with ingest.app.state.runtime.sessions() as session:  # type: ignore[attr-defined]
        for stamp in (col(WebhookRejection.rejected_at), col(RejectedPayload.rejected_at)):
            kept = (await session.exec(select(stamp).order_by(stamp.desc()))).all()
            assert kept == recent[:KEPT], "the newest, and no more than the setting keeps"
