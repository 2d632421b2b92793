"""The sync schedules inside the running ingest service, against a local vendor server, on the real broker."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlmodel import func, select

from libs.runtime.testing import collect, running
from libs.schemas.events import FeedbackReceived
from services.ingest.app import create_app
from services.ingest.connectors import REGISTRY
from services.ingest.schedules import sync_scheduler
from services.ingest.settings import IngestSettings
from services.ingest.storage import StoredItem
from services.ingest.tests.connectors.fake_vendors import FakeVendor, serving


def test_only_sources_with_credentials_are_scheduled() -> None:
    helpscout = REGISTRY["helpscout"]
    configured = helpscout(helpscout.settings_type(api_token=SecretStr("t"), backfill_cron="30 3 * * *"))
    connectors = {"helpscout": configured, "intercom": REGISTRY["intercom"]()}
    scheduler = sync_scheduler(None, connectors, lambda _: None)  # type: ignore[arg-type]
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {"helpscout:incremental", "helpscout:backfill"}
    assert str(jobs["helpscout:backfill"].trigger) == "cron[month='*', day='*', day_of_week='*', hour='3', minute='30']"
    assert jobs["helpscout:incremental"].trigger.interval.total_seconds() == 15 * 60


def sources_of(events: list[FeedbackReceived]) -> set[str | None]:
    return {event.payload.source_id for event in events if event.payload.source.value == "helpscout"}


@pytest.mark.kafka
async def test_the_service_syncs_a_configured_source_on_schedule(kafka_bootstrap: str, tmp_path: Path) -> None:
    vendor = FakeVendor("helpscout")
    vendor.add(5)
    expected: set[str | None] = {str(3000 + number) for number in range(1, 8)}
    async with serving(vendor) as base:
        helpscout = REGISTRY["helpscout"]
        connector = helpscout(helpscout.settings_type(api_url=base, api_token=SecretStr("t"), sync_every_minutes=0.01))
        app = create_app(IngestSettings(kafka_bootstrap=kafka_bootstrap, data_dir=tmp_path), {"helpscout": connector})
        async with running(app):
            vendor.add(2)  # changed while the service runs: a later scheduled run picks them up
            await collect(kafka_bootstrap, FeedbackReceived, lambda events: expected <= sources_of(events))
            async with app.state.runtime.sessions() as session:
                stored = (await session.exec(select(func.count()).select_from(StoredItem))).one()
    assert stored == 7
