"""The `prodops` command."""

from __future__ import annotations

import asyncio
import json
import os
import signal
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from libs.runtime.auth import Role, create_token
from libs.runtime.settings import SERVICES, ServiceSettings
from prodops import dlq
from prodops.serve import serve
from services.dedupe import cli as dedupe_cli
from services.enrich import cli as enrich_cli
from services.gateway import cli as gateway_cli
from services.ingest.cli import sync as sync_source
from services.triage import cli as triage_cli

app = typer.Typer(help="ProdOps Hub: every piece of customer feedback in one place.", no_args_is_help=True)
token_app = typer.Typer(help="Bearer tokens for the API.", no_args_is_help=True)
schemas_app = typer.Typer(help="The event contracts.", no_args_is_help=True)
app.add_typer(token_app, name="token")
app.add_typer(schemas_app, name="schemas")
app.add_typer(dlq.app, name="dlq")
app.command("sync")(sync_source)
app.add_typer(triage_cli.app, name="triage")
app.add_typer(enrich_cli.app, name="enrich")
app.add_typer(dedupe_cli.app, name="dedupe")
app.add_typer(gateway_cli.app, name="gateway")
console = Console()


@app.command()
def up(
    data_dir: Annotated[Path, typer.Option(help="Where SQLite files, vectors and logs live.")] = Path(".data"),
    port: Annotated[int, typer.Option(help="Gateway port; ingest on port+1, the other services after.")] = 8000,
    demo: Annotated[bool, typer.Option("--demo/--no-demo", help="Load the demo data set on first start.")] = True,
) -> None:
    """Run the whole hub on this machine: broker, every service, demo data; Ctrl-C stops it."""
    from prodops.demo.loader import load_demo
    from prodops.hub import Hub

    extra_env = {}
    if demo and "PRODOPS_CUSTOMERS_FILE" not in os.environ:
        from prodops.demo import customers_file

        extra_env["PRODOPS_CUSTOMERS_FILE"] = str(customers_file())
    hub = Hub(
        data_dir=data_dir,
        base_port=port,
        kafka_bootstrap=os.environ.get("PRODOPS_KAFKA_BOOTSTRAP") or None,
        extra_env=extra_env,
    )

    async def run() -> None:
        loop = asyncio.get_running_loop()
        stopping = asyncio.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stopping.set)
        with console.status("Starting the broker and the services..."):
            await hub.start()
        if demo:
            await load_demo(hub, console)
        admin = create_token(hub.settings().signing_key(), Role.ADMIN, "prodops-up")
        console.print(f"\n[bold green]ProdOps Hub is up[/]: {hub.gateway_url}  (ingest: {hub.ingest_url})")
        console.print(
            f"Broker {hub.kafka_bootstrap}; data in {data_dir.resolve()}; logs in {data_dir.resolve() / 'logs'}"
        )
        console.print(f"Admin token: {admin}", soft_wrap=True)
        console.print("Ctrl-C stops everything.")
        supervisor = asyncio.create_task(hub.supervise())
        stopped = asyncio.create_task(stopping.wait())
        await asyncio.wait({supervisor, stopped}, return_when=asyncio.FIRST_COMPLETED)
        supervisor.cancel()
        if supervisor.done() and not supervisor.cancelled() and supervisor.exception():
            raise supervisor.exception()  # type: ignore[misc]

    try:
        asyncio.run(run())
    finally:
        with console.status("Stopping..."):
            hub.stop()
        console.print("Stopped.")


@app.command("run")
def run_service(service: Annotated[str, typer.Argument(help=f"One of: {', '.join(SERVICES)}")]) -> None:
    """Run one service in this process (settings from PRODOPS_* variables)."""
    if service not in SERVICES:
        raise typer.BadParameter(f"unknown service {service!r}; choose one of {', '.join(SERVICES)}")
    serve(service)


@token_app.command("create")
def token_create(
    role: Annotated[Role, typer.Option(help="viewer reads; editor corrects and launches; admin runs the hub.")],
    subject: Annotated[str, typer.Option(help="Who the token is for (recorded with every write).")] = "cli",
    days: Annotated[int, typer.Option(help="Days until it expires.")] = 365,
) -> None:
    """Print a bearer token signed with the hub's secret."""
    from datetime import timedelta

    typer.echo(create_token(ServiceSettings().signing_key(), role, subject, timedelta(days=days)))


@schemas_app.command("export")
def schemas_export(
    out: Annotated[Path, typer.Option(help="Folder for the JSON Schema files.")] = Path("docs/schemas"),
) -> None:
    """Write the JSON Schema of every event."""
    from libs.schemas.compat import export

    for path in export(out):
        typer.echo(path)


@schemas_app.command("asyncapi")
def schemas_asyncapi(
    out: Annotated[Path, typer.Option(help="Folder for the AsyncAPI documents.")] = Path("docs/asyncapi"),
) -> None:
    """Write each service's AsyncAPI document (what it consumes and publishes), drawn from its handlers."""
    from prodops import asyncapi

    for path in asyncapi.write(out):
        typer.echo(path)


@schemas_app.command("list")
def schemas_list() -> None:
    """Each event type with its topic."""
    from libs.schemas.events import EVENT_TYPES

    typer.echo(json.dumps({event.__name__: event.TOPIC for event in EVENT_TYPES}, indent=2))


if __name__ == "__main__":
    app()
