"""Helpers for tests that run a service in-process: on the real broker, or on FastStream's in-memory one."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from fastapi import FastAPI
from faststream.kafka import KafkaBroker, TestKafkaBroker
from faststream.kafka.annotations import KafkaMessage
from pydantic import ValidationError

from libs.runtime.broker import publish
from libs.runtime.settings import ServiceSettings
from libs.schemas.events import Envelope

__all__ = [
    "DATABASES",
    "UNUSED_BOOTSTRAP",
    "InMemoryBus",
    "collect",
    "database_for",
    "in_memory",
    "publish",
    "publish_raw",
    "quick_settings",
    "running",
]

E = TypeVar("E", bound=Envelope)
S = TypeVar("S", bound=ServiceSettings)

# Every service test runs on both databases: SQLite (a file under data_dir) and PostgreSQL.
DATABASES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def database_for(request: pytest.FixtureRequest) -> str | None:
    """The database URL a fixture parametrized with DATABASES stands for; None means SQLite."""
    return request.getfixturevalue("postgres_url") if request.param == "postgres" else None


def quick_settings(
    settings_type: type[S], kafka_bootstrap: str, data_dir: Path, database_url: str | None, **extra: Any
) -> S:
    """A service's settings under test: its own data dir, the chosen database, consumer groups that join in a second."""
    return settings_type(
        kafka_bootstrap=kafka_bootstrap,
        data_dir=data_dir,
        database_url=database_url,
        kafka_session_timeout_ms=2000,
        kafka_heartbeat_interval_ms=500,
        **extra,
    )


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[FastAPI]:
    """Run an app's lifespan (migrations, broker, background loops) around a block."""
    async with app.router.lifespan_context(app):
        yield app


# Settings for a service on the in-memory bus name a broker that is never dialled.
UNUSED_BOOTSTRAP = "127.0.0.1:9"


class InMemoryBus:
    """A running service on FastStream's in-memory Kafka broker: a publish runs its handlers before it returns
    (and theirs, for what they publish), and every event the service publishes is kept."""

    def __init__(self, broker: KafkaBroker) -> None:
        self._broker = broker
        self.sent: list[tuple[str, bytes]] = []  # (topic, body) as published, in order

    async def publish(self, event: Envelope) -> None:
        await self._broker.publish(event.model_dump_json().encode(), topic=event.TOPIC, key=event.key)

    async def publish_raw(self, topic: str, body: bytes) -> None:
        await self._broker.publish(body, topic=topic)

    async def until(self, event_type: type[E], holds: Callable[[list[E]], bool], timeout: float = 30.0) -> list[E]:
        """What the service published of `event_type` once `holds` is true of it: for what a job publishes on
        its own time (an outbox relay, a scheduled sync), not in answer to a publish."""
        try:
            async with asyncio.timeout(timeout):
                while not holds(seen := self.published(event_type)):  # noqa: ASYNC110 - the jobs run on their schedule
                    await asyncio.sleep(0.02)
        except TimeoutError:
            raise AssertionError(
                f"timed out after {timeout}s with {len(seen)} {event_type.__name__} published"
            ) from None
        return seen

    def published(self, event_type: type[E]) -> list[E]:
        """What the service published on `event_type`'s topic, in order (poison skipped)."""
        return [
            event
            for topic, body in self.sent
            if topic == event_type.TOPIC and (event := _parsed(event_type, body)) is not None
        ]


@asynccontextmanager
async def in_memory(app: FastAPI) -> AsyncIterator[InMemoryBus]:
    """Run a service's lifespan with its broker in memory: its handlers' logic, its database, no Kafka.

    The same consumer path runs (inbox, batches of one, retries, dead letters); what only the real broker
    shows (group rebalances, offsets, crashes) stays with the tests that run on it.
    """
    runtime = app.state.runtime
    broker: KafkaBroker = runtime.broker
    bus = InMemoryBus(broker)
    topics = sorted({event_type.TOPIC for router in runtime.routers for event_type in router.published()})

    @broker.subscriber(*topics, include_in_schema=False)
    async def keep(message: KafkaMessage) -> None:
        record = message.raw_message
        assert not isinstance(record, tuple)  # one record: this subscriber is not a batch one
        bus.sent.append((record.topic, message.body))

    async with TestKafkaBroker(broker), running(app):
        yield bus


async def publish_raw(bootstrap: str, topic: str, body: bytes) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(topic, body)
    finally:
        await producer.stop()


async def collect(
    bootstrap: str,
    event_type: type[E],
    until: Callable[[list[E]], bool],
    timeout: float = 30.0,
) -> list[E]:
    """Read `event_type`'s topic from the start, in a fresh group, until `until(seen)` holds."""
    consumer = AIOKafkaConsumer(
        event_type.TOPIC,
        bootstrap_servers=bootstrap,
        group_id=f"test-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        session_timeout_ms=2000,
        heartbeat_interval_ms=500,
    )
    seen: list[E] = []
    try:
        async with asyncio.timeout(timeout):
            await consumer.start()
            while not until(seen):
                batches = await consumer.getmany(timeout_ms=200)
                for records in batches.values():
                    for record in records:
                        if (event := _parsed(event_type, record.value)) is not None:
                            seen.append(event)
    except TimeoutError:
        raise AssertionError(f"timed out after {timeout}s with {len(seen)} {event_type.__name__} seen") from None
    finally:
        # A reader that does not leave its group in time is left behind: the group is the test's alone.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(5.0):
                await consumer.stop()
    return seen


def _parsed(event_type: type[E], body: bytes) -> E | None:
    """Tests publish poison on purpose; a reader of the topic steps over it."""
    try:
        return event_type.model_validate_json(body)
    except ValidationError:
        return None
