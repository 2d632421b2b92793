"""A source's sync (incremental, or with `backfill` everything) on libs/connectors' loop: ingest's part is to read
a vendor record as feedback (after the connector's second look-ups) and to store it as ingest stores any feedback."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import datetime

import structlog
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.connectors.http import VendorApi
from libs.connectors.lookups import Lookups
from libs.connectors.paging import Cursor, Page
from libs.connectors.sync import Destination, SyncReport, Written, run_sync
from libs.schemas.events import utcnow
from services.ingest import intake
from services.ingest.connectors.base import Connector
from services.ingest.connectors.requests import Feedback

log = structlog.get_logger()


def vendor_api(connector: Connector) -> VendorApi:
    """The vendor's REST API as the connector's settings describe it."""
    return VendorApi(
        connector.name.value,
        connector.settings.api_url,
        connector.authenticate(),
        rate_limit_wait=connector.rate_limit_wait,
        max_rate_limit_wait=connector.settings.max_rate_limit_wait_seconds,
    )


def feedback_of(connector: Connector) -> Destination[Feedback]:
    """A record as the feedback it is (a record that is none is rejected), stored into the outbox."""

    async def store(session: AsyncSession, feedback: list[Feedback]) -> Written:
        stored = await intake.store_feedback(session, intake.received(feedback, utcnow()), origin="sync")
        return Written(new=len(stored.fresh), updated=len(stored.updated))

    return Destination(connector.feedback_of, store)


async def sync_source(
    sessions: async_sessionmaker[AsyncSession],
    connector: Connector,
    *,
    backfill: bool = False,
    since: datetime | None = None,
    on_page: Callable[[SyncReport], None] = lambda _: None,
) -> SyncReport:
    """One run: everything changed since the source's cursor (or `since`), or with `backfill` everything."""
    source = connector.name.value
    async with vendor_api(connector) as api:
        lookups = Lookups(api)

        async def pages(cursor: Cursor) -> AsyncIterator[Page]:
            walk = connector.fetch_feedback(api, cursor) if backfill else connector.fetch_incremental(api, cursor)
            async for page in walk:
                yield Page(await connector.complete(page.records, lookups), page.cursor)

        report = await run_sync(
            sessions,
            source,
            pages,
            feedback_of(connector),
            kind="backfill" if backfill else "incremental",
            since=since,
            on_page=on_page,
        )
    log.info("sync look-ups made", source=source, requests=lookups.requests)
    return report
