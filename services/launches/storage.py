"""The launches this service owns."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from sqlalchemy import Column, Date, Text
from sqlmodel import Field, SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.runtime.database import UTCDateTime
from libs.schemas.events import utcnow
from libs.schemas.launches import Launch


class LaunchRecord(SQLModel, table=True):
    __tablename__ = "launches"

    id: UUID = Field(primary_key=True)
    name: str = Field(max_length=200)
    status: str = Field(max_length=20)
    team: str = Field(max_length=20)
    target_date: date = Field(sa_column=Column(Date, nullable=False))
    launch: str = Field(sa_column=Column(Text, nullable=False))
    shipped_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


async def get(session: AsyncSession, launch_id: UUID) -> LaunchRecord | None:
    return await session.get(LaunchRecord, launch_id)


async def save(session: AsyncSession, launch: Launch, shipped_at: datetime | None) -> None:
    await session.merge(
        LaunchRecord(
            id=launch.id,
            name=launch.name,
            status=launch.status.value,
            team=launch.team.value,
            target_date=launch.target_date,
            launch=launch.model_dump_json(),
            shipped_at=shipped_at,
            updated_at=utcnow(),
        )
    )
