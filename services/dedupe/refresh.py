"""The embedding refresh: re-embed every item into a new generation of the index while the live one
keeps serving, then switch atomically and drop the old one.

It runs inside the dedupe service (a Qdrant Edge shard is locked to one process), as its
refresh-vectors job (jobs.py): asked for at start when the configured model is not the live
generation's, and on demand (POST /admin/vectors/refresh). While it runs, every write goes to the
live generation and, embedded by the new model, to the new one. The live pointer (live.json, or the
server's alias) moves only once the new generation holds every item, so a crash at any point leaves
the old generation live; the next start resumes into the partial one, embedding only the items it
lacks.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal, TypeVar
from uuid import UUID

import structlog
from pydantic import AwareDatetime, BaseModel

from libs.ml.embeddings import Embedder, load_embedder
from libs.schemas.events import utcnow
from services.dedupe.adapters import Entry, IndexedItem, IndexGeneration, VectorIndex, VectorStore
from services.dedupe.domain import Candidate, TimeWindow
from services.dedupe.engines import Engines

log = structlog.get_logger()
T = TypeVar("T")


class IndexRetired(RuntimeError):
    """The index was replaced by a refresh: the caller retries with the current embedder and index."""


@dataclass(frozen=True)
class _Target:
    index: VectorIndex
    embedder: Embedder


class ServingIndex:
    """The live generation as the handlers see it.

    While a refresh runs, every write also goes, embedded by the new model, into the generation
    being built. Once that one is live, this refuses every call: a handler that took the old
    embedder before the switch fails and is retried by the consumer with the new pair, so no vector
    of one model is ever searched in the other's index.
    """

    def __init__(self, live: VectorIndex) -> None:
        self.live = live
        self._target: _Target | None = None
        # Orders writes with the start of a refresh and with the copy into the new generation.
        self._writes = threading.Lock()
        self._calls = threading.Condition()
        self._active = 0
        self._retired = False

    @contextmanager
    def _call(self) -> Iterator[None]:
        with self._calls:
            if self._retired:
                raise IndexRetired("the vector index was replaced by a refresh; retry")
            self._active += 1
        try:
            yield
        finally:
            with self._calls:
                self._active -= 1
                self._calls.notify_all()

    def upsert(self, item: IndexedItem, vector: list[float]) -> None:
        """Store the item's vector in the live generation, and in the one being built."""
        self.upsert_many([(item, vector)])

    def upsert_many(self, entries: Sequence[Entry]) -> None:
        """Store the vectors in the live generation, and embedded anew in the one being built."""
        with self._call():
            with self._writes:
                self.live.upsert_many(entries)
                target = self._target
            if target is None:
                return
            # Embedded outside the lock: it is the slow part, and the copy may run meanwhile.
            moved = self._embedded(target, [item for item, _ in entries])
            with self._writes:
                target.index.upsert_many(moved)

    def search(
        self, vector: list[float], *, limit: int, exclude: UUID, window: TimeWindow | None = None
    ) -> list[Candidate]:
        with self._call():
            return self.live.search(vector, limit=limit, exclude=exclude, window=window)

    def items(self, page_size: int) -> Iterator[list[IndexedItem]]:
        pages = self.live.items(page_size)
        while True:
            with self._call():
                page = next(pages, None)
            if page is None:
                return
            yield page

    def present(self, item_ids: Collection[UUID]) -> set[UUID]:
        with self._call():
            return self.live.present(item_ids)

    def vectors(self, item_ids: Collection[UUID]) -> dict[UUID, list[float]]:
        with self._call():
            return self.live.vectors(item_ids)

    def count(self) -> int:
        with self._call():
            return self.live.count()

    def flush(self) -> None:
        """Flush the live generation, and the one being built."""
        with self._call(), self._writes:
            self.live.flush()
            if self._target is not None:
                self._target.index.flush()

    def close(self) -> None:
        """Refuse further calls, wait for those under way, and close the live generation."""
        self.retire()
        self.live.close()

    def begin(self, index: VectorIndex, embedder: Embedder) -> None:
        """From now on, write every item to `index` too, embedded by `embedder`."""
        with self._writes:
            self._target = _Target(index, embedder)

    def copy(self, items: Sequence[IndexedItem]) -> int:
        """Embed into the new generation the items it lacks; how many that was."""
        target = self._target
        if target is None:
            raise RuntimeError("no refresh is under way")
        already = target.index.present([item.item_id for item in items])
        lacking = [item for item in items if item.item_id not in already]
        if not lacking:
            return 0
        moved = self._embedded(target, lacking)
        with self._writes:
            # A write that arrived meanwhile is newer than this copy: keep it.
            written = target.index.present([item.item_id for item, _ in moved])
            fresh = [(item, vector) for item, vector in moved if item.item_id not in written]
            target.index.upsert_many(fresh)
            target.index.flush()
        return len(fresh)

    def abandon(self) -> None:
        """Stop writing to the new generation (the refresh failed or was stopped)."""
        with self._writes:
            self._target = None

    def retire(self) -> None:
        """Refuse every further call, and wait for those under way to finish."""
        with self._calls:
            self._retired = True
            self._calls.wait_for(lambda: self._active == 0)

    @staticmethod
    def _embedded(target: _Target, items: Sequence[IndexedItem]) -> list[Entry]:
        vectors = target.embedder.embed([item.text for item in items])
        model = target.embedder.model_name
        return [(item.model_copy(update={"model": model}), vector) for item, vector in zip(items, vectors, strict=True)]


