"""`prodops sync SOURCE`: one source's sync by hand, into ingest's database; the running service publishes it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import httpx
import typer
from rich.console import Console

from libs.connectors.http import VendorError
from libs.connectors.sync import SyncReport
from libs.runtime.database import database_url, make_engine, migrate, session_factory
from libs.runtime.telemetry import configure_logging
from services.ingest.connectors import REGISTRY, Connector, load_connectors
from services.ingest.settings import IngestSettings
from services.ingest.sync import sync_source

MIGRATIONS = Path(__file__).parent / "migrations"
console = Console()


def sync(
    source: Annotated[str, typer.Argument(help=f"One of: {', '.join(sorted(REGISTRY))}")],
    since: Annotated[
        str | None, typer.Option(help="ISO-8601 time (UTC if no offset): fetch what changed since then.")
    ] = None,
    backfill: Annotated[
        bool, typer.Option("--backfill", help="Everything the source holds, not only changes.")
    ] = False,
) -> None:
    """Sync one source now, with its PRODOPS_<SOURCE>_API_URL and _API_TOKEN; resumes from its stored cursor."""
    if source not in REGISTRY:
        raise typer.BadParameter(f"unknown source {source!r}; choose one of {', '.join(sorted(REGISTRY))}")
    settings = IngestSettings()
    connector = load_connectors(settings)[source]
    if not connector.settings.configured():
        raise typer.BadParameter(
            f"{source} has no API credentials: set PRODOPS_{source.upper()}_API_TOKEN (docs/connectors.md)"
        )
    start = None
    if since:
        try:
            start = datetime.fromisoformat(since)
        except ValueError as error:
            raise typer.BadParameter(f"--since: {error}") from error
        start = start if start.tzinfo else start.replace(tzinfo=UTC)
    configure_logging("ingest-sync", settings.log_level, settings.log_json)
    try:
        report = asyncio.run(_sync(settings, connector, backfill=backfill, since=start))
    except (VendorError, httpx.HTTPError) as error:
        console.print(f"[red]{source} sync stopped[/]: {error}. The next run resumes from the last stored page.")
        raise typer.Exit(1) from error
    console.print(
        f"[green]{source}[/] {report.kind}: {report.records} records on {report.pages} pages, "
        f"{report.new} new items, {report.updated} updated, {report.rejected} rejected; "
        f"cursor {report.cursor.model_dump_json(exclude_none=True)}"
    )


async def _sync(
    settings: IngestSettings, connector: Connector, *, backfill: bool, since: datetime | None
) -> SyncReport:
    engine = make_engine(database_url(settings, "ingest"), "ingest")
    try:
        await migrate(engine, "ingest", MIGRATIONS)
        with console.status(f"Syncing {connector.name.value}...") as status:

            def progress(report: SyncReport) -> None:
                status.update(f"Syncing {report.source}: {report.pages} pages, {report.new} new items")

            return await sync_source(
                session_factory(engine), connector, backfill=backfill, since=since, on_page=progress
            )
    finally:
        await engine.dispose()
