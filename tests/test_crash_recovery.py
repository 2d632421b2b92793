"""A consumer killed between its work and its offset commit loses nothing and doubles nothing."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path
from uuid import UUID

import pytest

from libs.runtime.testing import collect
from libs.schemas.events import FeedbackTriaged
from tests.conftest import HubClient, start_hub
from tests.crash_after_work import CRASH_AFTER_WORK

pytestmark = [pytest.mark.e2e, pytest.mark.kafka]

CRASHING = "triage.feedback.enriched.v1"


async def test_a_consumer_killed_before_its_commit_redelivers_without_doubling(tmp_path: Path) -> None:
    hub = await start_hub(tmp_path / "hub", None, {CRASH_AFTER_WORK: CRASHING}, launcher="tests.crash_after_work")
    client = HubClient(hub)
    try:
        item_id = await client.submit(
            {"title": "Streaming stops after 30 seconds", "customer": {"email": "cto@northwind.ai"}}
        )
        triage = hub.processes["triage"].process
        assert triage is not None
        deadline = time.monotonic() + 60
        while triage.poll() is None:
            assert time.monotonic() < deadline, "the fault was not injected"
            await asyncio.sleep(0.1)
        assert triage.returncode == 70, "triage died after publishing, before committing"

        await hub.restart("triage")
        later_id = await client.submit({"title": "Add a CSV export of usage", "customer": {"email": "x@hooli.xyz"}})
        items = await client.processed([item_id, later_id])

        assert hub.kafka_bootstrap is not None
        copies = await collect(
            hub.kafka_bootstrap,
            FeedbackTriaged,
            lambda seen: sum(event.payload.item_id == UUID(item_id) for event in seen) >= 2,
        )
        mine = [event for event in copies if event.payload.item_id == UUID(item_id)]
        assert len({event.event_id for event in mine}) == 1, (
            "the redelivery republished the stored reply, not a new one"
        )

        with sqlite3.connect(hub.data_dir / "triage.db") as triage_db:
            assert triage_db.execute(
                "SELECT count(*) FROM triage_verdicts WHERE item_id = ?", (UUID(item_id).hex,)
            ).fetchone() == (1,)
        listed = await client.http.get(
            f"{hub.gateway_url}/api/v1/feedback",
            params={"q": "Streaming stops after 30 seconds"},
            headers=client.viewer,
        )
        assert [item["id"] for item in listed.json()["items"]] == [item_id], "one item in the read model"
        assert items[item_id]["ai_triage"]["model_version"]
    finally:
        await client.http.aclose()
        hub.stop()
