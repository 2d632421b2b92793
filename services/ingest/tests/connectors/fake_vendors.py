"""A local HTTP server that answers like each vendor's REST API: its record shapes, its paging, its rate limits.

Three records to a page, whatever the client asks for, so a handful of records spans several pages.
Faults on demand: a rate-limited answer at request N, or a request that never answers (the client's
process dies while waiting). The second look-ups (an author by id, Gong's transcripts) are answered
and counted apart from the listing, with faults of their own.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from libs.connectors.records import moment
from libs.runtime.broker import free_port

PAGE = 3
ENDPOINTS = {
    "github": "/repos/acme/app/issues",
    "intercom": "/conversations/search",
    "zendesk": "/api/v2/incremental/tickets/cursor.json",
    "helpscout": "/v2/conversations",
    "linear": "/graphql",
    "jira": "/rest/api/3/search/jql",
    "canny": "/api/v1/posts/list",
    "gong": "/v2/calls/extensive",
    "chorus": "/v3/engagements",
    "hubspot": "/crm/v3/objects/notes/search",
    "salesforce": "/services/data/v60.0/query",
}
LOOKUPS = {
    "gong": "/v2/calls/transcript",
    "intercom": "/contacts/",
    "helpscout": "/v2/customers/",
    "jira": "/rest/api/3/user",
}
TRANSCRIPT_PAGE = 2
EPOCH = datetime(2026, 11, 1, tzinfo=UTC)
JSON = dict[str, Any]


def _iso(moment_: datetime) -> str:
    return moment_.strftime("%Y-%m-%dT%H:%M:%SZ")


def make_record(source: str, number: int, updated: datetime) -> JSON:
    """Record `number` in the vendor's REST shape, last changed at `updated`."""
    title, text, email = f"{source} request {number}", f"Details of request {number}.", f"user{number}@acme.io"
    created = _iso(EPOCH + timedelta(minutes=number))
    shapes: dict[str, Callable[[], JSON]] = {
        "github": lambda: {
            "id": 1000 + number,
            "number": number,
            "title": title,
            "body": text,
            "user": {"login": f"user{number}"},
            "html_url": f"https://github.com/acme/app/issues/{number}",
            "created_at": created,
            "updated_at": _iso(updated),
            **({"pull_request": {"url": "x"}} if number == 2 else {}),
        },
        "intercom": lambda: {
            "type": "conversation",
            "id": str(7000 + number),
            "created_at": int((EPOCH + timedelta(minutes=number)).timestamp()),
            "updated_at": int(updated.timestamp()),
            "source": {"subject": "", "body": f"<p>{title}</p>", "author": {"type": "user", "email": email}},
        },
        "zendesk": lambda: {
            "id": 5000 + number,
            "url": f"https://acme.zendesk.com/api/v2/tickets/{5000 + number}.json",
            "subject": title,
            "description": text,
            "created_at": created,
            "updated_at": _iso(updated),
        },
        "helpscout": lambda: {
            "id": 3000 + number,
            "number": number,
            "subject": title,
            "preview": text,
            "createdBy": {"type": "customer", "email": email},
            "createdAt": created,
            "userUpdatedAt": _iso(updated),
        },
        "linear": lambda: {
            "__typename": "Issue",
            "id": f"00000000-0000-4000-8000-{number:012d}",
            "title": title,
            "description": text,
            "url": f"https://linear.app/acme/issue/FEED-{number}",
            "createdAt": created,
            "updatedAt": _iso(updated),
            "creator": {"email": email},
            "labels": {"nodes": []},
        },
        "jira": lambda: {
            "id": str(10000 + number),
            "key": f"FEED-{number}",
            "self": f"https://acme.atlassian.net/rest/api/3/issue/{10000 + number}",
            "fields": {"summary": title, "description": text, "created": created, "updated": _iso(updated)},
        },
        "canny": lambda: {
            "id": f"post{number:04d}",
            "title": title,
            "details": text,
            "author": {"email": email},
            "created": _iso(updated),
            "score": number,
        },
        "gong": lambda: {
            "metaData": {"id": str(9000 + number), "title": title, "started": _iso(updated)},
            "parties": [{"emailAddress": email, "affiliation": "External"}],
        },
        "chorus": lambda: {
            "engagement_id": f"E{number:04d}",
            "subject": title,
            "date_time": int(updated.timestamp()),
            "participants": [{"email": email, "type": "prospect"}],
        },
        "hubspot": lambda: {
            "id": str(4000 + number),
            "properties": {"hs_note_body": f"<p>{title}</p>", "hs_lastmodifieddate": _iso(updated)},
        },
        "salesforce": lambda: {
            "attributes": {"type": "Case"},
            "Id": f"500XX{number:010d}",
            "Subject": title,
            "Description": text,
            "SuppliedEmail": email,
            "CreatedDate": created,
            "LastModifiedDate": _iso(updated),
        },
    }
    return shapes[source]()


def feedback_count(source: str, records: list[JSON]) -> int:
    """How many of the records are feedback (GitHub lists pull requests too)."""
    return sum(1 for record in records if not (source == "github" and "pull_request" in record))


