"""Incremental sync and backfill over a vendor's REST API: page by page, each page stored with its cursor.

A page's items, their raw records and the cursor after the page commit in one transaction, so a run
that dies anywhere resumes from the last stored page: nothing is lost, and what is fetched twice
maps to the same items (ids come from the vendor's ids).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

import structlog
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.connectors.cursors import load_cursor, save_cursor
from libs.connectors.http import VendorApi
from libs.connectors.lookups import Lookups
from libs.connectors.paging import Cursor
from libs.connectors.records import JSON, problem_of
from libs.schemas.events import utcnow
from services.ingest import intake, storage
from services.ingest.connectors.base import Connector
from services.ingest.connectors.requests import Feedback

log = structlog.get_logger()
Kind = Literal["incremental", "backfill"]


def vendor_api(connector: Connector) -> VendorApi:
    """The vendor's REST API as the connector's settings describe it."""
    return VendorApi(
        connector.name.value,
        connector.settings.api_url,
        connector.authenticate(),
        rate_limit_wait=connector.rate_limit_wait,
        max_rate_limit_wait=connector.settings.max_rate_limit_wait_seconds,
    )


@dataclass
class SyncReport:
    source: str
    kind: Kind
    pages: int = 0
    records: int = 0
    new: int = 0
    updated: int = 0
    rejected: int = 0
    lookups: int = 0
    cursor: Cursor = field(default_factory=Cursor)


def transformed(connector: Connector, records: list[JSON]) -> tuple[list[Feedback], list[tuple[JSON, str]]]:
    """The feedback in a page, and each record that could not become feedback with why."""
    feedback: list[Feedback] = []
    rejected: list[tuple[JSON, str]] = []
    for record in records:
        try:
            feedback.append(Feedback(record, connector.transform_to_standard(record)))
        except (ValidationError, ValueError) as error:
            rejected.append((record, problem_of(error)))
    return feedback, rejected


async def run_sync(
    sessions: async_sessionmaker[AsyncSession],
    connector: Connector,
    *,
    backfill: bool = False,
    since: datetime | None = None,
    on_page: Callable[[SyncReport], None] = lambda _: None,
) -> SyncReport:
    """One run: everything changed since the source's cursor (or `since`), or with `backfill` everything."""
    source = connector.name.value
    kind: Kind = "backfill" if backfill else "incremental"
    async with sessions() as session:
        stored = await load_cursor(session, source, kind)
    cursor = Cursor(since=since) if since else (stored or Cursor())
    report = SyncReport(source, kind, cursor=cursor)
    log.info("sync started", source=source, kind=kind, since=cursor.since, resuming=cursor.page is not None)
    async with vendor_api(connector) as api:
        lookups = Lookups(api)
        pages = connector.fetch_feedback(api, cursor) if backfill else connector.fetch_incremental(api, cursor)
        async for page in pages:
            records = await connector.complete(page.records, lookups)
            feedback, rejected = transformed(connector, records)
            events = intake.received(feedback, utcnow())
            async with sessions() as session, session.begin():
                outcome = await intake.store_feedback(session, events, origin="sync")
                for record, reason in rejected:
                    storage.record_rejection(session, source, reason, json.dumps(record, default=str).encode())
                await save_cursor(session, source, kind, page.cursor)
            report.pages += 1
            report.records += len(records)
            report.new += len(outcome.fresh)
            report.updated += len(outcome.updated)
            report.rejected += len(rejected)
            report.cursor = page.cursor
            on_page(report)
    if backfill:
        # A finished backfill leaves no position behind: the next one starts from the beginning.
        async with sessions() as session, session.begin():
            await save_cursor(session, source, kind, Cursor())
    report.lookups = lookups.requests
    log.info(
        "sync finished",
        source=source,
        kind=kind,
        pages=report.pages,
        new=report.new,
        updated=report.updated,
        rejected=report.rejected,
        lookups=report.lookups,
    )
    return report
