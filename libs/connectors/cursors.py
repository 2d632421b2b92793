"""The sync_cursors table a service with REST syncs keeps (each in its own database), and its two queries.

Each service that syncs creates the table in its own migration (same columns); the model and the
queries are shared so that the cursor is saved the same way everywhere: in the transaction of the page.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.connectors.paging import Cursor
from libs.runtime.database import UTCDateTime, upsert_insert
from libs.schemas.events import utcnow


class SyncCursor(SQLModel, table=True):
    """Where a source's sync (of a kind: incremental, backfill) stands; saved with each page it stored."""

    __tablename__ = "sync_cursors"

    source: str = Field(primary_key=True, max_length=40)
    kind: str = Field(primary_key=True, max_length=20)
    cursor: str = Field(sa_column=Column(Text, nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


async def load_cursor(session: AsyncSession, source: str, kind: str) -> Cursor | None:
    row = await session.get(SyncCursor, (source, kind))
    return Cursor.model_validate_json(row.cursor) if row else None


async def save_cursor(session: AsyncSession, source: str, kind: str, cursor: Cursor) -> None:
    statement = upsert_insert(session)(SyncCursor).values(
        source=source, kind=kind, cursor=cursor.model_dump_json(), updated_at=utcnow()
    )
    statement = statement.on_conflict_do_update(
        index_elements=["source", "kind"],
        set_={"cursor": statement.excluded.cursor, "updated_at": statement.excluded.updated_at},
    )
    await session.exec(statement)
