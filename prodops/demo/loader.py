"""Load the demo data set into a running hub, once per data directory."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
from rich.console import Console

from libs.runtime.auth import Role, create_token
from libs.runtime.broker import publish
from libs.schemas.commands import CreateLaunch
from libs.schemas.events import LaunchCommand, utcnow
from libs.schemas.feedback import FeedbackInput
from prodops import demo
from prodops.hub import Hub

MARKER = ".demo-loaded"


def as_of_yesterday(items: list[FeedbackInput], now: datetime) -> list[FeedbackInput]:
    """Shift the demo's dates by whole days so that its newest item is from yesterday."""
    newest = max(item.created_at for item in items if item.created_at)
    shift = timedelta(days=(now.date() - newest.date()).days - 1)
    return [
        item.model_copy(update={"created_at": item.created_at + shift}) if item.created_at else item for item in items
    ]


async def load_demo(hub: Hub, console: Console) -> None:
    """Post the demo feedback through ingest and the demo launches as commands; skip if done before."""
    marker = hub.data_dir / MARKER
    if marker.exists():
        console.print("Demo data already loaded; reusing the data directory.")
        return
    items = as_of_yesterday(demo.feedback(), utcnow())
    token = create_token(hub.settings().signing_key(), Role.ADMIN, "demo-loader")
    body = "\n".join(item.model_dump_json(exclude_defaults=True) for item in items)
    async with httpx.AsyncClient(base_url=hub.ingest_url, timeout=60.0) as client:
        response = await client.post(
            "/api/v1/feedback/import",
            content=body.encode(),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/x-ndjson"},
        )
        response.raise_for_status()
    commands = [
        LaunchCommand(producer="demo-loader", payload=CreateLaunch(actor="demo-loader", launch=launch))
        for launch in demo.launches()
    ]
    assert hub.kafka_bootstrap is not None
    await publish(hub.kafka_bootstrap, *commands)
    marker.write_text(f"{len(items)} feedback items, {len(commands)} launches\n")
    console.print(f"Demo data loaded: {len(items)} feedback items, {len(commands)} launches.")
