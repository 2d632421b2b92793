"""POST /webhooks/{source}: the vendor's signature is the authentication; 2xx only once durable."""

from __future__ import annotations

from uuid import UUID

import structlog
from fastapi import APIRouter, HTTPException, Request, Response, status
from pydantic import BaseModel

from libs.connectors.records import problem_of
from libs.connectors.rejections import record_rejection
from libs.schemas.events import utcnow
from services.ingest import intake, relay, storage
from services.ingest.connectors.requests import WebhookRequest
from services.ingest.deps import Ingest

log = structlog.get_logger()


class WebhookAnswer(BaseModel):
    delivery_id: str
    event: str
    duplicate: bool = False
    ids: list[UUID] = []
    updated: list[UUID] = []
    """Items already held whose content this delivery changed (announced as feedback.updated)."""


def router(deps: Ingest) -> APIRouter:
    runtime, connectors = deps.runtime, deps.connectors
    hooks = APIRouter(prefix="/webhooks", tags=["webhooks"])

    @hooks.post(
        "/{source}",
        response_model=WebhookAnswer,
        status_code=status.HTTP_202_ACCEPTED,
        responses={
            200: {"description": "a replay, or an event that carries no feedback"},
            401: {},
            404: {},
            413: {},
            422: {},
        },
    )
    async def receive(source: str, request: Request, response: Response) -> WebhookAnswer:
        """Verify a vendor's delivery over its raw bytes, then store its feedback before answering."""
        connector = connectors.get(source)
        if connector is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"unknown source {source!r}")
        body = await request.body()  # at most max_webhook_bytes: libs.runtime.body_limits refused the rest
        arrived = WebhookRequest(
            method=request.method,
            url=str(request.url),
            body=body,
            headers=dict(request.headers),
            query=dict(request.query_params),
        )
        now = utcnow()
        if refusal := connector.verify(arrived, now):
            # Anyone can cause this: what is kept is counted, bounded (jobs.prune_rejections) and has no body.
            deps.webhook_refusals.labels(connector.name.value, refusal.kind.value).inc()
            async with runtime.sessions() as session, session.begin():
                storage.record_webhook_rejection(session, source, refusal.reason)
            log.warning("webhook refused", source=source, kind=refusal.kind.value, reason=refusal.reason)
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, refusal.reason)
        try:
            event = connector.read_webhook(arrived)
        except ValueError as error:  # malformed JSON, a shape the vendor does not send, no title or text
            reason = f"unreadable {source} delivery: {problem_of(error)}"
            async with runtime.sessions() as session, session.begin():
                record_rejection(session, source, reason, body)
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, reason) from error
        events, edits = intake.received(event.feedback, now), intake.received(event.edits, now)
        item_ids = [received.payload.id for _, received in events]
        async with runtime.sessions() as session, session.begin():
            if not await storage.record_delivery(session, source, event.delivery_id, event.name, item_ids, body):
                response.status_code = status.HTTP_200_OK
                return WebhookAnswer(delivery_id=event.delivery_id, event=event.name, duplicate=True)
            stored = await intake.store_feedback(session, events, origin="webhook")
            updated = [*stored.updated, *await intake.store_edits(session, edits, origin="webhook")]
        if item_ids or updated:
            relay.wake(deps)
        else:
            response.status_code = status.HTTP_200_OK
        log.info("webhook stored", source=source, webhook_event=event.name, items=len(item_ids))
        return WebhookAnswer(delivery_id=event.delivery_id, event=event.name, ids=item_ids, updated=updated)

    return hooks
