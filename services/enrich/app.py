"""The enrich service: feedback.received -> feedback.enriched, with the customer from the CRM and its history."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

import structlog
from fastapi import FastAPI

from libs.runtime.service import ServiceRuntime, service_app
from services.enrich import handlers, storage
from services.enrich.crm import CrmAdapter, configured_crms, crm_scheduler
from services.enrich.settings import EnrichSettings

NAME = "enrich"
MIGRATIONS = Path(__file__).parent / "migrations"
log = structlog.get_logger()


def create_app(settings: EnrichSettings | None = None, crms: Sequence[CrmAdapter] | None = None) -> FastAPI:
    """The service; `crms` defaults to every CRM its settings configure (PRODOPS_CRM_<NAME>_*)."""
    settings = settings or EnrichSettings()
    crms = configured_crms(settings) if crms is None else crms
    runtime = ServiceRuntime.create(NAME, settings, MIGRATIONS)
    handlers.register(runtime, settings)
    schedules = crm_scheduler(runtime.sessions, crms if settings.crm_sync else [])

    async def load_customers() -> None:
        if settings.customers_file is None:
            return
        rows = storage.read_customers_file(settings.customers_file)
        async with runtime.sessions() as session, session.begin():
            count = await storage.upsert_customers(session, rows)
        log.info("customers loaded", count=count, file=str(settings.customers_file))

    async def start_schedules() -> None:
        schedules.start()

    async def stop_schedules() -> None:
        if schedules.running:
            schedules.shutdown(wait=False)  # cancels a running sync; it resumes from its cursor
            await asyncio.sleep(0)

    return service_app(
        runtime,
        title="ProdOps enrich",
        on_start=[load_customers, start_schedules],
        on_stop=[stop_schedules],
    )
