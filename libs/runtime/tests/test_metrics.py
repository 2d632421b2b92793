"""What every service's /metrics tells an SRE about its consumers, on the real broker."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from fastapi import APIRouter, HTTPException
from prometheus_client.parser import text_string_to_metric_families
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.runtime.consumer import consume
from libs.runtime.service import ServiceRuntime, service_app
from libs.runtime.testing import publish, running
from libs.runtime.tests.probe import eventually, handled, overridden
from libs.schemas.events import Envelope, FeedbackOverridden


def samples(text: str, name: str, consumer: str | None = None) -> dict[tuple[tuple[str, str], ...], float]:
    """The samples of one metric (for one consumer group, if given), by their labels."""
    return {
        tuple(sorted(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name and (consumer is None or sample.labels.get("consumer") == consumer)
    }


async def test_webhook_requests_are_counted_by_route_template_source_and_status(runtime: ServiceRuntime) -> None:
    hooks = APIRouter()

    @hooks.post("/webhooks/{source}")
    async def webhook(source: str) -> dict[str, str]:
        if source == "zendesk":
            raise HTTPException(401, "bad signature")
        return {"accepted": source}

    app = service_app(runtime, title="probe", routers=[hooks])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://probe") as http:
        for source in ("github", "github", "zendesk"):
            await http.post(f"/webhooks/{source}")
        await http.get("/healthz")
        text = (await http.get("/metrics")).text
    counted = {
        (labels["route"], labels["source"], labels["status"]): value
        for labels, value in ((dict(key), value) for key, value in samples(text, "prodops_http_requests_total").items())
    }
    assert counted == {("/webhooks/{source}", "github", "200"): 2, ("/webhooks/{source}", "zendesk", "401"): 1}


@pytest.mark.kafka
async def test_metrics_show_the_lag_of_each_partition_while_a_consumer_is_behind_and_how_fresh_it_is(
    runtime: ServiceRuntime, kafka_bootstrap: str
) -> None:
    release = asyncio.Event()

    async def stuck_until_released(event: FeedbackOverridden, session: AsyncSession) -> list[Envelope]:
        await release.wait()
        return []

    consume(runtime, FeedbackOverridden, stuck_until_released)
    group = f"{runtime.name}.{FeedbackOverridden.TOPIC}"
    events = [overridden(f"behind {number}") for number in range(5)]
    app = service_app(runtime, title="probe")
    transport = httpx.ASGITransport(app=app)
    async with running(app), httpx.AsyncClient(transport=transport, base_url="http://probe") as http:

        async def lag() -> dict[tuple[tuple[str, str], ...], float]:
            return samples((await http.get("/metrics")).text, "prodops_consumer_lag", group)

        async def behind() -> bool:
            # The first message is being handled; the rest (and whatever earlier tests left) wait.
            return sum((await lag()).values()) > 0

        async def caught_up() -> bool:
            return sum((await lag()).values()) == 0

        try:
            await publish(kafka_bootstrap, *events)
            await eventually(behind)
            partitions = {dict(labels)["partition"] for labels in await lag()}
            assert partitions <= {"0", "1", "2"} and partitions, "one series per partition the group holds"
            assert {dict(labels)["topic"] for labels in await lag()} == {FeedbackOverridden.TOPIC}
        finally:
            release.set()  # also when the test fails: a handler stuck forever would hold the shutdown
        await handled(runtime, events[-1])
        await eventually(caught_up)
        text = (await http.get("/metrics")).text
    [newest] = samples(text, "prodops_newest_event_handled_timestamp_seconds", group).values()
    assert newest == max(event.occurred_at for event in events).timestamp()
    [handling] = samples(text, "prodops_handle_seconds_count", group).values()
    assert handling >= len(events)
