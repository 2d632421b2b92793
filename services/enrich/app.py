"""The enrich service: feedback.received -> feedback.enriched, with the customer from the CRM and its history."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from pathlib import Path

import structlog
from fastapi import FastAPI

from libs.runtime.service import ServiceRuntime, service_app
from services.enrich import jobs, storage
from services.enrich.crm import CrmAdapter, configured_crms
from services.enrich.deps import Enrich
from services.enrich.handlers import router
from services.enrich.settings import EnrichSettings

NAME = "enrich"
MIGRATIONS = Path(__file__).parent / "migrations"
log = structlog.get_logger()


def create_app(settings: EnrichSettings | None = None, crms: Sequence[CrmAdapter] | None = None) -> FastAPI:
    """The service; `crms` defaults to every CRM its settings configure (PRODOPS_CRM_<NAME>_*)."""
    settings = settings or EnrichSettings()
    runtime = ServiceRuntime.create(NAME, settings, MIGRATIONS)
    deps = Enrich.create(runtime, settings, configured_crms(settings) if crms is None else crms)
    router.bind(runtime, deps)
    jobs.schedule(runtime.scheduler, deps)
    return service_app(runtime, title="ProdOps enrich", on_start=[partial(load_customers, deps)])


async def load_customers(deps: Enrich) -> None:
    """Upsert the accounts of the customers file (PRODOPS_CUSTOMERS_FILE), when there is one."""
    if (path := deps.settings.customers_file) is None:
        return
    rows = storage.read_customers_file(path)
    async with deps.runtime.sessions() as session, session.begin():
        written = await storage.upsert_customers(session, rows)
    log.info("customers loaded", new=written.new, updated=written.updated, file=str(path))
