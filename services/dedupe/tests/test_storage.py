"""The service's queries that carry logic of their own, on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID, uuid4

import pytest

from libs.runtime import database
from libs.runtime.database import make_engine, migrate, session_factory
from libs.runtime.service import ServiceRuntime
from libs.runtime.testing import quick_settings
from services.dedupe import storage
from services.dedupe.settings import DedupeSettings
from services.dedupe.storage import LinkRecord, ThemeItemRecord

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"


def link(item_id: UUID, duplicate_of: UUID | None, state: str = "suggested") -> LinkRecord:
    return LinkRecord(item_id=item_id, duplicate_of=duplicate_of, state=state, actor="dedupe", changed_at=NOW)


async def test_the_vote_root_is_found_up_a_long_chain_stops_at_an_unlinked_item_and_a_cycle_is_an_error(
    tmp_path: Path, database_url: str | None
) -> None:
    settings = quick_settings(DedupeSettings, "127.0.0.1:1", tmp_path, database_url)
    runtime = ServiceRuntime.create("dedupe", settings, MIGRATIONS)
    await migrate(runtime.engine, "dedupe", MIGRATIONS)
    # A popular request: each new duplicate linked to the one before it, 40 deep; its first item unlinked.
    chain = [uuid4() for _ in range(41)]
    rejected, behind_rejected = uuid4(), uuid4()
    loop = [uuid4() for _ in range(3)]
    records = [link(chain[0], None, "standalone")]
    records += [
        link(child, parent, "merged" if n % 2 else "suggested")
        for n, (parent, child) in enumerate(itertools.pairwise(chain))
    ]
    # A link a person broke does not count: the walk stops there.
    records += [link(rejected, chain[5], "not_duplicate"), link(behind_rejected, rejected)]
    records += [link(item, loop[(n + 1) % 3]) for n, item in enumerate(loop)]
    try:
        async with runtime.sessions() as session, session.begin():
            session.add_all(records)
        async with runtime.sessions() as session:
            assert await storage.vote_root(session, chain[-1]) == chain[0]
            assert await storage.vote_root(session, chain[20]) == chain[0]
            assert await storage.vote_root(session, chain[0]) == chain[0]
            assert await storage.vote_root(session, behind_rejected) == rejected
            never_linked = uuid4()
            assert await storage.vote_root(session, never_linked) == never_linked
            with pytest.raises(ValueError, match="cycle"):
                await storage.vote_root(session, loop[0])
    finally:
        await runtime.engine.dispose()


async def test_keyword_rarity_counts_every_item_placed_including_those_placed_before_the_count_was_kept(
    tmp_path: Path, database_url: str | None
) -> None:
    # A schema (PostgreSQL) or file (SQLite) of its own, to migrate from the revision before the count.
    service = f"dedupe_{uuid4().hex[:8]}"
    settings = quick_settings(DedupeSettings, "127.0.0.1:1", tmp_path, database_url)
    engine = make_engine(database.database_url(settings, service), service)
    try:
        await migrate(engine, service, MIGRATIONS, revision="dedupe_0002")
        async with session_factory(engine)() as session, session.begin():
            session.add_all([ThemeItemRecord(item_id=uuid4(), title=f"placed before {n}") for n in range(3)])
        await migrate(engine, service, MIGRATIONS)
        async with session_factory(engine)() as session, session.begin():
            assert await storage.term_frequencies(session, ["export"]) == ({}, 3)
            await storage.count_terms(session, {"export", "csv"})
            await storage.count_terms(session, set())  # a title with no word that can name a theme
            await storage.count_terms(session, {"export"})
            assert await storage.term_frequencies(session, ["export", "csv", "pdf"]) == ({"export": 2, "csv": 1}, 6)
    finally:
        await engine.dispose()
