"""People correct the AI: overrides and re-triage go to the triage service as commands.

The gateway answers 202 once the command is in the broker (with `wait`, once its owner had that long to refuse
it: a refusal is a 409 with the reason); the correction shows in the read
model when triage's feedback.overridden (or feedback.triaged) is folded. "Not a duplicate" also
goes to dedupe, which owns the links, as MarkNotDuplicate; triage keeps it as training data.
"""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request, status

from libs.runtime.auth import Editor
from libs.schemas.commands import MarkNotDuplicate
from libs.schemas.events import DedupeCommand, OverrideTriage, RetriageFeedback, RetriageRequest, TriageOverride
from services.gateway.api.deps import BROKER_AWAY, REFUSED, Wait, publish_command
from services.gateway.api.models import CommandAccepted, NotDuplicateCreate, OverrideCreate, RetriageCreate

router = APIRouter(prefix="/api/v1", tags=["corrections"])


@router.post("/feedback/{item_id}/overrides", status_code=status.HTTP_202_ACCEPTED, responses=BROKER_AWAY | REFUSED)
async def override_triage(
    item_id: UUID, body: OverrideCreate, request: Request, editor: Editor, wait: Wait = 0.0
) -> CommandAccepted:
    """Correct the AI's triage of one item; kept with who and when, and used as training data."""
    correction = TriageOverride(item_id=item_id, actor=editor.subject, **body.model_dump())
    if body.not_duplicate:
        await _mark_not_duplicate(request, item_id, editor.subject, body.reason)
    command = OverrideTriage(producer="gateway", payload=correction)
    await publish_command(request, command, wait)
    return CommandAccepted(command_id=command.event_id)


@router.post("/feedback/{item_id}/not-duplicate", status_code=status.HTTP_202_ACCEPTED, responses=BROKER_AWAY | REFUSED)
async def not_duplicate(
    item_id: UUID, request: Request, editor: Editor, body: NotDuplicateCreate | None = None, wait: Wait = 0.0
) -> CommandAccepted:
    """The model's duplicate link is wrong: dedupe breaks it and never suggests that parent again."""
    reason = body.reason if body else None
    correction = TriageOverride(item_id=item_id, actor=editor.subject, not_duplicate=True, reason=reason)
    await publish_command(request, OverrideTriage(producer="gateway", payload=correction))
    # The answer is dedupe's: the wait is for its outcome.
    command_id = await _mark_not_duplicate(request, item_id, editor.subject, reason, wait)
    return CommandAccepted(command_id=command_id)


async def _mark_not_duplicate(
    request: Request, item_id: UUID, actor: str, reason: str | None, wait: float = 0.0
) -> UUID:
    """Tell dedupe, which owns the links; the id of the command sent."""
    command = DedupeCommand(producer="gateway", payload=MarkNotDuplicate(item_id=item_id, actor=actor, reason=reason))
    await publish_command(request, command, wait)
    return command.event_id


@router.post("/feedback/retriage", status_code=status.HTTP_202_ACCEPTED, responses=BROKER_AWAY | REFUSED)
async def retriage(body: RetriageCreate, request: Request, editor: Editor, wait: Wait = 0.0) -> CommandAccepted:
    """Triage items again with the current engine: some, or all; or the degraded ones with Mistral."""
    payload = RetriageRequest(
        item_ids=body.item_ids,
        everything=body.all,
        degraded=body.degraded,
        requested_by=editor.subject,
        reason=body.reason,
    )
    command = RetriageFeedback(producer="gateway", payload=payload)
    await publish_command(request, command, wait)
    return CommandAccepted(command_id=command.event_id)
