"""The vector index behind a small Protocol, in two implementations: Qdrant Edge in-process (the
embedded default) and a Qdrant server through qdrant-client (production); and the stores that keep
their generations (one live, maybe one being built by a refresh) and switch between them atomically.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Collection, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol
from uuid import UUID, uuid4

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from qdrant_client import QdrantClient
from qdrant_client import models as qm
from qdrant_edge import (
    CountRequest,
    Distance,
    EdgeConfig,
    EdgeShard,
    EdgeVectorParams,
    FieldCondition,
    Filter,
    HasIdCondition,
    PayloadSchemaType,
    Point,
    Query,
    RangeFloat,
    ScrollRequest,
    SearchRequest,
    UpdateOperation,
)

from services.dedupe.domain import Candidate, TimeWindow


class IndexedItem(BaseModel):
    """What the index keeps beside an item's vector."""

    model_config = ConfigDict(frozen=True)

    item_id: UUID
    title: str
    created_at: AwareDatetime
    model: str
    # Exactly what the embedder saw: a refresh to another model embeds it again.
    text: str


Entry = tuple[IndexedItem, list[float]]


class VectorIndex(Protocol):
    """Item vectors, searchable by similarity; every call blocks, so call it in a thread."""

    def upsert(self, item: IndexedItem, vector: list[float]) -> None:
        """Store (or replace) the item's vector: searchable at once, durable after `flush`."""
        ...

    def upsert_many(self, entries: Sequence[Entry]) -> None:
        """Store (or replace) several items' vectors in one write: searchable at once, durable after `flush`."""
        ...

    def flush(self) -> None:
        """Make every write so far durable (once per batch: a flush costs about as much as an embedding)."""
        ...

    def search(
        self, vector: list[float], *, limit: int, exclude: UUID, window: TimeWindow | None = None
    ) -> list[Candidate]:
        """The most similar items, best first, other than `exclude`, created within `window` if given."""
        ...

    def items(self, page_size: int) -> Iterator[list[IndexedItem]]:
        """Every item, a page at a time, in id order."""
        ...

    def present(self, item_ids: Collection[UUID]) -> set[UUID]:
        """Which of these items the index holds."""
        ...

    def vectors(self, item_ids: Collection[UUID]) -> dict[UUID, list[float]]:
        """The stored vectors of those of these items the index holds (theme centroids are built from them)."""
        ...

    def count(self) -> int:
        """How many items the index holds."""
        ...

    def close(self) -> None:
        """Release the index's files."""
        ...


