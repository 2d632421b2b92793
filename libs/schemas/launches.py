"""Launches: what ships when, owned by the launches service."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field


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


class Launch(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: UUID
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
