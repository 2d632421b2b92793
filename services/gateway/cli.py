"""`prodops gateway rebuild`: the read model made again from the topics.

Run it with the gateway stopped: it wipes the read tables and the gateway's inbox rows, then replays
every topic the gateway consumes from its earliest offset through the same folds the live service
runs, writing the same inbox rows. Started again, the gateway goes on from its committed offsets; what
the rebuild already folded, its inbox skips.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Sequence
from pathlib import Path

import structlog
import typer
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from pydantic import BaseModel, ValidationError
from rich.console import Console
from sqlmodel import col, delete
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.runtime import inbox
from libs.runtime.consumer import Handler, PoisonMessage, group_of, handle_with_retries
from libs.runtime.database import is_transient, migrate
from libs.runtime.inbox import InboxEntry
from libs.runtime.routing import Route
from libs.runtime.service import ServiceRuntime
from libs.schemas.events import Envelope
from services.gateway.deps import Gateway
from services.gateway.handlers import router
from services.gateway.read_model import CommandOutcomeView, FeedbackView, LaunchView, NotificationView, ThemeView
from services.gateway.settings import GatewaySettings

NAME = "gateway"
MIGRATIONS = Path(__file__).parent / "migrations"
READ_TABLES = (FeedbackView, ThemeView, LaunchView, NotificationView, CommandOutcomeView)

app = typer.Typer(help="The gateway's read model.", no_args_is_help=True)
console = Console()
log = structlog.get_logger()

Fold = tuple[type[Envelope], Handler[Envelope]]


class RebuildReport(BaseModel):
    folded: dict[str, int]  # topic -> events folded
    skipped: int  # messages no fold accepts (the live service dead-lettered them)


async def rebuild(settings: GatewaySettings) -> RebuildReport:
    """Wipe the read model and fold every event the broker still holds, topic by topic, from the start."""
    runtime = ServiceRuntime.create(NAME, settings, MIGRATIONS)
    # No one listens to the stream during a rebuild (its announcements go nowhere), and no one signs in.
    deps = Gateway.create(runtime, settings, oidc=None)
    folds: dict[str, Fold] = {route.consumes.TOPIC: (route.consumes, _given(route, deps)) for route in router.routes}
    # No consumer group: nothing is committed, so the live groups' offsets stay where they are.
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap, group_id=None, enable_auto_commit=False, client_id="prodops-rebuild"
    )
    try:
        await migrate(runtime.engine, NAME, MIGRATIONS)
        await consumer.start()  # before anything is wiped: a broker that is away leaves the read model as it was
        available = await consumer.topics()
        partitions = [
            TopicPartition(topic, partition)
            for topic in folds
            if topic in available
            for partition in sorted(consumer.partitions_for_topic(topic) or ())
        ]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends: dict[TopicPartition, int] = await consumer.end_offsets(partitions)
        await _wipe(runtime, [group_of(NAME, event_type) for event_type, _ in folds.values()])
        return await _replay(runtime, consumer, folds, ends)
    finally:
        await consumer.stop()
        await runtime.engine.dispose()


def _given(route: Route[Envelope, Gateway], deps: Gateway) -> Handler[Envelope]:
    """The route's handler as the consumer calls it (event, session), given the gateway's dependencies."""

    async def fold(event: Envelope, session: AsyncSession) -> Sequence[Envelope]:
        return await route.handler(event, session, deps)

    return fold


async def _wipe(runtime: ServiceRuntime, groups: list[str]) -> None:
    async with runtime.sessions() as session, session.begin():
        for table in READ_TABLES:
            await session.exec(delete(table))
        await session.exec(delete(InboxEntry).where(col(InboxEntry.consumer).in_(groups)))


async def _replay(
    runtime: ServiceRuntime, consumer: AIOKafkaConsumer, folds: dict[str, Fold], ends: dict[TopicPartition, int]
) -> RebuildReport:
    """Fold each partition up to the end it had when the rebuild began; later events are the live service's."""
    report = RebuildReport(folded={topic: 0 for topic in folds}, skipped=0)
    remaining = {partition for partition, end in ends.items() if end > await consumer.position(partition)}
    while remaining:
        batches = await consumer.getmany(*remaining, timeout_ms=1000)
        for partition, records in batches.items():
            for record in records:
                if record.offset < ends[partition]:
                    await _fold(runtime, folds[partition.topic], record, report)
        for partition in list(remaining):
            if await consumer.position(partition) >= ends[partition]:
                remaining.discard(partition)
    return report


async def _fold(
    runtime: ServiceRuntime, fold: Fold, record: ConsumerRecord[bytes, bytes], report: RebuildReport
) -> None:
    event_type, handler = fold
    group = group_of(NAME, event_type)
    try:
        event = event_type.model_validate_json(record.value or b"")
        async with runtime.sessions() as session:
            if await inbox.find(session, event.event_id, group) is not None:  # published twice upstream
                return
        await handle_with_retries(runtime, group, event, handler)
    except (ValidationError, PoisonMessage) as error:
        report.skipped += 1
        log.warning("skipped", topic=record.topic, offset=record.offset, error=type(error).__name__)
        return
    except Exception as error:
        if is_transient(error):
            raise  # the database is away: stop, and run the rebuild again once it is back
        report.skipped += 1
        log.warning("skipped", topic=record.topic, offset=record.offset, error=type(error).__name__)
        return
    report.folded[record.topic] += 1


def _answers(host: str, port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1.0)
        return probe.connect_ex((host, port)) == 0


@app.command("rebuild")
def rebuild_command() -> None:
    """Rebuild the read model from the topics (stop the gateway first); settings from PRODOPS_* variables."""
    settings = GatewaySettings()
    port = settings.port_of(NAME)
    if _answers(settings.host, port):
        console.print(
            f"[red]The gateway answers on {settings.host}:{port}[/]: stop it first, "
            "or it folds events into the tables while they are wiped."
        )
        raise typer.Exit(1)
    with console.status(f"Replaying the topics from {settings.kafka_bootstrap}..."):
        report = asyncio.run(rebuild(settings))
    for topic, count in report.folded.items():
        console.print(f"{topic}: {count} folded")
    console.print(f"[bold]{sum(report.folded.values())} events folded[/], {report.skipped} skipped (see the log).")
