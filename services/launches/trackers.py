"""Linear projects and Jira fix versions as launches: their documented shapes and the status mapping. Pure.

The mapping is ours (neither vendor defines one) and configurable; its defaults are the proposal
of the connector research (SPEC.md, Linear and Jira sections):

| launch status | Linear project | Jira fix version |
| --- | --- | --- |
| shipped | status.type completed | released |
| (left as it is) | status.type canceled | archived and not released |
| at_risk | health atRisk or offTrack, or targetDate passed | overdue, or releaseDate passed |
| beta | a label or the status name holds a beta marker | the version name holds a beta marker |
| in_dev | anything else (backlog, planned, started, paused) | anything else |

Neither tool has a native Beta, hence the markers (case-insensitive).
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from libs.schemas.launches import LaunchChanges, LaunchStatus, TrackerLink


class StatusMapping(BaseModel):
    """How a tracker's state becomes a launch status."""

    model_config = ConfigDict(extra="forbid")

    beta_markers: list[str] = Field(default_factory=lambda: ["beta"])
    linear_shipped_types: list[str] = Field(default_factory=lambda: ["completed"])
    linear_ignored_types: list[str] = Field(default_factory=lambda: ["canceled"])
    linear_at_risk_health: list[str] = Field(default_factory=lambda: ["atRisk", "offTrack"])
    # A target (or release) date in the past, not shipped: at risk.
    overdue_is_at_risk: bool = True

    def is_beta(self, *names: str | None) -> bool:
        return any(marker.lower() in name.lower() for marker in self.beta_markers for name in names if name)


# --- Linear -------------------------------------------------------------------------------------


class _Vendor(BaseModel):
    """A vendor's object: its camelCase field names, fields we do not use ignored."""

    model_config = ConfigDict(extra="ignore", alias_generator=to_camel, populate_by_name=True)


class LinearProjectStatus(_Vendor):
    name: str
    type: str = Field(description="backlog, planned, started, paused, completed or canceled")


class LinearLabel(_Vendor):
    name: str


class LinearLabels(_Vendor):
    nodes: list[LinearLabel] = Field(default_factory=list)


class LinearProject(_Vendor):
    """A project as Linear's GraphQL API returns it (the fields a launch follows)."""

    id: str
    name: str
    url: str | None = None
    status: LinearProjectStatus
    health: str | None = Field(default=None, description="onTrack, atRisk or offTrack")
    start_date: date | None = None
    target_date: date | None = None
    labels: LinearLabels = Field(default_factory=LinearLabels)


def linear_status(project: LinearProject, mapping: StatusMapping, today: date) -> LaunchStatus | None:
    """The launch status a Linear project stands for; None when it says nothing (canceled)."""
    if project.status.type in mapping.linear_shipped_types:
        return LaunchStatus.SHIPPED
    if project.status.type in mapping.linear_ignored_types:
        return None
    if project.health in mapping.linear_at_risk_health or _overdue(project.target_date, mapping, today):
        return LaunchStatus.AT_RISK
    if mapping.is_beta(project.status.name, *(label.name for label in project.labels.nodes)):
        return LaunchStatus.BETA
    return LaunchStatus.IN_DEV


def linear_changes(project: LinearProject, mapping: StatusMapping, today: date) -> LaunchChanges:
    """What a launch following the project takes from it: status, start and target dates, the link."""
    return _changes(
        linear_status(project, mapping, today),
        project.start_date,
        project.target_date,
        link(project),
    )


# --- Jira ---------------------------------------------------------------------------------------


class JiraVersion(_Vendor):
    """A fix version as Jira's REST API returns it (GET /rest/api/3/project/{key}/versions)."""

    id: str
    name: str
    self_url: str | None = Field(default=None, alias="self")
    released: bool = False
    archived: bool = False
    overdue: bool = False
    start_date: date | None = None
    release_date: date | None = None


def jira_status(version: JiraVersion, mapping: StatusMapping, today: date) -> LaunchStatus | None:
    """The launch status a Jira fix version stands for; None when it says nothing (archived unreleased)."""
    if version.released:
        return LaunchStatus.SHIPPED
    if version.archived:
        return None
    if (mapping.overdue_is_at_risk and version.overdue) or _overdue(version.release_date, mapping, today):
        return LaunchStatus.AT_RISK
    if mapping.is_beta(version.name):
        return LaunchStatus.BETA
    return LaunchStatus.IN_DEV


def jira_changes(version: JiraVersion, mapping: StatusMapping, today: date) -> LaunchChanges:
    """What a launch following the fix version takes from it: status, start and release dates, the link."""
    return _changes(
        jira_status(version, mapping, today),
        version.start_date,
        version.release_date,
        link(version),
    )


# --- shared -------------------------------------------------------------------------------------


def changes(found: LinearProject | JiraVersion, mapping: StatusMapping, today: date) -> LaunchChanges:
    """What a launch takes from the tracker object it follows."""
    if isinstance(found, LinearProject):
        return linear_changes(found, mapping, today)
    return jira_changes(found, mapping, today)


def link(found: LinearProject | JiraVersion) -> TrackerLink:
    """The link a launch keeps to the tracker object it follows."""
    if isinstance(found, LinearProject):
        return TrackerLink(system="linear", id=found.id, url=found.url)
    return TrackerLink(system="jira", id=found.id, url=found.self_url)


def _overdue(target: date | None, mapping: StatusMapping, today: date) -> bool:
    return mapping.overdue_is_at_risk and target is not None and target < today


def _changes(status: LaunchStatus | None, start: date | None, target: date | None, link: TrackerLink) -> LaunchChanges:
    # Only what the tracker knows: a date it leaves empty does not clear the launch's own.
    fields: dict[str, object] = {"tracker": link}
    if status is not None:
        fields["status"] = status
    if start is not None:
        fields["start_date"] = start
    if target is not None:
        fields["target_date"] = target
    return LaunchChanges.model_validate(fields)