class QdrantEdgeIndex:
    """An in-process Qdrant Edge shard on local disk (the embedded default); one process may open it."""

    def __init__(self, shard: EdgeShard) -> None:
        self._shard = shard

    @classmethod
    def open(cls, path: Path, dimension: int) -> QdrantEdgeIndex:
        """Load the shard at `path`, or create it; a shard of another dimension refuses to load."""
        config = EdgeConfig(vectors=EdgeVectorParams(size=dimension, distance=Distance.Cosine))
        if path.is_dir() and any(path.iterdir()):
            return cls(EdgeShard.load(str(path), config))
        path.mkdir(parents=True, exist_ok=True)
        shard = EdgeShard.create(str(path), config)
        # Keeps the window filter cheap as the index grows.
        shard.update(UpdateOperation.create_field_index("created_at", PayloadSchemaType.Float))
        return cls(shard)

    def upsert(self, item: IndexedItem, vector: list[float]) -> None:
        """Store the vector under the item's id (so a replay replaces it)."""
        self.upsert_many([(item, vector)])

    def upsert_many(self, entries: Sequence[Entry]) -> None:
        """Store the vectors under their items' ids."""
        points = [Point(item.item_id, vector, _payload(item)) for item, vector in entries]
        self._shard.update(UpdateOperation.upsert_points(points))

    def flush(self) -> None:
        """Write the shard's pending changes to disk."""
        self._shard.flush()

    def search(
        self, vector: list[float], *, limit: int, exclude: UUID, window: TimeWindow | None = None
    ) -> list[Candidate]:
        """The most similar items, best first, other than `exclude`, created within `window` if given."""
        not_itself = HasIdCondition({exclude})
        if window is None:
            query_filter = Filter(must_not=[not_itself])
        else:
            span = RangeFloat(gte=window.start.timestamp(), lte=window.end.timestamp())
            query_filter = Filter(must=[FieldCondition(key="created_at", range=span)], must_not=[not_itself])
        request = SearchRequest(query=Query.Nearest(vector), limit=limit, filter=query_filter, with_payload=True)
        return [_candidate(hit.payload or {}, hit.score) for hit in self._shard.search(request)]

    def items(self, page_size: int) -> Iterator[list[IndexedItem]]:
        """Every item, a page at a time, in id order."""
        offset: Any = None
        while True:
            records, offset = self._shard.scroll(
                ScrollRequest(limit=page_size, offset=offset, with_payload=True, with_vector=False)
            )
            if records:
                yield [_item(record.payload or {}) for record in records]
            if offset is None:
                return

    def present(self, item_ids: Collection[UUID]) -> set[UUID]:
        """Which of these items the shard holds."""
        return {UUID(str(record.id)) for record in self._shard.retrieve(list(item_ids), False, False)}

    def vectors(self, item_ids: Collection[UUID]) -> dict[UUID, list[float]]:
        """The stored vectors of those of these items the shard holds."""
        records = self._shard.retrieve(list(item_ids), False, True)
        return {UUID(str(record.id)): _dense(record.vector) for record in records}

    def count(self) -> int:
        """How many items the shard holds."""
        return int(self._shard.count(CountRequest(exact=True)))

    def optimize(self) -> None:
        """Build the HNSW graph over what is stored (blocking: about 79 s at 100k 384-d vectors)."""
        self._shard.optimize()

    def close(self) -> None:
        """Flush, and release the shard and its lock."""
        self._shard.flush()
        self._shard.close()


class QdrantServerIndex:
    """One collection of a Qdrant server, through qdrant-client (production)."""

    def __init__(self, client: QdrantClient, collection: str) -> None:
        self._client = client
        self._collection = collection

    def upsert(self, item: IndexedItem, vector: list[float]) -> None:
        """Store the vector under the item's id (so a replay replaces it), once the server has it."""
        self.upsert_many([(item, vector)])

    def upsert_many(self, entries: Sequence[Entry]) -> None:
        """Store the vectors under their items' ids, once the server has them."""
        points = [
            qm.PointStruct(id=str(item.item_id), vector=vector, payload=_payload(item)) for item, vector in entries
        ]
        self._client.upsert(self._collection, points, wait=True)

    def flush(self) -> None:
        """Nothing to do: the server has every write once `upsert` returns."""

    def search(
        self, vector: list[float], *, limit: int, exclude: UUID, window: TimeWindow | None = None
    ) -> list[Candidate]:
        """The most similar items, best first, other than `exclude`, created within `window` if given."""
        must: list[qm.Condition] = []
        if window is not None:
            span = qm.Range(gte=window.start.timestamp(), lte=window.end.timestamp())
            must.append(qm.FieldCondition(key="created_at", range=span))
        query_filter = qm.Filter(must=must, must_not=[qm.HasIdCondition(has_id=[str(exclude)])])
        hits = self._client.query_points(
            self._collection, query=vector, query_filter=query_filter, limit=limit, with_payload=True
        ).points
        return [_candidate(hit.payload or {}, hit.score) for hit in hits]

    def items(self, page_size: int) -> Iterator[list[IndexedItem]]:
        """Every item, a page at a time, in id order."""
        offset: Any = None
        while True:
            records, offset = self._client.scroll(
                self._collection, limit=page_size, offset=offset, with_payload=True, with_vectors=False
            )
            if records:
                yield [_item(record.payload or {}) for record in records]
            if offset is None:
                return

    def present(self, item_ids: Collection[UUID]) -> set[UUID]:
        """Which of these items the collection holds."""
        records = self._client.retrieve(
            self._collection, [str(item_id) for item_id in item_ids], with_payload=False, with_vectors=False
        )
        return {UUID(str(record.id)) for record in records}

    def vectors(self, item_ids: Collection[UUID]) -> dict[UUID, list[float]]:
        """The stored vectors of those of these items the collection holds."""
        records = self._client.retrieve(
            self._collection, [str(item_id) for item_id in item_ids], with_payload=False, with_vectors=True
        )
        return {UUID(str(record.id)): _dense(record.vector) for record in records}

    def count(self) -> int:
        """How many items the collection holds."""
        return self._client.count(self._collection, exact=True).count

    def close(self) -> None:
        """Nothing to release: the store owns the client."""


