"""Enrich's periodic work: each configured CRM's incremental sync of its accounts."""

from __future__ import annotations

from functools import partial

from libs.connectors.schedules import schedule_sync
from libs.runtime.jobs import Scheduler
from services.enrich.crm import CrmAdapter, sync_crm
from services.enrich.deps import Enrich


def schedule(scheduler: Scheduler, deps: Enrich) -> None:
    for crm in deps.crms:
        schedule_sync(scheduler, f"crm:{crm.name}", partial(sync_accounts, deps, crm), crm.settings.sync_every_minutes)


async def sync_accounts(deps: Enrich, crm: CrmAdapter, _backfill: bool) -> None:
    """One scheduled run of a CRM's sync (a CRM has no backfill: its incremental run starts from the beginning)."""
    await sync_crm(deps.runtime.sessions, crm)
