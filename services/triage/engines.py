"""Triage engines: the local one (embeddings and heads, offline) and Mistral's, with a fallback.

Each engine reads texts into `Assessment`s; the handler turns an assessment into the ai_triage
block with the domain's rules and the priority formula.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

import numpy as np
import structlog
from prometheus_client import CollectorRegistry, Counter, Histogram
from pydantic import BaseModel, Field, ValidationError

from libs.ml.embeddings import Embedder, MiniLMEmbedder
from libs.ml.mistral import mistral_client
from libs.schemas.events import VoicedRequest
from libs.schemas.feedback import Answer, Category, Priority, sentiment_label
from services.triage import domain, evaluation, splitting, training
from services.triage.calibration import Calibration
from services.triage.domain import AutoThresholds, Reading
from services.triage.settings import TriageSettings
from services.triage.splitting import SplitPolicy

log = structlog.get_logger()

SEED_EXAMPLES = Path(__file__).parent / "examples" / "seed.jsonl"


@dataclass(frozen=True)
class Assessment:
    reading: Reading
    severity: int
    model_version: str
    degraded_reason: str | None = None
    # The model version's auto-apply thresholds, which the reading's confidences are held to.
    thresholds: AutoThresholds = domain.NO_THRESHOLDS


@dataclass(frozen=True)
class Split:
    """The requests an engine found in a transcript, and which engine found them."""

    requests: list[VoicedRequest]
    model_version: str
    degraded_reason: str | None = None


class TriageEngine(Protocol):
    async def assess(self, texts: Sequence[str]) -> list[Assessment]:
        """One assessment per text, in order."""
        ...

    async def split(self, transcript: str, policy: SplitPolicy) -> Split:
        """The requests voiced in a call transcript (the long-context path)."""
        ...


class EngineFailure(Exception):
    """The engine could not give a valid answer; the caller falls back."""


# --- local ----------------------------------------------------------------------------------------


class LocalEngine:
    """Sentence embeddings and logistic-regression heads, on the CPU, offline; their probabilities calibrated
    as the version was at train time."""

    def __init__(self, embedder: Embedder, heads: training.Heads, version: str, calibration: Calibration) -> None:
        self.embedder = embedder
        self.heads = heads
        self.version = version
        self.calibration = calibration

    @classmethod
    def load(cls, embedder: Embedder, models: Path) -> LocalEngine:
        """The newest trained version (embedding with its fine-tuned encoder, if it has one, in
        place of `embedder`), else heads fitted on the project's own examples (examples/seed.jsonl).

        The examples' heads are not calibrated and have no thresholds, so a person looks at each of their
        verdicts: cross-validating them would add seconds to every start, and a threshold measured on the
        project's own 360 examples would not hold on a team's feedback (docs/triage.md)."""
        current = training.load_current(models)
        if current is None:
            rows = evaluation.read_rows([SEED_EXAMPLES])
            heads = training.fit_heads(rows, np.asarray(embedder.embed([row.text for row in rows])))
            return cls(embedder, heads, "local-seed-1", Calibration())
        if current.encoder is not None:
            embedder = MiniLMEmbedder.load_from(current.encoder)
        return cls(embedder, current.heads, current.info.version, current.info.calibration)

    def assess_now(self, texts: Sequence[str]) -> list[Assessment]:
        """Blocking: embed and read every text."""
        embeddings = np.asarray(self.embedder.embed(list(texts)))
        thresholds = self.calibration.thresholds()
        return [
            Assessment(reading, domain.severity_from(text, learned), self.version, thresholds=thresholds)
            for text, (reading, learned) in zip(texts, self.read(texts, embeddings), strict=True)
        ]

    def read(self, texts: Sequence[str], embeddings: np.ndarray) -> list[tuple[Reading, Priority | None]]:
        """What the heads read in each text (given its embedding), calibrated, and the priority they learned, if any."""
        probabilities = self.heads.predict(list(texts), embeddings)
        readings = []
        for index in range(len(texts)):
            reading = domain.reading_from(
                self.calibration.category.scaled(probabilities["category"][index]),
                self.calibration.sentiment.scaled(probabilities["sentiment_label"][index]),
            )
            priority = probabilities["priority"][index] if "priority" in probabilities else None
            readings.append((reading, Priority(max(priority, key=priority.__getitem__)) if priority else None))
        return readings

    async def assess(self, texts: Sequence[str]) -> list[Assessment]:
        return await asyncio.to_thread(self.assess_now, texts)

    def split_now(self, transcript: str, policy: SplitPolicy) -> Split:
        """Blocking: the local extractor, with these heads reading each sentence."""

        def read(sentences: list[str]) -> list[Reading]:
            embeddings = np.asarray(self.embedder.embed(sentences))
            return [reading for reading, _ in self.read(sentences, embeddings)]

        return Split(splitting.extract(transcript, read, policy), f"{self.version}+split")

    async def split(self, transcript: str, policy: SplitPolicy) -> Split:
        return await asyncio.to_thread(self.split_now, transcript, policy)


# --- Mistral --------------------------------------------------------------------------------------

PROMPT = """You triage customer feedback for a software product team.
Read the feedback and answer with one JSON object, and nothing else, with these keys:
- "category": one of "bug", "feature_request", "improvement", "question", "complaint", "praise"
- "sentiment_score": a number from -1 (very negative) to 1 (very positive); 0 is neutral
- "severity": 1 (minor, cosmetic) to 4 (blocking: production down, data loss, security)
- "confidence": a number from 0 to 1, how sure you are of the category
- "reasoning": one sentence on why
Sarcasm ("Great, another outage") is negative. A defect asked as a question is a bug."""

SPLIT_PROMPT = """You read the transcript of a sales call for a software product team.
Each line is one turn: `Speaker [customer]: words` or `Speaker [internal]: words` (our own staff).
List every distinct thing the customer asked for or raised about the product: feature requests,
complaints, bugs, praise, questions. One entry per distinct thing; small talk and our staff's words
are not entries. Answer with one JSON object, and nothing else:
{"requests": [{"title": "...", "description": "...", "quote": "...", "speaker": "...", "kind": "..."}]}
- "title": a short title for the product team, at most 12 words
- "description": one or two sentences: what they want or what is wrong, and why it matters to them
- "quote": the customer's own words, copied exactly from the transcript (use ... to skip words)
- "speaker": the name of the customer who said it
- "kind": one of "request", "complaint", "bug", "praise", "question"
Answer {"requests": []} when the customer raised nothing."""


class SplitAnswer(BaseModel):
    requests: list[splitting.ProposedRequest]


class MistralReading(BaseModel):
    category: Category
    sentiment_score: float = Field(ge=-1, le=1)
    severity: int = Field(ge=1, le=4)
    confidence: float = Field(default=0.7, ge=0, le=1)
    reasoning: str = ""


class MistralMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.tokens = Counter(
            "prodops_ai_tokens_total", "Tokens used, by model and kind.", ["model", "kind"], registry=registry
        )
        self.cost = Counter(
            "prodops_ai_cost_dollars_total", "Estimated spend on the AI API, by model.", ["model"], registry=registry
        )
        self.calls = Counter(
            "prodops_ai_calls_total", "AI API calls, by model and outcome.", ["model", "outcome"], registry=registry
        )
        self.fallbacks = Counter(
            "prodops_ai_fallbacks_total",
            "Items triaged by the fallback engine, by reason.",
            ["reason"],
            registry=registry,
        )
        self.latency = Histogram(
            "prodops_ai_latency_seconds", "AI API call latency, by model.", ["model"], registry=registry
        )


class MistralEngine:
    """Mistral's chat API through the official SDK: JSON answers validated, retried once if invalid."""

    def __init__(self, client: object, settings: TriageSettings, metrics: MistralMetrics) -> None:
        self.client = client
        self.settings = settings
        self.metrics = metrics
        self.limit = asyncio.Semaphore(settings.mistral_max_concurrency)

    @classmethod
    def create(cls, settings: TriageSettings, metrics: MistralMetrics) -> MistralEngine:
        return cls(mistral_client(settings), settings, metrics)

    def model_for(self, text: str) -> str:
        """Small for ordinary feedback; large for long sales-call transcripts."""
        if len(text) > self.settings.mistral_long_text_chars:
            return self.settings.mistral_large_model
        return self.settings.mistral_small_model

    async def assess(self, texts: Sequence[str]) -> list[Assessment]:
        return list(await asyncio.gather(*(self._assess_one(text) for text in texts)))

    async def _assess_one(self, text: str) -> Assessment:
        model = self.model_for(text)
        for attempt in (1, 2):
            content = await self._chat(model, PROMPT, text[:30_000])
            try:
                answer = MistralReading.model_validate_json(_json_object(content))
            except (ValidationError, ValueError) as error:
                self.metrics.calls.labels(model, "invalid_output").inc()
                log.warning("invalid AI output", model=model, attempt=attempt, error=str(error)[:200])
                continue
            return Assessment(_reading(answer), answer.severity, f"mistral:{model}")
        raise EngineFailure(f"{model} gave invalid output twice")

    async def split(self, transcript: str, policy: SplitPolicy) -> Split:
        """The large model reads the whole transcript; an answer that is not valid, or quotes words
        nobody said, is asked again once, then the caller falls back. Texts longer than the event
        allows are shortened, and a request without a quote is dropped: neither fails the answer."""
        model = self.settings.mistral_large_model
        for attempt in (1, 2):
            content = await self._chat(model, SPLIT_PROMPT, transcript[: self.settings.mistral_split_max_chars])
            try:
                answer = SplitAnswer.model_validate_json(_json_object(content))
                requests = splitting.fitted(answer.requests)
                if invented := splitting.unquoted(requests, transcript):
                    raise ValueError(f"quotes not in the transcript: {invented[0][:80]!r}")
            except (ValidationError, ValueError) as error:
                self.metrics.calls.labels(model, "invalid_output").inc()
                log.warning("invalid AI split", model=model, attempt=attempt, error=str(error)[:200])
                continue
            return Split(requests[: policy.max_requests], f"mistral:{model}")
        raise EngineFailure(f"{model} gave an invalid split twice")

    async def _chat(self, model: str, system: str, text: str) -> str:
        async with self.limit:
            try:
                with self.metrics.latency.labels(model).time():
                    response = await self.client.chat.complete_async(  # type: ignore[attr-defined]
                        model=model,
                        messages=[{"role": "system", "content": system}, {"role": "user", "content": text}],
                        response_format={"type": "json_object"},
                        temperature=0.0,
                    )
            except Exception as error:  # the SDK's own errors, timeouts and refused connections alike
                self.metrics.calls.labels(model, "error").inc()
                raise EngineFailure(f"{model}: {type(error).__name__}: {str(error)[:200]}") from error
        self.metrics.calls.labels(model, "ok").inc()
        self._count(model, response.usage)
        return response.choices[0].message.content or ""

    def _count(self, model: str, usage: object) -> None:
        prompt = getattr(usage, "prompt_tokens", 0) or 0
        completion = getattr(usage, "completion_tokens", 0) or 0
        self.metrics.tokens.labels(model, "prompt").inc(prompt)
        self.metrics.tokens.labels(model, "completion").inc(completion)
        price_in, price_out = self.settings.mistral_price_per_million.get(model, (0.0, 0.0))
        self.metrics.cost.labels(model).inc((prompt * price_in + completion * price_out) / 1_000_000)


