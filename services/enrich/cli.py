"""`prodops enrich sync`: pull the configured CRMs' changed accounts into enrich's customers table now."""

from __future__ import annotations

import asyncio
from typing import Annotated

import httpx
import typer
from rich.console import Console

from libs.connectors.http import VendorError
from libs.connectors.sync import SyncReport
from libs.runtime.database import database_url, make_engine, migrate, session_factory
from libs.runtime.telemetry import configure_logging
from services.enrich.app import MIGRATIONS, NAME
from services.enrich.crm import CRMS, CrmAdapter, configured_crms, sync_crm
from services.enrich.settings import EnrichSettings

app = typer.Typer(help="Customers: the CRM sync behind enrichment.", no_args_is_help=True)
console = Console()


@app.command()
def sync(
    crm: Annotated[
        str | None, typer.Option(help=f"Only this CRM ({', '.join(CRMS)}); default: every configured one.")
    ] = None,
) -> None:
    """Sync each configured CRM once (PRODOPS_CRM_<NAME>_API_URL and _API_TOKEN), resuming from its stored cursor."""
    if crm is not None and crm not in CRMS:
        raise typer.BadParameter(f"unknown CRM {crm!r}; choose one of {', '.join(CRMS)}")
    settings = EnrichSettings()
    crms = [adapter for adapter in configured_crms(settings) if crm is None or adapter.name == crm]
    if not crms:
        wanted = [crm] if crm else list(CRMS)
        names = " or ".join(f"PRODOPS_CRM_{name.upper()}_API_TOKEN" for name in wanted)
        raise typer.BadParameter(f"no CRM is configured: set {names} (docs/enrich.md)")
    configure_logging("enrich-sync", settings.log_level, settings.log_json)
    failed = asyncio.run(_sync(settings, crms))
    if failed:
        raise typer.Exit(1)


async def _sync(settings: EnrichSettings, crms: list[CrmAdapter]) -> bool:
    """Each CRM in turn; True when one of them stopped on an error."""
    engine = make_engine(database_url(settings, NAME), NAME)
    failed = False
    try:
        await migrate(engine, NAME, MIGRATIONS)
        for adapter in crms:
            with console.status(f"Syncing {adapter.name}...") as status:

                def progress(report: SyncReport) -> None:
                    status.update(f"Syncing {report.source}: {report.pages} pages, {report.new} new accounts")

                try:
                    report = await sync_crm(session_factory(engine), adapter, on_page=progress)
                except (VendorError, httpx.HTTPError) as error:
                    console.print(
                        f"[red]{adapter.name} sync stopped[/]: {error}. The next run resumes from its cursor."
                    )
                    failed = True
                    continue
            console.print(
                f"[green]{report.source}[/]: {report.records} accounts on {report.pages} pages, "
                f"{report.new} new, {report.updated} updated, {report.rejected} rejected (kept with their reasons); "
                f"cursor {report.cursor.model_dump_json(exclude_none=True)}"
            )
    finally:
        await engine.dispose()
    return failed
