"""Launches and their checklists, under /api/v1.

Reads come from the read model; every change is a command to the launches service, answered 202:
the change shows in the read model once its events are folded. With `wait`, the answer comes once the
service had that long to refuse the command: a refusal (an unknown launch or item) is a 409 with its reason.
"""

from __future__ import annotations

import calendar
from typing import Annotated, Literal
from uuid import UUID, uuid4

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.runtime.auth import Editor, Role, require
from libs.schemas.commands import CreateLaunch, LaunchCommandPayload, LinkLaunch, TickChecklistItem, UpdateLaunch
from libs.schemas.events import LaunchCommand, utcnow
from libs.schemas.launches import Launch, LaunchChanges, LaunchStatus, Team
from services.gateway import domain, queries
from services.gateway.api.deps import BROKER_AWAY, REFUSED, SessionDep, Wait, publish_command
from services.gateway.api.models import (
    AcceptedPublic,
    ChecklistItemUpdate,
    ChecklistPublic,
    LaunchCalendarPublic,
    LaunchCreate,
    LaunchListPublic,
    LaunchPublic,
    LaunchTimelinePublic,
    LaunchUpdate,
    LinksCreate,
    MonthPublic,
    QuarterPublic,
)
from services.gateway.read_model import LaunchView

PRODUCER = "gateway"

router = APIRouter(prefix="/api/v1", dependencies=[Depends(require(Role.VIEWER))])


@router.get("/launches")
async def list_launches(
    session: SessionDep,
    view: Literal["list", "calendar", "timeline"] = "list",
    launch_status: Annotated[list[LaunchStatus] | None, Query(alias="status")] = None,
    team: Annotated[list[Team] | None, Query()] = None,
    year: Annotated[
        int | None, Query(ge=1970, le=2200, description="Calendar and timeline: this year by default.")
    ] = None,
) -> LaunchListPublic | LaunchCalendarPublic | LaunchTimelinePublic:
    """Launches by target date (list), as a year's 12-month grid (calendar) or by quarter (timeline)."""
    shown_year = year or utcnow().year
    rows = await queries.list_launches(session, launch_status or (), team or (), year if view == "list" else shown_year)
    launches = [launch_public(row) for row in rows]
    if view == "calendar":
        return _calendar(launches, shown_year)
    if view == "timeline":
        return _timeline(launches, shown_year)
    return LaunchListPublic(items=launches, total=len(launches))


def _calendar(launches: list[LaunchPublic], year: int) -> LaunchCalendarPublic:
    months = [
        MonthPublic(month=number, name=calendar.month_name[number], launches=of_month)
        for number, of_month in enumerate(domain.by_month(launches, year), start=1)
    ]
    return LaunchCalendarPublic(year=year, months=months, total=sum(len(month.launches) for month in months))


def _timeline(launches: list[LaunchPublic], year: int) -> LaunchTimelinePublic:
    quarters = []
    for number, of_quarter in enumerate(domain.by_quarter(launches, year), start=1):
        first, last = domain.quarter_span(year, number)
        quarters.append(
            QuarterPublic(quarter=number, label=f"Q{number} {year}", start=first, end=last, launches=of_quarter)
        )
    distinct = {launch.id for quarter in quarters for launch in quarter.launches}
    return LaunchTimelinePublic(year=year, quarters=quarters, total=len(distinct))


@router.post("/launches", status_code=status.HTTP_202_ACCEPTED, responses=BROKER_AWAY | REFUSED)
async def create_launch(request: Request, principal: Editor, body: LaunchCreate, wait: Wait = 0.0) -> AcceptedPublic:
    """Create a launch (its checklist follows from its type); it shows in the lists once created."""
    launch = Launch(id=uuid4(), **body.model_dump())
    return await _send(request, None, CreateLaunch(actor=principal.subject, launch=launch), wait)