def _json_object(content: str) -> str:
    """The JSON object in an answer, also when the model wrapped it in a code fence."""
    start, end = content.find("{"), content.rfind("}")
    if start < 0 or end < start:
        raise ValueError("no JSON object in the answer")
    json.loads(content[start : end + 1])
    return content[start : end + 1]


def _reading(answer: MistralReading) -> Reading:
    """Mistral's answer; its confidences are its own word, never measured on held-out rows (so, no thresholds)."""
    label = sentiment_label(answer.sentiment_score)
    sentiment_confidence = min(1.0, abs(answer.sentiment_score) + 0.3)
    return Reading(
        category=answer.category,
        category_confidence=answer.confidence,
        sentiment=label,
        sentiment_confidence=sentiment_confidence,
        positive=max(0.0, answer.sentiment_score),
        negative=max(0.0, -answer.sentiment_score),
        category_answers=(Answer(label=answer.category, probability=answer.confidence),),
        sentiment_answers=(Answer(label=label, probability=sentiment_confidence),),
    )


class FallbackEngine:
    """The primary engine, and the fallback for every item it cannot answer (degraded, and said so)."""

    def __init__(self, primary: TriageEngine, fallback: TriageEngine, metrics: MistralMetrics) -> None:
        self.primary = primary
        self.fallback = fallback
        self.metrics = metrics

    async def assess(self, texts: Sequence[str]) -> list[Assessment]:
        """Each text by the primary; those it cannot answer by the fallback, together, marked degraded."""
        answers = await asyncio.gather(*(self.primary.assess([text]) for text in texts), return_exceptions=True)
        for answer in answers:
            if isinstance(answer, BaseException) and not isinstance(answer, EngineFailure):
                raise answer
        results = {index: answer[0] for index, answer in enumerate(answers) if not isinstance(answer, BaseException)}
        failed = {index: answer for index, answer in enumerate(answers) if isinstance(answer, EngineFailure)}
        if failed:
            self.metrics.fallbacks.labels("primary_failed").inc(len(failed))
            log.warning("falling back to the local engine", items=len(failed), reason=str(next(iter(failed.values()))))
            fallen = await self.fallback.assess([texts[index] for index in failed])
            for (index, error), a in zip(failed.items(), fallen, strict=True):
                results[index] = replace(a, degraded_reason=str(error))
        return [results[index] for index in range(len(texts))]

    async def split(self, transcript: str, policy: SplitPolicy) -> Split:
        try:
            return await self.primary.split(transcript, policy)
        except EngineFailure as error:
            self.metrics.fallbacks.labels("primary_failed").inc()
            log.warning("splitting with the local extractor", reason=str(error))
            fallen = await self.fallback.split(transcript, policy)
            return Split(fallen.requests, fallen.model_version, degraded_reason=str(error))


