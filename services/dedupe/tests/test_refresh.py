"""The embedding refresh, from all-MiniLM-L6-v2 to multilingual-e5-small (two real local models), on
Qdrant Edge and on a Qdrant server through qdrant-client: nothing lost, items that arrive meanwhile
kept, searches in the new space, a crash leaving the live index whole and the next start resuming."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import uuid4

import pytest
from qdrant_client import QdrantClient

from libs.ml.embeddings import E5_SMALL, MINILM, Embedder, load_embedder
from services.dedupe.adapters import EdgeStore, IndexedItem, ServerStore, VectorStore
from services.dedupe.engines import Engines
from services.dedupe.refresh import IndexRetired, Vectors

pytestmark = pytest.mark.model

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
StoreAt = Callable[[Path], VectorStore]

# Ten items indexed before the refresh, and two pairs of twins: one of each pair before, one during it.
BEFORE = [
    "Webhook deliveries to our Slack channel are delayed by hours",
    "Okta SSO login loops back to the sign-in page",
    "Add a dark theme to the invoice PDF export",
    "CSV import fails on files with semicolons as separators",
    "The mobile app logs me out every time I switch apps",
    "Please add two-factor authentication with hardware keys",
    "Search results ignore accented characters in customer names",
    "Dashboard charts take a minute to load for large workspaces",
    "Allow exporting the audit log to S3 every night",
    "The billing page shows prices in dollars for European accounts",
]
DURING = ["Slack notifications from webhooks arrive hours late", "Let us schedule reports to be emailed every Monday"]
LATER_TWIN = "Could reports be sent by email on a weekly schedule, say Mondays?"


@dataclass
class Watched:
    """An embedder that first tells `before` the number of each of its calls (items arriving, a crash)."""

    inner: Embedder
    before: Callable[[int], None]
    calls: int = 0

    @property
    def model_name(self) -> str:
        return self.inner.model_name

    @property
    def dimension(self) -> int:
        return self.inner.dimension

    def embed(self, texts: list[str]) -> list[list[float]]:
        self.calls += 1
        self.before(self.calls)
        return self.inner.embed(texts)


def watching_e5(before: Callable[[int], None]) -> Callable[[str], Embedder]:
    """A loader whose multilingual-e5-small (the refresh's new model) is watched."""
    return lambda model: Watched(load_embedder(model), before) if model == E5_SMALL else load_embedder(model)


def edge_store(path: Path) -> VectorStore:
    return EdgeStore(path / "edge")


def server_store(path: Path) -> VectorStore:
    return ServerStore(QdrantClient(path=str(path / "qdrant")), "test-feedback")


@pytest.fixture(params=[edge_store, server_store], ids=["edge", "server"])
def store_at(request: pytest.FixtureRequest) -> StoreAt:
    return request.param


def receive(engines: Engines, texts: Sequence[str]) -> list[IndexedItem]:
    """Index items the way the handler does: the embedder and the index read together, then embed, then write."""
    embedder, index = engines.serving.embedder, engines.serving.index
    items = [
        IndexedItem(
            item_id=uuid4(), title=text, created_at=NOW - timedelta(days=n), model=embedder.model_name, text=text
        )
        for n, text in enumerate(texts)
    ]
    index.upsert_many(list(zip(items, embedder.embed(list(texts)), strict=True)))
    return items


def nearest(engines: Engines, text: str) -> str:
    [vector] = engines.serving.embedder.embed([text])
    [best] = engines.serving.index.search(vector, limit=1, exclude=uuid4())
    return best.title


def started(store: VectorStore, load: Callable[[str], Embedder] = load_embedder) -> tuple[Vectors, Engines]:
    engines = Engines()  # given its pair by Vectors.start, as the service's are
    return Vectors(store, engines, batch_size=4, load=load), engines


async def test_a_refresh_moves_every_item_to_the_new_model_and_keeps_those_that_arrive_meanwhile(
    store_at: StoreAt, tmp_path: Path
) -> None:
    arrived: list[IndexedItem] = []

    def items_arrive_mid_refresh(call: int) -> None:
        if call == 1:  # as the first page is copied (their own embedding into the new generation is call 2)
            arrived.extend(receive(engines, DURING))

    store = store_at(tmp_path)
    vectors, engines = started(store, watching_e5(items_arrive_mid_refresh))
    await vectors.start(MINILM)
    before = receive(engines, BEFORE)
    old_pair = engines.serving

    vectors.request_refresh(E5_SMALL)
    await vectors.run_requested_refresh()
    status = vectors.status

    assert status.state == "done", status.error
    # The ten copied; the two that arrived were written to both generations, so the copy skips any it meets.
    assert (status.total, status.copied) == (10, 10)
    assert status.skipped <= 2
    live = store.live()
    assert live is not None and live.model == E5_SMALL
    assert store.generations() == [live], "the old generation is dropped"
    assert engines.serving.embedder.model_name == E5_SMALL
    assert engines.serving.index.count() == 12
    stored = {item.item_id: item for page in engines.serving.index.items(page_size=50) for item in page}
    assert set(stored) == {item.item_id for item in before + arrived}
    assert {item.model for item in stored.values()} == {E5_SMALL}
    assert all(stored[item.item_id].text == item.text for item in before + arrived)
    # Searches work in the new space: twins find each other, whether indexed before or during the refresh.
    assert nearest(engines, DURING[0]) in {BEFORE[0], DURING[0]}
    assert nearest(engines, LATER_TWIN) == DURING[1]
    # A handler that took the old embedder and index before the switch is refused, and retried with the new.
    with pytest.raises(IndexRetired):
        old_pair.index.search(old_pair.embedder.embed(["x"])[0], limit=1, exclude=uuid4())
    await vectors.close()


class Crash(Exception):
    """Stands for the process dying mid-refresh: nothing after it runs."""


async def test_a_crash_mid_refresh_leaves_the_live_index_whole_and_the_next_start_resumes(
    store_at: StoreAt, tmp_path: Path
) -> None:
    def crash_after_the_first_page(call: int) -> None:
        if call > 1:
            raise Crash

    store = store_at(tmp_path)
    vectors, engines = started(store, watching_e5(crash_after_the_first_page))
    await vectors.start(MINILM)
    before = receive(engines, BEFORE)
    vectors.request_refresh(E5_SMALL)
    with pytest.raises(Crash):
        await vectors.run_requested_refresh()
    status = vectors.status

    assert (status.state, status.copied) == ("failed", 4)
    live = store.live()
    assert live is not None and live.model == MINILM
    assert engines.serving.index.count() == 10
    assert nearest(engines, "Slack notifications from webhooks arrive hours late") == BEFORE[0]
    partial = [generation for generation in store.generations() if generation != live]
    assert [generation.model for generation in partial] == [E5_SMALL]
    await vectors.close()

    # The restart, configured for the new model: it serves the old index and resumes into the partial one.
    restarted_store = store_at(tmp_path)
    restarted, engines = started(restarted_store)
    await restarted.start(E5_SMALL)
    await restarted.run_requested_refresh()  # the refresh-vectors job's run as the service starts
    status = restarted.status

    assert status.state == "done", status.error
    assert (status.total, status.skipped, status.copied) == (10, 4, 6)
    assert status.target == partial[0]
    assert restarted_store.generations() == [restarted_store.live()] == [partial[0]]
    assert {item.item_id for page in engines.serving.index.items(page_size=50) for item in page} == {
        i.item_id for i in before
    }
    assert nearest(engines, "Okta single sign-on keeps sending users back to the login page") == BEFORE[1]
    await restarted.close()


async def test_when_the_old_model_cannot_be_loaded_the_refresh_ends_before_serving(
    store_at: StoreAt, tmp_path: Path
) -> None:
    store = store_at(tmp_path)
    vectors, engines = started(store)
    await vectors.start(MINILM)
    receive(engines, BEFORE)
    await vectors.close()

    def only_e5(model: str) -> Embedder:
        if model != E5_SMALL:
            raise ValueError(f"unknown embedding model {model!r}")
        return load_embedder(model)

    restarted_store = store_at(tmp_path)
    restarted, engines = started(restarted_store, only_e5)
    await restarted.start(E5_SMALL)

    assert restarted.status.state == "done"
    assert engines.serving.embedder.model_name == E5_SMALL and engines.serving.index.count() == 10
    await restarted.close()
