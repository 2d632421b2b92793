"""The Mistral engine through the real SDK against a local server that speaks Mistral's API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from libs.ml.embeddings import MiniLMEmbedder
from libs.schemas.feedback import Category, SentimentLabel
from libs.testing.mistral_server import MistralServer, Reply, running_mistral
from services.triage.engines import EngineFailure, FallbackEngine, LocalEngine, MistralEngine, MistralMetrics
from services.triage.settings import TriageSettings
from services.triage.splitting import SplitPolicy

pytestmark = pytest.mark.model

GOOD = json.dumps(
    {"category": "bug", "sentiment_score": -0.6, "severity": 4, "confidence": 0.9, "reasoning": "Outage."}
)


@pytest.fixture
def server() -> Iterator[MistralServer]:
    with running_mistral(MistralServer(default_content=lambda messages: GOOD)) as running:
        yield running


def engine(server: MistralServer, **overrides: Any) -> tuple[MistralEngine, CollectorRegistry]:
    settings = TriageSettings(
        mistral_api_key="test-key",
        mistral_server_url=server.url,
        mistral_timeout_seconds=1.0,
        **overrides,
    )
    registry = CollectorRegistry()
    return MistralEngine.create(settings, MistralMetrics(registry)), registry


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> LocalEngine:
    return LocalEngine.load(MiniLMEmbedder.load(), tmp_path_factory.mktemp("no-trained-models"))


async def test_a_valid_answer_is_read_and_its_tokens_and_cost_counted(server: MistralServer) -> None:
    mistral, registry = engine(server)
    [assessment] = await mistral.assess(["Production is down, every call returns 500"])
    assert assessment.reading.category == Category.BUG
    assert assessment.reading.sentiment == SentimentLabel.NEGATIVE and assessment.severity == 4
    assert assessment.model_version == "mistral:mistral-small-latest"
    assert server.requests[0]["auth"] == "Bearer test-key"
    assert server.requests[0]["response_format"] == {"type": "json_object"}
    tokens = registry.get_sample_value("prodops_ai_tokens_total", {"model": "mistral-small-latest", "kind": "prompt"})
    assert tokens and tokens > 0
    assert (registry.get_sample_value("prodops_ai_cost_dollars_total", {"model": "mistral-small-latest"}) or 0) > 0


async def test_long_transcripts_go_to_the_large_model(server: MistralServer) -> None:
    mistral, _ = engine(server, mistral_long_text_chars=100)
    await mistral.assess(["Customer said " + "we need SSO and audit logs. " * 20])
    assert server.requests[-1]["model"] == "mistral-large-latest"


async def test_invalid_output_is_retried_once(server: MistralServer) -> None:
    mistral, _ = engine(server)
    server.then(Reply(content="Sure! The category is bug."))
    [assessment] = await mistral.assess(["It crashes"])
    assert assessment.reading.category == Category.BUG
    assert len(server.requests) == 2


async def test_invalid_output_twice_is_a_failure(server: MistralServer) -> None:
    mistral, _ = engine(server)
    server.then(Reply(content='{"category": "rant"}'), Reply(content="{not json"))
    with pytest.raises(EngineFailure, match="invalid output twice"):
        await mistral.assess(["It crashes"])


async def test_a_malformed_response_body_is_a_failure(server: MistralServer) -> None:
    mistral, _ = engine(server)
    server.then(Reply(raw_body='{"choices": [truncated'))
    with pytest.raises(EngineFailure, match="mistral-small-latest"):
        await mistral.assess(["It crashes"])


async def test_429_and_500_are_retried_with_backoff(server: MistralServer) -> None:
    mistral, _ = engine(server)
    server.then(Reply(status=429, retry_after=0), Reply(status=503))
    [assessment] = await mistral.assess(["It crashes"])
    assert assessment.reading.category == Category.BUG
    assert len(server.requests) == 3


async def test_a_down_or_slow_api_falls_back_to_the_local_engine_and_says_so(
    server: MistralServer, local: LocalEngine
) -> None:
    mistral, registry = engine(server, mistral_retries=0)
    fallback = FallbackEngine(mistral, local, MistralMetrics(CollectorRegistry()))
    server.then(Reply(content=GOOD, delay_seconds=3.0))
    [slow] = await fallback.assess(["The dashboard is broken and slow"])
    assert slow.degraded_reason and slow.model_version == local.version
    server.then(Reply(status=500))
    [down] = await fallback.assess(["The dashboard is broken and slow"])
    assert down.degraded_reason is not None and down.model_version == local.version


async def test_in_a_batch_only_the_items_the_api_cannot_answer_fall_back(
    server: MistralServer, local: LocalEngine
) -> None:
    mistral, _ = engine(server, mistral_retries=0)
    registry = CollectorRegistry()
    fallback = FallbackEngine(mistral, local, MistralMetrics(registry))
    server.then(Reply(content=GOOD), Reply(status=500), Reply(content=GOOD))
    texts = ["The dashboard is broken", "Exports time out", "Login fails with SSO"]
    assessments = await fallback.assess(texts)
    degraded = [assessment for assessment in assessments if assessment.degraded_reason is not None]
    assert len(assessments) == 3 and len(server.requests) == 3
    assert [assessment.model_version for assessment in degraded] == [local.version], "one item fell back, alone"
    assert registry.get_sample_value("prodops_ai_fallbacks_total", {"reason": "primary_failed"}) == 1


# --- splitting a call transcript (the long-context path) ---------------------------------------------

CALL = """Sam Rivera [internal]: Anything else on your list, Dana?
Dana Lee [customer]: We need SAML SSO with Okta before we can roll this out to the whole company.
Sam Rivera [internal]: Understood, I will pass it on.
Dana Lee [customer]: And the CSV export keeps failing on big files, it times out after a minute."""
SPLIT = SplitPolicy(min_confidence=0.45, max_requests=25)


def split_answer(*quotes: str) -> str:
    return json.dumps(
        {
            "requests": [
                {"title": f"Voiced {n}", "description": "d", "quote": quote, "speaker": "Dana Lee", "kind": "request"}
                for n, quote in enumerate(quotes)
            ]
        }
    )


async def test_a_transcript_is_split_by_the_large_model(server: MistralServer) -> None:
    mistral, _ = engine(server)
    server.then(Reply(content=split_answer("We need SAML SSO with Okta", "the CSV export keeps failing ... big files")))
    split = await mistral.split(CALL, SPLIT)
    assert [request.title for request in split.requests] == ["Voiced 0", "Voiced 1"]
    assert split.model_version == "mistral:mistral-large-latest" and split.degraded_reason is None
    assert server.requests[0]["model"] == "mistral-large-latest"
    messages = server.requests[0]["messages"]
    assert isinstance(messages, list) and messages[-1]["content"] == CALL, "the whole transcript is read"


async def test_an_invalid_split_is_asked_again_once(server: MistralServer) -> None:
    mistral, _ = engine(server)
    server.then(
        Reply(content='{"requests": [{"title": "SSO", "kind": "wish"}]}'),
        Reply(content=split_answer("We need SAML SSO with Okta")),
    )
    split = await mistral.split(CALL, SPLIT)
    assert len(split.requests) == 1 and len(server.requests) == 2


async def test_an_invented_quote_is_an_invalid_split(server: MistralServer) -> None:
    mistral, _ = engine(server)
    server.then(Reply(content=split_answer("SSO is our top priority this year")), Reply(content="not json at all"))
    with pytest.raises(EngineFailure, match="invalid split twice"):
        await mistral.split(CALL, SPLIT)


async def test_an_invalid_split_twice_falls_back_to_the_local_extractor(
    server: MistralServer, local: LocalEngine
) -> None:
    mistral, _ = engine(server)
    registry = CollectorRegistry()
    fallback = FallbackEngine(mistral, local, MistralMetrics(registry))
    server.then(Reply(content="{not json"), Reply(content='{"requests": "SSO"}'))
    split = await fallback.split(CALL, SPLIT)
    assert split.degraded_reason and "invalid split twice" in split.degraded_reason
    assert split.model_version == f"{local.version}+split"
    assert any("SAML SSO" in request.title for request in split.requests)
    assert registry.get_sample_value("prodops_ai_fallbacks_total", {"reason": "primary_failed"}) == 1
