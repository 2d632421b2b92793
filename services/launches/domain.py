"""Launch lifecycle rules: commands applied to a launch, its checklist, readiness and risk. Pure: no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal
from uuid import NAMESPACE_URL, UUID, uuid5

from pydantic import BaseModel, ConfigDict, Field, model_validator

from libs.schemas.commands import (
    CreateLaunch,
    LaunchCommandPayload,
    LinkLaunch,
    ReassessLaunch,
    RecordTrackerRef,
    TickChecklistItem,
)
from libs.schemas.launches import (
    Checklist,
    ChecklistItem,
    ChecklistTeam,
    Complexity,
    Launch,
    LaunchChanges,
    LaunchStatus,
    LaunchType,
    Readiness,
    TrackerLink,
    TrackerRef,
)

RANK = {Complexity.LOW: 0, Complexity.MEDIUM: 1, Complexity.HIGH: 2}


class Rejected(Exception):
    """A command that can never apply (an unknown launch or item, a launch created twice)."""


# --- checklist templates ------------------------------------------------------------------------


class TemplateItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str = Field(min_length=1, max_length=200)
    min_complexity: Complexity = Complexity.LOW
    # Also on these types, whatever their complexity.
    for_types: list[LaunchType] = Field(default_factory=list)


class Templates(BaseModel):
    """The checklist templates: each launch type's complexity, and what each team is asked for."""

    model_config = ConfigDict(extra="forbid")

    complexity: dict[LaunchType, Complexity]
    teams: dict[ChecklistTeam, list[TemplateItem]]

    @model_validator(mode="after")
    def _complete_and_unique(self) -> Templates:
        if missing := set(LaunchType) - set(self.complexity):
            raise ValueError(f"no complexity for {sorted(missing)}")
        for team, items in self.teams.items():
            keys = [item.key for item in items]
            if len(keys) != len(set(keys)):
                raise ValueError(f"a key appears twice in the {team.value} items")
        return self


class Line(BaseModel):
    """A checklist item as generated from a template, before anyone ticks it."""

    id: str
    team: ChecklistTeam
    title: str


class Tick(BaseModel):
    """The last tick or untick of an item, kept even when a regeneration drops the item."""

    done: bool
    by: str
    at: datetime


def checklist_lines(launch_type: LaunchType, templates: Templates) -> list[Line]:
    """The items a launch of this type is asked for: more for a complex type, fewer for a simple one."""
    rank = RANK[templates.complexity[launch_type]]
    return [
        Line(id=f"{team.value}.{item.key}", team=team, title=item.title)
        for team, items in templates.teams.items()
        for item in items
        if rank >= RANK[item.min_complexity] or launch_type in item.for_types
    ]


def checklist(lines: list[Line], ticks: dict[str, Tick]) -> Checklist:
    """The lines with who ticked each and when, and the readiness they add up to."""
    items = []
    for line in lines:
        tick = ticks.get(line.id)
        items.append(
            ChecklistItem(
                **line.model_dump(),
                done=tick.done if tick else False,
                done_by=tick.by if tick else None,
                done_at=tick.at if tick else None,
            )
        )
    return Checklist(items=items, readiness=readiness(items))


def readiness(items: list[ChecklistItem]) -> Readiness:
    """The share of items done, overall and for each team that has items."""
    by_team: dict[ChecklistTeam, list[bool]] = {}
    for item in items:
        by_team.setdefault(item.team, []).append(item.done)
    return Readiness(
        overall=_share([item.done for item in items]),
        by_team={team: _share(done) for team, done in by_team.items()},
    )


def _share(done: list[bool]) -> float:
    return sum(done) / len(done) if done else 1.0


# --- risk ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RiskRules:
    """At risk when the target is this near (in days) and the checklist is less done than this."""

    days_before_target: int
    min_readiness: float


def assess(
    declared: LaunchStatus, set_by: str | None, target: date, ready: float, today: date, rules: RiskRules
) -> tuple[LaunchStatus, str | None]:
    """The status a launch shows, and why it is at risk when it is: a person's word, or the dates and checklist."""
    if declared == LaunchStatus.SHIPPED:
        return declared, None
    if declared == LaunchStatus.AT_RISK:
        return declared, f"marked at risk by {set_by}" if set_by else "marked at risk"
    days_left = (target - today).days
    if days_left < 0:
        return LaunchStatus.AT_RISK, f"the target date {target.isoformat()} has passed"
    if days_left <= rules.days_before_target and ready < rules.min_readiness:
        return LaunchStatus.AT_RISK, (
            f"{days_left} days to the target date and the checklist is {ready:.0%} done "
            f"(below {rules.min_readiness:.0%})"
        )
    return declared, None


