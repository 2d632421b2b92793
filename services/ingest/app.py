"""The ingest service: feedback in over HTTP, durable first, then feedback.received."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from fastapi import FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from libs.runtime.service import ServiceRuntime, service_app
from services.ingest import api, storage
from services.ingest.relay import relay_loop
from services.ingest.settings import IngestSettings

NAME = "ingest"


def create_app(settings: IngestSettings | None = None) -> FastAPI:
    settings = settings or IngestSettings()
    runtime = ServiceRuntime.create(NAME, settings, Path(__file__).parent / "migrations")
    wake_relay = asyncio.Event()
    app = service_app(
        runtime,
        title="ProdOps ingest",
        routers=[api.router(runtime, settings, wake_relay)],
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
