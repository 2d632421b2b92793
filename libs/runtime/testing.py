"""Helpers for tests that run a service in-process against the real broker."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from fastapi import FastAPI
from pydantic import ValidationError

from libs.runtime.broker import publish
from libs.schemas.events import Envelope

__all__ = ["collect", "publish", "publish_raw", "running"]

E = TypeVar("E", bound=Envelope)


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[FastAPI]:
    """Run an app's lifespan (migrations, broker, background loops) around a block."""
    async with app.router.lifespan_context(app):
        yield app


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
    await consumer.start()
    seen: list[E] = []
    try:
        async with asyncio.timeout(timeout):
            while not until(seen):
                batches = await consumer.getmany(timeout_ms=200)
                for records in batches.values():
                    for record in records:
                        if (event := _parsed(event_type, record.value)) is not None:
                            seen.append(event)
    except TimeoutError:
        raise AssertionError(f"timed out after {timeout}s with {len(seen)} {event_type.__name__} seen") from None
    finally:
        await consumer.stop()
    return seen


def _parsed(event_type: type[E], body: bytes) -> E | None:
    """Tests publish poison on purpose; a reader of the topic steps over it."""
    try:
        return event_type.model_validate_json(body)
    except ValidationError:
        return None