# --- applying commands --------------------------------------------------------------------------


class LaunchState(BaseModel):
    """Everything the launches service keeps about one launch."""

    launch: Launch
    declared_status: LaunchStatus = Field(description="What a person or a tracker said; launch.status may add risk.")
    status_set_by: str | None = None
    lines: list[Line]
    ticks: dict[str, Tick] = Field(default_factory=dict)
    shipped_at: datetime | None = None

    @property
    def checklist(self) -> Checklist:
        return checklist(self.lines, self.ticks)


@dataclass(frozen=True)
class Context:
    """What applying a command depends on besides the launch: the time, the templates, the risk rules."""

    now: datetime
    templates: Templates
    rules: RiskRules
    # The tracker a new launch creates its object in (None: none is set up for it).
    creates_in: Literal["linear", "jira"] | None = None


def apply(state: LaunchState | None, command: LaunchCommandPayload, context: Context) -> LaunchState:
    """The launch after the command; raises Rejected when the command can never apply."""
    if isinstance(command, CreateLaunch):
        if state is not None:
            raise Rejected(f"launch {command.launch.id} exists already")
        return _created(command, context)
    if state is None:
        raise Rejected(f"no launch {command.launch_id}")
    match command:
        case LinkLaunch():
            launch = state.launch.model_copy(
                update={
                    "feedback_ids": _union(state.launch.feedback_ids, command.feedback_ids),
                    "theme_ids": _union(state.launch.theme_ids, command.theme_ids),
                }
            )
            return _settled(state.model_copy(update={"launch": launch}), context)
        case TickChecklistItem():
            if command.item_id not in {line.id for line in state.lines}:
                raise Rejected(f"launch {command.launch_id} has no checklist item {command.item_id}")
            tick = Tick(done=command.done, by=command.actor, at=context.now)
            return _settled(state.model_copy(update={"ticks": state.ticks | {command.item_id: tick}}), context)
        case ReassessLaunch():
            return _settled(state, context)
        case RecordTrackerRef():
            return _settled(_with_tracker_ref(state, command.ref), context)
    return _updated(state, command.changes.model_dump(), command.actor, context)


def _created(command: CreateLaunch, context: Context) -> LaunchState:
    launch = command.launch
    if context.creates_in and launch.tracker is None:
        # Recorded with the launch, before any call: the job that creates the object works from it.
        launch = launch.model_copy(update={"tracker_ref": tracker_request(launch.id, context.creates_in, context.now)})
    state = LaunchState(
        launch=launch,
        declared_status=launch.status,
        status_set_by=command.actor,
        lines=checklist_lines(launch.type, context.templates),
    )
    return _settled(state, context)


def _updated(state: LaunchState, changes: dict[str, object], actor: str, context: Context) -> LaunchState:
    # The launch's own status is derived; a change of status changes what was declared.
    declared = changes.pop("status", state.declared_status)
    launch = Launch.model_validate(state.launch.model_dump() | changes)
    updates: dict[str, object] = {"launch": launch}
    if declared != state.declared_status:
        updates |= {"declared_status": declared, "status_set_by": actor}
    if launch.type != state.launch.type:
        updates["lines"] = checklist_lines(launch.type, context.templates)
    return _settled(state.model_copy(update=updates), context)


def _settled(state: LaunchState, context: Context) -> LaunchState:
    """Derive what follows from the rest: complexity, the status shown with its risk, when it shipped."""
    status, reason = assess(
        state.declared_status,
        state.status_set_by,
        state.launch.target_date,
        state.checklist.readiness.overall,
        context.now.date(),
        context.rules,
    )
    launch = state.launch.model_copy(
        update={
            "complexity": context.templates.complexity[state.launch.type],
            "status": status,
            "risk_reason": reason,
        }
    )
    shipped_at = state.shipped_at or (context.now if status == LaunchStatus.SHIPPED else None)
    return state.model_copy(update={"launch": launch, "shipped_at": shipped_at})


