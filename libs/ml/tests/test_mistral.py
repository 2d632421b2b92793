"""Mistral Embed through the real SDK against the local server that speaks Mistral's API."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import pytest

from libs.ml.embeddings import load_embedder
from libs.ml.mistral import (
    MAX_INPUT_CHARS,
    MISTRAL_EMBED,
    MistralEmbedder,
    MistralRefused,
    MistralSettings,
    MistralUnavailable,
    batches,
)
from libs.runtime.broker import free_port
from libs.runtime.database import is_transient
from libs.testing.mistral_server import MistralServer, Reply, hashed_embedding, running_mistral


@pytest.fixture
def server() -> Iterator[MistralServer]:
    with running_mistral(MistralServer()) as running:
        yield running


def embedder(url: str, **overrides: Any) -> MistralEmbedder:
    settings = MistralSettings(
        mistral_api_key="test-key", mistral_server_url=url, mistral_timeout_seconds=2.0, **overrides
    )
    return MistralEmbedder.create(settings)


def sent(server: MistralServer) -> list[list[str]]:
    return [list(request["input"]) for request in server.requests]  # type: ignore[call-overload]


def test_texts_become_unit_vectors_of_1024_in_order(server: MistralServer) -> None:
    mistral = embedder(server.url)
    texts = ["Webhooks to Slack are late", "Dark theme for invoices", "Webhooks to Slack are late"]
    vectors = mistral.embed(texts)
    assert (mistral.model_name, mistral.dimension) == (MISTRAL_EMBED, 1024)
    assert [len(vector) for vector in vectors] == [1024] * 3
    assert all(math.isclose(sum(x * x for x in vector), 1.0, abs_tol=1e-9) for vector in vectors)
    assert vectors[0] == vectors[2] != vectors[1]
    assert vectors[1] == pytest.approx(hashed_embedding(texts[1], 1024))
    [request] = server.requests
    assert (request["model"], request["auth"]) == (MISTRAL_EMBED, "Bearer test-key")


def test_texts_are_sent_in_batches_of_at_most_the_batch_size(server: MistralServer) -> None:
    texts = [f"item {n}" for n in range(5)]
    vectors = embedder(server.url, mistral_embed_batch_size=2).embed(texts)
    assert sent(server) == [texts[:2], texts[2:4], texts[4:]]
    assert vectors == [pytest.approx(hashed_embedding(text, 1024)) for text in texts]


def test_batches_also_keep_under_a_character_budget_and_long_texts_are_cut() -> None:
    assert batches(["aaaa", "bb", "cccc", "d"], size=10, max_chars=6) == [["aaaa", "bb"], ["cccc", "d"]]
    # A text longer than the budget alone still goes, by itself.
    assert batches(["a" * 9, "b"], size=10, max_chars=6) == [["a" * 9], ["b"]]
    with pytest.raises(ValueError):
        batches(["a"], size=0, max_chars=6)


def test_an_input_longer_than_the_model_reads_is_cut_alike_every_time(server: MistralServer) -> None:
    long = "word " * MAX_INPUT_CHARS
    first, again = embedder(server.url).embed([long, long + "a tail past the cut"])
    assert first == again
    assert [[len(text) for text in batch] for batch in sent(server)] == [[MAX_INPUT_CHARS, MAX_INPUT_CHARS]]


def test_a_429_is_retried_then_succeeds(server: MistralServer) -> None:
    server.then(Reply(status=429, retry_after=0))
    [vector] = embedder(server.url).embed(["It crashes"])
    assert len(vector) == 1024
    assert len(server.requests) == 2


def test_a_500_that_persists_is_the_api_unavailable_once_the_retries_run_out(server: MistralServer) -> None:
    server.then(*[Reply(status=500)] * 50)
    with pytest.raises(MistralUnavailable, match=r"mistral-embed: HTTP 500"):
        embedder(server.url, mistral_retry_seconds=0.5).embed(["It crashes"])
    assert len(server.requests) >= 2


def test_a_refused_request_is_not_retried_and_says_why(server: MistralServer) -> None:
    server.then(Reply(status=401))
    with pytest.raises(MistralRefused, match="HTTP 401"):
        embedder(server.url).embed(["It crashes"])
    assert len(server.requests) == 1


def test_vectors_of_another_dimension_are_refused() -> None:
    with (
        running_mistral(MistralServer(dimension=16)) as server,
        pytest.raises(MistralRefused, match="vectors of 1024, got 1 of \\[16\\]"),
    ):
        embedder(server.url).embed(["It crashes"])


def test_no_server_listening_is_the_api_unavailable() -> None:
    with pytest.raises(MistralUnavailable, match="ConnectError"):
        embedder(f"http://127.0.0.1:{free_port()}", mistral_retries=0).embed(["It crashes"])


def test_a_consumer_waits_for_an_unavailable_api_and_dead_letters_a_refusal() -> None:
    # Waiting loses nothing and never mixes vector spaces; a refusal no retry mends keeps its reason.
    assert is_transient(MistralUnavailable("mistral-embed: HTTP 503"))
    assert not is_transient(MistralRefused("mistral-embed: HTTP 401"))


def test_mistral_embed_is_loaded_by_name_and_needs_a_key(server: MistralServer) -> None:
    settings = MistralSettings(mistral_api_key="test-key", mistral_server_url=server.url)
    assert load_embedder(MISTRAL_EMBED, settings).model_name == MISTRAL_EMBED
    with pytest.raises(ValueError, match="PRODOPS_MISTRAL_API_KEY"):
        load_embedder(MISTRAL_EMBED, MistralSettings(mistral_api_key=None))
