"""Command payloads: what a person (through the gateway) or a service asks an owning service to do.

Each names the acting user (`actor`), so the owner records who did what. The envelopes that carry
them, one per command topic, are in events.py.
"""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from libs.schemas.launches import Launch, LaunchChanges

Actor = Annotated[str, Field(min_length=1, max_length=200, description="Who asks: a user, or a service's own job.")]
Channel = Literal["in_app", "email", "intercom", "slack"]


class _LaunchCommand(BaseModel):
    model_config = ConfigDict(extra="ignore")

    launch_id: UUID
    actor: Actor


class CreateLaunch(BaseModel):
    """Create a launch (with its checklist); the id is chosen by the sender."""

    model_config = ConfigDict(extra="ignore")

    command: Literal["create"] = "create"
    actor: Actor
    launch: Launch

    @property
    def launch_id(self) -> UUID:
        return self.launch.id


class UpdateLaunch(_LaunchCommand):
    """Change some fields of a launch; status shipped ships it."""

    command: Literal["update"] = "update"
    changes: LaunchChanges


class LinkLaunch(_LaunchCommand):
    """Link feedback items and themes to a launch (added to those already linked)."""

    command: Literal["link"] = "link"
    feedback_ids: list[UUID] = Field(default_factory=list)
    theme_ids: list[UUID] = Field(default_factory=list)


class TickChecklistItem(_LaunchCommand):
    """Tick (done) or untick a checklist item of a launch."""

    command: Literal["tick"] = "tick"
    item_id: str = Field(min_length=1, max_length=200)
    done: bool


class ReassessLaunch(_LaunchCommand):
    """Look at a launch's risk again: its target date may have come near since its last change."""

    command: Literal["reassess"] = "reassess"


LaunchCommandPayload = Annotated[
    CreateLaunch | UpdateLaunch | LinkLaunch | TickChecklistItem | ReassessLaunch, Field(discriminator="command")
]


class OptOut(BaseModel):
    """Stop (or resume) telling a customer about launches, on one channel or on all."""

    model_config = ConfigDict(extra="ignore")

    customer: str = Field(min_length=1, max_length=320, description="An email or a CRM customer id.")
    channel: Channel | None = Field(default=None, description="None: every channel.")
    opted_out: bool = True
    actor: Actor