def _payload(item: IndexedItem) -> dict[str, Any]:
    # created_at as a number: both engines filter the 30-day window as a float range.
    return {**item.model_dump(mode="json"), "created_at": item.created_at.timestamp()}


def _dense(vector: Any) -> list[float]:
    # One unnamed dense vector per point in both engines; anything else is a collection we did not make.
    if not isinstance(vector, list):
        raise TypeError(f"expected one dense vector per point, got {type(vector).__name__}")
    return [float(value) for value in vector]


def _item(payload: dict[str, Any]) -> IndexedItem:
    return IndexedItem.model_validate({**payload, "created_at": datetime.fromtimestamp(payload["created_at"], UTC)})


def _candidate(payload: dict[str, Any], score: float) -> Candidate:
    return Candidate(
        item_id=UUID(payload["item_id"]),
        title=payload["title"],
        created_at=datetime.fromtimestamp(payload["created_at"], UTC),
        score=score,
    )


class IndexGeneration(BaseModel):
    """One generation of the index: a shard or a server collection, filled by one embedding model."""

    model_config = ConfigDict(frozen=True)

    name: str
    model: str
    dimension: int
    created_at: AwareDatetime = Field(default_factory=lambda: datetime.now(UTC))


class VectorStore(Protocol):
    """Where the index's generations live, and which one is live; every call blocks."""

    def live(self) -> IndexGeneration | None:
        """The generation searches are served from, if any."""
        ...

    def generations(self) -> list[IndexGeneration]:
        """Every generation that exists, live or not, oldest first."""
        ...

    def create(self, model: str, dimension: int) -> IndexGeneration:
        """A new, empty generation with a name of its own."""
        ...

    def open(self, generation: IndexGeneration) -> VectorIndex:
        """The generation's index, for reading and writing."""
        ...

    def switch(self, generation: IndexGeneration) -> None:
        """Make the generation live, atomically: a crash leaves either the old one live or this one."""
        ...

    def drop(self, generation: IndexGeneration) -> None:
        """Delete a generation that is not live (and is closed)."""
        ...

    def close(self) -> None:
        """Release the store's connection, if it has one."""
        ...


def generation_name(model: str) -> str:
    """A new generation's name: the model, readable, and when it was made."""
    slug = re.sub(r"[^a-z0-9]+", "-", model.lower()).strip("-")
    return f"{slug}-{datetime.now(UTC):%Y%m%d%H%M%S}-{uuid4().hex[:6]}"


