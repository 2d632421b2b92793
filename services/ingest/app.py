"""The ingest service: feedback in over HTTP and from every source, durable first, then feedback.received;
and the requests voiced in a call transcript (feedback.split) as items of their own."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from pathlib import Path

from fastapi import FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from libs.runtime.service import ServiceRuntime, service_app
from services.ingest import api, handlers, storage, webhooks
from services.ingest.connectors import Connector, load_connectors
from services.ingest.relay import relay_loop
from services.ingest.schedules import sync_scheduler
from services.ingest.settings import IngestSettings

NAME = "ingest"


def create_app(settings: IngestSettings | None = None, connectors: Mapping[str, Connector] | None = None) -> FastAPI:
    settings = settings or IngestSettings()
    connectors = connectors if connectors is not None else load_connectors(settings)
    runtime = ServiceRuntime.create(NAME, settings, Path(__file__).parent / "migrations")
    wake_relay = asyncio.Event()
    handlers.register(runtime, wake_relay)
    schedules = sync_scheduler(
        runtime.sessions, connectors if settings.sync_schedules else {}, lambda _: wake_relay.set()
    )

    async def start_schedules() -> None:
        schedules.start()

    async def stop_schedules() -> None:
        if schedules.running:
            schedules.shutdown(wait=False)  # cancels running syncs; each resumes from its cursor
            await asyncio.sleep(0)

    app = service_app(
        runtime,
        title="ProdOps ingest",
        routers=[api.router(runtime, settings, wake_relay), webhooks.router(runtime, settings, connectors, wake_relay)],
        on_start=[start_schedules],
        on_stop=[stop_schedules],
        background=[relay_loop(runtime, settings, wake_relay)],
        serves_without_broker=True,
    )

    @app.exception_handler(RequestValidationError)
    async def record_bad_payload(_: Request, error: RequestValidationError) -> JSONResponse:
        """A bad payload is answered clearly and kept, with its reason, for whoever sent it."""
        problems = [f"{'.'.join(str(part) for part in detail['loc'])}: {detail['msg']}" for detail in error.errors()]
        async with runtime.sessions() as session, session.begin():
            storage.record_rejection(session, "api", "; ".join(problems), json.dumps(error.body, default=str).encode())
        return JSONResponse(
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
            content={"detail": {"message": "invalid feedback", "errors": problems}},
        )

    return app