# --- in use ---------------------------------------------------------------------------------------


class Models:
    """The engines in use: the local one (loaded as the service starts, replaced by each newly trained
    version) and, with a Mistral key, Mistral in front of it."""

    def __init__(self, settings: TriageSettings, metrics: MistralMetrics) -> None:
        self._settings = settings
        self._metrics = metrics
        self._directory = settings.model_directory()
        self._embedder: Embedder | None = None
        self._local: LocalEngine | None = None
        self._current: TriageEngine | None = None

    async def load(self) -> None:
        """Load the embedder and the newest trained version (blocking work, in a thread)."""
        self._embedder = await asyncio.to_thread(MiniLMEmbedder.load)
        self._use(await asyncio.to_thread(LocalEngine.load, self._embedder, self._directory))
        log.info("triage engine loaded", local=self.local.version, mistral=self._settings.mistral_api_key is not None)

    async def refresh(self) -> str | None:
        """Use a newly trained version if one appeared; its name, or None when nothing changed."""
        version = training.current_version(self._directory)
        if version is None or self._embedder is None or version == self.local.version:
            return None
        self._use(await asyncio.to_thread(LocalEngine.load, self._embedder, self._directory))
        return version

    @property
    def local(self) -> LocalEngine:
        assert self._local is not None, "the engine is loaded before the broker starts"
        return self._local

    @property
    def current(self) -> TriageEngine:
        assert self._current is not None, "the engine is loaded before the broker starts"
        return self._current

    @property
    def primary(self) -> TriageEngine | None:
        """The engine whose verdicts are not degraded (Mistral), when there is one besides the local."""
        return self._current.primary if isinstance(self._current, FallbackEngine) else None

    def _use(self, local: LocalEngine) -> None:
        self._local = local
        if self._settings.mistral_api_key is None:
            self._current = local
        else:
            self._current = FallbackEngine(MistralEngine.create(self._settings, self._metrics), local, self._metrics)
