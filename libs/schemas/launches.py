"""Launches: what ships when, and how ready each is; owned by the launches service."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Literal
from uuid import UUID

from pydantic import MISSING, AwareDatetime, BaseModel, ConfigDict, Field


class LaunchType(StrEnum):
    MAJOR_MODEL_RELEASE = "major_model_release"
    API_PLATFORM_UPDATE = "api_platform_update"
    ENTERPRISE_FEATURE = "enterprise_feature"
    EXPERIMENTAL_BETA = "experimental_beta"
    BUG_FIX_HOTFIX = "bug_fix_hotfix"
    DOCUMENTATION = "documentation"


class LaunchStatus(StrEnum):
    IN_DEV = "in_dev"
    BETA = "beta"
    AT_RISK = "at_risk"
    SHIPPED = "shipped"


class Team(StrEnum):
    ENGINEERING = "engineering"
    ML = "ml"
    PRODUCT = "product"


class Complexity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class ChecklistTeam(StrEnum):
    """The teams a launch checklist asks something of (not the team that owns the launch)."""

    ENGINEERING = "engineering"
    MARKETING = "marketing"
    SALES = "sales"
    LEGAL = "legal"
    SUPPORT = "support"


class TrackerLink(BaseModel):
    """The Linear project or Jira fix version a launch follows."""

    model_config = ConfigDict(extra="ignore")

    system: Literal["linear", "jira"]
    id: str = Field(min_length=1, max_length=200)
    url: str | None = None


class TrackerRef(BaseModel):
    """The Linear project or Jira fix version the hub creates for a new launch, and how far that has got.

    Recorded (pending) with the launch before any call; linked once the object exists (the launch then
    follows it as its `tracker`); failed when the tracker refused or every retry was spent.
    """

    model_config = ConfigDict(extra="ignore")

    system: Literal["linear", "jira"]
    status: Literal["pending", "linked", "failed"]
    id: str | None = Field(
        default=None, max_length=200, description="Linear: chosen before the call; Jira: once created."
    )
    url: str | None = None
    reason: str | None = Field(default=None, description="Why the last attempt failed.")
    attempts: int = Field(default=0, ge=0)
    requested_at: AwareDatetime
    retry_at: AwareDatetime | None = Field(default=None, description="When a pending request is tried again.")


class LaunchFields(BaseModel):
    """What people (or a tracker) set on a launch; the launches service derives the rest."""

    model_config = ConfigDict(extra="ignore")

    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=10_000)
    type: LaunchType
    status: LaunchStatus = LaunchStatus.IN_DEV
    team: Team
    owner: str | None = Field(default=None, max_length=200)
    start_date: date | None = None
    target_date: date
    theme_ids: list[UUID] = Field(default_factory=list)
    feedback_ids: list[UUID] = Field(default_factory=list)
    tracker: TrackerLink | None = None


class Launch(LaunchFields):
    id: UUID
    complexity: Complexity | None = Field(default=None, description="Follows from the type (checklist templates).")
    risk_reason: str | None = Field(default=None, description="Why the launch is at risk, when it is.")
    tracker_ref: TrackerRef | None = Field(
        default=None, description="The tracker object the hub creates for the launch (when a tracker is set up for it)."
    )


class LaunchChanges(BaseModel):
    """A partial update of a launch: only the fields present change, and null clears an optional one."""

    model_config = ConfigDict(extra="ignore")

    name: str | MISSING = Field(default=MISSING, min_length=1, max_length=200)
    description: str | MISSING = Field(default=MISSING, max_length=10_000)
    type: LaunchType | MISSING = MISSING
    status: LaunchStatus | MISSING = MISSING
    team: Team | MISSING = MISSING
    owner: str | None | MISSING = Field(default=MISSING, max_length=200)
    start_date: date | None | MISSING = MISSING
    target_date: date | MISSING = MISSING
    tracker: TrackerLink | None | MISSING = MISSING


class ChecklistItem(BaseModel):
    """One thing a team does before a launch; its id is stable across regenerations."""

    model_config = ConfigDict(extra="ignore")

    id: str = Field(description="team.key, e.g. engineering.rollback_plan")
    team: ChecklistTeam
    title: str
    done: bool = False
    done_by: str | None = Field(default=None, description="Who last ticked or unticked it.")
    done_at: AwareDatetime | None = Field(default=None, description="When it was last ticked or unticked.")


class Readiness(BaseModel):
    """Share of checklist items done, overall and per team (1.0 when there is nothing to do)."""

    model_config = ConfigDict(extra="ignore")

    overall: float = Field(ge=0, le=1)
    by_team: dict[ChecklistTeam, float]


class Checklist(BaseModel):
    model_config = ConfigDict(extra="ignore")

    items: list[ChecklistItem]
    readiness: Readiness
