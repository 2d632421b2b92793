"""The ingest service: feedback in over HTTP and from every source, durable first, then feedback.received;
and the requests voiced in a call transcript (feedback.split) as items of their own."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from fastapi import FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from libs.connectors.rejections import record_rejection
from libs.runtime.service import ServiceRuntime, service_app
from services.ingest import api, jobs, webhooks
from services.ingest.connectors import Connector, load_connectors
from services.ingest.deps import Ingest
from services.ingest.handlers import router
from services.ingest.settings import IngestSettings

NAME = "ingest"


def create_app(settings: IngestSettings | None = None, connectors: Mapping[str, Connector] | None = None) -> FastAPI:
    settings = settings or IngestSettings()
    connectors = connectors if connectors is not None else load_connectors(settings)
    runtime = ServiceRuntime.create(NAME, settings, Path(__file__).parent / "migrations")
    deps = Ingest.create(runtime, settings, connectors)
    router.bind(runtime, deps)
    jobs.schedule(runtime.scheduler, deps)
    app = service_app(
        runtime,
        title="ProdOps ingest",
        routers=[api.router(deps), api.admin_router(deps), webhooks.router(deps)],
        serves_without_broker=True,
        body_limits={
            "/webhooks/": settings.max_webhook_bytes,
            "/api/v1/feedback/import": settings.max_import_bytes,
            "/api/v1/feedback": settings.max_feedback_bytes,
        },
    )

    @app.exception_handler(RequestValidationError)
    async def record_bad_payload(_: Request, error: RequestValidationError) -> JSONResponse:
        """A bad payload is answered clearly and kept, with its reason, for whoever sent it."""
        problems = [f"{'.'.join(str(part) for part in detail['loc'])}: {detail['msg']}" for detail in error.errors()]
        async with runtime.sessions() as session, session.begin():
            record_rejection(session, "api", "; ".join(problems), json.dumps(error.body, default=str).encode())
        return JSONResponse(
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
            content={"detail": {"message": "invalid feedback", "errors": problems}},
        )

    return app
