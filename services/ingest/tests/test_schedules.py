"""The sync schedules inside the running ingest service, against a local vendor server, on the in-memory broker."""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr
from sqlmodel import func, select

from libs.runtime.testing import UNUSED_BOOTSTRAP, in_memory, quick_settings
from libs.schemas.events import FeedbackReceived
from services.ingest.app import create_app
from services.ingest.connectors import REGISTRY
from services.ingest.settings import IngestSettings
from services.ingest.storage import StoredItem
from services.ingest.tests.connectors.fake_vendors import FakeVendor, serving


def test_only_sources_with_credentials_are_scheduled(tmp_path: Path) -> None:
    helpscout = REGISTRY["helpscout"]
    configured = helpscout(helpscout.settings_type(api_token=SecretStr("t"), backfill_cron="30 3 * * *"))
    connectors = {"helpscout": configured, "intercom": REGISTRY["intercom"]()}
    settings = quick_settings(IngestSettings, UNUSED_BOOTSTRAP, tmp_path, None)
    scheduler = create_app(settings, connectors).state.runtime.scheduler
    jobs = {"helpscout:incremental", "helpscout:backfill", "outbox-relay", "prune-rejections", "sample-consumer-lag"}
    assert set(scheduler.names) == jobs
    unscheduled = quick_settings(IngestSettings, UNUSED_BOOTSTRAP, tmp_path, None, sync_schedules=False)
    assert "helpscout:incremental" not in create_app(unscheduled, connectors).state.runtime.scheduler.names


def sources_of(events: list[FeedbackReceived]) -> set[str | None]:
    return {event.payload.source_id for event in events if event.payload.source.value == "helpscout"}


async def test_the_service_syncs_a_configured_source_on_schedule(tmp_path: Path) -> None:
    vendor = FakeVendor("helpscout")
    vendor.add(5)
    async with serving(vendor) as base:
        helpscout = REGISTRY["helpscout"]
        connector = helpscout(helpscout.settings_type(api_url=base, api_token=SecretStr("t"), sync_every_minutes=0.01))
        app = create_app(quick_settings(IngestSettings, UNUSED_BOOTSTRAP, tmp_path, None), {"helpscout": connector})
        async with in_memory(app) as bus:
            vendor.add(2)  # changed while the service runs: a later scheduled run picks them up
            expected = {str(3000 + number) for number in range(1, 8)}
            await bus.until(FeedbackReceived, lambda events: expected <= sources_of(events))
            async with app.state.runtime.sessions() as session:
                stored = (await session.exec(select(func.count()).select_from(StoredItem))).one()
    assert stored == 7
