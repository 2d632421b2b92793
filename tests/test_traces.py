"""One trace from the request that brings an item to the read model, across every service, through Kafka headers."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from libs.testing.otlp import SpanStore, otlp_collector
from prodops.hub import Hub
from tests.conftest import HubClient, start_hub

pytestmark = [pytest.mark.e2e, pytest.mark.kafka]

PIPELINE = {"prodops-ingest", "prodops-enrich", "prodops-triage", "prodops-dedupe", "prodops-gateway"}


@pytest.fixture(scope="module")
def collector() -> Iterator[tuple[SpanStore, str]]:
    with otlp_collector() as running:
        yield running


@pytest.fixture(scope="module")
async def traced_hub(collector: tuple[SpanStore, str], tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Hub]:
    _, endpoint = collector
    # Export every 200 ms rather than every 5 s, so the spans are there soon after the item.
    exporting = {"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "OTEL_BSP_SCHEDULE_DELAY": "200"}
    hub = await start_hub(Path(tmp_path_factory.mktemp("traced-hub")), None, exporting)
    try:
        yield hub
    finally:
        hub.stop()


async def test_an_item_is_one_trace_from_its_request_to_the_read_model(
    traced_hub: Hub, collector: tuple[SpanStore, str]
) -> None:
    store, _ = collector
    client = HubClient(traced_hub)
    trace_id = secrets.token_hex(16)
    caller = {"traceparent": f"00-{trace_id}-{secrets.token_hex(8)}-01"}
    try:
        response = await client.http.post(
            f"{traced_hub.ingest_url}/api/v1/feedback",
            json={"title": "Export to CSV please", "description": "We need it weekly.", "source": "api"},
            headers=client.editor | caller,
        )
        assert response.status_code == 202, response.text
        await client.processed([str(response.json()["id"])])

        # The last spans leave their processes with the next export.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(30):
                # The spans arrive through another thread's HTTP server, not as an event of this loop.
                while PIPELINE - {span.service for span in store.of_trace(trace_id)}:  # noqa: ASYNC110
                    await asyncio.sleep(0.2)
    finally:
        await client.http.aclose()

    spans = store.of_trace(trace_id)
    assert {span.service for span in spans} >= PIPELINE
    # Every span but the caller's own hangs from another span of the same trace: one tree, no orphans.
    span_ids = {span.span_id for span in spans}
    orphans = [span for span in spans if span.parent_span_id not in span_ids]
    assert [span.parent_span_id for span in orphans] == [caller["traceparent"].split("-")[2]]


async def test_probes_make_no_spans(traced_hub: Hub, collector: tuple[SpanStore, str]) -> None:
    store, _ = collector
    client = HubClient(traced_hub)
    try:
        assert (await client.http.get(f"{traced_hub.ingest_url}/healthz")).status_code == 200
        await asyncio.sleep(1)
    finally:
        await client.http.aclose()
    assert not [span for span in store.spans if "healthz" in span.name]
