"""Incremental sync and backfill against local servers that answer like each vendor's API."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.connectors.cursors import load_cursor
from libs.connectors.http import ApiRequest, ApiResponse, VendorError, wait_from_headers
from libs.connectors.paging import Cursor, PageContent, advanced
from libs.connectors.rejections import RejectedPayload
from libs.runtime.database import make_engine, migrate, session_factory
from services.ingest.connectors import REGISTRY, Connector
from services.ingest.storage import SourceRecord, StoredItem
from services.ingest.sync import sync_source, vendor_api
from services.ingest.tests.connectors.fake_vendors import FakeVendor, feedback_count, make_record, serving

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"
SOURCES = sorted(REGISTRY)
EXTRA: dict[str, dict[str, Any]] = {
    "github": {"repositories": ["acme/app"]},
    "jira": {"email": "bot@acme.io"},
    "gong": {"access_key": "ak"},
}
Sessions = async_sessionmaker[AsyncSession]


async def killed_while_waiting(run: Coroutine[Any, Any, Any], requests: list[Any], count: int) -> None:
    """Start a run and kill it (as a dying process) while the vendor holds its `count`-th request."""
    task = asyncio.create_task(run)
    while len(requests) < count:  # noqa: ASYNC110 - the fake counts requests; there is no event to await
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


def connector_at(source: str, base_url: str) -> Connector:
    cls = REGISTRY[source]
    settings = cls.settings_type(api_url=base_url, api_token=SecretStr("token"), page_size=3, **EXTRA.get(source, {}))
    return cls(settings)


async def count(sessions: Sessions, model: type) -> int:
    async with sessions() as session:
        return (await session.exec(select(func.count()).select_from(model))).one()


@pytest.mark.parametrize("source", SOURCES)
async def test_a_sync_pages_through_everything_then_fetches_only_what_changed(sessions: Sessions, source: str) -> None:
    vendor = FakeVendor(source)
    vendor.add(7)
    async with serving(vendor) as base:
        connector = connector_at(source, base)
        first = await sync_source(sessions, connector)
        assert first.pages >= 3, "seven records, three to a page"
        assert vendor.served == 7 and first.new == feedback_count(source, vendor.records)

        vendor.add(2)
        served_before = vendor.served
        second = await sync_source(sessions, connector)
        assert second.new == 2
        assert vendor.served - served_before < len(vendor.records), "an incremental run does not start over"
    assert await count(sessions, StoredItem) == feedback_count(source, vendor.records)
    assert await count(sessions, SourceRecord) == feedback_count(source, vendor.records)


@pytest.mark.parametrize("source", SOURCES)
async def test_a_rate_limit_mid_sync_is_waited_out_and_nothing_is_missed(sessions: Sessions, source: str) -> None:
    vendor = FakeVendor(source, rate_limited={2})
    vendor.add(7)
    async with serving(vendor) as base:
        started = time.monotonic()
        report = await sync_source(sessions, connector_at(source, base))
        waited = time.monotonic() - started
    assert report.new == feedback_count(source, vendor.records)
    assert len(vendor.requests) == report.pages + 1, "the limited request was made again, once"
    assert vendor.requests[1] == vendor.requests[2]
    assert waited >= 0.9, "the vendor's retry time was honoured"


@pytest.mark.parametrize("source", SOURCES)
async def test_a_crash_mid_sync_resumes_from_the_last_stored_page(sessions: Sessions, source: str) -> None:
    vendor = FakeVendor(source, hang_at=3)
    vendor.add(7)
    async with serving(vendor) as base:
        connector = connector_at(source, base)
        # The process dies while the vendor is answering page three.
        await killed_while_waiting(sync_source(sessions, connector), vendor.requests, 3)
        two_pages = [record for record in vendor.records[:6]]
        assert await count(sessions, StoredItem) == feedback_count(source, two_pages)

        report = await sync_source(sessions, connector)
    assert vendor.requests[3] == vendor.requests[2], "the new run asks for page three again, not page one"
    assert await count(sessions, StoredItem) == feedback_count(source, vendor.records)
    assert report.new == feedback_count(source, vendor.records[6:])


@pytest.mark.parametrize("source", ["github", "zendesk", "canny"])
async def test_a_backfill_reads_everything_and_the_next_one_starts_over(sessions: Sessions, source: str) -> None:
    vendor = FakeVendor(source)
    vendor.add(5)
    async with serving(vendor) as base:
        connector = connector_at(source, base)
        await sync_source(sessions, connector)
        async with sessions() as session:
            incremental = await load_cursor(session, source, "incremental")
        served = vendor.served
        backfill = await sync_source(sessions, connector, backfill=True)
        assert vendor.served - served == 5 and backfill.new == 0
        again = await sync_source(sessions, connector, backfill=True)
        assert again.records == feedback_count(source, vendor.records)
    async with sessions() as session:
        assert await load_cursor(session, source, "backfill") == Cursor()
        assert await load_cursor(session, source, "incremental") == incremental


async def test_since_overrides_the_stored_cursor(sessions: Sessions) -> None:
    vendor = FakeVendor("github")
    vendor.add(7)
    async with serving(vendor) as base:
        since = datetime(2026, 11, 1, 5, tzinfo=UTC)
        report = await sync_source(sessions, connector_at("github", base), since=since)
    assert vendor.requests[0]["params"]["since"] == "2026-11-01T05:00:00Z"
    assert report.records == 3, "records 5, 6 and 7 changed at or after 05:00"


async def test_a_record_that_cannot_be_feedback_is_recorded_and_the_sync_goes_on(sessions: Sessions) -> None:
    vendor = FakeVendor("zendesk")
    vendor.add(4)
    vendor.records[1] = {**vendor.records[1], "subject": "", "description": ""}
    async with serving(vendor) as base:
        report = await sync_source(sessions, connector_at("zendesk", base))
    assert (report.new, report.rejected) == (3, 1)
    async with sessions() as session:
        (rejected,) = (await session.exec(select(RejectedPayload))).all()
    assert rejected.source == "zendesk" and "neither a title nor any text" in rejected.reason


async def test_a_server_error_is_retried_but_a_client_error_ends_the_run(sessions: Sessions) -> None:
    vendor = FakeVendor("jira", unavailable={1})
    vendor.add(2)
    async with serving(vendor) as base:
        connector = connector_at("jira", base)
        report = await sync_source(sessions, connector)
        assert report.new == 2 and vendor.requests[0] == vendor.requests[1]
        async with vendor_api(connector) as api:
            with pytest.raises(VendorError, match="HTTP 404"):
                await api(ApiRequest(url="/no/such/endpoint"))
    assert len(vendor.requests) == 3, "a 4xx is not retried"


async def test_a_next_page_link_to_another_host_is_not_followed() -> None:
    connector = connector_at("helpscout", "https://api.helpscout.net")
    async with vendor_api(connector) as api:
        with pytest.raises(VendorError, match="refusing to follow a link to evil.example"):
            await api(ApiRequest(url="https://evil.example/v2/conversations?page=2"))


# --- the pure parts -------------------------------------------------------------------------------


def test_the_cursor_holds_the_next_page_mid_run_and_the_newest_change_at_the_end() -> None:
    start = Cursor(since=datetime(2026, 1, 1, tzinfo=UTC))
    changed = [datetime(2026, 1, 3, tzinfo=UTC), None, datetime(2026, 1, 2, tzinfo=UTC)]
    middle = advanced(start, changed, PageContent([], next_page="p2"))
    assert middle == Cursor(since=start.since, page="p2", high_water=datetime(2026, 1, 3, tzinfo=UTC))
    end = advanced(middle, [], PageContent([], next_page=None, resume_from="after-7"))
    assert end == Cursor(since=datetime(2026, 1, 3, tzinfo=UTC), page="after-7")
    assert advanced(Cursor(), [], PageContent([], None)) == Cursor()


def test_rate_limit_waits_follow_the_vendors_headers() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert wait_from_headers({"retry-after": "7"}, now) == 7
    assert wait_from_headers({"x-ratelimit-retry-after": "3"}, now) == 3
    reset = str(int((now + timedelta(seconds=30)).timestamp()))
    assert wait_from_headers({"x-ratelimit-reset": reset}, now, "x-ratelimit-reset") == 30
    assert wait_from_headers({"x-ratelimit-reset": "2026-01-01T00:00:12Z"}, now, "x-ratelimit-reset") == 12
    assert wait_from_headers({}, now) == 60, "no header at all: a minute, as GitHub asks"


def test_github_says_rate_limited_with_403_only_when_out_of_quota() -> None:
    github = connector_at("github", "https://api.github.com")
    now = datetime(2026, 1, 1, tzinfo=UTC)
    quota = ApiResponse(
        "u", 403, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(now.timestamp()) + 5)}, None
    )
    assert github.rate_limit_wait(quota, now) == 5
    assert github.rate_limit_wait(ApiResponse("u", 403, {"x-ratelimit-remaining": "12"}, None), now) is None


def test_sync_records_are_in_the_vendors_shapes() -> None:
    for source in SOURCES:
        record = make_record(source, 5, datetime(2026, 11, 1, 5, tzinfo=UTC))
        assert REGISTRY[source]().transform_to_standard(record).title == f"{source} request 5"


@pytest.mark.postgres
async def test_cursors_and_records_are_kept_on_postgres_too(postgres_url: str) -> None:
    engine = make_engine(postgres_url, "ingest")
    await migrate(engine, "ingest", MIGRATIONS)
    sessions = session_factory(engine)
    vendor = FakeVendor("chorus", hang_at=3)
    vendor.add(7)
    try:
        async with serving(vendor) as base:
            connector = connector_at("chorus", base)
            await killed_while_waiting(sync_source(sessions, connector), vendor.requests, 3)
            resumed = await sync_source(sessions, connector)
        async with sessions() as session:
            cursor = await load_cursor(session, "chorus", "incremental")
    finally:
        await engine.dispose()
    assert resumed.records == 1 and vendor.requests[3] == vendor.requests[2]
    assert cursor is not None and cursor.since == datetime(2026, 11, 1, 7, tzinfo=UTC)
