"""The enrich service: feedback.received -> feedback.enriched, with the customer from the CRM."""

from __future__ import annotations

from pathlib import Path

import structlog
from fastapi import FastAPI

from libs.runtime.service import ServiceRuntime, service_app
from services.enrich import handlers, storage
from services.enrich.settings import EnrichSettings

NAME = "enrich"
log = structlog.get_logger()


def create_app(settings: EnrichSettings | None = None) -> FastAPI:
    settings = settings or EnrichSettings()
    runtime = ServiceRuntime.create(NAME, settings, Path(__file__).parent / "migrations")
    handlers.register(runtime, settings)

    async def load_customers() -> None:
        if settings.customers_file is None:
            return
        rows = storage.read_customers_file(settings.customers_file)
        async with runtime.sessions() as session, session.begin():
            count = await storage.upsert_customers(session, rows)
        log.info("customers loaded", count=count, file=str(settings.customers_file))

    return service_app(runtime, title="ProdOps enrich", on_start=[load_customers])
