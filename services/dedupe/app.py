"""The dedupe service: feedback.received -> feedback.deduped, with similar items and a likely duplicate."""

from __future__ import annotations

import asyncio
from pathlib import Path

import structlog
from fastapi import FastAPI

from libs.ml.embeddings import MiniLMEmbedder
from libs.runtime.service import ServiceRuntime, service_app
from services.dedupe import handlers
from services.dedupe.adapters import QdrantEdgeIndex
from services.dedupe.settings import DedupeSettings

NAME = "dedupe"
log = structlog.get_logger()


def create_app(settings: DedupeSettings | None = None) -> FastAPI:
    settings = settings or DedupeSettings()
    runtime = ServiceRuntime.create(NAME, settings, Path(__file__).parent / "migrations")
    engines = handlers.Engines()
    handlers.register(runtime, settings, engines)

    async def open_engines() -> None:
        engines.embedder = await asyncio.to_thread(MiniLMEmbedder.load)
        engines.index = await asyncio.to_thread(
            QdrantEdgeIndex.open, settings.data_dir / "dedupe-qdrant", engines.embedder.dimension
        )
        log.info("embedder and index ready", model=engines.embedder.model_name)

    async def close_engines() -> None:
        engines.index.close()

    return service_app(runtime, title="ProdOps dedupe", on_start=[open_engines], on_stop=[close_engines])