@dataclass
class FakeVendor:
    source: str
    records: list[JSON] = field(default_factory=list)
    requests: list[JSON] = field(default_factory=list)
    rate_limited: set[int] = field(default_factory=set)
    """1-based numbers of the requests to answer as rate-limited."""
    unavailable: set[int] = field(default_factory=set)
    """1-based numbers of the requests to answer 503."""
    hang_at: int | None = None
    released: asyncio.Event = field(default_factory=asyncio.Event)
    served: int = 0
    """Records served, over every page."""
    people: dict[str, JSON] = field(default_factory=dict)
    """A look-up's answer by its path and query (e.g. `/contacts/c1`); others are answered 404."""
    transcripts: dict[str, list[JSON]] = field(default_factory=dict)
    """Gong: a call id's monologues."""
    sideloads: dict[str, list[JSON]] = field(default_factory=dict)
    """Zendesk: the users and organizations side-loaded with every page when the client asks for them."""
    lookups: list[JSON] = field(default_factory=list)
    lookup_rate_limited: set[int] = field(default_factory=set)
    lookup_hang_at: int | None = None

    def add(self, count: int) -> None:
        for _ in range(count):
            number = len(self.records) + 1
            self.records.append(make_record(self.source, number, EPOCH + timedelta(hours=number)))

    async def answer(self, request: Request) -> JSONResponse:
        body = await request.json() if request.method == "POST" else None
        if self.source in LOOKUPS and request.url.path.startswith(LOOKUPS[self.source]):
            return await self.look_up(request, body)
        self.requests.append(
            {"method": request.method, "path": request.url.path, "params": dict(request.query_params), "body": body}
        )
        number = len(self.requests)
        if number == self.hang_at:
            await self.released.wait()
        if number in self.rate_limited:
            return _rate_limited(self.source)
        if number in self.unavailable:
            return JSONResponse({"error": "unavailable"}, 503)
        if not request.url.path.startswith(ENDPOINTS[self.source]):
            return JSONResponse({"error": f"no such endpoint {request.url.path}"}, 404)
        since, offset = _position(self.source, request, body)
        ordered = sorted(self.records, key=lambda r: _updated(self.source, r), reverse=self.source == "canny")
        matching = [r for r in ordered if since is None or _updated(self.source, r) >= since]
        page = matching[offset : offset + PAGE]
        following = offset + PAGE if offset + PAGE < len(matching) else None
        self.served += len(page)
        shaped, status, headers = _shaped(self.source, page, following, str(request.base_url).rstrip("/"), request)
        if self.source == "zendesk" and request.query_params.get("include"):
            shaped |= {kind: self.sideloads.get(kind, []) for kind in request.query_params["include"].split(",")}
        return JSONResponse(shaped, status, headers)

    async def look_up(self, request: Request, body: Any) -> JSONResponse:
        """A second look-up: a person by id, or Gong's transcripts of some calls (two calls to a page)."""
        self.lookups.append(
            {"method": request.method, "path": request.url.path, "query": request.url.query, "body": body}
        )
        number = len(self.lookups)
        if number == self.lookup_hang_at:
            await self.released.wait()
        if number in self.lookup_rate_limited:
            return _rate_limited(self.source)
        if self.source == "gong":
            held = [call_id for call_id in body["filter"]["callIds"] if call_id in self.transcripts]
            if not held:  # Gong answers 404 when no call matches the filter
                return JSONResponse({"errors": ["No calls found corresponding to the provided filters"]}, 404)
            offset = int(body.get("cursor") or 0)
            page = held[offset : offset + TRANSCRIPT_PAGE]
            following = offset + TRANSCRIPT_PAGE
            records = {"currentPageSize": len(page), **({"cursor": str(following)} if following < len(held) else {})}
            calls = [{"callId": call_id, "transcript": self.transcripts[call_id]} for call_id in page]
            return JSONResponse({"records": records, "callTranscripts": calls})
        key = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return JSONResponse(self.people[key]) if key in self.people else JSONResponse({"message": "not found"}, 404)


def _updated(source: str, record: JSON) -> datetime:
    value = {
        "github": lambda: record["updated_at"],
        "intercom": lambda: record["updated_at"],
        "zendesk": lambda: record["updated_at"],
        "helpscout": lambda: record["userUpdatedAt"],
        "linear": lambda: record["updatedAt"],
        "jira": lambda: record["fields"]["updated"],
        "canny": lambda: record["created"],
        "gong": lambda: record["metaData"]["started"],
        "chorus": lambda: record["date_time"],
        "hubspot": lambda: record["properties"]["hs_lastmodifieddate"],
        "salesforce": lambda: record["LastModifiedDate"],
    }[source]()
    stamp = moment(value)
    assert stamp is not None
    return stamp


