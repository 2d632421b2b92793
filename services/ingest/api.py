"""HTTP intake: one item or a bulk file; 202 only once every item is durable."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response, status
from fastapi.routing import APIRoute
from pydantic import BaseModel

from libs.connectors.rejections import record_rejection
from libs.runtime.auth import Editor, Role, authorize, require
from libs.runtime.service import ServiceRuntime
from libs.schemas.events import utcnow
from services.ingest import domain, intake, relay, storage
from services.ingest.deps import Ingest
from services.ingest.domain import FeedbackCreate, RowError


class FeedbackAccepted(BaseModel):
    id: UUID
    duplicate: bool


class ImportAccepted(BaseModel):
    accepted: int
    duplicates: int
    ids: list[UUID]


class ImportRejected(BaseModel):
    message: str
    rows: list[RowError]


class ImportProblem(BaseModel):
    """A refused import: every bad row named, or why the file could not be read."""

    detail: ImportRejected | str


BULK_TYPES = ("application/json", "application/x-ndjson", "application/jsonl", "text/csv")


class EditorsFirst(APIRoute):
    """A route that refuses a caller without the editor role before its body is read.

    FastAPI reads and parses a declared body before it resolves the route's dependencies: a stranger's malformed
    JSON would be answered 422, and kept as a rejected payload. This is the `Editor` check, made first; the route's
    `Editor` parameter still names the caller, and the security scheme in the OpenAPI document.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def editors_only(request: Request) -> Response:
            await authorize(request, Role.EDITOR)
            return await handle(request)

        return editors_only


def router(deps: Ingest) -> APIRouter:
    runtime, settings = deps.runtime, deps.settings
    api = APIRouter(prefix="/api/v1", tags=["ingest"], route_class=EditorsFirst)

    async def accept(rows: list[FeedbackCreate]) -> tuple[list[UUID], list[UUID]]:
        now = utcnow()
        events = [domain.received_event(domain.received_item(row, now)) for row in rows]
        # The model's bounds keep every item well within a message; this holds should a bound ever grow.
        if too_large := [reason for event in events if (reason := intake.too_large_to_publish(event))]:
            raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, "; ".join(too_large))
        async with runtime.sessions() as session, session.begin():
            fresh, seen = await storage.store_new(session, events)
        relay.wake(deps)
        return fresh, seen

    @api.post("/feedback", status_code=status.HTTP_202_ACCEPTED, response_model=FeedbackAccepted)
    async def submit_feedback(body: FeedbackCreate, _: Editor) -> FeedbackAccepted:
        """Accept one feedback item; answers once it is stored, before it is processed."""
        fresh, seen = await accept([body])
        return FeedbackAccepted(id=(fresh or seen)[0], duplicate=bool(seen))

    @api.post(
        "/feedback/import",
        status_code=status.HTTP_202_ACCEPTED,
        response_model=ImportAccepted,
        responses={422: {"model": ImportProblem}, 413: {}, 415: {}},
        openapi_extra={"requestBody": {"content": {kind: {} for kind in BULK_TYPES}, "required": True}},
    )
    async def import_feedback(request: Request, _: Editor) -> ImportAccepted:
        """Accept a JSON array, JSON lines or CSV file of items: all of them, or none with every bad row named."""
        content_type = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
        if content_type not in BULK_TYPES:
            raise HTTPException(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE, f"send one of {', '.join(BULK_TYPES)}")
        body = await request.body()
        try:
            rows, errors = domain.parse_bulk(body, content_type)
        except ValueError as error:  # includes malformed JSON and undecodable bytes
            await _reject(runtime, body, f"unreadable import: {error}")
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"unreadable import: {error}") from error
        if errors:
            rejected = ImportRejected(
                message=f"{len(errors)} of {len(rows) + len(errors)} rows are invalid; nothing was imported",
                rows=errors,
            )
            await _reject(runtime, body, rejected.message)
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, rejected.model_dump())
        if len(rows) > settings.max_import_rows:
            raise HTTPException(
                status.HTTP_413_CONTENT_TOO_LARGE, f"at most {settings.max_import_rows} rows per import"
            )
        fresh, seen = await accept(rows)
        return ImportAccepted(accepted=len(fresh), duplicates=len(seen), ids=fresh + seen)

    return api


async def _reject(runtime: ServiceRuntime, body: bytes, reason: str) -> None:
    async with runtime.sessions() as session, session.begin():
        record_rejection(session, "api", reason, body)


def admin_router(deps: Ingest) -> APIRouter:
    admin = APIRouter(prefix="/admin/outbox", tags=["admin"], dependencies=[Depends(require(Role.ADMIN))])

    @admin.get("/set-aside")
    async def set_aside(limit: Annotated[int, Query(ge=1, le=1_000)] = 100) -> list[storage.SetAside]:
        """Outbox events the broker refuses for good (too large...), never published: the newest first, with why."""
        async with deps.runtime.sessions() as session:
            return await storage.set_aside_events(session, limit)

    return admin
