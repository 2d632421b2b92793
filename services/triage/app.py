"""The triage service: feedback.enriched -> feedback.triaged; overrides and re-triage commands."""

from __future__ import annotations

import asyncio
from pathlib import Path

import structlog
from fastapi import FastAPI
from prometheus_client import Gauge

from libs.ml.embeddings import MiniLMEmbedder
from libs.runtime.service import ServiceRuntime, service_app
from libs.schemas.events import RetriageFeedback, RetriageRequest
from services.triage import handlers, storage, training
from services.triage.engines import FallbackEngine, LocalEngine, MistralEngine, MistralMetrics, TriageEngine
from services.triage.settings import TriageSettings

NAME = "triage"
log = structlog.get_logger()


def create_app(settings: TriageSettings | None = None) -> FastAPI:
    settings = settings or TriageSettings()
    runtime = ServiceRuntime.create(NAME, settings, Path(__file__).parent / "migrations")
    engine = handlers.Engine()
    handlers.register(runtime, settings, engine)
    metrics = MistralMetrics(runtime.registry)
    models = settings.model_directory()

    def choose(local: LocalEngine) -> TriageEngine:
        if settings.mistral_api_key is None:
            return local
        return FallbackEngine(MistralEngine.create(settings, metrics), local, metrics)

    async def load_engine() -> None:
        embedder = await asyncio.to_thread(MiniLMEmbedder.load)
        local = await asyncio.to_thread(LocalEngine.load, embedder, models)
        engine.embedder, engine.local, engine.current = embedder, local, choose(local)
        log.info("triage engine loaded", local=local.version, mistral=settings.mistral_api_key is not None)

    async def watch_models() -> None:
        """Swap in a newly trained model version, then triage every stored item again with it."""
        while True:
            await asyncio.sleep(settings.model_check_seconds)
            version = training.current_version(models)
            if version is None or engine.local is None or version == engine.local.version:
                continue
            fresh = await asyncio.to_thread(LocalEngine.load, engine.embedder, models)
            engine.local, engine.current = fresh, choose(fresh)
            log.info("new triage model in use; re-triaging", version=fresh.version)
            request = RetriageRequest(everything=True, requested_by="triage", reason=f"model {fresh.version}")
            await runtime.publish(RetriageFeedback(producer=NAME, payload=request))

    waiting = Gauge(
        "prodops_triage_degraded_items",
        "Items whose verdict is the local fallback's, waiting to be triaged again by Mistral.",
        registry=runtime.registry,
    )

    async def retriage_degraded() -> None:
        """While degraded verdicts wait, ask (through the re-triage command) for Mistral to read them again."""
        while True:
            await asyncio.sleep(settings.retriage_degraded_seconds)
            try:
                async with runtime.sessions() as session:
                    count = await storage.degraded_count(session)
                waiting.set(count)
                if count and engine.primary is not None:
                    request = RetriageRequest(degraded=True, requested_by=NAME, reason=f"{count} degraded verdicts")
                    await runtime.publish(RetriageFeedback(producer=NAME, payload=request))
            except Exception as error:  # the database or the broker away: the next run tries again
                log.warning("could not offer degraded verdicts again", error=f"{type(error).__name__}: {error}")

    return service_app(
        runtime,
        title="ProdOps triage",
        on_start=[load_engine],
        background=[watch_models, retriage_degraded],
    )
