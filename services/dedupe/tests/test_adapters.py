"""The local embedders, and the settings that pick the embedder (Mistral Embed given a key), threshold, store."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from pydantic import ValidationError

from libs.ml.embeddings import E5_SMALL, MINILM, load_embedder
from libs.ml.mistral import MISTRAL_EMBED
from services.dedupe.adapters import EdgeStore, ServerStore
from services.dedupe.app import vector_store
from services.dedupe.settings import CALIBRATED_THRESHOLDS, THEME_SIMILARITIES, DedupeSettings


def dot(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


@pytest.mark.model
@pytest.mark.parametrize("model", [MINILM, E5_SMALL])
def test_each_local_embedder_gives_unit_vectors_that_score_paraphrases_above_unrelated_text(model: str) -> None:
    embedder = load_embedder(model)
    first, paraphrase, unrelated = embedder.embed(
        [
            "Webhook deliveries to our Slack channel are delayed by hours",
            "Slack notifications from webhooks arrive hours late",
            "Add a dark theme to the invoice PDF export",
        ]
    )
    assert (embedder.model_name, embedder.dimension, len(first)) == (model, 384, 384)
    assert math.isclose(dot(first, first), 1.0, abs_tol=1e-5)
    threshold = DedupeSettings(embedding_model=model).duplicate_threshold
    assert dot(first, paraphrase) > threshold > dot(first, unrelated)


def test_an_unknown_embedding_model_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown embedding model 'no/such-model'"):
        load_embedder("no/such-model")
    with pytest.raises(ValidationError, match="unknown embedding_model"):
        DedupeSettings(embedding_model="no/such-model")


def test_the_threshold_is_the_models_calibrated_one_unless_set() -> None:
    assert DedupeSettings().duplicate_threshold == CALIBRATED_THRESHOLDS[MINILM] == 0.5
    assert DedupeSettings(embedding_model=E5_SMALL).duplicate_threshold == CALIBRATED_THRESHOLDS[E5_SMALL]
    assert DedupeSettings(embedding_model=E5_SMALL, duplicate_threshold=0.9).duplicate_threshold == 0.9


def test_a_qdrant_url_selects_the_server_else_qdrant_edge(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    edge = vector_store(DedupeSettings(data_dir=tmp_path))
    assert isinstance(edge, EdgeStore)
    monkeypatch.setenv("PRODOPS_QDRANT_URL", "http://127.0.0.1:6333")
    server = vector_store(DedupeSettings(data_dir=tmp_path))
    try:
        assert isinstance(server, ServerStore)  # the client connects on its first call, none is made here
    finally:
        server.close()


def test_mistral_embed_is_chosen_when_a_key_is_set_and_no_model_is(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRODOPS_MISTRAL_API_KEY", "test-key")
    settings = DedupeSettings()
    assert (settings.embedding_model, settings.duplicate_threshold) == (MISTRAL_EMBED, 0.85)
    assert (settings.theme_similarity, settings.theme_seed_similarity) == THEME_SIMILARITIES[MISTRAL_EMBED]
    # A model set explicitly wins over the key.
    monkeypatch.setenv("PRODOPS_EMBEDDING_MODEL", MINILM)
    assert DedupeSettings().embedding_model == MINILM


def test_without_a_key_the_local_model_is_chosen_and_mistral_embed_refused() -> None:
    assert DedupeSettings(mistral_api_key=None).embedding_model == MINILM
    with pytest.raises(ValidationError, match="mistral-embed needs PRODOPS_MISTRAL_API_KEY"):
        DedupeSettings(mistral_api_key=None, embedding_model=MISTRAL_EMBED)