class RefreshStatus(BaseModel):
    """Where the last refresh stands (GET /admin/vectors)."""

    state: Literal["idle", "running", "done", "failed"] = "idle"
    live: IndexGeneration | None = None
    target: IndexGeneration | None = None
    # Items in the live generation when the refresh began.
    total: int = 0
    # Re-embedded by this run, and found already in the new generation (written during the
    # refresh, or copied before a crash).
    copied: int = 0
    skipped: int = 0
    started_at: AwareDatetime | None = None
    finished_at: AwareDatetime | None = None
    error: str | None = None


class RefreshRunning(RuntimeError):
    """A refresh is already under way."""


Loader = Callable[[str], Embedder]
# Called once a new generation is live, with its index and model (themes rebuild their centroids).
AfterSwitch = Callable[[VectorIndex, str], Awaitable[None]]


class Vectors:
    """The dedupe service's vectors: the live generation, the embedder that fills it, and the refresh
    that replaces both. Gives `engines` the pair to serve as it opens and as it switches."""

    def __init__(
        self,
        store: VectorStore,
        engines: Engines,
        *,
        batch_size: int,
        load: Loader = load_embedder,
        after_switch: AfterSwitch | None = None,
    ) -> None:
        self._store = store
        self._engines = engines
        self._batch_size = batch_size
        self._load = load
        self._after_switch = after_switch
        self._index: ServingIndex | None = None
        # The model a refresh was asked into and has not begun yet.
        self._asked: str | None = None
        self.live: IndexGeneration | None = None
        self.status = RefreshStatus()

    async def start(self, model: str) -> None:
        """Serve the live generation; ask for a refresh when another model filled it."""
        live = await asyncio.to_thread(self._store.live)
        if live is None:
            embedder = await asyncio.to_thread(self._load, model)
            live = await asyncio.to_thread(self._store.create, model, embedder.dimension)
            await asyncio.to_thread(self._store.switch, live)
            await self._serve(embedder, live)
        elif live.model == model:
            await self._serve(await asyncio.to_thread(self._load, model), live)
        else:
            try:
                old = await asyncio.to_thread(self._load, live.model)
            except ValueError:
                old = None
            await self._serve(old, live)
            log.info("embedding model changed: refreshing the index", live=live.model, model=model)
            self.request_refresh(model)
            if old is None:
                # Without its model the live generation cannot be searched: refresh before serving.
                try:
                    await self.run_requested_refresh()
                except Exception as error:
                    raise RuntimeError(f"the index could not be refreshed to {model}: {error}") from error
            return
        for stale in await asyncio.to_thread(self._store.generations):
            if stale != live:
                await asyncio.to_thread(self._store.drop, stale)

    def request_refresh(self, model: str) -> RefreshStatus:
        """Ask for every item to be re-embedded by `model` into a new generation, then switched to;
        the refresh-vectors job runs it."""
        if self.status.state == "running":
            raise RefreshRunning(f"a refresh to {self.status.target.model if self.status.target else model} runs")
        self._asked = model
        self.status = RefreshStatus(state="running", live=self.live, started_at=utcnow())
        return self.status

    async def run_requested_refresh(self) -> None:
        """Run the refresh asked for, if one was; a failed one raises, once its status says why."""
        if (model := self._asked) is None:
            return
        self._asked = None
        status = self.status
        try:
            await self._build_and_switch(model, status)
        except asyncio.CancelledError:
            status.state, status.error = "failed", "stopped with the service; the next start resumes it"
            raise
        except Exception as error:
            status.state, status.error = "failed", f"{type(error).__name__}: {error}"
            log.exception("vector refresh failed; the live index is unchanged", model=model)
            raise
        else:
            status.state = "done"
            log.info("vector refresh done", **status.model_dump(include={"total", "copied", "skipped"}))
        finally:
            status.finished_at = utcnow()

    async def close(self) -> None:
        """Release the index (a refresh under way was stopped with the scheduler; the next start resumes it)."""
        if self._index is not None:
            await asyncio.to_thread(self._index.close)
        await asyncio.to_thread(self._store.close)

    async def _serve(self, embedder: Embedder | None, generation: IndexGeneration) -> None:
        """Serve `generation`, searched with `embedder` (None: the index is only read, by a refresh)."""
        if embedder is not None and embedder.model_name != generation.model:
            raise ValueError(f"{generation.name} holds {generation.model} vectors, not {embedder.model_name}")
        index = await asyncio.to_thread(self._store.open, generation)
        self._index, self.live = ServingIndex(index), generation
        if embedder is not None:
            self._engines.use(embedder, self._index)

    async def _build_and_switch(self, model: str, status: RefreshStatus) -> None:
        store, serving = self._store, self._index
        assert serving is not None and self.live is not None, "start() first"
        previous = self.live
        embedder = await _in_thread(self._load, model)
        target = await _in_thread(self._target_for, model, embedder.dimension, previous)
        status.target = target
        index = await _in_thread(store.open, target)
        serving.begin(index, embedder)
        try:
            status.total = await _in_thread(serving.live.count)
            pages = serving.live.items(self._batch_size)
            while (page := await _in_thread(next, pages, None)) is not None:
                copied = await _in_thread(serving.copy, page)
                status.copied += copied
                status.skipped += len(page) - copied
            await _in_thread(store.switch, target)
        except BaseException:
            serving.abandon()
            await asyncio.to_thread(index.close)
            raise
        replacement = ServingIndex(index)
        self._index, self.live = replacement, target
        # From here a handler holding the old pair is refused and retried.
        self._engines.use(embedder, replacement)
        status.live = target
        await asyncio.to_thread(serving.close)
        await asyncio.to_thread(store.drop, previous)
        if self._after_switch is not None:
            try:
                await self._after_switch(replacement, model)
            except Exception:
                # The switch stands: what follows it (themes' centroids) is redone by the next refresh.
                log.exception("after the switch to the new vectors", model=model)

    def _target_for(self, model: str, dimension: int, live: IndexGeneration) -> IndexGeneration:
        """The partial generation of `model` a crashed refresh left, to resume, or a new one; drops the rest."""
        others = [g for g in self._store.generations() if g != live]
        resumable = [g for g in others if g.model == model and g.dimension == dimension]
        target = resumable[-1] if resumable else None
        for stale in others:
            if stale != target:
                self._store.drop(stale)
        return target or self._store.create(model, dimension)


async def _in_thread(function: Callable[..., T], *args: object) -> T:
    """Run a blocking call in a thread; when cancelled, let the thread finish first, since it may hold the index."""
    future = asyncio.ensure_future(asyncio.to_thread(function, *args))
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        await asyncio.wait([future])
        raise
