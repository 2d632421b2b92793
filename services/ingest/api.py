"""HTTP intake: one item or a bulk file; 202 only once every item is durable."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, HTTPException, Request, status
from pydantic import BaseModel

from libs.connectors.rejections import record_rejection
from libs.runtime.auth import Editor
from libs.runtime.service import ServiceRuntime
from libs.schemas.events import utcnow
from services.ingest import domain, relay, storage
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


def router(deps: Ingest) -> APIRouter:
    runtime, settings = deps.runtime, deps.settings
    api = APIRouter(prefix="/api/v1", tags=["ingest"])

    async def accept(rows: list[FeedbackCreate]) -> tuple[list[UUID], list[UUID]]:
        now = utcnow()
        events = [domain.received_event(domain.received_item(row, now)) for row in rows]
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