@router.get("/launches/{launch_id}", responses={404: {"description": "No such launch (yet)."}})
async def get_launch(session: SessionDep, launch_id: UUID) -> LaunchPublic:
    """One launch."""
    return launch_public(await _launch_row(session, launch_id))


@router.patch(
    "/launches/{launch_id}",
    status_code=status.HTTP_202_ACCEPTED,
    responses={404: {"description": "No such launch (yet)."}, **BROKER_AWAY, **REFUSED},
)
async def update_launch(
    request: Request, session: SessionDep, principal: Editor, launch_id: UUID, body: LaunchUpdate, wait: Wait = 0.0
) -> AcceptedPublic:
    """Change the fields sent; status shipped ships the launch (and its customers hear of it, once)."""
    if not body.model_fields_set:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "nothing to change")
    await _launch_row(session, launch_id)
    changes = LaunchChanges.model_validate(body.model_dump())
    return await _send(
        request, session, UpdateLaunch(launch_id=launch_id, actor=principal.subject, changes=changes), wait
    )


@router.post(
    "/launches/{launch_id}/links",
    status_code=status.HTTP_202_ACCEPTED,
    responses={404: {"description": "No such launch (yet)."}, **BROKER_AWAY, **REFUSED},
)
async def link_launch(
    request: Request, session: SessionDep, principal: Editor, launch_id: UUID, body: LinksCreate, wait: Wait = 0.0
) -> AcceptedPublic:
    """Link feedback items and themes to the launch; those already linked stay."""
    await _launch_row(session, launch_id)
    command = LinkLaunch(
        launch_id=launch_id, actor=principal.subject, feedback_ids=body.feedback_ids, theme_ids=body.theme_ids
    )
    return await _send(request, session, command, wait)


@router.get("/launches/{launch_id}/checklist", responses={404: {"description": "No such launch (yet)."}})
async def get_checklist(session: SessionDep, launch_id: UUID) -> ChecklistPublic:
    """The launch's checklist: each item with who ticked it and when, and the readiness per team and overall."""
    return _checklist(await _launch_row(session, launch_id))


@router.patch(
    "/launches/{launch_id}/checklist/{item_id}",
    status_code=status.HTTP_202_ACCEPTED,
    responses={404: {"description": "No such launch or item."}, **BROKER_AWAY, **REFUSED},
)
async def tick_checklist_item(
    request: Request,
    session: SessionDep,
    principal: Editor,
    launch_id: UUID,
    item_id: str,
    body: ChecklistItemUpdate,
    wait: Wait = 0.0,
) -> AcceptedPublic:
    """Tick (done true) or untick an item; who and when are recorded."""
    checklist = _checklist(await _launch_row(session, launch_id))
    if item_id not in {item.id for item in checklist.items}:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"launch {launch_id} has no checklist item {item_id}")
    command = TickChecklistItem(launch_id=launch_id, actor=principal.subject, item_id=item_id, done=body.done)
    return await _send(request, session, command, wait)


# --- helpers ------------------------------------------------------------------------------------


def launch_public(row: LaunchView) -> LaunchPublic:
    return LaunchPublic.model_validate(row.launch | {"shipped_at": row.shipped_at, "readiness": row.readiness})


async def _launch_row(session: AsyncSession, launch_id: UUID) -> LaunchView:
    row = await queries.get_launch(session, launch_id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"launch {launch_id} not found")
    return row


def _checklist(row: LaunchView) -> ChecklistPublic:
    checklist = row.checklist or {"items": [], "readiness": {"overall": 1.0, "by_team": {}}}
    return ChecklistPublic.model_validate(checklist | {"launch_id": row.launch_id, "launch_name": row.name})


async def _send(
    request: Request, session: AsyncSession | None, payload: LaunchCommandPayload, wait: float
) -> AcceptedPublic:
    command = LaunchCommand(producer=PRODUCER, payload=payload)
    await publish_command(request, command, wait, session)
    return AcceptedPublic(id=payload.launch_id, command_id=command.event_id)
