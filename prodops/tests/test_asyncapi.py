"""Each service's AsyncAPI document: drawn from its handler declarations, committed in docs/asyncapi, served."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from libs.runtime.settings import SERVICES
from prodops import asyncapi
from services.notify.app import create_app
from services.notify.settings import NotifySettings

DOCS = Path(__file__).resolve().parents[2] / "docs" / "asyncapi"


def test_the_committed_documents_are_those_the_declarations_make() -> None:
    stale = [
        service
        for service, document in asyncapi.documents().items()
        if not (DOCS / f"{service}.json").exists() or (DOCS / f"{service}.json").read_text() != document
    ]
    assert not stale, f"docs/asyncapi is stale for {', '.join(stale)}: run `prodops schemas asyncapi`"


def test_every_declared_handler_and_reply_is_a_channel() -> None:
    documents = asyncapi.documents()
    for service in SERVICES:
        router = asyncapi.router_of(service)
        channels = json.loads(documents[service])["channels"]
        consumed = {channel["address"] for name, channel in channels.items() if name.startswith(f"{service}.")}
        assert consumed == {route.consumes.TOPIC for route in router.routes}, service
        for event_type in router.published():
            assert f"{event_type.TOPIC}:{event_type.__name__}" in channels, (service, event_type.__name__)


async def test_a_service_serves_its_document(tmp_path: Path) -> None:
    app = create_app(NotifySettings(data_dir=tmp_path))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://notify") as client:
        response = await client.get("/asyncapi.json")
    assert response.status_code == 200
    assert response.text == asyncapi.documents()["notify"]
