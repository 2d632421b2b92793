"""Incremental reads of a paged REST API: the cursor that survives a crash, and the walk from page to page."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from pydantic import AwareDatetime, BaseModel, ConfigDict

from libs.connectors.http import ApiRequest, ApiResponse
from libs.connectors.records import JSON


class Cursor(BaseModel):
    """Where a sync stands for one source; saved with every page, so a crashed run resumes."""

    model_config = ConfigDict(extra="ignore")

    since: AwareDatetime | None = None
    """Records changed at or after this time are still to fetch (None: from the beginning)."""
    page: str | None = None
    """The vendor's own position: a next-page URL, token or offset."""
    high_water: AwareDatetime | None = None
    """The latest change seen so far in this run; the next run's `since`."""


@dataclass(frozen=True)
class PageContent:
    """The records of one page, the token of the next, and where a later run may start when this is the last."""

    records: list[JSON]
    next_page: str | None
    resume_from: str | None = None


@dataclass(frozen=True)
class Page:
    records: list[JSON]
    cursor: Cursor


class PagedApi(Protocol):
    """A vendor's paged listing, described without I/O."""

    def page_request(self, cursor: Cursor) -> ApiRequest:
        """The request for the page the cursor points at (the first page when it has no position)."""
        ...

    def read_page(self, cursor: Cursor, response: ApiResponse) -> PageContent:
        """The records of a page and the position of the next one."""
        ...

    def updated_at(self, record: JSON) -> datetime | None:
        """When a record last changed, for the next run's `since`."""
        ...


Fetch = Callable[[ApiRequest], Awaitable[ApiResponse]]


async def walk(api: PagedApi, fetch: Fetch, cursor: Cursor) -> AsyncIterator[Page]:
    """Pages of records changed since the cursor, each with the cursor to resume after it."""
    while True:
        content = api.read_page(cursor, await fetch(api.page_request(cursor)))
        cursor = advanced(cursor, [api.updated_at(record) for record in content.records], content)
        yield Page(content.records, cursor)
        if content.next_page is None:
            return


def advanced(cursor: Cursor, changed: Iterable[datetime | None], content: PageContent) -> Cursor:
    """The cursor after a page: mid-run it holds the next page; at the end the newest change becomes `since`."""
    seen = [stamp for stamp in (cursor.high_water, *changed) if stamp is not None]
    high_water = max(seen) if seen else None
    if content.next_page is not None:
        return Cursor(since=cursor.since, page=content.next_page, high_water=high_water)
    return Cursor(since=high_water or cursor.since, page=content.resume_from)