def _position(source: str, request: Request, body: Any) -> tuple[datetime | None, int]:
    """Where the client asks to start: its `since` (in the vendor's terms) and its page offset."""
    params = request.query_params
    if source == "github":
        return moment(params.get("since")), (int(params.get("page", 1)) - 1) * PAGE
    if source == "intercom":
        return moment(body["query"]["value"]), int(body["pagination"].get("starting_after") or 0)
    if source == "zendesk":
        if "cursor" in params:
            return None, int(params["cursor"])
        return moment(params.get("start_time")), 0
    if source == "helpscout":
        return moment(params.get("modifiedSince")), (int(params.get("page", 1)) - 1) * PAGE
    if source == "linear":
        return moment(body["variables"]["since"]), int(body["variables"].get("after") or 0)
    if source == "jira":
        found = re.search(r'updated >= "([^"]+)"', params["jql"])
        since = datetime.strptime(found.group(1), "%Y-%m-%d %H:%M").replace(tzinfo=UTC) if found else None
        return since, int(params.get("nextPageToken") or 0)
    if source == "canny":
        return None, int(body.get("skip", 0))
    if source == "gong":
        return moment(body["filter"]["fromDateTime"]), int(body.get("cursor") or 0)
    if source == "chorus":
        return moment(params.get("min_date")), int(params.get("continuation_key") or 0)
    if source == "hubspot":
        return moment(body["filterGroups"][0]["filters"][0]["value"] or None), int(body.get("after") or 0)
    found = re.search(r"LastModifiedDate >= (\S+)", params.get("q", ""))
    offset = re.search(r"/query/01g-(\d+)$", request.url.path)
    return (moment(found.group(1)) if found else None), int(offset.group(1)) if offset else 0


def _shaped(
    source: str, page: list[JSON], following: int | None, base: str, request: Request
) -> tuple[Any, int, dict[str, str]]:
    """The page in the vendor's own envelope, with its way of pointing at the next page."""
    token = str(following) if following is not None else None
    if source == "github":
        headers = {"Link": f'<{_page_url(base, request, following)}>; rel="next"'} if following is not None else {}
        return page, 200, headers
    if source == "intercom":
        pages = {"type": "pages", "next": {"starting_after": token}} if token else {"type": "pages"}
        return {"type": "conversation.list", "conversations": page, "pages": pages}, 200, {}
    if source == "zendesk":
        after = token or str(int(request.query_params.get("cursor") or 0) + len(page))
        return {"tickets": page, "after_cursor": after, "end_of_stream": token is None}, 200, {}
    if source == "helpscout":
        links = {"next": {"href": _page_url(base, request, following)}} if following is not None else {}
        return {"_embedded": {"conversations": page}, "_links": links}, 200, {}
    if source == "linear":
        info = {"hasNextPage": token is not None, "endCursor": token}
        return {"data": {"issues": {"nodes": page, "pageInfo": info}}}, 200, {}
    if source == "jira":
        return {"issues": page, "nextPageToken": token, "isLast": token is None}, 200, {}
    if source == "canny":
        return {"posts": page, "hasMore": token is not None}, 200, {}
    if source == "gong":
        return (
            {"calls": page, "records": {"currentPageSize": len(page), **({"cursor": token} if token else {})}},
            200,
            {},
        )
    if source == "chorus":
        return {"engagements": page, "continuation_key": token}, 200, {}
    if source == "hubspot":
        return {"results": page, **({"paging": {"next": {"after": token}}} if token else {})}, 200, {}
    version = request.url.path.split("/")[3]
    next_url = f"/services/data/{version}/query/01g-{following}" if following is not None else None
    return {"records": page, "done": next_url is None, "nextRecordsUrl": next_url, "totalSize": len(page)}, 200, {}


def _page_url(base: str, request: Request, offset: int) -> str:
    """The same request for the page that starts at `offset`, as page-numbered APIs link to it."""
    return f"{base}{request.url.path}?{urlencode({**request.query_params, 'page': offset // PAGE + 1})}"


def _rate_limited(source: str) -> JSONResponse:
    """A rate-limited answer as the vendor sends it: its status, and its header saying when to retry."""
    in_a_second = time.time() + 1
    if source == "github":
        return JSONResponse(
            {"message": "API rate limit exceeded"},
            403,
            {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(in_a_second) + 1)},
        )
    if source == "intercom":
        return JSONResponse({"type": "error.list"}, 429, {"X-RateLimit-Reset": str(int(in_a_second) + 1)})
    if source == "helpscout":
        return JSONResponse({"message": "Too many requests"}, 429, {"X-RateLimit-Retry-After": "1"})
    if source == "linear":
        errors = [{"message": "Rate limit exceeded", "extensions": {"code": "RATELIMITED"}}]
        return JSONResponse({"errors": errors}, 400, {"x-ratelimit-requests-reset": str(int(in_a_second * 1000))})
    return JSONResponse({"error": "rate limited"}, 429, {"Retry-After": "1"})


@asynccontextmanager
async def serving(vendor: FakeVendor) -> AsyncIterator[str]:
    """Serve the fake vendor on a free local port; yields its base URL."""
    app = Starlette(routes=[Route("/{path:path}", vendor.answer, methods=["GET", "POST"])])
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn's Server offers a flag, not an event
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        vendor.released.set()
        server.should_exit = True
        await task
