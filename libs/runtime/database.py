"""Async engines and migrations: SQLite per service (embedded) or a schema per service (Postgres)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Hashable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import DateTime, TypeDecorator, event, inspect, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.orm.util import identity_key
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.runtime.settings import ServiceSettings

M = TypeVar("M")
K = TypeVar("K", bound=Hashable)

RUNTIME_MIGRATIONS = Path(__file__).parent / "migrations"


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC timestamp on both dialects: SQLite would otherwise drop the offset silently."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else _as_utc(value)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else _as_utc(value)


def _as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# A file missing or out of reach is no outage: waiting would not bring it back.
NOT_AN_OUTAGE = (FileNotFoundError, FileExistsError, IsADirectoryError, NotADirectoryError, PermissionError)


def is_transient(error: BaseException) -> bool:
    """A dependency that is down (database, broker, an API): a consumer waits for it and never
    dead-letters the message; a request is refused with a 503 that asks for it again.

    OSError covers refused and reset connections, timeouts and unresolved hosts, and asyncpg's
    "Multiple exceptions" when every address of a host refuses.
    """
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    if isinstance(error, NOT_AN_OUTAGE):
        return False
    return isinstance(error, OperationalError | InterfaceError | OSError)


def database_url(settings: ServiceSettings, service: str) -> str:
    if settings.database_url:
        return settings.database_url
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite+aiosqlite:///{settings.data_dir.resolve() / f'{service}.db'}"


def is_postgres(engine: AsyncEngine) -> bool:
    return engine.dialect.name == "postgresql"


def make_engine(url: str, service: str) -> AsyncEngine:
    """An engine whose unqualified tables live in the service's own schema (Postgres) or file (SQLite)."""
    if url.startswith("sqlite"):
        # One connection per process: SQLite has one writer at a time, and queueing on the pool beats
        # its busy handler, which sleeps up to 100 ms between retries.
        engine = create_async_engine(url, connect_args={"timeout": 30}, pool_size=1, max_overflow=0)

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    engine = create_async_engine(url, pool_size=5, max_overflow=5, pool_pre_ping=True)
    return engine.execution_options(schema_translate_map={None: service})


def upsert_insert(session: AsyncSession) -> Callable[..., Any]:
    """The dialect's INSERT, which knows ON CONFLICT (SQLite and PostgreSQL spell it alike)."""
    return pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert  # type: ignore[union-attr]


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


async def migrate(engine: AsyncEngine, service: str, versions: Path, revision: str = "heads") -> None:
    """Bring the service's tables to the newest revision (the shared inbox first, then its own), or to `revision`."""
    async with engine.begin() as connection:
        if is_postgres(engine):
            # Replicas starting together would race on CREATE SCHEMA and on Alembic's version table.
            await connection.execute(text("SELECT pg_advisory_xact_lock(hashtext(:service))"), {"service": service})
            await connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{service}"'))
        await connection.run_sync(_upgrade, service, versions, is_postgres(engine), revision)


def _upgrade(connection: Connection, service: str, versions: Path, postgres: bool, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(RUNTIME_MIGRATIONS))
    config.set_main_option("version_locations", f"{RUNTIME_MIGRATIONS / 'versions'} {versions}")
    config.set_main_option("path_separator", "space")
    config.attributes["connection"] = connection
    config.attributes["version_table_schema"] = service if postgres else None
    command.upgrade(config, revision)


def after_commit(session: AsyncSession, action: Callable[[], object]) -> None:
    """Run `action` once the session's transaction commits, never when it rolls back.

    For side effects that must follow the stored work, such as counters: a batch the consumer redoes message by
    message would otherwise count its first, rolled-back handling too.
    """
    event.listen(session.sync_session, "after_commit", lambda _session: action(), once=True)


async def get_many(session: AsyncSession, model: type[M], keys: Collection[K]) -> dict[K, M]:
    """The rows of `model` with these primary keys, by key: `session.get` for many at once.

    Rows the session holds already come from it (a SELECT would hand back these same objects: the
    session never overwrites what it holds); one query fetches the others.
    """
    identity_map = session.sync_session.identity_map
    found: dict[K, M] = {}
    for key in keys:
        row = identity_map.get(identity_key(model, key))
        if row is not None and not inspect(row).expired_attributes:
            found[key] = row
    if missing := [key for key in keys if key not in found]:
        (key_column,) = inspect(model).primary_key
        result = await session.exec(select(model).where(key_column.in_(missing)))
        found |= {getattr(row, key_column.key): row for row in result.all()}
    return found
