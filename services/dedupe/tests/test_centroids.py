"""After a change of embedding model, theme centroids are rebuilt from the members' new vectors."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID, uuid4

import pytest

from libs.runtime.database import migrate
from libs.runtime.service import ServiceRuntime
from libs.runtime.testing import quick_settings
from services.dedupe.adapters import IndexedItem, QdrantEdgeIndex
from services.dedupe.changes import recompute_centroids
from services.dedupe.settings import DedupeSettings
from services.dedupe.storage import ThemeItemRecord, ThemeRecord

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"


def theme(merged_into: UUID | None = None) -> ThemeRecord:
    return ThemeRecord(
        id=uuid4(),
        name="t",
        name_source="keywords",
        centroid=[0.0, 1.0],
        centroid_count=3,
        centroid_model="old-model",
        merged_into=merged_into,
        created_at=NOW,
        changed_at=NOW,
        changed_by="dedupe",
    )


def indexed(item_id: UUID) -> IndexedItem:
    return IndexedItem(item_id=item_id, title="t", created_at=NOW, model="new-model", text="t")


async def test_centroids_are_rebuilt_from_the_members_vectors_of_the_new_model(
    tmp_path: Path, database_url: str | None
) -> None:
    settings = quick_settings(DedupeSettings, "127.0.0.1:1", tmp_path, database_url)
    runtime = ServiceRuntime.create("dedupe", settings, MIGRATIONS)
    await migrate(runtime.engine, "dedupe", MIGRATIONS)
    live, empty = theme(), theme()
    merged = theme(merged_into=live.id)
    a, b, gone, waiting = uuid4(), uuid4(), uuid4(), uuid4()
    index = QdrantEdgeIndex.open(tmp_path / "shard", dimension=2)
    try:
        index.upsert_many([(indexed(a), [1.0, 0.0]), (indexed(b), [0.6, 0.8]), (indexed(waiting), [0.0, 1.0])])
        assert index.vectors([a, gone]) == {a: pytest.approx([1.0, 0.0])}
        async with runtime.sessions() as session, session.begin():
            session.add_all([live, empty, merged])
            session.add_all(
                [
                    ThemeItemRecord(item_id=a, title="a", home_theme_id=live.id, theme_id=live.id),
                    ThemeItemRecord(item_id=b, title="b", home_theme_id=live.id, theme_id=live.id),
                    # A member the new index lacks is left out of the centroid; the empty theme keeps its direction.
                    ThemeItemRecord(item_id=gone, title="gone", home_theme_id=empty.id, theme_id=empty.id),
                    ThemeItemRecord(item_id=waiting, title="waiting"),
                ]
            )
        async with runtime.sessions() as session, session.begin():
            # On PostgreSQL the session's other tests left themes of their own: at least these two.
            assert await recompute_centroids(session, index, "new-model") >= 2
        async with runtime.sessions() as session:
            rebuilt = {t.id: t for t in [await session.get(ThemeRecord, t.id) for t in (live, empty, merged)] if t}
    finally:
        index.close()
        await runtime.engine.dispose()

    assert (rebuilt[live.id].centroid, rebuilt[live.id].centroid_count) == (pytest.approx([0.8, 0.4]), 2)
    assert (rebuilt[empty.id].centroid, rebuilt[empty.id].centroid_count) == ([0.0, 1.0], 0)
    assert {rebuilt[t.id].centroid_model for t in (live, empty)} == {"new-model"}
    assert rebuilt[merged.id].centroid_model == "old-model"
