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
from types import TracebackType
from typing import Literal, Self
from urllib.parse import urlsplit

import httpx
import stamina
import structlog
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.schemas.events import utcnow
from services.ingest import intake, storage
from services.ingest.connectors.base import Connector, problem_of
from services.ingest.connectors.requests import JSON, ApiRequest, ApiResponse, Cursor, Feedback

log = structlog.get_logger()
Kind = Literal["incremental", "backfill"]


class RateLimited(Exception):
    def __init__(self, wait: float) -> None:
        super().__init__(f"rate limited; retry in {wait:.1f} s")
        self.wait = wait


class VendorError(Exception):
    """The vendor answered with an error that is not a rate limit."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"HTTP {status}: {detail}")
        self.status = status


class VendorApi:
    """httpx against one vendor: authenticated, rate limits waited out, server errors retried with backoff."""

    def __init__(self, connector: Connector, attempts: int = 6, timeout: float = 30.0) -> None:
        self.connector = connector
        self.attempts = attempts
        base = connector.settings.api_url.rstrip("/")
        self.host = urlsplit(base).netloc
        self.client = httpx.AsyncClient(base_url=base, headers=connector.authenticate(), timeout=timeout)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *_: type[BaseException] | BaseException | TracebackType | None) -> None:
        await self.client.aclose()

    async def __call__(self, request: ApiRequest) -> ApiResponse:
        retrying = stamina.retry(on=self._backoff, attempts=self.attempts, timeout=None)(self._send)
        return await retrying(request)

    def _backoff(self, error: Exception) -> bool | float:
        """How long to wait before trying again (True: the exponential backoff; False: give up)."""
        if isinstance(error, RateLimited):
            return error.wait if error.wait <= self.connector.settings.max_rate_limit_wait_seconds else False
        if isinstance(error, VendorError):
            return error.status >= 500
        return isinstance(error, httpx.TransportError)

    async def _send(self, request: ApiRequest) -> ApiResponse:
        target = urlsplit(request.url)
        # Next-page links come from the vendor's answers: never send our token to another host.
        if target.netloc and target.netloc != self.host:
            raise VendorError(0, f"refusing to follow a link to {target.netloc}")
        response = await self.client.request(
            request.method, request.url, params=request.params or None, json=request.body
        )
        try:
            body = response.json() if response.content else None
        except ValueError:
            body = None
        answer = ApiResponse(url=str(response.url), status=response.status_code, headers=response.headers, body=body)
        wait = self.connector.rate_limit_wait(answer, utcnow())
        if wait is not None:
            log.info("rate limited", source=self.connector.name.value, wait_seconds=round(wait, 1))
            raise RateLimited(wait)
        if response.status_code >= 400:
            raise VendorError(response.status_code, response.text[:300])
        return answer


@dataclass
class SyncReport:
    source: str
    kind: Kind
    pages: int = 0
    records: int = 0
    new: int = 0
    rejected: int = 0
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
        stored = await storage.load_cursor(session, source, kind)
    cursor = Cursor(since=since) if since else (stored or Cursor())
    report = SyncReport(source, kind, cursor=cursor)
    log.info("sync started", source=source, kind=kind, since=cursor.since, resuming=cursor.page is not None)
    async with VendorApi(connector) as api:
        pages = connector.fetch_feedback(api, cursor) if backfill else connector.fetch_incremental(api, cursor)
        async for page in pages:
            feedback, rejected = transformed(connector, page.records)
            events = intake.received(feedback, utcnow())
            async with sessions() as session, session.begin():
                fresh, _ = await intake.store_feedback(session, events, origin="sync")
                for record, reason in rejected:
                    storage.record_rejection(session, source, reason, json.dumps(record, default=str).encode())
                await storage.save_cursor(session, source, kind, page.cursor)
            report.pages += 1
            report.records += len(page.records)
            report.new += len(fresh)
            report.rejected += len(rejected)
            report.cursor = page.cursor
            on_page(report)
    if backfill:
        # A finished backfill leaves no position behind: the next one starts from the beginning.
        async with sessions() as session, session.begin():
            await storage.save_cursor(session, source, kind, Cursor())
    log.info("sync finished", source=source, kind=kind, pages=report.pages, new=report.new, rejected=report.rejected)
    return report
