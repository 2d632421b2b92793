"""People correct the AI: overrides and re-triage go to the triage service as commands.

The gateway answers 202 once the command is in the broker; the correction shows in the read
model when triage's feedback.overridden (or feedback.triaged) is folded. "Not a duplicate" also
goes to dedupe, which owns the links, as MarkNotDuplicate; triage keeps it as training data.
"""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request, status
from pydantic import BaseModel, ConfigDict, Field, model_validator

from libs.runtime.auth import Editor
from libs.schemas.commands import MarkNotDuplicate
from libs.schemas.events import DedupeCommand, OverrideTriage, RetriageFeedback, RetriageRequest, TriageOverride
from libs.schemas.feedback import Category, Priority
from services.gateway.deps import BROKER_AWAY, publish_command

router = APIRouter(prefix="/api/v1", tags=["corrections"])


class OverrideCreate(BaseModel):
    """The spec's correction: "AI says Bug, High. Correct? No: it is ..." Only what changes is sent."""

    model_config = ConfigDict(extra="forbid")

    category: Category | None = None
    priority: Priority | None = None
    tags: list[str] | None = Field(default=None, max_length=5)
    product_area: str | None = Field(default=None, max_length=100)
    not_duplicate: bool | None = None
    reason: str | None = Field(default=None, max_length=1000)

    @model_validator(mode="after")
    def _changes_something(self) -> OverrideCreate:
        if all(
            getattr(self, name) is None for name in ("category", "priority", "tags", "product_area", "not_duplicate")
        ):
            raise ValueError(
                "an override changes at least one of category, priority, tags, product_area, not_duplicate"
            )
        return self


class RetriageCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    item_ids: list[UUID] = Field(default_factory=list, max_length=10_000)
    all: bool = False
    # Every item whose ai_triage is degraded (the local fallback's), by Mistral if it answers.
    degraded: bool = False
    reason: str | None = Field(default=None, max_length=1000)

    @model_validator(mode="after")
    def _names_items(self) -> RetriageCreate:
        if not self.all and not self.item_ids and not self.degraded:
            raise ValueError("name item_ids, or set all or degraded to true")
        return self


class CommandAccepted(BaseModel):
    command_id: UUID


class NotDuplicateCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(default=None, max_length=1000)


@router.post("/feedback/{item_id}/overrides", status_code=status.HTTP_202_ACCEPTED, responses=BROKER_AWAY)
async def override_triage(item_id: UUID, body: OverrideCreate, request: Request, editor: Editor) -> CommandAccepted:
    """Correct the AI's triage of one item; kept with who and when, and used as training data."""
    correction = TriageOverride(item_id=item_id, actor=editor.subject, **body.model_dump())
    if body.not_duplicate:
        await _mark_not_duplicate(request, item_id, editor.subject, body.reason)
    command = OverrideTriage(producer="gateway", payload=correction)
    await publish_command(request, command)
    return CommandAccepted(command_id=command.event_id)


@router.post("/feedback/{item_id}/not-duplicate", status_code=status.HTTP_202_ACCEPTED, responses=BROKER_AWAY)
async def not_duplicate(
    item_id: UUID, request: Request, editor: Editor, body: NotDuplicateCreate | None = None
) -> CommandAccepted:
    """The model's duplicate link is wrong: dedupe breaks it and never suggests that parent again."""
    reason = body.reason if body else None
    command_id = await _mark_not_duplicate(request, item_id, editor.subject, reason)
    correction = TriageOverride(item_id=item_id, actor=editor.subject, not_duplicate=True, reason=reason)
    await publish_command(request, OverrideTriage(producer="gateway", payload=correction))
    return CommandAccepted(command_id=command_id)


async def _mark_not_duplicate(request: Request, item_id: UUID, actor: str, reason: str | None) -> UUID:
    """Tell dedupe, which owns the links; the id of the command sent."""
    command = DedupeCommand(producer="gateway", payload=MarkNotDuplicate(item_id=item_id, actor=actor, reason=reason))
    await publish_command(request, command)
    return command.event_id


@router.post("/feedback/retriage", status_code=status.HTTP_202_ACCEPTED, responses=BROKER_AWAY)
async def retriage(body: RetriageCreate, request: Request, editor: Editor) -> CommandAccepted:
    """Triage items again with the current engine: some, or all; or the degraded ones with Mistral."""
    payload = RetriageRequest(
        item_ids=body.item_ids,
        everything=body.all,
        degraded=body.degraded,
        requested_by=editor.subject,
        reason=body.reason,
    )
    command = RetriageFeedback(producer="gateway", payload=payload)
    await publish_command(request, command)
    return CommandAccepted(command_id=command.event_id)