def ships_now(before: LaunchState | None, after: LaunchState) -> bool:
    """A launch announces it shipped once: the first time it reaches Shipped (a reopened one keeps its date)."""
    return after.shipped_at is not None and (before is None or before.shipped_at is None)


def needs_reassessment(state: LaunchState, today: date, rules: RiskRules) -> bool:
    """Whether the passing of time alone has changed the status the launch shows."""
    shown = (state.launch.status, state.launch.risk_reason)
    ready = state.checklist.readiness.overall
    return assess(state.declared_status, state.status_set_by, state.launch.target_date, ready, today, rules) != shown


def _union(current: list[UUID], added: list[UUID]) -> list[UUID]:
    return list(dict.fromkeys([*current, *added]))


def tracker_update(state: LaunchState, changes: LaunchChanges) -> LaunchChanges | None:
    """Only what a tracker says that differs from the launch (its declared status, dates, link); None if nothing."""
    current = LaunchChanges.model_validate(
        {
            "status": state.declared_status,
            "start_date": state.launch.start_date,
            "target_date": state.launch.target_date,
            "tracker": state.launch.tracker,
        }
    ).model_dump(mode="json")
    incoming = changes.model_dump(mode="json")
    differing = {name: value for name, value in incoming.items() if current.get(name) != value}
    return LaunchChanges.model_validate(differing) if differing else None


# --- creating the launch's tracker object -------------------------------------------------------


@dataclass(frozen=True)
class RetryPolicy:
    """How often a tracker object is tried before the request is recorded as failed, and the backoff between."""

    attempts: int
    backoff_seconds: float
    max_backoff_seconds: float = 3600.0


def linear_project_id(launch_id: UUID) -> str:
    """The id the launch's Linear project gets: chosen by us (Linear takes any UUID v4), so a retry finds it."""
    return str(UUID(bytes=uuid5(NAMESPACE_URL, f"prodops:linear-project/{launch_id}").bytes, version=4))


def tracker_request(launch_id: UUID, system: Literal["linear", "jira"], now: datetime) -> TrackerRef:
    """A request, not yet tried, to create the launch's object in a tracker."""
    project_id = linear_project_id(launch_id) if system == "linear" else None
    return TrackerRef(system=system, status="pending", id=project_id, requested_at=now)


def tracker_linked(ref: TrackerRef, link: TrackerLink) -> TrackerRef:
    """The request done: the object exists, and the launch follows it."""
    done = {"status": "linked", "id": link.id, "url": link.url, "reason": None, "retry_at": None}
    return ref.model_copy(update=done | {"attempts": ref.attempts + 1})


def tracker_attempt_failed(
    ref: TrackerRef, reason: str, retryable: bool, now: datetime, policy: RetryPolicy
) -> TrackerRef:
    """Pending again, later (with exponential backoff), or failed: refused, or out of attempts."""
    attempts = ref.attempts + 1
    if not retryable or attempts >= policy.attempts:
        return ref.model_copy(update={"status": "failed", "reason": reason, "attempts": attempts, "retry_at": None})
    wait = min(policy.backoff_seconds * 2 ** (attempts - 1), policy.max_backoff_seconds)
    return ref.model_copy(update={"reason": reason, "attempts": attempts, "retry_at": now + timedelta(seconds=wait)})


def tracker_due(ref: TrackerRef | None, now: datetime) -> bool:
    """Whether a creation request waits to be tried now."""
    return ref is not None and ref.status == "pending" and (ref.retry_at is None or ref.retry_at <= now)


def _with_tracker_ref(state: LaunchState, ref: TrackerRef) -> LaunchState:
    current = state.launch.tracker_ref
    if current is not None and current.status == "linked" and ref.status != "linked":
        return state  # a late report of an earlier attempt does not undo the link
    updates: dict[str, object] = {"tracker_ref": ref}
    # Once the object exists the launch follows it, unless a person linked another one meanwhile.
    if ref.status == "linked" and ref.id and state.launch.tracker is None:
        updates["tracker"] = TrackerLink(system=ref.system, id=ref.id, url=ref.url)
    return state.model_copy(update={"launch": state.launch.model_copy(update=updates)})
