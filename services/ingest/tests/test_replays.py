"""What decides a replay: a record's version against the one held (pure), and the body digests ingest_0006 gives the
deliveries held before it (SQLite and PostgreSQL). The webhook-level tests are in test_webhooks.py."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import uuid4

import sqlalchemy as sa
from sqlmodel import select

from libs.runtime import database
from libs.runtime.database import make_engine, migrate, session_factory
from libs.runtime.testing import quick_settings
from services.ingest import domain, storage
from services.ingest.settings import IngestSettings
from services.ingest.storage import WebhookDelivery

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"
T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


def test_only_a_record_dated_before_the_version_held_is_overtaken() -> None:
    assert domain.overtaken(T0, T0 + timedelta(seconds=1))
    assert not domain.overtaken(T0, T0), "the same version again: its content decides"
    assert not domain.overtaken(T0 + timedelta(seconds=1), T0)
    assert not domain.overtaken(None, T0), "a record that does not say when it changed"
    assert not domain.overtaken(T0, None), "nothing known of the version held"


async def test_deliveries_held_before_the_digest_get_it_and_a_body_held_twice_keeps_it_once(
    tmp_path: Path, database_url: str | None
) -> None:
    # A schema (PostgreSQL) or file (SQLite) of its own, to migrate from the revision before the digest.
    service = f"ingest_{uuid4().hex[:8]}"
    settings = quick_settings(IngestSettings, "127.0.0.1:1", tmp_path, database_url)
    engine = make_engine(database.database_url(settings, service), service)
    schema = service if database_url else None
    deliveries = sa.table(
        "webhook_deliveries",
        *(sa.column(name) for name in ("source", "delivery_id", "event", "item_ids", "body", "received_at")),
        schema=schema,
    )
    held = [
        ("github", "a", '{"issue": 1}', T0),
        ("github", "b", '{"issue": 1}', T0 + timedelta(minutes=1)),  # a replay under another id, taken before
        ("jira", "c", '{"issue": 1}', T0 + timedelta(minutes=2)),  # the same bytes from another source
        ("github", "d", '{"issue": 2}', T0 + timedelta(minutes=3)),
    ]
    try:
        await migrate(engine, service, MIGRATIONS, revision="ingest_0005")
        async with engine.begin() as connection:
            await connection.execute(
                deliveries.insert(),
                [
                    {"source": s, "delivery_id": d, "event": "e", "item_ids": "[]", "body": b, "received_at": t}
                    for s, d, b, t in held
                ],
            )
        await migrate(engine, service, MIGRATIONS)

        def digest(body: str) -> str:
            return hashlib.sha256(body.encode()).hexdigest()

        async with session_factory(engine)() as session:
            rows = (await session.exec(select(WebhookDelivery.delivery_id, WebhookDelivery.digest))).all()
            assert dict(rows) == {
                "a": digest('{"issue": 1}'),
                "b": None,
                "c": digest('{"issue": 1}'),
                "d": digest('{"issue": 2}'),
            }
        async with session_factory(engine)() as session, session.begin():
            replayed = await storage.record_delivery(session, "github", "new-id", "issues", [], b'{"issue": 2}')
            other = await storage.record_delivery(session, "github", "other-id", "issues", [], b'{"issue": 3}')
        assert (replayed, other) == (False, True)
    finally:
        await engine.dispose()
