"""The bundled MiniLM embedder, the Qdrant Edge index, and the threshold calibration on labelled pairs."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import uuid4

import pytest

from libs.ml.embeddings import MINILM, MiniLMEmbedder
from services.dedupe.adapters import IndexedItem, QdrantEdgeIndex
from services.dedupe.domain import TimeWindow, best_threshold, f1_at
from services.dedupe.settings import DedupeSettings

# ../shared/data from the repository's root: read in place, never copied into the project.
DUPLICATES = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "duplicates_train.jsonl"
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def dot(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


@pytest.mark.model
def test_minilm_gives_unit_vectors_that_score_paraphrases_above_unrelated_text() -> None:
    embedder = MiniLMEmbedder.load()
    first, paraphrase, unrelated = embedder.embed(
        [
            "Webhook deliveries to our Slack channel are delayed by hours",
            "Slack notifications from webhooks arrive hours late",
            "Add a dark theme to the invoice PDF export",
        ]
    )
    assert (embedder.model_name, embedder.dimension, len(first)) == (MINILM, 384, 384)
    assert math.isclose(dot(first, first), 1.0, abs_tol=1e-5)
    assert dot(first, paraphrase) > DedupeSettings().duplicate_threshold > dot(first, unrelated)


def indexed(title: str, days_ago: float) -> IndexedItem:
    return IndexedItem(item_id=uuid4(), title=title, created_at=NOW - timedelta(days=days_ago), model="test")


def test_index_searches_by_similarity_within_the_window_and_without_the_item_itself(tmp_path: Path) -> None:
    index = QdrantEdgeIndex.open(tmp_path / "shard", dimension=2)
    this, recent, old = indexed("this", 0), indexed("recent", 10), indexed("old", 60)
    index.upsert(this, [1.0, 0.0])
    index.upsert(recent, [0.6, 0.8])
    index.upsert(old, [0.8, 0.6])
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


def test_index_upsert_is_idempotent_and_survives_a_reopen(tmp_path: Path) -> None:
    path = tmp_path / "shard"
    index = QdrantEdgeIndex.open(path, dimension=2)
    item = indexed("first title", 1)
    index.upsert(item, [1.0, 0.0])
    index.upsert(item.model_copy(update={"title": "edited title"}), [0.0, 1.0])
    index.close()

    reopened = QdrantEdgeIndex.open(path, dimension=2)
    try:
        hits = reopened.search([0.0, 1.0], limit=5, exclude=uuid4())
    finally:
        reopened.close()
    assert [(c.item_id, c.title, round(c.score, 6)) for c in hits] == [(item.item_id, "edited title", 1.0)]


def test_an_index_of_another_dimension_refuses_to_open(tmp_path: Path) -> None:
    QdrantEdgeIndex.open(tmp_path / "shard", dimension=2).close()
    with pytest.raises(Exception, match="vector size"):
        QdrantEdgeIndex.open(tmp_path / "shard", dimension=3)


@pytest.mark.model
@pytest.mark.skipif(not DUPLICATES.exists(), reason=f"labelled pairs not found at {DUPLICATES}")
def test_default_threshold_is_close_to_the_best_f1_on_the_labelled_pairs() -> None:
    pairs = [json.loads(line) for line in DUPLICATES.read_text().splitlines() if line.strip()]
    texts = sorted({pair["a_text"] for pair in pairs} | {pair["b_text"] for pair in pairs})
    vectors = dict(zip(texts, MiniLMEmbedder.load().embed(texts), strict=True))
    scores = [dot(vectors[pair["a_text"]], vectors[pair["b_text"]]) for pair in pairs]
    labels = [bool(pair["is_duplicate"]) for pair in pairs]

    default = DedupeSettings().duplicate_threshold
    best, best_f1 = best_threshold(scores, labels)
    at_default = f1_at(scores, labels, default)
    print(f"F1 {at_default:.3f} at the default {default}; best {best_f1:.3f} at {best:.3f}")
    assert at_default >= best_f1 - 0.05
    assert f1_at(scores, labels, 0.85) < at_default, "the seed's 0.85 is too strict for MiniLM"
