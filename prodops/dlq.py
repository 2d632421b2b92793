"""`prodops dlq`: the dead letters, listed and replayed (the broker from PRODOPS_KAFKA_BOOTSTRAP)."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated
from uuid import UUID

import typer
from rich.console import Console
from rich.table import Table

from libs.runtime import dead_letters
from libs.runtime.settings import ServiceSettings

app = typer.Typer(help="Messages a consumer could not handle: list them, replay them once fixed.", no_args_is_help=True)
console = Console()

Bootstrap = Annotated[
    str | None, typer.Option(help="Kafka bootstrap servers (default: PRODOPS_KAFKA_BOOTSTRAP, as the services)")
]
Group = Annotated[
    str | None, typer.Option(help="Only the letters of this consumer group (e.g. triage.feedback.enriched.v1)")
]


def _bootstrap(bootstrap: str | None) -> str:
    return bootstrap or ServiceSettings().kafka_bootstrap


@app.command("list")
def list_letters(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON array (newest last) instead of a table.")] = False,
    limit: Annotated[int, typer.Option(min=1, help="The newest N letters.")] = 50,
    group: Group = None,
    bootstrap: Bootstrap = None,
) -> None:
    """The newest dead letters: when, which consumer group, topic and offset, and why."""
    letters = asyncio.run(dead_letters.read_all(_bootstrap(bootstrap)))
    letters = dead_letters.select(letters, None, group)[-limit:]
    if as_json:
        rows = [
            {"id": str(letter.event_id), "message_id": _text(dead_letters.message_id(letter))}
            | letter.payload.model_dump(mode="json")
            for letter in letters
        ]
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table("id", "failed at", "consumer group", "topic @ offset", "attempts", "reason")
    for letter in letters:
        record = letter.payload
        table.add_row(
            str(letter.event_id),
            f"{record.failed_at:%Y-%m-%d %H:%M:%S}",
            record.consumer_group,
            f"{record.topic}[{record.partition}]@{record.offset}",
            str(record.attempts),
            record.reason,
        )
    console.print(table)
    console.print(f"{len(letters)} dead letter(s)")


@app.command("replay")
def replay(
    event_id: Annotated[
        UUID | None, typer.Argument(help="A letter's id (from `dlq list`), or the id of the message it holds.")
    ] = None,
    everything: Annotated[bool, typer.Option("--all", help="Replay every letter (of --group if given).")] = False,
    group: Group = None,
    bootstrap: Bootstrap = None,
) -> None:
    """Publish dead messages again to their original topic; consumers that handled one already skip it."""
    if (event_id is None) == (not everything):
        raise typer.BadParameter("give one EVENT_ID or --all")
    address = _bootstrap(bootstrap)
    chosen = dead_letters.select(asyncio.run(dead_letters.read_all(address)), event_id, group)
    if not chosen:
        console.print("[red]No such dead letter.[/]" if event_id else "No dead letters to replay.")
        raise typer.Exit(1 if event_id else 0)
    for letter in asyncio.run(dead_letters.replay(address, chosen)):
        record = letter.payload
        typer.echo(f"replayed {letter.event_id} to {record.topic} (dead-lettered by {record.consumer_group})")


def _text(value: UUID | None) -> str | None:
    return None if value is None else str(value)
