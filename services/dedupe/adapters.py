"""The embedder and the vector index, each behind a small Protocol, and their embedded implementations."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict
from qdrant_edge import (
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


class VectorIndex(Protocol):
    """Item vectors, searchable by similarity; every call blocks, so call it in a thread."""

    def upsert(self, item: IndexedItem, vector: list[float]) -> None:
        """Store (or replace) the item's vector, durably."""
        ...

    def search(
        self, vector: list[float], *, limit: int, exclude: UUID, window: TimeWindow | None = None
    ) -> list[Candidate]:
        """The most similar items, best first, other than `exclude`, created within `window` if given."""
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
        """Store the vector under the item's id (so a replay replaces it) and flush it to disk."""
        payload: dict[str, Any] = {
            "item_id": str(item.item_id),
            "title": item.title,
            "created_at": item.created_at.timestamp(),
            "model": item.model,
        }
        self._shard.update(UpdateOperation.upsert_points([Point(item.item_id, vector, payload)]))
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

    def close(self) -> None:
        """Release the shard and its lock."""
        self._shard.close()


def _candidate(payload: dict[str, Any], score: float) -> Candidate:
    return Candidate(
        item_id=UUID(payload["item_id"]),
        title=payload["title"],
        created_at=datetime.fromtimestamp(payload["created_at"], UTC),
        score=score,
    )
