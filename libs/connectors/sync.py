"""The run-and-sync loop every REST sync shares (ingest's sources, enrich's CRMs): page by page, from the cursor.

A page's valid records, its rejected ones (each with its reason) and the cursor after the page commit in one
transaction, so a run that dies anywhere resumes from the last stored page: nothing is lost, and what is fetched
twice maps to the same rows (ids come from the vendor's ids). A record that cannot be read is never silently
skipped: it is counted, logged with its reason and kept in rejected_payloads, and the run goes on.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, Literal, TypeVar

import structlog
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.connectors.cursors import load_cursor, save_cursor
from libs.connectors.paging import Cursor, Page
from libs.connectors.records import JSON, problem_of
from libs.connectors.rejections import record_rejection

log = structlog.get_logger()
Kind = Literal["incremental", "backfill"]
T = TypeVar("T")


@dataclass(frozen=True)
class Written:
    """What storing a page's valid records did: rows made, and rows held before that it wrote again."""

    new: int
    updated: int = 0


@dataclass(frozen=True)
class Destination(Generic[T]):
    """A service's own part of a sync: how a vendor record becomes what it stores, and how a page of those is stored."""

    read: Callable[[JSON], T]
    """The record as the service stores it; a ValueError (a pydantic ValidationError too) rejects it, with why."""
    store: Callable[[AsyncSession, list[T]], Awaitable[Written]]
    """Store a page's read records within the page's transaction."""


Pages = Callable[[Cursor], AsyncIterator[Page]]
"""The vendor's pages from a cursor on, each with the cursor to resume after it."""


@dataclass
class SyncReport:
    source: str
    kind: Kind
    pages: int = 0
    records: int = 0
    new: int = 0
    updated: int = 0
    rejected: int = 0
    cursor: Cursor = field(default_factory=Cursor)


async def run_sync(
    sessions: async_sessionmaker[AsyncSession],
    source: str,
    pages: Pages,
    destination: Destination[T],
    *,
    kind: Kind = "incremental",
    since: datetime | None = None,
    on_page: Callable[[SyncReport], None] = lambda _: None,
) -> SyncReport:
    """One run from the source's stored cursor of `kind` (or from `since`); a finished backfill leaves none behind."""
    async with sessions() as session:
        stored = await load_cursor(session, source, kind)
    cursor = Cursor(since=since) if since else (stored or Cursor())
    report = SyncReport(source, kind, cursor=cursor)
    log.info("sync started", source=source, kind=kind, since=cursor.since, resuming=cursor.page is not None)
    async for page in pages(cursor):
        read, rejected = read_page(destination, page.records)
        async with sessions() as session, session.begin():
            written = await destination.store(session, read)
            for record, reason in rejected:
                record_rejection(session, source, reason, json.dumps(record, default=str).encode())
            await save_cursor(session, source, kind, page.cursor)
        for _, reason in rejected:
            log.warning("sync record rejected", source=source, kind=kind, reason=reason)
        report.pages += 1
        report.records += len(page.records)
        report.new += written.new
        report.updated += written.updated
        report.rejected += len(rejected)
        report.cursor = page.cursor
        on_page(report)
    if kind == "backfill":
        # The next backfill starts from the beginning.
        async with sessions() as session, session.begin():
            await save_cursor(session, source, kind, Cursor())
    log.info(
        "sync finished",
        source=source,
        kind=kind,
        pages=report.pages,
        new=report.new,
        updated=report.updated,
        rejected=report.rejected,
    )
    return report


def read_page(destination: Destination[T], records: list[JSON]) -> tuple[list[T], list[tuple[JSON, str]]]:
    """A page's records as the service stores them, and each one that could not be read with why."""
    read: list[T] = []
    rejected: list[tuple[JSON, str]] = []
    for record in records:
        try:
            read.append(destination.read(record))
        except ValueError as error:  # a pydantic ValidationError is one too
            rejected.append((record, problem_of(error)))
    return read, rejected
