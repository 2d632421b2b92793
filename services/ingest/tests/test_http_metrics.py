"""The request metrics take their labels from a closed set: made-up paths add no series."""

from __future__ import annotations

from pathlib import Path
from uuid import uuid4

import httpx
from prometheus_client import CollectorRegistry

from libs.runtime.testing import UNUSED_BOOTSTRAP, in_memory, quick_settings
from services.ingest.app import create_app
from services.ingest.settings import IngestSettings


def series(registry: CollectorRegistry, name: str) -> set[tuple[str, ...]]:
    return {
        tuple(sample.labels.values())
        for metric in registry.collect()
        if metric.name == name
        for sample in metric.samples
        if sample.name == f"{name}_total"
    }


async def test_webhooks_to_made_up_sources_share_one_series(tmp_path: Path) -> None:
    app = create_app(quick_settings(IngestSettings, UNUSED_BOOTSTRAP, tmp_path, None))
    registry = app.state.runtime.registry
    async with (
        in_memory(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://ingest") as client,
    ):
        for _ in range(200):
            assert (await client.post(f"/webhooks/{uuid4().hex}", content=b"{}")).status_code == 404
        known = await client.post("/webhooks/github", content=b"{}")
    assert known.status_code == 401  # unsigned
    assert series(registry, "prodops_http_requests") == {
        ("POST", "/webhooks/{source}", "unknown", "404"),
        ("POST", "/webhooks/{source}", "github", "401"),
    }
