"""Notifications sent to customers about launches, and their opt-outs, under /api/v1.

An opt-out is a command to the notify service, answered 202.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status

from libs.runtime.auth import Editor, Role, require
from libs.schemas.commands import OptOut
from libs.schemas.events import SetNotificationOptOut
from services.gateway import queries
from services.gateway.api.deps import SessionDep, publish_command
from services.gateway.api.models import (
    AcceptedPublic,
    NotificationPublic,
    NotificationQuery,
    NotificationsPublic,
    OptOutCreate,
)
from services.gateway.api.routes.launches import PRODUCER
from services.gateway.read_model import NotificationView

router = APIRouter(prefix="/api/v1", dependencies=[Depends(require(Role.VIEWER))])


@router.get("/notifications")
async def list_notifications(session: SessionDep, query: Annotated[NotificationQuery, Query()]) -> NotificationsPublic:
    """The newest notifications (the in-app inbox among them), sent or failed, with filters."""
    rows, total = await queries.list_notifications(session, query)
    return NotificationsPublic(items=[_notification(row) for row in rows], total=total)


@router.post("/notifications/opt-outs", status_code=status.HTTP_202_ACCEPTED)
async def set_opt_out(request: Request, principal: Editor, body: OptOutCreate) -> AcceptedPublic:
    """Stop (or, with opted_out false, resume) telling a customer about launches, on a channel or on all."""
    command = SetNotificationOptOut(producer=PRODUCER, payload=OptOut(**body.model_dump(), actor=principal.subject))
    await publish_command(request, command)
    return AcceptedPublic(id=command.event_id, command_id=command.event_id)


def _notification(row: NotificationView) -> NotificationPublic:
    return NotificationPublic.model_validate(
        row.model_dump(exclude={"notification_id", "updated_at"}) | {"id": row.notification_id}
    )
