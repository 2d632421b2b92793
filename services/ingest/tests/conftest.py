"""Ingest's database for a test: a fresh SQLite file with the service's migrations."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.runtime.database import make_engine, migrate, session_factory

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"


@pytest.fixture
async def sessions(tmp_path: Path) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'ingest.db'}", "ingest")
    await migrate(engine, "ingest", MIGRATIONS)
    yield session_factory(engine)
    await engine.dispose()
