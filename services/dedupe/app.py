"""The dedupe service: feedback.received -> feedback.deduped, with similar items and a likely duplicate."""

from __future__ import annotations

import functools
from pathlib import Path

import structlog
from fastapi import FastAPI

from libs.ml.embeddings import load_embedder
from libs.runtime.service import ServiceRuntime, service_app
from services.dedupe import api, changes, jobs
from services.dedupe.adapters import EdgeStore, ServerStore, VectorStore
from services.dedupe.deps import Dedupe
from services.dedupe.engines import Engines
from services.dedupe.handlers import router
from services.dedupe.refresh import Vectors
from services.dedupe.settings import DedupeSettings

NAME = "dedupe"
log = structlog.get_logger()


def vector_store(settings: DedupeSettings) -> VectorStore:
    """A Qdrant server when PRODOPS_QDRANT_URL is set, else Qdrant Edge shards under the data dir."""
    if settings.qdrant_url:
        api_key = settings.qdrant_api_key.get_secret_value() if settings.qdrant_api_key else None
        return ServerStore.connect(settings.qdrant_url, api_key, settings.qdrant_collection)
    return EdgeStore(settings.data_dir / "dedupe-vectors")


def create_app(settings: DedupeSettings | None = None) -> FastAPI:
    settings = settings or DedupeSettings()
    runtime = ServiceRuntime.create(NAME, settings, Path(__file__).parent / "migrations")
    engines = Engines()
    vectors = Vectors(
        vector_store(settings),
        engines,
        batch_size=settings.refresh_batch_size,
        load=functools.partial(load_embedder, mistral=settings),
        after_switch=functools.partial(changes.rebuild_centroids, runtime.sessions),
    )
    deps = Dedupe.create(runtime, settings, engines, vectors)
    router.bind(runtime, deps)
    jobs.schedule(runtime.scheduler, deps)

    async def open_vectors() -> None:
        await vectors.start(settings.embedding_model)
        log.info("embedder and index ready", model=engines.serving.embedder.model_name, refresh=vectors.status.state)

    return service_app(
        runtime,
        title="ProdOps dedupe",
        routers=[api.router(deps)],
        on_start=[open_vectors],
        on_stop=[vectors.close],
    )