class EdgeStore:
    """Qdrant Edge shards in one folder, with live.json naming the live one (replaced atomically)."""

    def __init__(self, root: Path) -> None:
        self._root = root
        root.mkdir(parents=True, exist_ok=True)

    def live(self) -> IndexGeneration | None:
        pointer = self._root / "live.json"
        return IndexGeneration.model_validate_json(pointer.read_text()) if pointer.exists() else None

    def generations(self) -> list[IndexGeneration]:
        described = [
            IndexGeneration.model_validate_json(path.read_text()) for path in self._root.glob("*.generation.json")
        ]
        return sorted(described, key=lambda generation: generation.created_at)

    def create(self, model: str, dimension: int) -> IndexGeneration:
        generation = IndexGeneration(name=generation_name(model), model=model, dimension=dimension)
        # Described before the shard exists, so a crash never leaves a shard nobody knows the model of.
        self._write(self._root / f"{generation.name}.generation.json", generation)
        QdrantEdgeIndex.open(self._root / generation.name, dimension).close()
        return generation

    def open(self, generation: IndexGeneration) -> QdrantEdgeIndex:
        return QdrantEdgeIndex.open(self._root / generation.name, generation.dimension)

    def switch(self, generation: IndexGeneration) -> None:
        self._write(self._root / "live.json", generation)

    def drop(self, generation: IndexGeneration) -> None:
        if generation == self.live():
            raise ValueError(f"{generation.name} is live: switch away from it before dropping it")
        shutil.rmtree(self._root / generation.name, ignore_errors=True)
        (self._root / f"{generation.name}.generation.json").unlink(missing_ok=True)

    def close(self) -> None:
        """Nothing to release: each shard is closed by its index."""

    def _write(self, path: Path, generation: IndexGeneration) -> None:
        # Write aside, sync, rename over: readers see the old file or the new one, never half of one.
        partial = path.with_suffix(".partial")
        with partial.open("w") as file:
            file.write(generation.model_dump_json())
            file.flush()
            os.fsync(file.fileno())
        os.replace(partial, path)
        directory = os.open(self._root, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)


class ServerStore:
    """Collections `<alias>--<generation>` on a Qdrant server; the alias names the live one."""

    def __init__(self, client: QdrantClient, alias: str) -> None:
        self._client = client
        self._alias = alias

    @classmethod
    def connect(cls, url: str, api_key: str | None, alias: str) -> ServerStore:
        """A store on the Qdrant server at `url`."""
        return cls(QdrantClient(url=url, api_key=api_key), alias)

    def live(self) -> IndexGeneration | None:
        for alias in self._client.get_aliases().aliases:
            if alias.alias_name == self._alias:
                return self._described(alias.collection_name)
        return None

    def generations(self) -> list[IndexGeneration]:
        prefix = f"{self._alias}--"
        names = [c.name for c in self._client.get_collections().collections if c.name.startswith(prefix)]
        return sorted((self._described(name) for name in names), key=lambda generation: generation.created_at)

    def create(self, model: str, dimension: int) -> IndexGeneration:
        generation = IndexGeneration(name=generation_name(model), model=model, dimension=dimension)
        collection = self._collection(generation)
        self._client.create_collection(
            collection,
            vectors_config=qm.VectorParams(size=dimension, distance=qm.Distance.COSINE),
            metadata=generation.model_dump(mode="json"),
        )
        self._client.create_payload_index(collection, "created_at", qm.PayloadSchemaType.FLOAT)
        return generation

    def open(self, generation: IndexGeneration) -> QdrantServerIndex:
        return QdrantServerIndex(self._client, self._collection(generation))

    def switch(self, generation: IndexGeneration) -> None:
        operations: list[qm.AliasOperations] = []
        if self.live() is not None:
            operations.append(qm.DeleteAliasOperation(delete_alias=qm.DeleteAlias(alias_name=self._alias)))
        create = qm.CreateAlias(collection_name=self._collection(generation), alias_name=self._alias)
        operations.append(qm.CreateAliasOperation(create_alias=create))
        # One request: the server applies both operations together, so searches never find no alias.
        self._client.update_collection_aliases(operations)

    def drop(self, generation: IndexGeneration) -> None:
        if generation == self.live():
            raise ValueError(f"{generation.name} is live: switch away from it before dropping it")
        self._client.delete_collection(self._collection(generation))

    def close(self) -> None:
        self._client.close()

    def _collection(self, generation: IndexGeneration) -> str:
        return f"{self._alias}--{generation.name}"

    def _described(self, collection: str) -> IndexGeneration:
        metadata = self._client.get_collection(collection).config.metadata or {}
        return IndexGeneration.model_validate(metadata)
