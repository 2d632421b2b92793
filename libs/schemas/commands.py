"""Command payloads: what a person (through the gateway) or a service asks an owning service to do.

Each names the acting user (`actor`), so the owner records who did what. The envelopes that carry
them, one per command topic, are in events.py.
"""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from libs.schemas.launches import Launch, LaunchChanges, TrackerRef

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


class RecordTrackerRef(_LaunchCommand):
    """The service's own job reports how creating the launch's Linear project or Jira version went."""

    command: Literal["tracker_ref"] = "tracker_ref"
    ref: TrackerRef


LaunchCommandPayload = Annotated[
    CreateLaunch | UpdateLaunch | LinkLaunch | TickChecklistItem | ReassessLaunch | RecordTrackerRef,
    Field(discriminator="command"),
]


class OptOut(BaseModel):
    """Stop (or resume) telling a customer about launches, on one channel or on all."""

    model_config = ConfigDict(extra="ignore")

    customer: str = Field(min_length=1, max_length=320, description="An email or a CRM customer id.")
    channel: Channel | None = Field(default=None, description="None: every channel.")
    opted_out: bool = True
    actor: Actor


# --- duplicates and themes (owned by the dedupe service) ------------------------------------------


class _ItemCommand(BaseModel):
    model_config = ConfigDict(extra="ignore")

    item_id: UUID
    actor: Actor
    reason: str | None = Field(default=None, max_length=1000)

    @property
    def subject_id(self) -> UUID:
        return self.item_id


class _ThemeCommand(BaseModel):
    model_config = ConfigDict(extra="ignore")

    theme_id: UUID
    actor: Actor
    reason: str | None = Field(default=None, max_length=1000)

    @property
    def subject_id(self) -> UUID:
        return self.theme_id


class MergeItems(_ItemCommand):
    """A person confirms that an item duplicates another: its votes and theme move to the parent."""

    command: Literal["merge"] = "merge"
    into_id: UUID


class UnmergeItem(_ItemCommand):
    """Undo a merge (a person's or the model's link): the item stands alone again, as before."""

    command: Literal["unmerge"] = "unmerge"


class MarkNotDuplicate(_ItemCommand):
    """The model's duplicate link is wrong: break it, and never suggest that parent again."""

    command: Literal["not_duplicate"] = "not_duplicate"


class RenameTheme(_ThemeCommand):
    command: Literal["rename_theme"] = "rename_theme"
    name: str = Field(min_length=1, max_length=200)


class MergeThemes(_ThemeCommand):
    """Fold one theme into another: its items move, the merged theme is kept as a redirect."""

    command: Literal["merge_themes"] = "merge_themes"
    into_id: UUID


class SplitTheme(_ThemeCommand):
    """Move some items of a theme into a new theme (the id is chosen by the sender)."""

    command: Literal["split_theme"] = "split_theme"
    item_ids: list[UUID] = Field(min_length=1)
    new_theme_id: UUID
    name: str | None = Field(default=None, max_length=200)


DedupeCommandPayload = Annotated[
    MergeItems | UnmergeItem | MarkNotDuplicate | RenameTheme | MergeThemes | SplitTheme,
    Field(discriminator="command"),
]
