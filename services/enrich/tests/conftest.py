from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from uuid import uuid4

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.runtime.database import make_engine, migrate, session_factory
from services.enrich.app import MIGRATIONS

Sessions = async_sessionmaker[AsyncSession]


@pytest.fixture
async def sessions(database_url: str | None, tmp_path: Path) -> AsyncIterator[Sessions]:
    """Enrich's tables, migrated, on SQLite and on PostgreSQL (a schema of its own per test, so tests don't meet)."""
    schema = f"enrich_{uuid4().hex[:10]}"
    engine = make_engine(database_url or f"sqlite+aiosqlite:///{tmp_path / 'enrich.db'}", schema)
    await migrate(engine, schema, MIGRATIONS)
    yield session_factory(engine)
    await engine.dispose()
