"""The launches this service owns, with their checklists, and the checklist templates in effect."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import JSON, Column, Date, Text, delete
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.runtime.database import UTCDateTime
from libs.schemas.events import utcnow
from libs.schemas.launches import Launch, LaunchStatus
from services.launches.domain import LaunchState, Templates


class LaunchRecord(SQLModel, table=True):
    __tablename__ = "launches"

    id: UUID = Field(primary_key=True)
    name: str = Field(max_length=200)
    status: str = Field(max_length=20)
    team: str = Field(max_length=20)
    target_date: date = Field(sa_column=Column(Date, nullable=False))
    launch: str = Field(sa_column=Column(Text, nullable=False))
    declared_status: str = Field(max_length=20)
    status_set_by: str | None = Field(default=None, max_length=200)
    lines: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    ticks: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    shipped_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    # The launch's tracker_ref.status, queryable: the job creating tracker objects looks for "pending".
    tracker_ref_status: str | None = Field(default=None, max_length=10, index=True)
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))

    def as_state(self) -> LaunchState:
        return LaunchState.model_validate(
            {
                "launch": Launch.model_validate_json(self.launch),
                "declared_status": self.declared_status,
                "status_set_by": self.status_set_by,
                "lines": self.lines,
                "ticks": self.ticks,
                "shipped_at": self.shipped_at,
            }
        )


class TemplateRecord(SQLModel, table=True):
    """One checklist template item; `position` keeps the file's order."""

    __tablename__ = "checklist_templates"

    id: str = Field(primary_key=True, max_length=100)
    team: str = Field(max_length=20)
    key: str = Field(max_length=80)
    title: str = Field(max_length=200)
    min_complexity: str = Field(max_length=10)
    for_types: list[str] = Field(sa_column=Column(JSON, nullable=False))
    position: int


class TypeComplexityRecord(SQLModel, table=True):
    __tablename__ = "launch_type_complexity"

    type: str = Field(primary_key=True, max_length=40)
    complexity: str = Field(max_length=10)


async def get(session: AsyncSession, launch_id: UUID) -> LaunchState | None:
    record = await session.get(LaunchRecord, launch_id)
    return record.as_state() if record else None


async def save(session: AsyncSession, state: LaunchState) -> None:
    launch = state.launch
    await session.merge(
        LaunchRecord(
            id=launch.id,
            name=launch.name,
            status=launch.status.value,
            team=launch.team.value,
            target_date=launch.target_date,
            launch=launch.model_dump_json(),
            declared_status=state.declared_status.value,
            status_set_by=state.status_set_by,
            lines=[line.model_dump(mode="json") for line in state.lines],
            ticks={item_id: tick.model_dump(mode="json") for item_id, tick in state.ticks.items()},
            shipped_at=state.shipped_at,
            tracker_ref_status=launch.tracker_ref.status if launch.tracker_ref else None,
            updated_at=utcnow(),
        )
    )


async def not_shipped(session: AsyncSession) -> Sequence[LaunchState]:
    """Every launch that has not shipped yet."""
    rows = await session.exec(select(LaunchRecord).where(col(LaunchRecord.status) != LaunchStatus.SHIPPED.value))
    return [row.as_state() for row in rows.all()]


async def awaiting_tracker(session: AsyncSession) -> Sequence[LaunchState]:
    """Every launch whose tracker object is still to be created."""
    rows = await session.exec(select(LaunchRecord).where(col(LaunchRecord.tracker_ref_status) == "pending"))
    return [row.as_state() for row in rows.all()]


async def replace_templates(session: AsyncSession, templates: Templates) -> None:
    """Make the tables hold exactly these templates."""
    await session.exec(delete(TemplateRecord))
    await session.exec(delete(TypeComplexityRecord))
    session.add_all(
        TypeComplexityRecord(type=launch_type.value, complexity=complexity.value)
        for launch_type, complexity in templates.complexity.items()
    )
    position = 0
    for team, items in templates.teams.items():
        for item in items:
            session.add(
                TemplateRecord(
                    id=f"{team.value}.{item.key}",
                    team=team.value,
                    key=item.key,
                    title=item.title,
                    min_complexity=item.min_complexity.value,
                    for_types=[launch_type.value for launch_type in item.for_types],
                    position=position,
                )
            )
            position += 1


async def templates(session: AsyncSession) -> Templates:
    """The templates in effect."""
    complexity = {row.type: row.complexity for row in (await session.exec(select(TypeComplexityRecord))).all()}
    teams: dict[str, list[dict[str, Any]]] = {}
    for row in (await session.exec(select(TemplateRecord).order_by(col(TemplateRecord.position)))).all():
        teams.setdefault(row.team, []).append(row.model_dump(include={"key", "title", "min_complexity", "for_types"}))
    return Templates.model_validate({"complexity": complexity, "teams": teams})
