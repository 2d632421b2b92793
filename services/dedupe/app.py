"""The dedupe service: feedback.received -> feedback.deduped, with similar items and a likely duplicate."""

from __future__ import annotations

import functools
from pathlib import Path

import structlog
from fastapi import APIRouter, Depends, FastAPI, HTTPException, status

from libs.ml.embeddings import load_embedder
from libs.runtime.auth import Role, require
from libs.runtime.service import ServiceRuntime, service_app
from services.dedupe import changes, handlers
from services.dedupe.adapters import EdgeStore, ServerStore, VectorIndex, VectorStore
from services.dedupe.refresh import RefreshRunning, RefreshStatus, Vectors
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
    engines = handlers.Engines()
    handlers.register(runtime, settings, engines)

    async def rebuild_theme_centroids(index: VectorIndex, model: str) -> None:
        async with runtime.sessions() as session:
            rebuilt = await changes.recompute_centroids(session, index, model)
            await session.commit()
        log.info("theme centroids rebuilt in the new vector space", themes=rebuilt, model=model)

    vectors: Vectors | None = None

    async def open_vectors() -> None:
        nonlocal vectors
        vectors = Vectors(
            vector_store(settings),
            engines,
            batch_size=settings.refresh_batch_size,
            load=functools.partial(load_embedder, mistral=settings),
            after_switch=rebuild_theme_centroids,
        )
        app.state.vectors = vectors
        await vectors.start(settings.embedding_model)
        log.info("embedder and index ready", model=engines.embedder.model_name, refresh=vectors.status.state)

    async def close_vectors() -> None:
        if vectors is not None:
            await vectors.close()

    admin = APIRouter(prefix="/admin/vectors", tags=["admin"], dependencies=[Depends(require(Role.ADMIN))])

    @admin.get("")
    async def vectors_status() -> RefreshStatus:
        """The live generation of the index, and where the last refresh stands."""
        return _started(vectors).status

    @admin.post("/refresh", status_code=status.HTTP_202_ACCEPTED)
    async def refresh_vectors() -> RefreshStatus:
        """Re-embed every item by the configured model into a new generation, then switch to it."""
        try:
            return _started(vectors).refresh(settings.embedding_model)
        except RefreshRunning as error:
            raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from None

    app = service_app(
        runtime, title="ProdOps dedupe", routers=[admin], on_start=[open_vectors], on_stop=[close_vectors]
    )
    return app


def _started(vectors: Vectors | None) -> Vectors:
    if vectors is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "the vector index is not open yet")
    return vectors
