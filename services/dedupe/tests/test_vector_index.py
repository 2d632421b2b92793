"""Both VectorIndex implementations, Qdrant Edge and a Qdrant server through qdrant-client (its local
mode: the real client code path on a local engine), and their stores, held to the same tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import uuid4

import pytest
from qdrant_client import QdrantClient

from services.dedupe.adapters import EdgeStore, IndexedItem, QdrantEdgeIndex, ServerStore, VectorStore
from services.dedupe.domain import TimeWindow

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
StoreAt = Callable[[Path], VectorStore]


def edge_store(path: Path) -> VectorStore:
    return EdgeStore(path / "edge")


def server_store(path: Path) -> VectorStore:
    # On disk, not in memory: a new client on the same path is how a restarted service sees the server.
    return ServerStore(QdrantClient(path=str(path / "qdrant")), "test-feedback")


@pytest.fixture(params=[edge_store, server_store], ids=["edge", "server"])
def store_at(request: pytest.FixtureRequest) -> StoreAt:
    return request.param


@pytest.fixture
def store(store_at: StoreAt, tmp_path: Path) -> Iterator[VectorStore]:
    opened = store_at(tmp_path)
    yield opened
    opened.close()


def indexed(title: str, days_ago: float) -> IndexedItem:
    return IndexedItem(
        item_id=uuid4(), title=title, created_at=NOW - timedelta(days=days_ago), model="test", text=f"{title}\n\nbody"
    )


def test_index_searches_by_similarity_within_the_window_and_without_the_item_itself(store: VectorStore) -> None:
    index = store.open(store.create("test", 2))
    this, recent, old = indexed("this", 0), indexed("recent", 10), indexed("old", 60)
    index.upsert(this, [1.0, 0.0])
    index.upsert_many([(recent, [0.6, 0.8]), (old, [0.8, 0.6])])
    try:
        every = index.search([1.0, 0.0], limit=5, exclude=this.item_id)
        recent_only = index.search([1.0, 0.0], limit=5, exclude=this.item_id, window=TimeWindow.around(NOW, 30))
    finally:
        index.close()
    assert [(c.item_id, c.title, c.created_at) for c in every] == [
        (old.item_id, "old", old.created_at),
        (recent.item_id, "recent", recent.created_at),
    ]
    assert [c.score for c in every] == pytest.approx([0.8, 0.6])
    assert [c.item_id for c in recent_only] == [recent.item_id]


def test_index_upsert_is_idempotent_and_survives_a_reopen(store_at: StoreAt, tmp_path: Path) -> None:
    store = store_at(tmp_path)
    generation = store.create("test", 2)
    store.switch(generation)
    index = store.open(generation)
    item = indexed("first title", 1)
    index.upsert(item, [1.0, 0.0])
    index.upsert(item.model_copy(update={"title": "edited title"}), [0.0, 1.0])
    index.close()
    store.close()

    reopened_store = store_at(tmp_path)
    live = reopened_store.live()
    assert live == generation
    reopened = reopened_store.open(live)
    try:
        hits = reopened.search([0.0, 1.0], limit=5, exclude=uuid4())
        count = reopened.count()
    finally:
        reopened.close()
        reopened_store.close()
    assert [(c.item_id, c.title, round(c.score, 6)) for c in hits] == [(item.item_id, "edited title", 1.0)]
    assert count == 1


def test_index_lists_every_item_with_its_text_and_vector_and_tells_which_it_holds(store: VectorStore) -> None:
    index = store.open(store.create("test", 2))
    items = [indexed(f"item {n}", n) for n in range(7)]
    index.upsert_many([(item, [1.0, float(n)]) for n, item in enumerate(items)])
    stranger = uuid4()
    try:
        pages = list(index.items(page_size=3))
        present = index.present([items[0].item_id, items[6].item_id, stranger])
        vectors = index.vectors([items[1].item_id, stranger])
    finally:
        index.close()
    assert [len(page) for page in pages] == [3, 3, 1]
    listed = {item.item_id: item for page in pages for item in page}
    assert listed == {item.item_id: item for item in items}, "every field comes back, created_at and text too"
    assert present == {items[0].item_id, items[6].item_id}
    assert list(vectors) == [items[1].item_id]
    assert vectors[items[1].item_id] == pytest.approx([2**-0.5, 2**-0.5])  # stored normalised for cosine


def test_the_store_switches_the_live_generation_atomically_and_drops_the_others(
    store_at: StoreAt, tmp_path: Path
) -> None:
    store = store_at(tmp_path)
    assert store.live() is None
    first = store.create("model-a", 2)
    store.switch(first)
    second = store.create("model-b", 3)
    assert (store.live(), store.generations()) == (first, [first, second])
    assert (second.model, second.dimension) == ("model-b", 3)

    store.switch(second)
    with pytest.raises(ValueError, match="is live"):
        store.drop(second)
    store.drop(first)
    store.close()

    reopened = store_at(tmp_path)
    try:
        assert (reopened.live(), reopened.generations()) == (second, [second])
    finally:
        reopened.close()


def test_a_shard_of_another_dimension_refuses_to_open(tmp_path: Path) -> None:
    QdrantEdgeIndex.open(tmp_path / "shard", dimension=2).close()
    with pytest.raises(Exception, match="vector size"):
        QdrantEdgeIndex.open(tmp_path / "shard", dimension=3)
