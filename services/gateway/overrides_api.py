"""People correct the AI: overrides and re-triage go to the triage service as commands.

The gateway answers 202 once the command is in the broker; the correction shows in the read
model when triage's feedback.overridden (or feedback.triaged) is folded.
"""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, HTTPException, Request, status
from pydantic import BaseModel, ConfigDict, Field, model_validator

from libs.runtime.auth import Editor
from libs.runtime.service import ServiceRuntime
from libs.schemas.events import OverrideTriage, RetriageFeedback, RetriageRequest, TriageOverride
from libs.schemas.feedback import Category, Priority

router = APIRouter(prefix="/api/v1", tags=["corrections"])


class OverrideCreate(BaseModel):
    """The seed's correction: "AI says Bug, High. Correct? No: it is ..." Only what changes is sent."""

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
    reason: str | None = Field(default=None, max_length=1000)

    @model_validator(mode="after")
    def _names_items(self) -> RetriageCreate:
        if not self.all and not self.item_ids:
            raise ValueError("name item_ids, or set all to true")
        return self


class CommandAccepted(BaseModel):
    command_id: UUID


def _runtime(request: Request) -> ServiceRuntime:
    return request.app.state.runtime  # type: ignore[no-any-return]


@router.post("/feedback/{item_id}/overrides", status_code=status.HTTP_202_ACCEPTED)
async def override_triage(item_id: UUID, body: OverrideCreate, request: Request, editor: Editor) -> CommandAccepted:
    """Correct the AI's triage of one item; kept with who and when, and used as training data."""
    correction = TriageOverride(item_id=item_id, actor=editor.subject, **body.model_dump())
    command = OverrideTriage(producer="gateway", payload=correction)
    await _publish(request, command)
    return CommandAccepted(command_id=command.event_id)


@router.post("/feedback/retriage", status_code=status.HTTP_202_ACCEPTED)
async def retriage(body: RetriageCreate, request: Request, editor: Editor) -> CommandAccepted:
    """Triage items again with the current engine: some, or all."""
    payload = RetriageRequest(
        item_ids=body.item_ids, everything=body.all, requested_by=editor.subject, reason=body.reason
    )
    command = RetriageFeedback(producer="gateway", payload=payload)
    await _publish(request, command)
    return CommandAccepted(command_id=command.event_id)


async def _publish(request: Request, command: OverrideTriage | RetriageFeedback) -> None:
    try:
        await _runtime(request).publish(command)
    except Exception as error:  # the broker is away: the person must know the correction did not go through
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, f"the broker is unavailable: {type(error).__name__}"
        ) from error
